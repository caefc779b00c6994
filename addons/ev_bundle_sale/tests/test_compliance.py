"""Compliance at the counter: the product certificate's QR code in the vehicle step, the motor code from the
receipt to the e-invoice remarks and the registration export, lithium battery codes (GB/T 45565)."""
import csv
import io

from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .common import BATTERY_CODES, CHARGER_CODES, OTHER_BATTERY_CODES, VEHICLE_CODES_WHITE, BundleTestMixin

CODE = VEHICLE_CODES_WHITE[0]
SELLER_USCC = "91310104MA1FR3XK4N"


def certificate_url(code=CODE, model="TDT-1234Z", certificate="HGZ2026000123"):
    return f"https://cert.example.cn/h5/#/detail?vinCode={code}&certNo={certificate}&clxh={model}"


@tagged("post_install", "-at_install")
class TestCompliance(BundleTestMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.vehicle.ev_certificate_model = "TDT1234Z"
        cls.Session = cls.env["ev.cashier.session"].with_user(cls.salesperson)

    def _scan_vehicle(self, raw, motor_code=None):
        wizard = self._wizard(user=self.salesperson)
        wizard.action_start()
        wizard.vehicle_code = raw
        wizard._onchange_vehicle_code()
        if motor_code:
            wizard.vehicle_motor_code = motor_code
        return wizard

    def _finish(self, wizard):
        wizard.action_next()
        wizard.write({"battery_code": BATTERY_CODES[0], "charger_code": CHARGER_CODES[0]})
        wizard.action_next()
        wizard.write(self._buyer())
        wizard.action_next()
        wizard.action_submit()
        return self.env["ev.bundle"].search([("vehicle_lot_id", "=", wizard.vehicle_lot_id.id)])

    def test_sale_by_certificate_qr(self):
        wizard = self._scan_vehicle(certificate_url(), motor_code="wx48350a0001")
        self.assertFalse(wizard.vehicle_message)
        self.assertEqual((wizard.vehicle_code, wizard.vehicle_lot_id, wizard.vehicle_certificate_no),
                         (CODE, self.lots[CODE], "HGZ2026000123"))
        bundle = self._finish(wizard)
        lot = self.lots[CODE]
        self.assertEqual((lot.ev_certificate_no, lot.ev_motor_code), ("HGZ2026000123", "WX48350A0001"),
                         "the certificate number and the motor code are kept on the serial")
        self.assertEqual((bundle.certificate_no, bundle.motor_code), ("HGZ2026000123", "WX48350A0001"))
        # The registration export carries both (CSV and XLSX come from the same rows).
        header, rows = bundle._ev_export_rows()
        row = dict(zip(header, rows[0]))
        self.assertEqual((row["Vehicle Code"], row["Motor Code"], row["Product Certificate No."]),
                         (CODE, "WX48350A0001", "HGZ2026000123"))
        data, _mimetype = bundle._ev_export_file("csv")
        parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        self.assertEqual(parsed[1][header.index("Motor Code")], "WX48350A0001")
        # The 数电票 remarks name the motor code right after the vehicle code.
        provider = self.env["ev.einvoice.provider"].create({
            "name": "Nuonuo", "company_id": self.company.id, "state": "test",
            "seller_tax_id": SELLER_USCC, "drawer": "王店长"})
        invoice = bundle.sale_order_id._create_invoices()
        remark = invoice._ev_einvoice_blue_invoice(provider).remark
        self.assertIn(f"整车编码：{CODE}；电机编码：WX48350A0001", remark)

    def test_certificate_of_another_model_is_refused(self):
        wizard = self._scan_vehicle(certificate_url(model="TDR9999Z"))
        self.assertFalse(wizard.vehicle_lot_id)
        self.assertIn("TDR9999Z", wizard.vehicle_message)
        self.assertIn("TDT1234Z", wizard.vehicle_message)
        with self.assertRaises(UserError):
            wizard.action_next()
        self.assertFalse(self.lots[CODE].ev_certificate_no, "nothing is stored from a refused certificate")

    def test_unknown_qr_lets_the_code_be_typed(self):
        wizard = self._scan_vehicle("https://weixin.qq.com/r/abcdefg")
        self.assertFalse(wizard.vehicle_lot_id)
        self.assertIn("type the 15-digit vehicle code", wizard.vehicle_message)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "ev_bundle_sale")])._update_translations("zh_CN")
        self.env.registry.clear_cache()
        zh_wizard = wizard.with_context(lang="zh_CN")
        zh_wizard._onchange_vehicle_code()
        self.assertIn("无法识别此二维码", zh_wizard.vehicle_message, "the dealer reads the reason in Chinese")
        with self.assertRaises(UserError):
            wizard.action_next()
        wizard.vehicle_code = CODE  # typed from the frame label
        wizard._onchange_vehicle_code()
        self.assertEqual(wizard.vehicle_lot_id, self.lots[CODE])
        self.assertFalse(wizard.vehicle_certificate_no)

    def test_motor_code_from_receipt_is_checked_at_the_counter(self):
        # Receipt with the motor code next to the serial (typed or imported in the detailed operations).
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        white = self.catalogue["white"]
        suppliers = self.env.ref("stock.stock_location_suppliers")
        picking = self.env["stock.picking"].create({
            "picking_type_id": warehouse.in_type_id.id, "location_id": suppliers.id,
            "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [Command.create({
                "name": white.name, "product_id": white.id, "product_uom_qty": 1, "product_uom": white.uom_id.id,
                "location_id": suppliers.id, "location_dest_id": warehouse.lot_stock_id.id})],
        })
        picking.action_confirm()
        picking.move_ids.move_line_ids.write({"lot_name": "310422600000099", "ev_motor_code": "wx-48350-0099",
                                              "quantity": 1, "picked": True})
        picking.button_validate()
        lot = picking.move_ids.lot_ids
        self.assertEqual((lot.name, lot.ev_motor_code), ("310422600000099", "WX-48350-0099"))
        wizard = self._scan_vehicle("310422600000099")
        self.assertEqual(wizard.vehicle_motor_code, "WX-48350-0099", "the received motor code is shown")
        wizard.vehicle_motor_code = "WX-48350-0100"
        with self.assertRaisesRegex(UserError, "WX-48350-0100"):
            wizard.action_next()

    def test_cashier_scans_a_certificate(self):
        Session = self.Session
        Session.ev_cashier_start("sale")
        state = Session.ev_cashier_scan("vehicle", "https://example.cn/q?id=1")
        self.assertFalse(state["draft"]["vehicle_lot_id"])
        self.assertIn("vehicle code", state["draft"]["vehicle_message"])
        state = Session.ev_cashier_scan("vehicle", certificate_url())
        draft = state["draft"]
        self.assertEqual((draft["vehicle_code"], draft["vehicle_lot_id"], draft["vehicle_certificate_no"]),
                         (CODE, self.lots[CODE].id, "HGZ2026000123"))
        state = Session.ev_cashier_next({"vehicle_motor_code": "WX48350A0001"})
        self.assertEqual(state["step"], "parts", state.get("error"))
        self.assertEqual((self.lots[CODE].ev_certificate_no, self.lots[CODE].ev_motor_code),
                         ("HGZ2026000123", "WX48350A0001"))

    def test_point_of_sale_scan_reads_the_certificate(self):
        # The POS scan popup and lot entry check codes with stock.lot._ev_scan: the QR gives the lot's name.
        lot, _warnings = self.env["stock.lot"]._ev_scan("vehicle", certificate_url())
        self.assertEqual(lot, self.lots[CODE])
        with self.assertRaises(EvCodeError) as caught:
            self.env["stock.lot"]._ev_scan("vehicle", "https://weixin.qq.com/r/abcdefg")
        self.assertEqual(caught.exception.reason, "unreadable_certificate")

    def test_lithium_battery_codes(self):
        lithium = self.catalogue["other_battery"]
        self.assertEqual(lithium.ev_battery_chemistry, "lithium_ion")
        lot, _warnings = self.env["stock.lot"]._ev_scan("battery", OTHER_BATTERY_CODES[0])
        self.assertEqual(lot.name, OTHER_BATTERY_CODES[0], "a GB/T 45565-shaped code is accepted")
        with self.assertRaisesRegex(ValidationError, "CW-6020-0001"):
            lithium.product_variant_id._ev_receive_serials(self.company, ["CW-6020-0001"])
        # The same code is a valid lead-acid code: maker-defined.
        lead_acid = self.catalogue["battery"]
        self.env["ev.battery.code.rule"].search([]).unlink()
        lots = lead_acid.product_variant_id._ev_receive_serials(self.company, ["TN-4820-0001"])
        self.assertEqual(lots.name, "TN-4820-0001")
