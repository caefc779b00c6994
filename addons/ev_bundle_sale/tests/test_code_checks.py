from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, TransactionCase, tagged

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .common import (
    BATTERY_CODES,
    CHARGER_CODES,
    OTHER_BATTERY_CODES,
    OTHER_CHARGER_CODES,
    VEHICLE_CODES_GREY,
    VEHICLE_CODES_WHITE,
    BundleTestMixin,
)


@tagged("post_install", "-at_install")
class TestCodeChecks(BundleTestMixin, TransactionCase):
    """Every refusal of a scanned code says which code failed and why."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.Lot = cls.env["stock.lot"]

    def assertRefused(self, role, code, reason, *fragments, vehicle_code=None):
        vehicle_lot = self.lots[vehicle_code] if vehicle_code else None
        with self.assertRaises(EvCodeError) as caught:
            self.Lot._ev_scan(role, code, vehicle_lot=vehicle_lot)
        error = caught.exception
        self.assertEqual(error.reason, reason, error.args[0])
        for fragment in fragments:
            self.assertIn(fragment, error.args[0])
        return error

    def test_valid_scans(self):
        lot, warnings = self.Lot._ev_scan("vehicle", VEHICLE_CODES_WHITE[0])
        self.assertEqual(lot.product_id, self.catalogue["white"])
        self.assertEqual(warnings, [])
        lot, _warnings = self.Lot._ev_scan("battery", BATTERY_CODES[0].lower(),
                                           vehicle_lot=self.lots[VEHICLE_CODES_WHITE[0]])
        self.assertEqual(lot.name, BATTERY_CODES[0], "scanned codes are normalised (case, spaces)")
        charger = CHARGER_CODES[0]
        lot, _warnings = self.Lot._ev_scan("charger", f"{charger[:9]}-{charger[9:11]}-{charger[11:]}",
                                           vehicle_lot=self.lots[VEHICLE_CODES_WHITE[0]])
        self.assertEqual(lot.name, charger, "hyphens printed on charger labels are ignored")

    def test_unknown_code(self):
        self.assertRefused("vehicle", "310422699999999", "unknown", "310422699999999", "unknown")
        self.assertRefused("battery", "TN4820G2699999999", "unknown", "TN4820G2699999999")

    def test_vin_is_refused_as_e_motorcycle(self):
        error = self.assertRefused("vehicle", "LFV2A21K0A3000001", "format_vin", "LFV2A21K0A3000001")
        self.assertIn("motorcycle", error.args[0])

    def test_bad_formats(self):
        self.assertRefused("vehicle", "31042260000001", "format_length", "31042260000001", "15 digits")
        self.assertRefused("vehicle", "31042260000000X", "format_charset", "31042260000000X")
        self.assertRefused("charger", "MA5F0000126A", "format_length", "MA5F0000126A", "13 characters")
        self.assertRefused("charger", "MA5F0000126AO", "format_model", "MA5F0000126AO")
        self.assertRefused("vehicle", "", "format_empty")

    def test_battery_brand_pattern(self):
        # A maker's pattern added after the battery was received refuses its code at the scan.
        self.env["ev.battery.code.rule"].create({"maker": "天能", "pattern": r"TN\d{4}[A-Z]\d{12}"})
        self.assertRefused("battery", BATTERY_CODES[0], "format_pattern", BATTERY_CODES[0], "maker")
        with self.assertRaises(ValidationError):
            self.env["ev.battery.code.rule"].create({"maker": "天能", "pattern": "TN(\\d"})
        with self.assertRaises(ValidationError):
            self.env["ev.battery.code.rule"].create({"maker": "天能", "pattern": "TN\\d+", "example": "CW1"})

    def test_receiving_a_badly_formed_code_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.catalogue["white"]._ev_receive_serials(self.company, ["LFV2A21K0A3000001"])
        self.assertIn("motorcycle", caught.exception.args[0])
        charger = self.catalogue["charger"].product_variant_id
        lot = self.Lot.create({"name": " ma5f7777726a1 ", "product_id": charger.id})
        self.assertEqual(lot.name, "MA5F7777726A1", "codes are stored normalised")

    def test_code_of_another_role(self):
        error = self.assertRefused("vehicle", BATTERY_CODES[0], "wrong_role", BATTERY_CODES[0])
        self.assertIn("battery", error.args[0].lower())
        self.assertRefused("charger", VEHICLE_CODES_WHITE[0], "wrong_role", VEHICLE_CODES_WHITE[0])

    def test_already_bound(self):
        bundle, _action = self._sell()
        error = self.assertRefused("battery", BATTERY_CODES[0], "bound", BATTERY_CODES[0], bundle.name,
                                   vehicle_code=VEHICLE_CODES_WHITE[1])
        self.assertIn(bundle.sale_order_id.name, error.args[0])
        self.assertRefused("vehicle", VEHICLE_CODES_WHITE[0], "bound", VEHICLE_CODES_WHITE[0])

    def test_already_sold_outside_a_bundle(self):
        lot = self.lots[CHARGER_CODES[2]]
        picking = lot._ev_deliver_to_customer(self.env.ref("base.partner_admin"), "counter sale")
        self.assertRefused("charger", CHARGER_CODES[2], "sold", CHARGER_CODES[2], picking.name,
                           vehicle_code=VEHICLE_CODES_WHITE[0])

    def test_not_in_this_store_stock(self):
        other = self.env["res.company"].create({"name": "Other e-bike store"})
        self.env.user.company_ids |= other
        # The code exists only in another store's stock.
        self.catalogue["white"].with_company(other)._ev_receive_serials(other, ["310422600000777"])
        self.assertRefused("vehicle", "310422600000777", "other_store", "310422600000777", "another store")
        # Received here but no longer on hand (e.g. scrapped or counted out).
        lot = self.Lot.create({"name": "310422600000778", "product_id": self.catalogue["white"].id,
                               "company_id": self.company.id})
        self.assertRefused("vehicle", lot.name, "not_in_stock", lot.name, "not in this store's stock")

    def test_not_compatible(self):
        error = self.assertRefused("battery", OTHER_BATTERY_CODES[0], "incompatible", OTHER_BATTERY_CODES[0],
                                   self.vehicle.name, self.catalogue["battery"].name,
                                   vehicle_code=VEHICLE_CODES_WHITE[0])
        self.assertIn(self.catalogue["other_battery"].name, error.args[0])
        self.assertRefused("charger", OTHER_CHARGER_CODES[0], "incompatible", OTHER_CHARGER_CODES[0],
                           vehicle_code=VEHICLE_CODES_WHITE[0])

    def test_wizard_shows_the_reason_under_the_field(self):
        Wizard = self.env["ev.bundle.wizard"].with_user(self.salesperson)
        with Form(Wizard.with_context(default_step="vehicle")) as wizard:
            wizard.vehicle_code = "LFV2A21K0A3000001"
            self.assertIn("LFV2A21K0A3000001", wizard.vehicle_message)
            self.assertFalse(wizard.vehicle_lot_id)
            wizard.vehicle_code = VEHICLE_CODES_WHITE[0]
            self.assertFalse(wizard.vehicle_message)
            self.assertEqual(wizard.vehicle_lot_id, self.lots[VEHICLE_CODES_WHITE[0]])
            self.assertEqual(wizard.colour_product_id, self.catalogue["white"])
            self.assertIn("White: 3 in stock", wizard.stock_info)
            self.assertIn("Grey: 1 in stock", wizard.stock_info)
            # The buyer wants grey: the white vehicle scanned is refused, a grey one is accepted.
            wizard.colour_product_id = self.catalogue["grey"]
            self.assertIn("Grey", wizard.vehicle_message or "")
            self.assertFalse(wizard.vehicle_lot_id)
            wizard.vehicle_code = VEHICLE_CODES_WHITE[1]
            self.assertIn(VEHICLE_CODES_WHITE[1], wizard.vehicle_message)
            wizard.vehicle_code = VEHICLE_CODES_GREY[0]
            self.assertEqual(wizard.vehicle_lot_id.product_id, self.catalogue["grey"])
        with Form(Wizard.with_context(default_step="parts", default_vehicle_code=VEHICLE_CODES_GREY[0],
                                      default_vehicle_lot_id=self.lots[VEHICLE_CODES_GREY[0]].id)) as wizard:
            wizard.battery_code = OTHER_BATTERY_CODES[0]
            self.assertIn("not compatible", wizard.battery_message)
            self.assertFalse(wizard.battery_lot_id)
            wizard.battery_code = BATTERY_CODES[1]
            self.assertFalse(wizard.battery_message)
            wizard.charger_code = VEHICLE_CODES_WHITE[2]
            self.assertIn("vehicle", wizard.charger_message)
            wizard.charger_code = CHARGER_CODES[1]
            self.assertEqual(wizard.charger_lot_id, self.lots[CHARGER_CODES[1]])

    def test_next_re_checks_on_the_server(self):
        wizard = self._wizard(user=self.salesperson, step="vehicle", vehicle_code=OTHER_BATTERY_CODES[0])
        with self.assertRaises(EvCodeError):
            wizard.action_next()
        self.assertEqual(wizard.step, "vehicle")

    def test_buyer_checks(self):
        wizard = self._wizard(step="buyer", vehicle_code=VEHICLE_CODES_WHITE[0])
        wizard.write(self._buyer(buyer_mobile="12345678901"))
        with self.assertRaisesRegex(UserError, "12345678901"):
            wizard.action_next()
        wizard.write(self._buyer(buyer_mobile="1380013800"))
        with self.assertRaisesRegex(UserError, "1380013800.*11"):
            wizard.action_next()
        wizard.write(self._buyer(county_id=False))
        with self.assertRaisesRegex(UserError, "county"):
            wizard.action_next()
        wizard.write(self._buyer(city_id=self.env.ref("ev_bundle_sale.division_440100").id))  # 广州市
        with self.assertRaisesRegex(UserError, "广州市"):
            wizard.action_next()
        wizard.write(self._buyer())
        wizard.action_next()
        self.assertEqual(wizard.buyer_mobile, "13800138000")
        self.assertEqual(wizard.step, "confirm")
