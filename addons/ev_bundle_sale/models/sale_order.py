from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ev_bundle_ids = fields.One2many("ev.bundle", "sale_order_id", string="Bundle Bindings")
    ev_tradein_ids = fields.One2many("ev.tradein", "sale_order_id", string="Trade-ins")
