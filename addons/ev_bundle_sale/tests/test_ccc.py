"""CCC status (issue #16 item 4): a vehicle certified to GB 17761-2018 (from 2025-12-01) and a lithium battery or a
charger without a CCC certificate (from 2025-11-01) are refused at the scan with the reason, by every scan path;
the stock report lists them."""
import ast

from odoo.tests import TransactionCase, tagged

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .common import BATTERY_CODES, CHARGER_CODES, OTHER_BATTERY_CODES, VEHICLE_CODES_WHITE, BundleTestMixin

VEHICLE = VEHICLE_CODES_WHITE[0]


@tagged("post_install", "-at_install")
class TestCccStatus(BundleTestMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.Lot = cls.env["stock.lot"]

    def _unsellable_stock(self):
        action = self.env.ref("ev_bundle_sale.ev_unsellable_stock_action")
        quants = self.env["stock.quant"].with_user(self.manager).search(ast.literal_eval(action.domain))
        return set(quants.lot_id.mapped("name"))

    def _refusal(self, role, code):
        with self.assertRaises(EvCodeError) as caught:
            self.Lot._ev_scan(role, code)
        return caught.exception

    def test_old_standard_vehicle_is_refused_by_every_scan_path(self):
        self.vehicle.ev_ccc_standard = "gb17761_2018"
        error = self._refusal("vehicle", VEHICLE)
        self.assertEqual(error.reason, "ccc_old_standard")
        self.assertIn("GB 17761-2018", error.args[0])
        self.assertIn(VEHICLE, error.args[0])
        # Backend wizard: the reason under the field, and no way on.
        wizard = self._wizard(user=self.salesperson)
        wizard.action_start()
        wizard.vehicle_code = VEHICLE
        wizard._onchange_vehicle_code()
        self.assertFalse(wizard.vehicle_lot_id)
        self.assertIn("GB 17761-2018", wizard.vehicle_message)
        # Cashier.
        Session = self.env["ev.cashier.session"].with_user(self.salesperson)
        Session.ev_cashier_start("sale")
        draft = Session.ev_cashier_scan("vehicle", VEHICLE)["draft"]
        self.assertFalse(draft["vehicle_lot_id"])
        self.assertIn("GB 17761-2018", draft["vehicle_message"])
        state = Session.ev_cashier_next({})
        self.assertEqual(state["step"], "vehicle")
        self.assertFalse(self.env["ev.bundle"].search([("vehicle_lot_id.name", "=", VEHICLE)]))
        # The stock report lists every unit of the model; the new-standard model sells again.
        self.assertTrue(set(VEHICLE_CODES_WHITE) <= self._unsellable_stock())
        self.vehicle.ev_ccc_standard = "gb17761_2024"
        self.assertEqual(self.Lot._ev_scan("vehicle", VEHICLE)[0].name, VEHICLE)
        self.assertFalse(set(VEHICLE_CODES_WHITE) & self._unsellable_stock())

    def test_charger_without_ccc_is_refused(self):
        charger = self.catalogue["charger"]
        charger.ev_ccc_no = False
        error = self._refusal("charger", CHARGER_CODES[0])
        self.assertEqual(error.reason, "ccc_missing")
        self.assertIn("CCC", error.args[0])
        self.assertTrue(set(CHARGER_CODES) <= self._unsellable_stock())
        # A unit that carries its own certificate number may be sold.
        self.lots[CHARGER_CODES[1]].ev_ccc_no = "2025011119000099"
        self.assertEqual(self.Lot._ev_scan("charger", CHARGER_CODES[1])[0].name, CHARGER_CODES[1])
        self.assertNotIn(CHARGER_CODES[1], self._unsellable_stock())
        self.assertIn(CHARGER_CODES[0], self._unsellable_stock())

    def test_lithium_battery_needs_ccc_lead_acid_does_not(self):
        lithium = self.catalogue["other_battery"]
        lithium.ev_ccc_no = False
        self.assertEqual(self._refusal("battery", OTHER_BATTERY_CODES[0]).reason, "ccc_missing")
        self.assertIn(OTHER_BATTERY_CODES[0], self._unsellable_stock())
        lead_acid = self.catalogue["battery"]
        self.assertFalse(lead_acid.ev_ccc_no)
        self.assertEqual(self.Lot._ev_scan("battery", BATTERY_CODES[0])[0].name, BATTERY_CODES[0])
        self.assertFalse(set(BATTERY_CODES) & self._unsellable_stock())

    def test_the_report_is_empty_when_everything_can_be_sold(self):
        self.assertFalse(self._unsellable_stock())
        lot = self.lots[VEHICLE]
        self.assertFalse(lot.ev_sale_block)
        self.vehicle.ev_ccc_standard = "gb17761_2018"
        lot.invalidate_recordset(["ev_sale_block"])
        self.assertIn("GB 17761-2018", lot.ev_sale_block)
