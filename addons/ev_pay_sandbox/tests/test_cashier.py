from odoo.tests import tagged

from odoo.addons.ev_pay_invoice.tests.common import make_store_users
from odoo.addons.ev_pay_invoice.tests.common_cashier import DESKTOP, PHONE, ScreenTourMixin

from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestCashier(ScreenTourMixin, EvPaymentCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson, cls.manager = make_store_users(cls.env)
        cls.Session = cls.env["ev.cashier.session"].with_user(cls.salesperson)

    def _fill(self, **values):
        return {"amount": "2599", "description": "绿源 S30 电动自行车", "buyer_kind": "person", "buyer_name": "张三",
                **values}

    def test_collect_path_checks_resumes_and_never_collects_twice(self):
        Session = self.Session
        state = Session.ev_cashier_open()
        self.assertEqual(state["step"], "start")
        self.assertIn("collect", [path["mode"] for path in state["paths"]])
        Session.ev_cashier_start("collect")
        # A refused step: the server's reason, the draft kept, no order.
        orders_before = self.env["sale.order"].search_count([])
        state = Session.ev_cashier_next(self._fill(buyer_kind="company", buyer_name="某公司", buyer_vat="123"))
        self.assertEqual(state["step"], "collect")
        self.assertIn("123", state["error"])
        self.assertEqual(state["draft"]["buyer_name"], "某公司")
        state = Session.ev_cashier_next(self._fill(amount="0"))
        self.assertIn("more than zero", state["error"])
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before, "no half-created order")
        # Leaving and coming back resumes the draft.
        Session.ev_cashier_save(self._fill())
        self.assertEqual(Session.ev_cashier_open()["draft"]["description"], "绿源 S30 电动自行车")
        # Submit: the order and its QR codes, at once.
        state = Session.ev_cashier_next()
        self.assertEqual(state["step"], "pay", state["error"])
        order = self.env["sale.order"].browse(state["order"]["id"])
        self.assertEqual(order.amount_total, 2599)
        pending = order.ev_collection_tx_ids.filtered(lambda tx: tx.state == "pending")
        self.assertEqual(set(pending.mapped("provider_code")), {"wechatpay", "alipay"})
        # Resuming the pay step (or pressing submit again) shows the same QR codes: no second order, no new QR.
        state = Session.ev_cashier_open()
        self.assertEqual((state["step"], state["order"]["id"]), ("pay", order.id))
        self.assertEqual(Session.ev_cashier_next()["order"]["id"], order.id)
        session = Session._ev_cashier_session()
        self.assertFalse(session._ev_cashier_collect())
        self.assertEqual(order.ev_collection_tx_ids, pending)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before + 1)
        # Another path cannot start while the order waits for its payment.
        with self.assertRaisesRegex(Exception, order.name):
            Session.ev_cashier_start("collect")
        # The buyer pays: the cashier moves on to the invoice.
        self._wallet_pay(pending.filtered(lambda tx: tx.provider_code == "wechatpay"))
        self._deliver()
        state = Session.ev_cashier_refresh()
        self.assertEqual(state["step"], "invoice")
        self.assertEqual(state["invoice"]["name"], order.invoice_ids.name)
        self.assertEqual(Session.ev_cashier_invoice_action("pdf")["type"], "ir.actions.report")
        # The dashboard counts the paid sale.
        data = self.env["ev.store.dashboard"].with_user(self.salesperson).ev_dashboard_data()
        self.assertIn(order.id, data["sales"]["paid_ids"])
        self.assertGreaterEqual(data["sales"]["paid_amount"], 2599)
        self.assertEqual(len(data["days"]), 7)
        self.assertGreaterEqual(data["payouts"]["expected"], 2599 - 100)
        # New sale.
        self.assertEqual(Session.ev_cashier_reset()["step"], "start")

    def test_drafts_are_private(self):
        self.Session.ev_cashier_save({"buyer_name": "张三"})
        other = self.env["ev.cashier.session"].with_user(self.manager)
        self.assertEqual(other.ev_cashier_open()["draft"], {})
        self.assertFalse(other.search([("user_id", "=", self.salesperson.id)]))

    def test_cashier_collect_tour_phone_and_desktop(self):
        """Chromium at phone size then desktop size: plain collection to the invoice."""
        for size, shots in ((PHONE, ("cashier-start", "collect-form", "collect-qr")),
                            (DESKTOP, ("collect-qr",))):
            self.screen_tour("ev_cashier_collect_tour", self.salesperson.login, size=size, shots=shots)
        orders = self.env["sale.order"].search([("partner_id.name", "=", "张三"), ("amount_total", "=", 1288)])
        self.assertEqual(len(orders), 2)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertTrue(all(order.invoice_ids.state == "posted" for order in orders))
