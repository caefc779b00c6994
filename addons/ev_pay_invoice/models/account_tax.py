from odoo import fields, models

from ..protocols import einvoice_rules as rules


class AccountTax(models.Model):
    _inherit = "account.tax"

    ev_einvoice_zero_rate_kind = fields.Selection(
        [("zero", "Zero rate (零税率)"), ("exempt", "Exempt (免税)"), ("not_taxable", "Not taxable (不征税)")],
        string="E-invoice 0% Kind", default="zero",
        help="How a 0% sales tax is printed on fully digital e-invoices: zero rate, exempt or not taxable.",
    )

    def _ev_einvoice_rate(self):
        """The rate a fully digital e-invoice (数电票) line of this tax carries, or None when the tax platform has no
        such rate (a fixed or group tax, or a percentage that is not a VAT or levy rate)."""
        self.ensure_one()
        if self.amount_type != "percent":
            return None
        try:
            rate = rules.TaxRate.from_percent(self.amount)
        except rules.AmountError:
            return None
        if not rate.rate and self.ev_einvoice_zero_rate_kind in ("exempt", "not_taxable"):
            return rules.TaxRate.parse(self.ev_einvoice_zero_rate_kind)
        return rate
