"""Refund a WeChat Pay / Alipay payment from the customer credit note that reverses the paid invoice."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES


class AccountMove(models.Model):
    _inherit = "account.move"

    ev_refund_source_tx_id = fields.Many2one(
        "payment.transaction", string="Wallet Payment to Refund", compute="_compute_ev_refund_source_tx_id",
        compute_sudo=True, help="The WeChat Pay / Alipay payment of the reversed invoice that this credit note "
        "can give back.",
    )

    @api.depends("move_type", "state", "reversed_entry_id", "payment_state")
    def _compute_ev_refund_source_tx_id(self):
        for move in self:
            tx = self.env["payment.transaction"]
            if move.move_type == "out_refund" and move.state == "posted" and move.reversed_entry_id:
                tx = move.reversed_entry_id.transaction_ids.filtered(
                    lambda t: t.provider_code in EV_PROVIDER_CODES and t.state == "done"
                    and t.operation != "refund")[:1]
                if tx and move.payment_state in ("paid", "in_payment", "reversed"):
                    tx = self.env["payment.transaction"]
            move.ev_refund_source_tx_id = tx

    def action_ev_refund_to_wallet(self):
        """Give the credit note's amount back to the buyer's wallet through the provider's refund API."""
        self.ensure_one()
        tx = self.ev_refund_source_tx_id.sudo()
        if not tx:
            raise UserError(_("%(move)s reverses no invoice paid with WeChat Pay or Alipay, or it is already "
                              "settled.", move=self.display_name))
        refunded = -sum(tx.child_transaction_ids.filtered(
            lambda t: t.operation == "refund" and t.state in ("draft", "pending", "authorized", "done"),
        ).mapped("amount"))
        available = tx.amount - refunded
        amount = min(self.amount_residual or self.amount_total, available)
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(_("Nothing is left to refund on %(reference)s: %(refunded)s already refunded.",
                              reference=tx.reference, refunded=refunded))
        tx.with_context(ev_refund_invoice_ids=self.ids).action_refund(amount_to_refund=amount)
        return True
