from odoo import fields, models

HISTORY_EVENTS = [
    ("bound", "Bound"),
    ("unbound", "Unbound on return"),
    ("part_returned", "Part returned"),
    ("battery_replaced", "Battery replaced"),
    ("charger_replaced", "Charger replaced"),
    ("vehicle_replaced", "Vehicle replaced"),
]


class EvBundleHistory(models.Model):
    _name = "ev.bundle.history"
    _description = "E-bike Bundle History"
    _order = "date desc, id desc"

    bundle_id = fields.Many2one("ev.bundle", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="bundle_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    event = fields.Selection(HISTORY_EVENTS, required=True)
    lot_ids = fields.Many2many("stock.lot", "ev_bundle_history_lot_rel", string="Codes")
    previous_lot_ids = fields.Many2many("stock.lot", "ev_bundle_history_previous_lot_rel",
                                        string="Replaced Codes")
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
    picking_id = fields.Many2one("stock.picking", string="Transfer")
    note = fields.Char()
