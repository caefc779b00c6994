import threading
from unittest.mock import patch

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import TransactionCase, tagged
from odoo.tests.common import BaseCase, get_db_name
from odoo.tools import mute_logger

from .common import (
    BATTERY_CODES,
    CHARGER_CODES,
    VEHICLE_CODES_WHITE,
    BundleTestMixin,
    make_codes,
    setup_bundle_catalogue,
)

BUYER = {"buyer_mobile": "13800138000", "province_id": "division_310000", "city_id": "division_310100",
         "county_id": "division_310104", "address": "漕溪北路 88 号"}


@tagged("post_install", "-at_install")
class TestConcurrentBinding(BaseCase):
    """Two salespeople submit bundles with the same battery at the same moment, each in their own database
    transaction (real cursors, two threads): one wins, the other gets a clear error and nothing of theirs is
    written. The committed test data is removed afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.codes = make_codes(base=97000)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            catalogue = setup_bundle_catalogue(env, prefix="Concurrency ", codes=cls.codes, inventory=False)
            cls.product_tmpl_ids = (catalogue["vehicle"] | catalogue["battery"] | catalogue["charger"]
                                    | catalogue["other_battery"] | catalogue["other_charger"]).ids
            cls.combo_tmpl_id = catalogue["vehicle"].ev_combo_product_id.id
            cls.attribute_id = catalogue["colour"].id
            cls.lot_ids = [lot.id for lot in catalogue["lots"].values()]
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["stock.quant"].search([("lot_id", "in", cls.lot_ids)]).sudo().unlink()
            env["stock.lot"].browse(cls.lot_ids).unlink()
            combos = env["product.template"].browse(cls.combo_tmpl_id)
            combo_choices = combos.combo_ids
            combos.unlink()
            combo_choices.unlink()
            env["product.template"].browse(cls.product_tmpl_ids).unlink()
            env["product.attribute"].browse(cls.attribute_id).unlink()

    def _submit(self, name, vehicle_code, charger_code, start, finish, results):
        """One salesperson: fill in the wizard, wait for the other, submit; keep the transaction open until the
        other one is done too, then roll back (the test leaves nothing behind)."""
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                buyer = {key: env.ref(f"ev_bundle_sale.{value}").id if key.endswith("_id") else value
                         for key, value in BUYER.items()}
                wizard = env["ev.bundle.wizard"].create({
                    "mode": "sale", "step": "confirm", "vehicle_code": vehicle_code,
                    "battery_code": self.codes["battery"][0], "charger_code": charger_code,
                    "buyer_name": name, **buyer,
                })
                start.wait(timeout=30)
                try:
                    wizard.action_submit()
                    order = env["sale.order"].search([("partner_id.name", "=", name)])
                    results[name] = ("won", len(order), order.picking_ids.mapped("state"))
                except UserError as error:
                    cr.rollback()
                    results[name] = ("refused", error.args[0])
                finish.wait(timeout=30)
                cr.rollback()
        except Exception as error:
            results[name] = ("crashed", repr(error))
            finish.abort()

    def test_same_battery_at_the_same_moment(self):
        start, finish, results = threading.Barrier(2), threading.Barrier(2), {}
        threads = [
            threading.Thread(target=self._submit, args=(
                "Salesperson A's buyer", self.codes["white"][0], self.codes["charger"][0], start, finish, results)),
            threading.Thread(target=self._submit, args=(
                "Salesperson B's buyer", self.codes["white"][1], self.codes["charger"][1], start, finish, results)),
        ]
        # The test runner holds the registry lock while tests run (HttpCase swaps it the same way): give the two
        # salespeople's threads their own, so that they can open their environments.
        with mute_logger("odoo.sql_db"), patch.object(Registry, "_lock", threading.RLock()):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        outcomes = sorted(results.values())
        self.assertEqual([outcome[0] for outcome in outcomes], ["refused", "won"], results)
        self.assertEqual(outcomes[1][1:], (1, ["done"]), "the winner has its confirmed order and delivery")
        message = outcomes[0][1]
        self.assertIn(self.codes["battery"][0], message)
        self.assertIn("another salesperson", message)
        # Nothing was committed by either (the winner rolled back at the end of the test).
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertFalse(env["ev.bundle"].search([("battery_lot_id", "in", self.lot_ids)]))
            self.assertFalse(env["sale.order"].search([("partner_id.name", "like", "Salesperson _'s buyer")]))


@tagged("post_install", "-at_install")
class TestBindingUniqueness(BundleTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()

    def test_database_refuses_a_second_binding_of_a_code(self):
        bundle, _action = self._sell()
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["ev.bundle"].create({
                "partner_id": bundle.partner_id.id, "buyer_name": "x", "vehicle_lot_id": self.lots[
                    VEHICLE_CODES_WHITE[1]].id, "battery_lot_id": self.lots[BATTERY_CODES[0]].id,
                "charger_lot_id": self.lots[CHARGER_CODES[1]].id,
            })
            self.env.flush_all()
