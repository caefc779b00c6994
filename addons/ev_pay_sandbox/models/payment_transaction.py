from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _ev_till_extra_values(self):
        """Override: the till's button to the simulated wallet of this transaction's order."""
        values = super()._ev_till_extra_values()
        provider = self.provider_id
        if provider._ev_is_sandboxed():
            order = self.env["ev.pay.sandbox.order"].sudo().search(
                [("provider_id", "=", provider.id), ("out_trade_no", "=", self.reference)], limit=1)
            values["sandbox_wallet_url"] = order._wallet_url() if order else False
        return values
