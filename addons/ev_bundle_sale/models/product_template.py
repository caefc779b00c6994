from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SERIAL_ROLES = ("vehicle", "battery", "charger")


class ProductTemplate(models.Model):
    _inherit = "product.template"

    ev_role = fields.Selection(
        [("vehicle", "Vehicle"), ("battery", "Battery"), ("charger", "Charger"), ("accessory", "Accessory")],
        string="E-bike Role",
        help="Vehicles, batteries and chargers each carry a code printed on them; they are sold by serial number "
        "and bound to the buyer.",
    )

    @api.constrains("ev_role", "tracking", "is_storable")
    def _check_ev_role_tracking(self):
        for product in self:
            if product.ev_role in SERIAL_ROLES and (product.tracking != "serial" or not product.is_storable):
                raise ValidationError(_(
                    "%(product)s is a %(role)s: it must be a storable product tracked by unique serial number, "
                    "because its code is bound to the buyer.",
                    product=product.display_name,
                    role=dict(product._fields["ev_role"]._description_selection(self.env))[product.ev_role],
                ))

    @api.onchange("ev_role")
    def _onchange_ev_role(self):
        if self.ev_role in SERIAL_ROLES:
            self.is_storable = True
            self.tracking = "serial"

    def _ev_demo_receive_serials(self, company, codes):
        """Demo data: receive one unit of this product per code into ``company``'s main warehouse."""
        self.ensure_one()
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = self.product_variant_id.with_company(company)
        for code in codes:
            lot = self.env["stock.lot"].create({"name": code, "product_id": product.id, "company_id": company.id})
            self.env["stock.quant"].with_company(company).create({
                "product_id": product.id,
                "location_id": warehouse.lot_stock_id.id,
                "lot_id": lot.id,
                "inventory_quantity": 1,
            }).action_apply_inventory()
