from odoo import fields, models

from odoo.addons.ev_bundle_sale.tools import code_rules


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    ev_motor_code = fields.Char(
        string="Motor Code", help="电动机编码 of the vehicle received under this serial: typed or imported with the "
        "receipt's serial numbers, it is kept on the serial.")

    def _prepare_new_lot_vals(self):
        # EXTENDS 'stock': a receipt creates the vehicle's serial with its motor code.
        vals = super()._prepare_new_lot_vals()
        if self.ev_motor_code:
            vals["ev_motor_code"] = code_rules.normalize_code(self.ev_motor_code)
        return vals
