from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from odoo.addons.ev_bundle_sale.tools import code_rules

from .ev_tradein_subsidy_rule import OLD_BATTERY_TYPES


class EvTradein(models.Model):
    """The old vehicle taken back in a trade-in (以旧换新), the subsidy granted and who pays it."""

    _name = "ev.tradein"
    _description = "E-bike Trade-in"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    bundle_id = fields.Many2one("ev.bundle", readonly=True, index=True, check_company=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True, check_company=True)
    partner_id = fields.Many2one("res.partner", string="Owner")
    old_brand = fields.Char(string="Old Vehicle Brand", required=True)
    old_code = fields.Char(string="Old Vehicle Code or Plate", required=True,
                           help="The vehicle code on the frame, or the licence plate if the code is unreadable.")
    old_plate = fields.Char(string="Licence Plate")
    old_battery_type = fields.Selection(OLD_BATTERY_TYPES, string="Old Battery", required=True, default="lead_acid")
    photo_ids = fields.Many2many("ir.attachment", string="Photos")
    plate_collected = fields.Boolean(string="Plate Collected")
    battery_collected = fields.Boolean(string="Battery Collected")
    charger_collected = fields.Boolean(string="Charger Collected")
    currency_id = fields.Many2one(related="company_id.currency_id")
    subsidy_amount = fields.Monetary(readonly=True, help="Granted by the subsidy programme: the buyer pays the "
                                     "sale amount less this, the programme pays this to the store.")
    subsidy_rule_ids = fields.Many2many("ev.tradein.subsidy.rule", string="Subsidy Rules", readonly=True)
    subsidy_partner_id = fields.Many2one("res.partner", string="Subsidy Programme", readonly=True, index=True,
                                         help="Who pays the subsidy to the store (the first programme of the rules).")
    subsidy_move_id = fields.Many2one(
        "account.move", string="Subsidy Entry", readonly=True, copy=False, check_company=True,
        help="Moves the subsidy off the buyer's invoice onto the programme's receivable.")
    subsidy_return_move_id = fields.Many2one(
        "account.move", string="Subsidy Return Entry", readonly=True, copy=False, check_company=True,
        help="After a refund of the sale: the subsidy the store owes back to the programme.")
    subsidy_line_ids = fields.One2many("account.move.line", "ev_subsidy_tradein_id", string="Programme Items",
                                       readonly=True)
    subsidy_due = fields.Monetary(
        string="Programme Owes", compute="_compute_subsidy_balance", store=True,
        help="What the programme still owes the store; negative: what the store owes back after a refund.")
    subsidy_paid = fields.Monetary(string="Programme Paid", compute="_compute_subsidy_balance", store=True)
    subsidy_state = fields.Selection(
        [("none", "No subsidy"), ("waiting", "Waiting for the buyer's invoice"), ("due", "Programme owes"),
         ("paid", "Paid by the programme"), ("to_return", "To pay back"), ("closed", "Closed")],
        string="Subsidy Status", compute="_compute_subsidy_balance", store=True)
    old_lot_id = fields.Many2one("stock.lot", string="Old Vehicle", readonly=True, check_company=True)
    receipt_picking_id = fields.Many2one("stock.picking", string="Receipt", readonly=True, check_company=True)

    @api.depends("old_brand", "old_code")
    def _compute_name(self):
        for tradein in self:
            tradein.name = f"{tradein.old_brand or ''} {tradein.old_code or ''}".strip()

    @api.model
    def _ev_tradein_location(self, company):
        """The internal "Trade-in" location of ``company``'s warehouse, created on first use."""
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        Location = self.env["stock.location"].sudo()
        location = Location.search([("company_id", "=", company.id), ("usage", "=", "internal"),
                                    ("location_id", "=", warehouse.view_location_id.id),
                                    ("name", "=", "Trade-in")], limit=1)
        return location or Location.create({
            "name": "Trade-in", "usage": "internal", "location_id": warehouse.view_location_id.id,
            "company_id": company.id,
        })

    def _ev_receive_old_vehicle(self):
        """Receive the old vehicle (serial = its code or plate) from the customer into the trade-in location."""
        self.ensure_one()
        company = self.company_id
        product = self.env.ref("ev_bundle_sale.product_tradein_vehicle").product_variant_id.with_company(company)
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        location = self._ev_tradein_location(company)
        Lot = self.env["stock.lot"].sudo()
        base = code_rules.normalize_code(self.old_code) or _("TRADE-IN")
        name, suffix = base, 1
        while Lot.search_count([("name", "=", name), ("product_id", "=", product.id),
                                ("company_id", "=", company.id)]):
            suffix += 1
            name = f"{base}/{suffix}"
        lot = Lot.create({"name": name, "product_id": product.id, "company_id": company.id,
                          "note": f"{self.old_brand} {self.old_plate or ''}".strip()})
        picking = self.env["stock.picking"].sudo().with_company(company).create({
            "picking_type_id": warehouse.in_type_id.id,
            "partner_id": self.partner_id.id,
            "location_id": self.env.ref("stock.stock_location_customers").id,
            "location_dest_id": location.id,
            "origin": self.sale_order_id.name,
            "move_ids": [fields.Command.create({
                "name": _("Trade-in: %(vehicle)s", vehicle=self.name), "product_id": product.id,
                "product_uom_qty": 1, "product_uom": product.uom_id.id,
                "location_id": self.env.ref("stock.stock_location_customers").id,
                "location_dest_id": location.id, "company_id": company.id,
            })],
        })
        picking.action_confirm()
        move = picking.move_ids
        move.move_line_ids.unlink()
        self.env["stock.move.line"].sudo().create({
            "move_id": move.id, "picking_id": picking.id, "product_id": product.id, "lot_id": lot.id,
            "quantity": 1, "product_uom_id": product.uom_id.id, "location_id": move.location_id.id,
            "location_dest_id": location.id, "company_id": company.id,
        })
        move.picked = True
        picking._action_done()
        self.write({"old_lot_id": lot.id, "receipt_picking_id": picking.id})

    @api.depends("subsidy_amount", "subsidy_move_id", "subsidy_return_move_id",
                 "subsidy_line_ids.amount_residual", "subsidy_line_ids.parent_state")
    def _compute_subsidy_balance(self):
        for tradein in self:
            lines = tradein.subsidy_line_ids.filtered(lambda line: line.parent_state == "posted")
            entries = tradein.subsidy_move_id | tradein.subsidy_return_move_id
            # Paid: the programme's items matched by anything but our own entries (its payments, its repayment).
            paid = sum(partial.amount for line in lines.filtered(lambda line: line.balance > 0)
                       for partial in line.matched_credit_ids if partial.credit_move_id.move_id not in entries)
            repaid = sum(partial.amount for line in lines.filtered(lambda line: line.balance < 0)
                         for partial in line.matched_debit_ids if partial.debit_move_id.move_id not in entries)
            tradein.subsidy_due = sum(lines.mapped("amount_residual"))
            tradein.subsidy_paid = paid - repaid
            currency = tradein.currency_id
            if currency.is_zero(tradein.subsidy_amount):
                state = "none"
            elif not tradein.subsidy_move_id:
                state = "waiting"
            elif currency.compare_amounts(tradein.subsidy_due, 0) > 0:
                state = "due"
            elif currency.compare_amounts(tradein.subsidy_due, 0) < 0:
                state = "to_return"
            else:
                state = "closed" if tradein.subsidy_return_move_id else "paid"
            tradein.subsidy_state = state

    def _ev_subsidy_split(self):
        """The subsidy per programme: [(partner, amount)], from the matching rules, capped at the subsidy."""
        self.ensure_one()
        remaining, split = self.subsidy_amount, []
        for payer in self.subsidy_rule_ids.payer_id:
            amount = min(sum(self.subsidy_rule_ids.filtered(lambda r, p=payer: r.payer_id == p).mapped("amount")),
                         remaining)
            if self.currency_id.compare_amounts(amount, 0) > 0:
                split.append((payer, amount))
                remaining -= amount
        return split

    def _ev_subsidy_journal(self):
        journal = self.env["account.journal"].sudo().search(
            [("type", "=", "general"), *self.env["account.journal"]._check_company_domain(self.company_id)], limit=1)
        if not journal:
            raise UserError(_("%(company)s has no miscellaneous journal for the trade-in subsidy entry.",
                              company=self.company_id.name))
        return journal

    def _ev_subsidy_entry(self, ref, receivable, programme_sign):
        """A posted entry between the buyer's receivable line ``receivable`` and the programmes' receivables:
        ``programme_sign`` +1 books what the programmes owe, -1 what the store owes them back."""
        self.ensure_one()
        lines = []
        for payer, amount in self._ev_subsidy_split():
            account = payer.with_company(self.company_id).property_account_receivable_id
            lines.append(Command.create({
                "name": _("Trade-in subsidy %(order)s: %(vehicle)s", order=self.sale_order_id.name, vehicle=self.name),
                "partner_id": payer.id, "account_id": account.id, "balance": programme_sign * amount,
                "ev_subsidy_tradein_id": self.id,
            }))
        total = sum(amount for _payer, amount in self._ev_subsidy_split())
        lines.append(Command.create({
            "name": _("Trade-in subsidy, paid by %(programmes)s", programmes=", ".join(
                payer.name for payer, _amount in self._ev_subsidy_split())),
            "partner_id": receivable.partner_id.id, "account_id": receivable.account_id.id,
            "balance": -programme_sign * total,
        }))
        move = self.env["account.move"].sudo().with_company(self.company_id).create({
            "move_type": "entry", "journal_id": self._ev_subsidy_journal().id, "company_id": self.company_id.id,
            "date": receivable.move_id.date, "ref": ref, "ev_tradein_id": self.id, "line_ids": lines,
        })
        move.action_post()
        (move.line_ids.filtered(lambda line: line.account_id == receivable.account_id
                                and line.partner_id == receivable.partner_id) | receivable).reconcile()
        return move

    @api.model
    def _ev_receivable_line(self, move):
        return move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable"
                                      and not line.reconciled)[:1]

    def _ev_log(self, body):
        # As OdooBot: a chatter message needs an author with an e-mail address, which store staff seldom have.
        self.sudo().message_post(body=body, author_id=self.env.ref("base.partner_root").id)

    def _ev_transfer_subsidy(self, invoice):
        """The buyer's invoice is for the full price: move the subsidy off it onto the programme (no VAT invoice to
        the programme: the subsidy pays part of the buyer's price). The buyer's QR payment pays the rest."""
        for tradein in self.filtered(lambda t: not t.currency_id.is_zero(t.subsidy_amount) and not t.subsidy_move_id):
            receivable = self._ev_receivable_line(invoice)
            if not receivable:
                continue
            tradein.subsidy_move_id = tradein._ev_subsidy_entry(
                _("Trade-in subsidy of %(invoice)s", invoice=invoice.name), receivable, 1)
            tradein._ev_log(_("The subsidy of %(amount)s is now owed by %(programme)s (%(entry)s).",
                              amount=tradein.subsidy_amount, programme=tradein.subsidy_partner_id.name,
                              entry=tradein.subsidy_move_id._get_html_link()))

    def _ev_return_subsidy(self, credit_note):
        """The sale is refunded: the buyer gets back what they paid, the subsidy goes back to the programme (it
        cancels what the programme still owes, or is owed back to it if it has paid already)."""
        for tradein in self.filtered(lambda t: t.subsidy_move_id and not t.subsidy_return_move_id):
            receivable = self._ev_receivable_line(credit_note)
            if not receivable:
                continue
            move = tradein._ev_subsidy_entry(
                _("Trade-in subsidy owed back, refund %(credit_note)s", credit_note=credit_note.name), receivable, -1)
            tradein.subsidy_return_move_id = move
            # Against what the programme has not paid yet: nothing is owed either way for that part.
            for line in move.line_ids.filtered("ev_subsidy_tradein_id"):
                open_items = tradein.subsidy_line_ids.filtered(
                    lambda item, ln=line: item != ln and item.partner_id == ln.partner_id and not item.reconciled
                    and item.account_id == ln.account_id and item.balance > 0 and item.parent_state == "posted")
                if open_items:
                    (open_items | line).reconcile()
            tradein._ev_log(_("Sale refunded (%(credit_note)s): the subsidy goes back to %(programme)s (%(entry)s).",
                              credit_note=credit_note._get_html_link(), programme=tradein.subsidy_partner_id.name,
                              entry=move._get_html_link()))

    def action_ev_register_subsidy_payment(self):
        """The programme paid (or the store paid back): Odoo's payment wizard on the open programme items."""
        lines = self.subsidy_line_ids.filtered(lambda line: not line.reconciled and line.parent_state == "posted")
        if not lines:
            raise UserError(_("Nothing is open on the subsidy of %(tradeins)s.",
                              tradeins=", ".join(self.mapped("name"))))
        return lines.action_register_payment()

    def action_ev_open_subsidy_entries(self):
        self.ensure_one()
        moves = self.subsidy_move_id | self.subsidy_return_move_id | self.subsidy_line_ids.matched_credit_ids\
            .credit_move_id.move_id | self.subsidy_line_ids.matched_debit_ids.debit_move_id.move_id
        return {"type": "ir.actions.act_window", "name": _("Subsidy Entries"), "res_model": "account.move",
                "view_mode": "list,form", "domain": [("id", "in", moves.ids)]}
