from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SERIAL_ROLES = ("vehicle", "battery", "charger")
BATTERY_CHEMISTRIES = [
    ("lead_acid", "Lead-acid"),
    ("graphene_lead_acid", "Graphene lead-acid"),
    ("lithium_ion", "Lithium-ion"),
    ("lithium_iron_phosphate", "Lithium iron phosphate"),
    ("sodium_ion", "Sodium-ion"),
]
CCC_STANDARDS = [
    ("gb17761_2018", "GB 17761-2018 (old)"),
    ("gb17761_2024", "GB 17761-2024"),
]
# Fields of a vehicle model whose change rebuilds its bundle (combo) product.
_COMBO_FIELDS = {"ev_role", "ev_compatible_battery_ids", "ev_compatible_charger_ids", "ev_bundle_price", "name",
                 "list_price", "company_id", "active", "attribute_line_ids", "available_in_pos"}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    ev_role = fields.Selection(
        [("vehicle", "Vehicle"), ("battery", "Battery"), ("charger", "Charger"), ("accessory", "Accessory")],
        string="E-bike Role", index=True,
        help="Vehicles, batteries and chargers each carry a code printed on them; they are sold by serial number "
        "and bound to the buyer.",
    )
    # Vehicle models: compatibility (车电匹配) and bundle price.
    ev_compatible_battery_ids = fields.Many2many(
        "product.template", "ev_vehicle_battery_rel", "vehicle_tmpl_id", "battery_tmpl_id",
        string="Compatible Batteries", domain="[('ev_role', '=', 'battery')]", check_company=True,
        help="Battery models certified with this vehicle model (车电匹配). A bundle accepts only these.",
    )
    ev_compatible_charger_ids = fields.Many2many(
        "product.template", "ev_vehicle_charger_rel", "vehicle_tmpl_id", "charger_tmpl_id",
        string="Compatible Chargers", domain="[('ev_role', '=', 'charger')]", check_company=True,
        help="Charger models certified with this vehicle model. A bundle accepts only these.",
    )
    ev_bundle_price = fields.Float(
        string="Bundle Price", digits="Product Price",
        help="Price of vehicle + battery + charger sold together. Empty: the sum of the three list prices.",
    )
    ev_certificate_model = fields.Char(
        string="Certified Model",
        help="车辆型号 as printed on the product certificate (合格证), e.g. TDT1234Z: a scanned certificate must name "
        "this model.")
    # CCC (China Compulsory Certification) of the model; a serial may carry its own number (stock.lot.ev_ccc_no).
    ev_ccc_no = fields.Char(
        string="CCC Certificate No.",
        help="The CCC certificate number of this model. Since 2025-11-01 a lithium battery or a charger without one "
        "may not be sold.")
    ev_ccc_standard = fields.Selection(
        CCC_STANDARDS, string="Certified to Standard",
        help="The standard this vehicle model was certified (CCC) to. Since 2025-12-01 a vehicle certified to "
        "GB 17761-2018 may no longer be sold.")
    ev_motor_model = fields.Char(string="Motor Model", help="电机型号, printed in the remarks of a trade-in e-invoice.")
    ev_combo_product_id = fields.Many2one(
        "product.template", string="Bundle Product", readonly=True, copy=False, index="btree_not_null",
        help="The combo product (vehicle, battery and charger choices) that bundle sales of this model put on "
        "the order; kept in step with the compatible models and the bundle price.",
    )
    # Batteries: defaults of the per-serial data.
    ev_battery_maker = fields.Char(string="Battery Maker", help="Brand whose code patterns apply to this battery.")
    ev_battery_chemistry = fields.Selection(BATTERY_CHEMISTRIES, string="Battery Chemistry")
    ev_battery_voltage = fields.Float(string="Voltage (V)")
    ev_battery_capacity = fields.Float(string="Capacity (Ah)")

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

    @api.constrains("ev_compatible_battery_ids", "ev_compatible_charger_ids")
    def _check_ev_compatible_roles(self):
        for product in self:
            wrong = (product.ev_compatible_battery_ids.filtered(lambda p: p.ev_role != "battery")
                     | product.ev_compatible_charger_ids.filtered(lambda p: p.ev_role != "charger"))
            if wrong:
                raise ValidationError(_(
                    "%(products)s cannot be listed as compatible with %(vehicle)s: only battery models go in "
                    "Compatible Batteries and only charger models in Compatible Chargers.",
                    products=", ".join(wrong.mapped("display_name")), vehicle=product.display_name,
                ))

    @api.onchange("ev_role")
    def _onchange_ev_role(self):
        if self.ev_role in SERIAL_ROLES:
            self.is_storable = True
            self.tracking = "serial"

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates.filtered(lambda t: t.ev_role == "vehicle")._ev_sync_combo()
        return templates

    def write(self, vals):
        res = super().write(vals)
        if _COMBO_FIELDS & set(vals) and not self.env.context.get("ev_syncing_combo"):
            self.filtered(lambda t: t.ev_role == "vehicle")._ev_sync_combo()
            if "list_price" in vals or "active" in vals:
                vehicles = self.search([("ev_role", "=", "vehicle"), "|",
                                        ("ev_compatible_battery_ids", "in", self.ids),
                                        ("ev_compatible_charger_ids", "in", self.ids)])
                vehicles._ev_sync_combo()
        return res

    def _ev_bundle_list_price(self):
        """Bundle price of this vehicle model with its cheapest compatible battery and charger."""
        self.ensure_one()
        return self.ev_bundle_price or (
            self.list_price + min(self.ev_compatible_battery_ids.mapped("list_price") or [0])
            + min(self.ev_compatible_charger_ids.mapped("list_price") or [0]))

    def _ev_sync_combo(self):
        """Create or update the Odoo combo product of each vehicle model: three choices (this model's colours,
        its compatible batteries, its compatible chargers), priced at the bundle price. The sale order's combo
        line spreads that price over the three item lines in proportion to the choices' base prices."""
        Combo = self.env["product.combo"].sudo()
        for vehicle in self.sudo().with_context(ev_syncing_combo=True):
            groups = [
                ("vehicle", _("%(model)s: vehicle", model=vehicle.name), vehicle.product_variant_ids),
                ("battery", _("%(model)s: battery", model=vehicle.name),
                 vehicle.ev_compatible_battery_ids.product_variant_ids),
                ("charger", _("%(model)s: charger", model=vehicle.name),
                 vehicle.ev_compatible_charger_ids.product_variant_ids),
            ]
            if not all(products for _role, _name, products in groups):
                if vehicle.ev_combo_product_id:
                    vehicle.ev_combo_product_id.active = False
                continue
            bundle = vehicle.ev_combo_product_id
            combos = bundle.combo_ids.sorted("sequence")
            combo_ids = []
            for index, (_role, name, products) in enumerate(groups):
                combo = combos[index] if len(combos) > index else Combo.create({
                    "name": name, "sequence": index, "company_id": vehicle.company_id.id,
                    "combo_item_ids": [fields.Command.create({"product_id": p.id}) for p in products],
                })
                existing = combo.combo_item_ids
                commands = [fields.Command.unlink(item.id) for item in existing if item.product_id not in products]
                commands += [fields.Command.create({"product_id": p.id})
                             for p in products if p not in existing.product_id]
                combo.write({"name": name, "company_id": vehicle.company_id.id,
                             **({"combo_item_ids": commands} if commands else {})})
                combo_ids.append(combo.id)
            values = {
                "name": _("%(model)s bundle (vehicle + battery + charger)", model=vehicle.name),
                "type": "combo", "combo_ids": [fields.Command.set(combo_ids)], "sale_ok": True,
                "purchase_ok": False, "list_price": vehicle._ev_bundle_list_price(),
                "company_id": vehicle.company_id.id, "active": vehicle.active,
                # Sold in the Point of Sale wherever the vehicle model is (the POS scans the three codes).
                "available_in_pos": vehicle.available_in_pos,
            }
            if bundle:
                bundle.write(values)
            else:
                vehicle.ev_combo_product_id = self.create(values)

    def _ev_demo_receive_serials(self, company, codes):
        """Demo data: receive one unit of this product per code into ``company``'s main warehouse."""
        self.ensure_one()
        self.product_variant_id._ev_receive_serials(company, codes)
