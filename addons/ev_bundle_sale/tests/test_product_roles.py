from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, TransactionCase, tagged

from odoo.addons.ev_pay_invoice.tests.common import make_store_users


@tagged("post_install", "-at_install")
class TestProductRoles(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson, cls.manager = make_store_users(cls.env)

    def test_coded_roles_require_serial_tracking(self):
        for role in ("vehicle", "battery", "charger"):
            with self.subTest(role=role), self.assertRaises(ValidationError), self.cr.savepoint():
                self.env["product.template"].create({"name": f"Untracked {role}", "ev_role": role})
        accessory = self.env["product.template"].create({"name": "Phone holder", "ev_role": "accessory"})
        self.assertEqual(accessory.tracking, "none")

    def test_choosing_a_role_tracks_by_serial(self):
        with Form(self.env["product.template"]) as form:
            form.name = "GX-60"
            form.ev_role = "vehicle"
            self.assertTrue(form.is_storable)
            self.assertEqual(form.tracking, "serial")
        self.assertEqual(form.record.tracking, "serial")

    def test_salesperson_cannot_change_products(self):
        vehicle = self.env["product.template"].create({
            "name": "GX-60", "ev_role": "vehicle", "is_storable": True, "tracking": "serial",
        })
        with self.assertRaises(AccessError):
            vehicle.with_user(self.salesperson).write({"list_price": 1})
        vehicle.with_user(self.manager).write({"list_price": 2999})
        self.assertEqual(vehicle.list_price, 2999)
