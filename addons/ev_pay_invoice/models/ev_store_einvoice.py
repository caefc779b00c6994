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

    # The drawer's tax-bureau session and the credit line of the store's provider account, as last read.
    ev_tax_login_state = fields.Selection(
        [("ok", "Logged in"), ("needs_face", "Needs a face check"), ("needs_sms", "Needs an SMS check")],
        string="Drawer's Tax-bureau Login", compute="_compute_ev_einvoice_provider_id")
    ev_tax_login_todo = fields.Char(string="What To Do", compute="_compute_ev_einvoice_provider_id")
    ev_credit_line_remaining = fields.Monetary(string="Remaining Credit Line (授信额度)",
                                               currency_field="ev_einvoice_currency_id",
                                               compute="_compute_ev_einvoice_provider_id")
    ev_einvoice_currency_id = fields.Many2one("res.currency", string="E-invoice Currency",
                                              compute="_compute_ev_einvoice_provider_id")

    def _compute_ev_einvoice_provider_id(self):
        for store in self:
            provider = self.env["ev.einvoice.provider"]._get_for_company(store.company_id)
            store.ev_einvoice_provider_id = provider
            store.ev_tax_login_state = provider.tax_login_state or False
            store.ev_tax_login_todo = provider.tax_login_todo or False
            store.ev_credit_line_remaining = provider.credit_line_remaining
            store.ev_einvoice_currency_id = provider.currency_id or store.company_id.currency_id
