from odoo.tests import HttpCase, tagged

from odoo.addons.ev_pay_invoice.tests.common import make_store_users

from .common import setup_bundle_catalogue


@tagged("post_install", "-at_install")
class TestProductsTour(HttpCase):
    def test_products_menu_tour(self):
        self.env["product.template"].create({
            "name": "Tour GX-60", "ev_role": "vehicle", "is_storable": True, "tracking": "serial",
        })
        salesperson, _manager = make_store_users(self.env)
        self.start_tour("/odoo", "ev_products_menu_tour", login=salesperson.login)


@tagged("post_install", "-at_install")
class TestBundleFlowTour(HttpCase):
    def test_bundle_flow_tour(self):
        """A salesperson sells a bundle in the backend, scanning codes (code + Enter) as a scanner does."""
        catalogue = setup_bundle_catalogue(self.env)
        salesperson, _manager = make_store_users(self.env)
        self.start_tour("/odoo", "ev_bundle_flow_tour", login=salesperson.login)
        bundle = self.env["ev.bundle"].search([("buyer_name", "=", "王五")])
        self.assertEqual(bundle.vehicle_lot_id, catalogue["lots"]["310422600000001"])
        self.assertEqual(bundle.battery_lot_id.name, "TN4820G2600000001")
        self.assertEqual(bundle.charger_lot_id.name, "MA5F0000126A1")
        self.assertEqual(bundle.buyer_mobile, "13912345678")
        self.assertEqual(bundle.division_id.code, "310104")
        self.assertEqual(bundle.sale_order_id.state, "sale")
        self.assertEqual(bundle.user_id, salesperson)
