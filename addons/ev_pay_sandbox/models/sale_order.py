from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def ev_collection_state(self):
        """Override: tell the collection screen when its QR codes can be paid in the simulated wallet."""
        state = super().ev_collection_state()
        txs = self.env["payment.transaction"].browse([tx["id"] for tx in state["transactions"]])
        state["sandbox"] = any(provider._ev_is_sandboxed() for provider in txs.provider_id)
        return state
