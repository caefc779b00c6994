"""Registration export (issue #16 item 6): the bundle register exports what local registration platforms ask for,
CSV and XLSX; the buyer's ID number is recorded at the sale, readable by store managers only, masked elsewhere."""
import csv
import io
import zipfile

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE, BundleTestMixin

ID_NUMBER = "11010519491231002X"  # the sample of GB 11643-1999
MASKED = "1101**********002X"


@tagged("post_install", "-at_install")
class TestRegistrationExport(BundleTestMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.env["ev.store"].create({"name": "绿行电动车 · 徐汇店", "company_id": cls.company.id})
        lot = cls.lots[VEHICLE_CODES_WHITE[0]]
        lot.write({"ev_motor_code": "WX48350A0001", "ev_certificate_no": "HGZ2026000123"})

    def _sell_with_id(self, number=" 11010519491231002x "):
        return self._sell(user=self.salesperson, buyer_id_number=number)[0]

    def test_every_registration_field_is_exported(self):
        bundle = self._sell_with_id()
        header, rows = bundle.with_user(self.manager)._ev_export_rows()
        row = dict(zip(header, rows[0], strict=True))
        expected = {
            "Vehicle Code": VEHICLE_CODES_WHITE[0], "Motor Code": "WX48350A0001",
            "Product Certificate No.": "HGZ2026000123", "Battery Code": BATTERY_CODES[0],
            "Charger Code": CHARGER_CODES[0], "Buyer": "张三", "Buyer Mobile": "13800138000",
            "Detailed Address": "漕溪北路 88 号 1201 室", "Store": "绿行电动车 · 徐汇店", "Buyer ID Number": ID_NUMBER,
        }
        self.assertEqual({key: row[key] for key in expected}, expected)
        self.assertRegex(row["Sale Date"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        self.assertIn("徐汇区", row["Administrative Division"])
        csv_data, _mimetype = bundle.with_user(self.manager)._ev_export_file("csv")
        parsed = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"))))
        self.assertEqual(parsed[1][header.index("Buyer ID Number")], ID_NUMBER)
        xlsx_data, _mimetype = bundle.with_user(self.manager)._ev_export_file("xlsx")
        with zipfile.ZipFile(io.BytesIO(xlsx_data)) as xlsx:
            strings = xlsx.read("xl/sharedStrings.xml").decode()
        for value in (ID_NUMBER, "WX48350A0001", "HGZ2026000123", "绿行电动车 · 徐汇店"):
            self.assertIn(value, strings)

    def test_id_number_is_for_store_managers_only(self):
        bundle = self._sell_with_id()
        as_manager = bundle.with_user(self.manager)
        self.assertEqual(as_manager.buyer_id_number, ID_NUMBER, "kept normalized (capital X, no spaces)")
        as_salesperson = bundle.with_user(self.salesperson)
        with self.assertRaises(AccessError):
            as_salesperson.read(["buyer_id_number"])
        with self.assertRaises(AccessError):
            self.env["ev.bundle"].with_user(self.salesperson).search([("buyer_id_number", "=", ID_NUMBER)])
        self.assertEqual(as_salesperson.buyer_id_number_masked, MASKED)
        self.assertNotIn("buyer_id_number", as_salesperson.fields_get())
        header, rows = as_salesperson._ev_export_rows()
        self.assertEqual(rows[0][header.index("Buyer ID Number")], MASKED)
        data, _mimetype = as_salesperson._ev_export_file("csv")
        self.assertNotIn(ID_NUMBER, data.decode("utf-8-sig"))
        # The form shows the masked number to a salesperson, the full one to a manager.
        arch = self.env["ev.bundle"].with_user(self.salesperson).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="buyer_id_number_masked"', arch)
        self.assertNotIn('name="buyer_id_number"', arch)
        arch = self.env["ev.bundle"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="buyer_id_number"', arch)

    def test_a_wrong_id_number_is_refused_and_none_is_fine(self):
        with self.assertRaisesRegex(UserError, "110105194912310021"):
            self._sell_with_id("110105194912310021")
        self.assertFalse(self.env["ev.bundle"].search([]), "nothing was saved")
        bundle = self._sell(user=self.salesperson)[0]
        self.assertFalse(bundle.buyer_id_number_masked)
        self.assertFalse(bundle.with_user(self.manager).buyer_id_number)

    def test_cashier_records_the_id_number(self):
        Session = self.env["ev.cashier.session"].with_user(self.salesperson)
        Session.ev_cashier_start("sale")
        Session.ev_cashier_scan("vehicle", VEHICLE_CODES_WHITE[0])
        Session.ev_cashier_next({})
        Session.ev_cashier_scan("battery", BATTERY_CODES[0])
        Session.ev_cashier_scan("charger", CHARGER_CODES[0])
        Session.ev_cashier_next({})
        state = Session.ev_cashier_next({**self._buyer(), "buyer_id_number": "110105194912310021"})
        self.assertEqual(state["step"], "buyer")
        self.assertIn("110105194912310021", state["error"])
        state = Session.ev_cashier_next({"buyer_id_number": ID_NUMBER})
        self.assertEqual(state["step"], "confirm", state.get("error"))
        self.assertEqual(state["draft"]["buyer_id_number"], ID_NUMBER)
        # The submission is the bundle wizard's, built from the draft (collecting needs a CNY store: not here).
        wizard = Session._ev_cashier_session()._ev_cashier_bundle_wizard()
        self.assertEqual(wizard.buyer_id_number, ID_NUMBER)
        wizard.action_submit()
        bundle = self.env["ev.bundle"].search([("vehicle_lot_id.name", "=", VEHICLE_CODES_WHITE[0])])
        self.assertEqual(bundle.with_user(self.manager).buyer_id_number, ID_NUMBER)
