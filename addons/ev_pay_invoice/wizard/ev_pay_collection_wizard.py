"""Backend cashier (收银台 → 发起收款): amount, invoice title and what was sold → a sale order → the QR screen."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import uscc


class EvPayCollectionWizard(models.TransientModel):
    _name = "ev.pay.collection.wizard"
    _description = "Initiate Collection"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(string="Sale Amount", required=True, currency_field="currency_id")
    buyer_kind = fields.Selection([("person", "Individual"), ("company", "Company")], string="Invoice Title Type",
                                  required=True, default="person")
    buyer_name = fields.Char(string="Buyer Name", required=True,
                             help="Invoice title: the person's or the company's name as printed on the invoice.")
    buyer_vat = fields.Char(string="Taxpayer ID",
                            help="Unified social credit code of a company buyer (18 characters).")
    buyer_phone = fields.Char(string="Mobile")
    tax_notice = fields.Text(string="E-invoice Notice", compute="_compute_tax_notice")
    description = fields.Char(string="What Was Sold", required=True,
                              help="The e-bike (model, colour, vehicle code…) as it will read on the invoice line.")

    @api.model
    @api.depends("amount", "company_id")
    def _compute_tax_notice(self):
        Provider = self.env["ev.einvoice.provider"]
        for wizard in self:
            provider = Provider._get_for_company(wizard.company_id)
            wizard.tax_notice = "\n".join(provider._ev_issuing_notices(wizard.amount)) if provider else False

    def _ev_product(self):
        product = self.env.ref("ev_pay_invoice.product_ev_collection", raise_if_not_found=False)
        if not product:
            raise UserError(_("The product 'Store sale' of the cashier is missing: update the EV Pay & Invoice "
                              "module."))
        return product

    def _ev_check(self):
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(_("The sale amount must be more than zero, got %(amount)s.", amount=self.amount))
        if not (self.buyer_name or "").strip():
            raise UserError(_("Fill in the buyer name of the invoice title."))
        if self.buyer_kind == "company":
            check = uscc.validate_taxpayer_id(self.buyer_vat, organisation=True)
            if not check.valid:
                raise UserError(_("The taxpayer ID %(vat)s of %(buyer)s is not valid: %(reason)s.",
                                  vat=self.buyer_vat or "", buyer=self.buyer_name, reason=check.detail))
            return check.value
        return False

    def _ev_partner(self, vat):
        Partner = self.env["res.partner"]
        domain = [("vat", "=", vat)] if vat else [("name", "=", self.buyer_name.strip()), ("is_company", "=", False)]
        if self.buyer_phone and not vat:
            domain.append(("phone", "=", self.buyer_phone))
        partner = Partner.search(domain + [("company_id", "in", (False, self.company_id.id))], limit=1)
        if not partner:
            partner = Partner.create({
                "name": self.buyer_name.strip(), "is_company": self.buyer_kind == "company", "vat": vat or False,
                "phone": self.buyer_phone or False, "company_id": self.company_id.id,
            })
        return partner

    def action_collect(self):
        """Make the sale order and show the collection QR (the order's total must equal the amount)."""
        self.ensure_one()
        return self._ev_create_order().action_ev_collect(amount=self.amount)

    def _ev_create_order(self):
        """The quotation of the collection (also used by the cashier screen, which then opens its QR)."""
        self.ensure_one()
        vat = self._ev_check()
        partner = self._ev_partner(vat)
        order = self.env["sale.order"].with_company(self.company_id).create({
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "order_line": [fields.Command.create({
                "product_id": self._ev_product().id, "name": self.description.strip(),
                "product_uom_qty": 1, "price_unit": self.amount,
            })],
        })
        return order
