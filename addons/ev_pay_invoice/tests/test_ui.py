from odoo.tests import HttpCase, tagged

from .common import make_store_users


@tagged("post_install", "-at_install")
class TestStoreMenuTour(HttpCase):
    def test_store_menu_tour_manager(self):
        # The tour creates the store of the admin's company: start from a company without one.
        admin_company = self.env.ref("base.user_admin").company_id
        self.env["ev.store"].search([("company_id", "=", admin_company.id)]).unlink()
        self.start_tour("/odoo", "ev_store_menu_tour", login="admin")
        created = self.env["ev.store"].search([("name", "=", "Tour store")])
        self.assertEqual(created.company_id, admin_company)

    def test_store_menu_tour_salesperson(self):
        salesperson, _manager = make_store_users(self.env)
        self.start_tour("/odoo", "ev_store_menu_salesperson_tour", login=salesperson.login)
