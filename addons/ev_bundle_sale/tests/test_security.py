from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import BundleTestMixin


@tagged("post_install", "-at_install")
class TestBundleSecurity(BundleTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.other_company = cls.env["res.company"].create({"name": "Other e-bike store"})
        cls.other_salesperson = new_test_user(
            cls.env, login="ev_other_salesperson", groups="ev_pay_invoice.group_ev_store_salesperson",
            company_id=cls.other_company.id, company_ids=[cls.other_company.id])

    def test_salespeople_see_their_own_store_bundles(self):
        bundle, _action = self._sell(user=self.salesperson)
        self.assertEqual(self.env["ev.bundle"].with_user(self.salesperson).search([]), bundle)
        self.assertFalse(self.env["ev.bundle"].with_user(self.other_salesperson).search([]))
        with self.assertRaises(AccessError):
            bundle.with_user(self.other_salesperson).read(["name"])
        # A salesperson cannot rewrite the register; the binding changes only through the flows.
        with self.assertRaises(AccessError):
            bundle.with_user(self.salesperson).write({"buyer_name": "someone else"})

    def test_managers_edit_rules_and_compatibility(self):
        values = {"name": "Rule", "amount": 100, "payer_id": self.env.company.partner_id.id}
        with self.assertRaises(AccessError):
            self.env["ev.tradein.subsidy.rule"].with_user(self.salesperson).create(values)
        self.env["ev.tradein.subsidy.rule"].with_user(self.manager).create(values)
        with self.assertRaises(AccessError):
            self.env["ev.battery.code.rule"].with_user(self.salesperson).create({"maker": "x", "pattern": "X+"})
        self.env["ev.battery.code.rule"].with_user(self.manager).create({"maker": "x", "pattern": "X+"})
        with self.assertRaises(AccessError):
            self.vehicle.with_user(self.salesperson).write({"ev_compatible_battery_ids": [(5,)]})
        self.vehicle.with_user(self.manager).write({"ev_compatible_charger_ids": [(4, self.catalogue[
            "other_charger"].id)]})
        self.assertIn(self.catalogue["other_charger"].product_variant_id,
                      self.vehicle.ev_combo_product_id.combo_ids.combo_item_ids.product_id,
                      "the bundle product follows the compatibility lists")

    def test_other_store_rules_are_invisible(self):
        payer = self.env["res.partner"].create({"name": "Programme"})
        rule = self.env["ev.tradein.subsidy.rule"].create({"name": "Other store only", "amount": 100,
                                                           "company_id": self.other_company.id, "payer_id": payer.id})
        shared = self.env["ev.tradein.subsidy.rule"].create({"name": "Shared", "amount": 100, "payer_id": payer.id})
        visible = self.env["ev.tradein.subsidy.rule"].with_user(self.salesperson).search([])
        self.assertIn(shared, visible)
        self.assertNotIn(rule, visible)

    def test_another_store_cannot_sell_our_codes(self):
        wizard = self.env["ev.bundle.wizard"].with_user(self.other_salesperson).create({"mode": "sale"})
        wizard.vehicle_code = self.catalogue["lots"] and next(iter(self.catalogue["lots"]))
        wizard._onchange_vehicle_code()
        self.assertFalse(wizard.vehicle_lot_id)
        self.assertIn("another store", wizard.vehicle_message)
