from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    ev_division_id = fields.Many2one("ev.division", string="Administrative Division", index="btree_not_null",
                                     help="The lowest known division (county, else city) of the address.")
    ev_is_recycler = fields.Boolean(
        string="Registered Recycler",
        help="A recycler registered for end-of-life e-bikes: only such a partner may take back the old vehicles of "
        "trade-ins and issue the recycling certificate (回收证明) the subsidy audit asks for.")
    ev_recycler_registration = fields.Char(string="Recycler Registration No.",
                                           help="The recycler's registration (备案) number, printed on hand-overs.")
