from odoo import api, fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    ev_is_bundle_entry = fields.Boolean(
        string="Opens the Bundle Scan", compute="_compute_ev_is_bundle_entry",
        help="In the Point of Sale, adding this product (a vehicle model that has a bundle product, or that bundle "
        "product) asks for the vehicle, battery and charger codes and sells the bundle.")

    def _compute_ev_is_bundle_entry(self):
        vehicles = self.env["product.template"].sudo().search_fetch(
            [("ev_role", "=", "vehicle"), ("ev_combo_product_id", "!=", False), "|",
             ("id", "in", self.product_tmpl_id.ids), ("ev_combo_product_id", "in", self.product_tmpl_id.ids)],
            ["ev_combo_product_id"])
        entries = set(vehicles.ids) | set(vehicles.ev_combo_product_id.ids)
        for product in self:
            product.ev_is_bundle_entry = product.product_tmpl_id.id in entries

    def _ev_bundle_vehicle_template(self):
        """The vehicle model whose bundle this POS entry product (a vehicle variant or its bundle product) sells."""
        self.ensure_one()
        template = self.sudo().product_tmpl_id
        if template.ev_role == "vehicle":
            return template
        return self.env["product.template"].sudo().search([("ev_combo_product_id", "=", template.id)], limit=1)

    @api.model
    def _load_pos_data_fields(self, config_id):
        return super()._load_pos_data_fields(config_id) + ["ev_role", "ev_is_bundle_entry"]

    def _ev_receive_serials(self, company, codes, location=None, inventory=True):
        """Receive one unit of this product per code into ``location`` (default: ``company``'s main stock), as an
        inventory adjustment (``inventory=False``: quants only, no stock move). Used by demo data, tests and the
        benchmark."""
        self.ensure_one()
        if location is None:
            location = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
        product = self.with_company(company)
        lots = self.env["stock.lot"].create([
            {"name": code, "product_id": product.id, "company_id": company.id} for code in codes
        ])
        if not inventory:
            for lot in lots:
                self.env["stock.quant"].sudo()._update_available_quantity(product, location, 1, lot_id=lot)
            return lots
        self.env["stock.quant"].with_company(company).with_context(inventory_mode=True).create([{
            "product_id": product.id, "location_id": location.id, "lot_id": lot.id, "inventory_quantity": 1,
        } for lot in lots]).action_apply_inventory()
        return lots

    @api.model
    def _ev_demo_receive_variant_serials(self, template_xmlid, colour_name, company, codes):
        """Demo data: receive serials of the variant of ``template_xmlid`` whose colour is ``colour_name``."""
        template = self.env.ref(template_xmlid)
        variant = template.product_variant_ids.filtered(
            lambda p: colour_name in p.product_template_attribute_value_ids.mapped("name"))[:1]
        variant._ev_receive_serials(company, codes)
