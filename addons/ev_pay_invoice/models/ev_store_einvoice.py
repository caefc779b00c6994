from odoo import fields, models


class EvStore(models.Model):
    """E-invoice settings of the store (model ``ev.store`` is defined in ev_store.py)."""

    _inherit = "ev.store"

    ev_einvoice_on_payment = fields.Boolean(
        string="Issue E-invoice on Payment", default=True,
        help="Request the fully digital e-invoice as soon as a customer invoice is paid (e.g. by WeChat Pay or "
             "Alipay). It is issued in the background.",
    )
    ev_einvoice_provider_id = fields.Many2one(
        "ev.einvoice.provider", string="E-invoice Provider", compute="_compute_ev_einvoice_provider_id",
    )

    ev_tax_login_state = fields.Selection(related="ev_einvoice_provider_id.tax_login_state",
                                          string="Drawer's Tax-bureau Login")
    ev_tax_login_todo = fields.Char(related="ev_einvoice_provider_id.tax_login_todo", string="What To Do")
    ev_credit_line_remaining = fields.Monetary(related="ev_einvoice_provider_id.credit_line_remaining",
                                               string="Remaining Credit Line (授信额度)",
                                               currency_field="ev_einvoice_currency_id")
    ev_einvoice_currency_id = fields.Many2one(related="ev_einvoice_provider_id.currency_id")

    def _compute_ev_einvoice_provider_id(self):
        for store in self:
            store.ev_einvoice_provider_id = self.env["ev.einvoice.provider"]._get_for_company(store.company_id)
