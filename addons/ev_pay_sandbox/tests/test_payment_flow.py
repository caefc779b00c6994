import datetime
import threading
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvPaymentFlow(EvPaymentCommon):

    def _assert_paid_and_invoiced(self, order, tx):
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(order.state, "sale", "the paid quotation is confirmed")
        invoices = order.invoice_ids
        self.assertEqual(len(invoices), 1, "exactly one invoice")
        self.assertEqual(invoices.state, "posted")
        self.assertIn(invoices.payment_state, ("paid", "in_payment"))
        payments = self._payments(tx)
        self.assertEqual(len(payments), 1, "exactly one payment")
        self.assertIn(payments.state, ("in_process", "paid"))
        self.assertAlmostEqual(payments.amount, order.amount_total)
        self.assertTrue(payments.move_id.line_ids.filtered(lambda line: line.reconciled))

    def test_full_flow_wechatpay(self):
        """Sale order → two QRs → the buyer pays with WeChat → verified callback → confirmed, invoiced, paid."""
        order = self._order()
        wechat_tx, alipay_tx = self._collect(order)
        self.assertEqual((wechat_tx.state, alipay_tx.state), ("pending", "pending"))
        self.assertTrue(wechat_tx.ev_qr_content and alipay_tx.ev_qr_content)
        self.assertEqual(self._sandbox_order(wechat_tx).amount_fen, 259900)
        notes = order.message_ids
        self.assertFalse([body for body in notes.mapped("body") if wechat_tx.reference in body
                          or alipay_tx.reference in body], "showing the QR codes notes nothing on the order")

        self._wallet_pay(wechat_tx)
        self.assertEqual(wechat_tx.state, "pending", "nothing changes before the callback is verified")
        delivered = self._deliver()
        self.assertEqual(delivered.mapped("state"), ["delivered"])
        self.assertEqual(wechat_tx.state, "done")
        self.assertTrue(wechat_tx.provider_reference.startswith("4200"))

        state = order.ev_collection_state()  # the collection screen's poll post-processes
        self.assertTrue(state["paid"])
        self._assert_paid_and_invoiced(order, wechat_tx)
        self.assertEqual(alipay_tx.state, "cancel", "the other wallet's order is closed")
        self.assertEqual(self._sandbox_order(alipay_tx).state, "closed")
        paid_notes = (order.message_ids - notes).filtered(lambda message: wechat_tx.reference in message.body)
        self.assertTrue(paid_notes, "the payment is noted on the order")

    def test_closed_screen_payment_is_invoiced_by_the_fallback_cron(self):
        """Paid while no collection screen polls: Odoo's post-processing cron leaves it to the screen for a few
        seconds (it would race the screen's own post-processing), then confirms and invoices it."""
        order = self._order()
        wechat_tx, _alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        self._deliver()
        self.assertEqual(wechat_tx.state, "done")
        Transaction = self.env["payment.transaction"].sudo()
        Transaction._cron_post_process()
        self.env.invalidate_all()
        self.assertFalse(wechat_tx.is_post_processed, "just paid: left to the collection screen")
        self.assertEqual(order.state, "draft")
        with freeze_time(wechat_tx.last_state_change + datetime.timedelta(seconds=6)):
            Transaction._cron_post_process()
        self._assert_paid_and_invoiced(order, wechat_tx)

    def test_paid_after_midnight_beijing_is_invoiced_on_the_stores_day(self):
        """Paid at 02:30 on 1 May in Beijing (18:30 UTC on 30 April), invoiced by a worker without a time zone:
        the invoice, like its payment, is dated 1 May, the store's day, so it is in May's books and VAT."""
        self.env.user.tz = "UTC"  # as the post-processing cron runs
        with freeze_time("2026-04-30 18:30:00"):
            order = self._order()
            wechat_tx, _alipay_tx = self._collect(order)
            self._wallet_pay(wechat_tx)
            self._deliver()
            order.ev_collection_state()
            self._assert_paid_and_invoiced(order, wechat_tx)
        self.assertEqual(order.invoice_ids.invoice_date, datetime.date(2026, 5, 1))
        self.assertEqual(self._payments(wechat_tx).date, datetime.date(2026, 5, 1))

    def test_phone_pays_on_the_sandbox_wallet_page(self):
        """The page a phone opens by scanning a sandbox QR, run by Chromium: Pay relays the callback at once."""
        order = self._order(amount=321)
        _wechat_tx, alipay_tx = self._collect(order)
        code = """
            (async () => {
                const state = document.querySelector(".o_ev_wallet_state");
                const paid = document.querySelector(".o_ev_wallet_paid_text").textContent;
                document.querySelector(".o_ev_wallet_pay").click();
                const start = Date.now();
                while (state.textContent.trim() !== paid) {
                    if (Date.now() - start > 30000) {
                        throw new Error(`the wallet page says: ${state.textContent}`);
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                console.log("test successful");
            })().catch((error) => console.error(error.message));
        """
        self.browser_js(urlsplit(alipay_tx.ev_qr_content).path, code, timeout=60)
        self.env.invalidate_all()
        self.assertEqual(alipay_tx.state, "done", "the page relayed the signed callback: no delivery cron needed")
        self.assertFalse(self._deliver(), "the webhook's answer was acknowledged: the simulator does not resend it")
        order.ev_collection_state()
        self._assert_paid_and_invoiced(order, alipay_tx)

    def test_full_flow_alipay_callback_before_screen(self):
        """Alipay pays and its notification arrives before anybody looks at the screen: handled once."""
        order = self._order(amount=1999.5)
        wechat_tx, alipay_tx = self._collect(order)
        self._wallet_pay(alipay_tx)
        self._deliver()
        self.assertEqual(alipay_tx.state, "done")
        self.env["payment.transaction"].sudo().browse(alipay_tx.id)._ev_post_process_locked()
        self._assert_paid_and_invoiced(order, alipay_tx)
        state = order.ev_collection_state()
        self.assertEqual(state["invoice_names"], order.invoice_ids.mapped("name"))
        self.assertEqual(wechat_tx.state, "cancel")

    def test_concurrent_duplicate_callbacks(self):
        """50 copies of one genuine callback, posted by 50 threads at once: one payment, one invoice.

        Honest note: under Odoo's HttpCase every request shares the single test cursor, guarded by a lock, so
        the test server runs these 50 requests one after the other, not in parallel. What this proves is the
        idempotency of the handler (row lock + state check, Odoo's state machine): the first request applies
        the payment, the 49 others find it applied and answer 204 without any change. In production the same
        row lock (SELECT … FOR UPDATE) serialises them, and Odoo retries a request that hit a serialisation
        failure, which then takes the "already applied" path.
        """
        order = self._order()
        wechat_tx, _alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        body, headers = self._wechatpay_callback(wechat_tx)
        statuses = []
        lock = threading.Lock()
        self.env.flush_all()

        def post():
            response = self._post_raw("/payment/wechatpay/webhook", body, headers)
            with lock:
                statuses.append(response.status_code)

        threads = [threading.Thread(target=post) for _i in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.env.invalidate_all()
        self.assertEqual(statuses, [204] * 50)
        self.assertEqual(wechat_tx.state, "done")
        order.ev_collection_state()
        order.ev_collection_state()
        self._assert_paid_and_invoiced(order, wechat_tx)
        # The simulator's own copy of the callback changes nothing either.
        self._deliver()
        self._assert_paid_and_invoiced(order, wechat_tx)

    def _post_raw(self, path, body, headers):
        import requests
        return requests.post(self.base_url() + path, data=body, headers=headers, timeout=120,
                             cookies={"test_request_key": self.canonical_tag})

    def test_callback_after_order_cancelled(self):
        """The buyer paid, but the cashier cancelled the order before the callback came: the money is recorded
        once (a payment to refund), the order stays cancelled and is not invoiced."""
        order = self._order()
        wechat_tx, alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        order._action_cancel()
        (wechat_tx | alipay_tx).sudo()._set_canceled("order cancelled")
        self._deliver()
        self.assertEqual(wechat_tx.state, "done")
        self.assertIn("cancelled", wechat_tx.state_message)
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.invoice_ids)
        self.assertEqual(len(self._payments(wechat_tx)), 1)
        self.assertIn("was paid after this order was cancelled", " ".join(order.message_ids.mapped("body")))
        body, headers = self._wechatpay_callback(wechat_tx)
        self.assertEqual(self._post("/payment/wechatpay/webhook", body, headers).status_code, 204)
        order.ev_collection_state()
        self.assertEqual(len(self._payments(wechat_tx)), 1)

    def test_replay_after_restart(self):
        """A callback replayed after a restart is answered success and changes nothing.

        A real process restart cannot happen inside a test; what a restart loses is every in-memory state, and
        the handler keeps none: each request gets a new cursor and environment from the test server, and here
        the registry caches are cleared too. Only the database says the payment was applied.
        """
        order = self._order()
        wechat_tx, _alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        delivered = self._deliver()
        order.ev_collection_state()
        self._assert_paid_and_invoiced(order, wechat_tx)
        self.env.registry.clear_all_caches()
        self.env.invalidate_all()
        response = self._post("/payment/wechatpay/webhook", delivered.body.encode(), delivered.headers)
        # The original timestamp is still inside the 5-minute window, so the signature checks out.
        self.assertEqual(response.status_code, 204)
        order.ev_collection_state()
        self._assert_paid_and_invoiced(order, wechat_tx)

    def test_lost_callback_completed_by_query_cron(self):
        """No callback arrives: the query cron asks the provider, finds the payment and completes it."""
        order = self._order()
        wechat_tx, alipay_tx = self._collect(order)
        self._wallet_pay(alipay_tx)
        self.env["ev.pay.sandbox.notification"].sudo().search([]).write({"state": "failed"})  # lost
        self.env.cr.execute("UPDATE payment_transaction SET last_state_change = now() at time zone 'UTC' - "
                            "interval '10 minutes' WHERE id IN %s", [(wechat_tx | alipay_tx)._ids])
        self.env.invalidate_all()
        self.env["payment.transaction"]._cron_ev_query_pending()
        self.env.invalidate_all()
        self.assertEqual(alipay_tx.state, "done")
        self.assertTrue(alipay_tx.ev_last_query_at)
        self._assert_paid_and_invoiced(order, alipay_tx)
        self.assertEqual(wechat_tx.state, "cancel")

    def test_expired_collection_closed_by_cron(self):
        order = self._order()
        wechat_tx, alipay_tx = self._collect(order)
        self.env.cr.execute("UPDATE payment_transaction SET last_state_change = now() at time zone 'UTC' - "
                            "interval '30 minutes', ev_expires_at = now() at time zone 'UTC' - interval '1 minute' "
                            "WHERE id IN %s", [(wechat_tx | alipay_tx)._ids])
        self.env.invalidate_all()
        self.env["payment.transaction"]._cron_ev_query_pending()
        self.env.invalidate_all()
        self.assertEqual((wechat_tx.state, alipay_tx.state), ("cancel", "cancel"))
        self.assertEqual(self._sandbox_order(wechat_tx).state, "closed")
        self.assertEqual(order.state, "draft")

    def test_cancel_and_retry(self):
        order = self._order()
        first_wechat, first_alipay = self._collect(order)
        order.action_ev_cancel_collection()
        self.env.invalidate_all()
        self.assertEqual((first_wechat.state, first_alipay.state), ("cancel", "cancel"))
        second_wechat, second_alipay = self._collect(order)
        second_wechat = second_wechat.filtered(lambda tx: tx.state == "pending")
        self.assertEqual(len(second_wechat), 1)
        self.assertNotEqual(second_wechat.reference, first_wechat.reference)
        page = self.url_open(first_wechat.ev_qr_content + "/pay", data={"x": "1"})
        self.assertEqual(page.status_code, 409, "a cancelled QR cannot be paid")

    def test_amount_checks(self):
        order = self._order(amount=100)
        with self.assertRaisesRegex(UserError, "differs from the total"):
            order.action_ev_collect(amount=99)
        zero = self._order(amount=0)
        with self.assertRaisesRegex(UserError, "more than zero"):
            zero.action_ev_collect()
        wizard = self.env["ev.pay.collection.wizard"].create({
            "amount": 0, "buyer_name": "李四", "description": "电动车"})
        with self.assertRaisesRegex(UserError, "more than zero"):
            wizard.action_collect()
        wizard = self.env["ev.pay.collection.wizard"].create({
            "amount": 10, "buyer_name": "某公司", "buyer_kind": "company", "buyer_vat": "91350100M000100Y4X",
            "description": "电动车"})
        with self.assertRaisesRegex(UserError, "taxpayer ID"):
            wizard.action_collect()

    def test_cashier_wizard(self):
        """收银台 → 发起收款: amount, invoice title, what was sold → order → QR."""
        wizard = self.env["ev.pay.collection.wizard"].create({
            "amount": 3299, "buyer_kind": "company", "buyer_name": "上海绿行科技有限公司",
            "buyer_vat": "91310000MA1FL8K43R", "description": "雅迪 冠能 电动自行车 整车码 A123"})
        action = wizard.action_collect()
        self.assertEqual(action["tag"], "ev_pay_invoice.collection_screen")
        order = self.env["sale.order"].browse(action["params"]["order_id"])
        self.assertEqual(order.amount_total, 3299)
        self.assertEqual(order.partner_id.vat, "91310000MA1FL8K43R")
        self.assertEqual(order.order_line.name, "雅迪 冠能 电动自行车 整车码 A123")
        self.assertEqual(len(order.ev_collection_tx_ids), 2)
