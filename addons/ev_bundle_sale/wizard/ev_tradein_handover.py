from odoo import api, fields, models


class EvTradeinHandover(models.TransientModel):
    """Hand the old vehicles of trade-ins over to a registered recycler, with its recycling certificate."""

    _name = "ev.tradein.handover"
    _description = "Hand Over Old Vehicles to a Recycler"

    tradein_ids = fields.Many2many(
        "ev.tradein", string="Old Vehicles", required=True,
        domain="[('recycling_state', '=', 'in_store'), ('old_lot_id', '!=', False)]")
    recycler_id = fields.Many2one("res.partner", string="Recycler", required=True,
                                  domain="[('ev_is_recycler', '=', True)]")
    certificate = fields.Binary(string="Recycling Certificate", required=True,
                                help="回收证明: a scan or photo of the certificate the recycler issued.")
    certificate_name = fields.Char(string="File Name")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "recycler_id" in fields_list and not values.get("recycler_id"):
            recyclers = self.env["res.partner"].search([("ev_is_recycler", "=", True)], limit=2)
            if len(recyclers) == 1:
                values["recycler_id"] = recyclers.id
        return values

    def action_hand_over(self):
        self.ensure_one()
        picking = self.tradein_ids._ev_hand_over(self.recycler_id, self.certificate, self.certificate_name)
        return {"type": "ir.actions.act_window", "res_model": "stock.picking", "res_id": picking.id,
                "view_mode": "form", "views": [(False, "form")], "target": "current"}
