from odoo.tests import HttpCase, tagged

from odoo.addons.ev_pay_invoice.tests.common import make_store_users


@tagged("post_install", "-at_install")
class TestProductsTour(HttpCase):
    def test_products_menu_tour(self):
        self.env["product.template"].create({
            "name": "Tour GX-60", "ev_role": "vehicle", "is_storable": True, "tracking": "serial",
        })
        salesperson, _manager = make_store_users(self.env)
        self.start_tour("/odoo", "ev_products_menu_tour", login=salesperson.login)
