from odoo import api, models


class ProductProduct(models.Model):
    _inherit = "product.product"

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
