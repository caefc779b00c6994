from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class EvStore(models.Model):
    _inherit = "ev.store"

    ev_min_sale_percent = fields.Float(
        string="Lowest Sale Amount (% of List Price)", default=80.0, tracking=True,
        help="A salesperson may lower a bundle's sale amount down to this share of its list price; below it a "
        "store manager approves. 0: no floor.")

    @api.constrains("ev_min_sale_percent")
    def _check_ev_min_sale_percent(self):
        for store in self:
            if not 0 <= store.ev_min_sale_percent <= 100:
                raise ValidationError(_("The lowest sale amount of %(store)s must be between 0 %% and 100 %% of the "
                                        "list price.", store=store.name))
