from odoo import models


class AccountMove(models.Model):
    """The till that printed a POS order's receipt is told when that order's e-invoice changes (issued, failed),
    so that the receipt shows the e-invoice QR code or the failure without reloading."""

    _inherit = "account.move"

    def _ev_einvoice_state_changed(self):
        # EXTENDS account_move: the submission's state changed.
        super()._ev_einvoice_state_changed()
        for order in self.sudo().pos_order_ids:
            # Only the order id goes through the bus; the till reads the rest by RPC (ev_pos_einvoice_status).
            order.config_id._notify("EV_POS_EINVOICE", {"id": order.id})
