from odoo import fields, models


class EvEinvoiceSandboxCall(models.Model):
    """One call received by the simulated tax platform: lets tests and demos see what the connector sent."""

    _name = "ev.einvoice.sandbox.call"
    _description = "Sandbox Tax Platform Call"
    _order = "id desc"
    _rec_name = "api_method"

    provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", required=True, index=True,
                                  ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    api_method = fields.Char(string="API Method", readonly=True)
    order_no = fields.Char(string="Order Number", index=True, readonly=True)
    code = fields.Char(readonly=True)
    describe = fields.Char(string="Answer", readonly=True)
