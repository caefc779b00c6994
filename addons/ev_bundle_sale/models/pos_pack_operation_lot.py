from odoo import models


class PosPackOperationLot(models.Model):
    _inherit = "pos.pack.operation.lot"

    def _ev_refunded(self):
        """Whether this code's unit came back by a paid POS refund of its line (the code is free to sell again)."""
        self.ensure_one()
        line = self.pos_order_line_id
        refunded = -sum(line.refund_orderline_ids.filtered(
            lambda refund: refund.order_id.state in ("paid", "done", "invoiced")).mapped("qty"))
        return refunded >= line.qty  # serial units: one code per unit, a line of one
