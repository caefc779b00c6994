from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _update_reserved_quantity(self, need, location_id, lot_id=None, package_id=None, owner_id=None,
                                  strict=True):
        """With ``ev_reserve_lots`` ({product id: lot id}) in the context, as when a bundle sale confirms its
        order, reserve exactly the scanned serial instead of the first serials found (which also avoids reading
        every quant of a product with thousands of serials in stock)."""
        lots = self.env.context.get("ev_reserve_lots")
        if lots and not lot_id and str(self.product_id.id) in lots:
            lot_id = self.env["stock.lot"].browse(lots[str(self.product_id.id)])
        return super()._update_reserved_quantity(need, location_id, lot_id=lot_id, package_id=package_id,
                                                 owner_id=owner_id, strict=strict)
