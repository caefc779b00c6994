from odoo import fields, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    ev_sale_block = fields.Char(related="lot_id.ev_sale_block", string="Cannot Be Sold Because")
