from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import make_store_users


@tagged("post_install", "-at_install")
class TestStoreSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson, cls.manager = make_store_users(cls.env)
        cls.store = cls.env["ev.store"].create({"name": "Main street store", "company_id": cls.env.company.id})
        cls.other_company = cls.env["res.company"].create({"name": "Another dealer"})
        cls.other_store = cls.env["ev.store"].create({"name": "Other store", "company_id": cls.other_company.id})

    def test_salesperson_cannot_open_store_settings(self):
        # The settings menu is hidden from salespeople...
        config_menu = self.env.ref("ev_pay_invoice.menu_ev_store_config")
        visible_ids = self.env["ir.ui.menu"].with_user(self.salesperson)._visible_menu_ids()
        self.assertNotIn(config_menu.id, visible_ids)
        self.assertIn(self.env.ref("ev_pay_invoice.menu_ev_store_root").id, visible_ids)
        # ...and the store cannot be changed even through the API.
        with self.assertRaises(AccessError):
            self.store.with_user(self.salesperson).write({"taxpayer_kind": "small_scale"})
        with self.assertRaises(AccessError):
            self.env["ev.store"].with_user(self.salesperson).create({"name": "Rogue store"})

    def test_manager_edits_store_settings(self):
        config_menu = self.env.ref("ev_pay_invoice.menu_ev_store_config")
        self.assertIn(config_menu.id, self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids())
        self.store.with_user(self.manager).write({"taxpayer_kind": "small_scale"})
        self.assertEqual(self.store.taxpayer_kind, "small_scale")

    def test_staff_see_only_their_company_stores(self):
        visible = self.env["ev.store"].with_user(self.manager).search([])
        self.assertIn(self.store, visible)
        self.assertNotIn(self.other_store, visible)

    @mute_logger("odoo.sql_db")
    def test_one_store_per_company(self):
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["ev.store"].create({"name": "Duplicate", "company_id": self.env.company.id})

    def test_current_store_follows_company(self):
        self.assertEqual(self.env["ev.store"]._get_current(), self.store)
        self.assertEqual(self.env["ev.store"].with_company(self.other_company)._get_current(), self.other_store)
