from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    ev_division_id = fields.Many2one("ev.division", string="Administrative Division", index="btree_not_null",
                                     help="The lowest known division (county, else city) of the address.")
