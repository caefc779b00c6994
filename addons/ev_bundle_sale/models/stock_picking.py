from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        self._ev_unbind_returned_codes()
        return res

    def _ev_unbind_returned_codes(self):
        """A validated return of a bundle's delivery frees the returned codes (see ``ev.bundle``)."""
        for picking in self.filtered(lambda p: p.state == "done" and p.location_id.usage == "customer"):
            returned = picking.move_ids.filtered(lambda m: m.origin_returned_move_id)
            lots = returned.move_line_ids.lot_id.sudo().filtered(lambda lot: lot.ev_bundle_id)
            if lots:
                lots.ev_bundle_id._ev_unbind_returned(lots, picking)
