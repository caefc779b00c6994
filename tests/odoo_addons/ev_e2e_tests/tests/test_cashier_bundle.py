from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE, BundleTestMixin
from odoo.addons.ev_pay_invoice.tests.common_cashier import DESKTOP, PHONE, ScreenTourMixin
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestCashierBundle(ScreenTourMixin, BundleTestMixin, EvPaymentCommon):
    """The bundle sale and trade-in paths of the cashier: the bundle wizard's checks, one order at submit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.Session = cls.env["ev.cashier.session"].with_user(cls.salesperson)
        cls.programme = cls.env["res.partner"].create({"name": "上海市以旧换新补贴专户", "is_company": True})
        cls.env["ev.tradein.subsidy.rule"].sudo().create({
            "name": "Shanghai base", "amount": 500, "min_price": 1500, "payer_id": cls.programme.id})

    def _buyer_draft(self):
        return {"buyer_name": "张三", "buyer_mobile": "+86 138-0013-8000", "province_id": self.division_province.id,
                "city_id": self.division_city.id, "county_id": self.division_county.id, "address": "漕溪北路 88 号"}

    def test_bundle_path(self):
        Session = self.Session
        Session.ev_cashier_start("sale")
        state = Session.ev_cashier_scan("vehicle", "LFV2A21K0A3000001")
        self.assertIn("LFV2A21K0A3000001", state["draft"]["vehicle_message"])
        self.assertFalse(state["draft"]["vehicle_lot_id"])
        self.assertIn("LFV2A21K0A3000001", Session.ev_cashier_next()["error"], "no vehicle: the step is refused")
        state = Session.ev_cashier_scan("vehicle", VEHICLE_CODES_WHITE[0])
        self.assertEqual(state["draft"]["colour_product_id"], self.catalogue["white"].id)
        self.assertEqual(Session.ev_cashier_next()["step"], "parts")
        state = Session.ev_cashier_scan("battery", "CW6020L2600000009")
        self.assertIn("not compatible", state["draft"]["battery_message"])
        Session.ev_cashier_scan("battery", BATTERY_CODES[0])
        Session.ev_cashier_scan("charger", CHARGER_CODES[0])
        self.assertEqual(Session.ev_cashier_next()["step"], "buyer")
        state = Session.ev_cashier_next({**self._buyer_draft(), "buyer_mobile": "12345"})
        self.assertIn("12345", state["error"])
        state = Session.ev_cashier_next(self._buyer_draft())
        self.assertEqual((state["step"], state["draft"]["buyer_mobile"], state["draft"]["amount_total"]),
                         ("confirm", "13800138000", 2900))
        self.assertFalse(self.env["ev.bundle"].search([]), "nothing is created before the submit")
        state = Session.ev_cashier_next()
        self.assertEqual(state["step"], "pay", state["error"])
        order = self.env["sale.order"].browse(state["order"]["id"])
        self.assertEqual((order.state, order.amount_total), ("sale", 2900))
        # The bundle price includes VAT: every item line carries its product's 13 % tax and the order books it.
        items = order.order_line.filtered("combo_item_id")
        self.assertEqual(len(items), 3)
        self.assertTrue(all(line.tax_id.amount == 13.0 and line.tax_id.price_include for line in items))
        self.assertAlmostEqual(order.amount_tax, 2900 - 2900 / 1.13, delta=0.02)
        self.assertEqual(order.currency_id.round(order.amount_untaxed + order.amount_tax), 2900)
        self.assertEqual(order.ev_bundle_ids.vehicle_lot_id.name, VEHICLE_CODES_WHITE[0])
        self.assertEqual(set(order.ev_collection_tx_ids.mapped("state")), {"pending"})
        self.assertEqual(len(order.ev_collection_tx_ids), 2, "one QR per wallet, not more")

    def test_submit_failure_leaves_nothing(self):
        """No provider enabled: the submit is refused and neither the order nor the binding exists."""
        (self.wechatpay | self.alipay).state = "disabled"
        Session = self.Session
        Session.ev_cashier_start("sale")
        Session.ev_cashier_scan("vehicle", VEHICLE_CODES_WHITE[0])
        Session.ev_cashier_scan("battery", BATTERY_CODES[0])
        Session.ev_cashier_scan("charger", CHARGER_CODES[0])
        session = Session._ev_cashier_session()
        session._ev_cashier_merge(self._buyer_draft())
        session.step = "confirm"
        state = Session.ev_cashier_next()
        self.assertEqual(state["step"], "confirm")
        self.assertIn("No WeChat Pay or Alipay provider", state["error"])
        self.assertFalse(self.env["ev.bundle"].search([]))
        self.assertFalse(self.env["sale.order"].search([("partner_id.name", "=", "张三")]))

    def _check_tour_sale(self, mode):
        bundle = self.env["ev.bundle"].search([("buyer_name", "=", "王五")])
        self.assertEqual((bundle.mode, bundle.buyer_mobile, bundle.division_id.code), (mode, "13912345678", "310104"))
        self.assertEqual(bundle.sale_order_id.invoice_ids.state, "posted")
        self.assertEqual(bundle.sale_order_id.ev_collection_tx_ids.filtered(lambda tx: tx.state == "done")
                         .provider_code, "wechatpay")
        return bundle

    def test_cashier_bundle_tour_phone(self):
        self.screen_tour("ev_cashier_bundle_tour", self.salesperson.login, size=PHONE,
                          shots=("sale-vehicle", "sale-confirm", "sale-qr", "sale-invoice"))
        self._check_tour_sale("sale")

    def test_cashier_bundle_tour_desktop(self):
        self.screen_tour("ev_cashier_bundle_tour", self.salesperson.login, size=DESKTOP,
                          shots=("sale-confirm", "dashboard"))
        self._check_tour_sale("sale")

    def test_cashier_tradein_tour_phone(self):
        self.screen_tour("ev_cashier_tradein_tour", self.salesperson.login, size=PHONE,
                          shots=("tradein-old-vehicle", "trade_in-confirm", "trade_in-qr"))
        bundle = self._check_tour_sale("trade_in")
        self.assertRecordValues(bundle.tradein_id, [{"old_brand": "雅迪", "old_code": "沪A12345",
                                                     "plate_collected": True, "subsidy_amount": 500,
                                                     "subsidy_state": "due"}])
        # The amount typed on the confirm step is the invoice total; the buyer paid it less the subsidy.
        order = bundle.sale_order_id
        self.assertEqual((order.amount_total, order.invoice_ids.amount_total), (2850, 2850))
        self.assertEqual(order.ev_collection_tx_ids.filtered(lambda tx: tx.state == "done").amount, 2350)

    def test_cashier_tradein_tour_desktop(self):
        self.screen_tour("ev_cashier_tradein_tour", self.salesperson.login, size=DESKTOP)
        self.assertEqual(self._check_tour_sale("trade_in").tradein_id.old_brand, "雅迪")
