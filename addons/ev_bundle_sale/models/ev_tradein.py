from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from odoo.addons.ev_bundle_sale.tools import code_rules

from .ev_tradein_subsidy_rule import OLD_BATTERY_TYPES

# The photos a subsidy audit asks for, in the order they are taken (fields photo_<kind>).
PHOTO_KINDS = ("front", "side", "frame_code", "plate")


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
    # Evidence for the subsidy audit: the photos (stored as attachments), the hand-over to a registered recycler.
    photo_front = fields.Image(string="Photo: Front", attachment=True, max_width=1920, max_height=1920)
    photo_side = fields.Image(string="Photo: Side", attachment=True, max_width=1920, max_height=1920)
    photo_frame_code = fields.Image(string="Photo: Frame Code", attachment=True, max_width=1920, max_height=1920)
    photo_plate = fields.Image(string="Photo: Licence Plate", attachment=True, max_width=1920, max_height=1920)
    photos_missing = fields.Char(string="Missing Photos", compute="_compute_photos_missing")
    recycler_id = fields.Many2one("res.partner", string="Recycler", readonly=True, index="btree_not_null",
                                  help="The registered recycler the old vehicle was handed over to.")
    handover_picking_id = fields.Many2one("stock.picking", string="Hand-over", readonly=True, copy=False,
                                          check_company=True)
    recycling_certificate_id = fields.Many2one(
        "ir.attachment", string="Recycling Certificate", readonly=True, copy=False,
        help="回收证明 issued by the recycler for the hand-over (attached to the hand-over transfer).")
    recycling_state = fields.Selection(
        [("in_store", "In the store"), ("handed_over", "Handed over")], string="Old Vehicle Status",
        compute="_compute_recycling_state", store=True)

    @api.depends("old_brand", "old_code")
    def _compute_name(self):
        for tradein in self:
            tradein.name = f"{tradein.old_brand or ''} {tradein.old_code or ''}".strip()

    def _compute_photos_missing(self):
        labels = dict(self._ev_photo_kinds())
        for tradein in self:
            # bin_size: whether a photo is there, without reading it.
            sized = tradein.with_context(bin_size=True)
            tradein.photos_missing = ", ".join(
                labels[kind] for kind in PHOTO_KINDS if not sized[f"photo_{kind}"]) or False

    @api.depends("handover_picking_id.state")
    def _compute_recycling_state(self):
        for tradein in self:
            done = tradein.handover_picking_id.state == "done"
            tradein.recycling_state = "handed_over" if done else "in_store"

    @api.model
    def _ev_photo_kinds(self):
        """[(kind, translated label)] of the audit photos."""
        return [("front", _("Front")), ("side", _("Side")), ("frame_code", _("Frame Code")),
                ("plate", _("Licence Plate"))]

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

    # ------------------------------------------------------------------------------------------------ hand-over
    def _ev_hand_over(self, recycler, certificate_data, certificate_name):
        """Hand the old vehicles over to ``recycler`` (a registered recycler): one transfer out of the Trade-in
        location, validated, with the recycling certificate (回收证明) attached to it. Returns the transfer."""
        if not recycler.ev_is_recycler:
            raise UserError(_("%(partner)s is not a registered recycler: only a registered recycler may take back "
                              "old vehicles of a trade-in (mark the partner as recycler first).",
                              partner=recycler.display_name))
        if not certificate_data:
            raise UserError(_("Attach the recycling certificate (回收证明) the recycler issued for these vehicles."))
        if len(self.company_id) != 1:
            raise UserError(_("Hand over the old vehicles of one store at a time."))
        done = self.filtered(lambda t: t.recycling_state == "handed_over")
        if done:
            raise UserError(_("Already handed over: %(vehicles)s.", vehicles=", ".join(done.mapped("name"))))
        missing = self.filtered(lambda t: not t.old_lot_id)
        if missing:
            raise UserError(_("No old vehicle was received in stock for %(vehicles)s.",
                              vehicles=", ".join(missing.mapped("name"))))
        company = self.company_id
        location = self._ev_tradein_location(company)
        quants = self.env["stock.quant"].sudo().search(
            [("lot_id", "in", self.old_lot_id.ids), ("location_id", "=", location.id), ("quantity", ">", 0)])
        absent = self.filtered(lambda t: t.old_lot_id not in quants.lot_id)
        if absent:
            raise UserError(_("Not in the Trade-in location any more: %(vehicles)s.",
                              vehicles=", ".join(absent.mapped("name"))))
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        destination = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].sudo().with_company(company).create({
            "picking_type_id": warehouse.out_type_id.id, "partner_id": recycler.id,
            "location_id": location.id, "location_dest_id": destination.id,
            "origin": _("Trade-in recycling"),
            "move_ids": [Command.create({
                "name": _("Trade-in: %(vehicle)s", vehicle=tradein.name),
                "product_id": tradein.old_lot_id.product_id.id, "product_uom_qty": 1,
                "product_uom": tradein.old_lot_id.product_id.uom_id.id,
                "location_id": location.id, "location_dest_id": destination.id, "company_id": company.id,
            }) for tradein in self],
        })
        picking.action_confirm()  # the moves of one product may be merged into one: a line per vehicle
        picking.move_ids.move_line_ids.unlink()
        for tradein in self:
            move = picking.move_ids.filtered(lambda m, t=tradein: m.product_id == t.old_lot_id.product_id)[:1]
            self.env["stock.move.line"].sudo().create({
                "move_id": move.id, "picking_id": picking.id, "product_id": move.product_id.id,
                "lot_id": tradein.old_lot_id.id, "quantity": 1, "product_uom_id": move.product_uom.id,
                "location_id": location.id, "location_dest_id": destination.id, "company_id": company.id,
            })
        picking.move_ids.picked = True
        picking._action_done()
        certificate = self.env["ir.attachment"].sudo().create({
            "name": certificate_name or _("Recycling certificate.pdf"), "datas": certificate_data,
            "res_model": "stock.picking", "res_id": picking.id, "company_id": company.id,
        })
        self.sudo().write({"recycler_id": recycler.id, "handover_picking_id": picking.id,
                           "recycling_certificate_id": certificate.id})
        for tradein in self:
            tradein._ev_log(_("Old vehicle handed over to %(recycler)s (%(picking)s), recycling certificate "
                              "attached.", recycler=recycler.name, picking=picking._get_html_link()))
        return picking

    def action_ev_hand_over(self):
        return {
            "type": "ir.actions.act_window", "name": _("Hand Over to a Recycler"), "res_model": "ev.tradein.handover",
            "view_mode": "form", "target": "new", "context": {"default_tradein_ids": self.ids},
        }

    def action_ev_print_registration(self):
        return self.env.ref("ev_bundle_sale.action_report_ev_tradein_registration").report_action(self)

    # ------------------------------------------------------------------------------------------------ report
    def _ev_registration_values(self):
        """What the trade-in registration form (以旧换新登记表) prints, read as superuser (a salesperson prints it
        for the buyer to sign)."""
        self.ensure_one()
        tradein = self.sudo()
        bundle = tradein.bundle_id
        order = tradein.sale_order_id
        invoice = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[-1:]
        batteries = dict(self._fields["old_battery_type"]._description_selection(self.env))
        return {
            "store": bundle.store_id.name or tradein.company_id.name,
            "buyer": tradein.partner_id.name or bundle.buyer_name or "",
            "mobile": bundle.buyer_mobile or tradein.partner_id.mobile or "",
            "id_number": bundle.buyer_id_number_masked or "",
            "address": " ".join(filter(None, [bundle.division_id._ev_full_name() if bundle.division_id else "",
                                              bundle.address or ""])),
            "date": fields.Datetime.context_timestamp(self, bundle.date_bound or tradein.create_date)
            .strftime("%Y-%m-%d"),
            "order": order.name or "", "invoice": invoice.ev_einvoice_number or invoice.name or "",
            "amount": order.amount_total, "currency": tradein.currency_id,
            "new_model": bundle.vehicle_product_id.display_name or "", "new_code": bundle.vehicle_lot_id.name or "",
            "motor_code": bundle.motor_code or "", "certificate_no": bundle.certificate_no or "",
            "battery": " ".join(filter(None, [bundle.battery_product_id.display_name, bundle.battery_lot_id.name])),
            "charger": " ".join(filter(None, [bundle.charger_product_id.display_name, bundle.charger_lot_id.name])),
            "old_brand": tradein.old_brand or "", "old_code": tradein.old_code or "",
            "old_plate": tradein.old_plate or "", "old_battery": batteries.get(tradein.old_battery_type, ""),
            "collected": [label for flag, label in ((tradein.plate_collected, "号牌"), (tradein.battery_collected,
                                                    "电池"), (tradein.charger_collected, "充电器")) if flag],
            "subsidy": tradein.subsidy_amount, "programme": tradein.subsidy_partner_id.name or "",
            "to_pay": order.amount_total - tradein.subsidy_amount,
            "recycler": tradein.recycler_id.name or "",
            "handover": tradein.handover_picking_id.name or "",
        }
