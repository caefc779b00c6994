from odoo import _, api, fields, models

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
    subsidy_amount = fields.Monetary(readonly=True)
    subsidy_rule_ids = fields.Many2many("ev.tradein.subsidy.rule", string="Subsidy Rules", readonly=True)
    subsidy_invoice_ids = fields.Many2many("account.move", string="Subsidy Invoices", readonly=True)
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

    def _ev_invoice_payers(self, rules, order):
        """Invoice the subsidy to the payers whose rules say so: the store is owed it, not the buyer."""
        self.ensure_one()
        product = self.env.ref("ev_bundle_sale.product_tradein_subsidy").product_variant_id
        remaining = self.subsidy_amount
        invoices = self.env["account.move"]
        for payer in rules.filtered("keep_receivable").payer_id:
            amount = min(sum(rules.filtered(lambda r, p=payer: r.keep_receivable and r.payer_id == p)
                             .mapped("amount")), remaining)
            if amount <= 0:
                continue
            remaining -= amount
            invoice = self.env["account.move"].sudo().with_company(self.company_id).create({
                "move_type": "out_invoice", "partner_id": payer.id, "company_id": self.company_id.id,
                "invoice_origin": order.name, "ref": _("Trade-in subsidy %(order)s", order=order.name),
                "invoice_line_ids": [fields.Command.create({
                    "product_id": product.id, "quantity": 1, "price_unit": amount, "tax_ids": [fields.Command.clear()],
                    "name": _("Trade-in subsidy for order %(order)s (buyer %(buyer)s, old vehicle %(old)s)",
                              order=order.name, buyer=order.partner_id.name, old=self.name),
                })],
            })
            invoice.action_post()
            invoices |= invoice
        self.subsidy_invoice_ids = invoices
