"""Live-platform situations the plain simulator never produced (issue #15 items 2, 3, 8), over real HTTP:
pay-code payments answered "system error" or never answered, kept pending (查询中), queried at once and cancelled
at the provider after the window; refunds left PROCESSING with a lost callback, or whose answer was lost,
recovered by the query cron. A real TCP proxy (``lossy_proxy``) loses the answers. Never a lost payment, never a
double charge."""
import datetime

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .lossy_proxy import LossyProxy
from .payment_common import EvPaymentCommon

# The sandbox answers "system error" to a pay code whose digits after the wallet prefix start with 99.
WECHAT_UNKNOWN_CODE, ALIPAY_UNKNOWN_CODE = "139912345678901234", "289912345678901234"
WECHAT_CODE, ALIPAY_CODE = "134567890123456789", "281234567890123456"


@tagged("post_install", "-at_install")
class TestEvPayUnknownOutcome(EvPaymentCommon):

    def _codepay(self, provider, code, amount=120.0):
        Transaction = self.env["payment.transaction"].with_context(ev_codepay_auth_code=code)
        tx = Transaction._ev_create_qr_transaction(provider, amount, self.env.ref("base.CNY"), self.buyer,
                                                   "POS-1", ev_codepay=True)
        self.env.invalidate_all()
        return tx

    def _through_proxy(self, provider, plan):
        proxy = LossyProxy(self.base_url(), self.canonical_tag, plan)
        self.addCleanup(proxy.close)
        provider.ev_api_base_url = "%s/ev_pay/sandbox/%s" % (proxy.url, provider.code)
        return proxy

    def _past_window(self, tx):
        tx.ev_expires_at = fields.Datetime.now() - datetime.timedelta(seconds=1)

    def _waiting_message(self, tx):
        self.assertEqual(tx.state_message, "Waiting for the buyer to enter the wallet password.")

    # === pay code === #

    def test_wechat_pay_code_system_error_is_queried_not_failed(self):
        tx = self._codepay(self.wechatpay, WECHAT_UNKNOWN_CODE)
        self.assertEqual(tx.state, "pending", "SYSTEM_ERROR may hide a payment: kept, not failed")
        self._waiting_message(tx)  # the immediate query found the order waiting for the password
        self._sandbox_order(tx)._ev_wallet_pay()
        tx._ev_query_provider()
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(self._sandbox_order(tx)), 1, "one order at WeChat Pay: charged once")

    def test_alipay_pay_code_unknown_is_cancelled_after_the_window(self):
        tx = self._codepay(self.alipay, ALIPAY_UNKNOWN_CODE)
        self.assertEqual(tx.state, "pending", "isp.unknow-error may hide a payment: kept, not failed")
        tx._ev_close_expired_codepay()
        self.assertEqual(tx.state, "pending", "within the window nothing is cancelled")
        self._past_window(tx)
        tx._ev_close_expired_codepay()
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self._sandbox_order(tx).state, "closed", "alipay.trade.cancel closed the trade")
        self.assertIn("cancelled", tx.state_message)

    def test_alipay_payment_made_at_the_last_moment_is_returned_by_the_cancel(self):
        tx = self._codepay(self.alipay, ALIPAY_CODE)
        self.assertEqual(tx.state, "pending")
        self._waiting_message(tx)
        self._sandbox_order(tx)._ev_wallet_pay()  # paid between our last query and the cancel
        tx._ev_alipay_cancel_codepay()
        order = self._sandbox_order(tx)
        self.assertEqual(order.refunded_fen, order.amount_fen, "the cancel gave the buyer the money back")
        self.assertEqual(tx.state, "cancel")
        self.assertIn("returned the money to the buyer", tx.state_message)

    def test_wechat_pay_code_unpaid_after_the_window_is_reversed(self):
        tx = self._codepay(self.wechatpay, WECHAT_CODE)
        self._past_window(tx)
        tx._ev_close_expired_codepay()
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self._sandbox_order(tx).state, "closed", "reversed at WeChat Pay")

    def test_pay_code_answer_lost_is_checking_and_queried_at_once(self):
        proxy = self._through_proxy(self.wechatpay, ["lose_answer"])
        tx = self._codepay(self.wechatpay, WECHAT_CODE)
        self.assertEqual(tx.state, "pending", "no answer is not a failure")
        self.assertEqual([mode for mode, _line in proxy.seen], ["lose_answer", "relay"],
                         "the order was queried by its out_trade_no at once")
        self._waiting_message(tx)
        self._sandbox_order(tx)._ev_wallet_pay()
        tx._ev_query_provider()
        self.assertEqual(tx.state, "done")

    def test_query_answer_lost_too_stays_checking(self):
        proxy = self._through_proxy(self.alipay, ["lose_answer", "lose_answer"])
        tx = self._codepay(self.alipay, ALIPAY_CODE)
        self.assertEqual(len(proxy.seen), 2)
        self.assertEqual(tx.state, "pending")
        self.assertIn("查询中", tx.state_message)
        self._sandbox_order(tx)._ev_wallet_pay()
        tx._ev_query_provider()  # the network is back
        self.assertEqual(tx.state, "done")
        self.assertFalse(tx.state_message)

    def test_qr_order_answer_lost_is_a_clear_error_and_leaves_nothing(self):
        self._through_proxy(self.wechatpay, ["lose_answer"])
        order = self._order(amount=50.0)
        with self.assertRaisesRegex(UserError, "No QR code was shown"), self.env.cr.savepoint():
            self.env["payment.transaction"]._ev_create_qr_transaction(
                self.wechatpay, 50.0, self.env.ref("base.CNY"), self.buyer, order.name,
                sale_order_ids=[Command.set(order.ids)])
        self.assertFalse(order.transaction_ids)

    # === refunds === #

    def _refund(self, tx, amount):
        wizard = self.env["payment.refund.wizard"].with_context(
            active_model="account.payment", active_id=self._payments(tx).id).create({})
        wizard.amount_to_refund = amount
        wizard.action_refund()
        self.env.invalidate_all()
        return tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")

    def _run_refund_cron(self, refund):
        refund.last_state_change = fields.Datetime.now() - datetime.timedelta(minutes=5)
        self.env["payment.transaction"]._cron_ev_query_pending_refunds()
        self.env.invalidate_all()

    def test_wechat_refund_processing_with_lost_callback_is_settled_by_the_cron(self):
        tx = self._paid_tx(100.0, "wechatpay")
        self.env["ir.config_parameter"].sudo().set_param("ev_pay_sandbox.refund_processing", "1")
        refund = self._refund(tx, 40)
        self.assertEqual(refund.state, "pending", "PROCESSING: not refunded yet")
        self.assertFalse(self._deliver(), "the refund callback is lost")
        self._run_refund_cron(refund)
        self.assertEqual(refund.state, "pending", "still processing at the bank")
        self.env["ev.pay.sandbox.order"].sudo()._ev_sandbox_finish_refunds()
        self._run_refund_cron(refund)
        self.assertEqual(refund.state, "done", "the refund query settled it")
        self.assertEqual(self._payments(refund).payment_type, "outbound")
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 4000, "refunded once")

    def test_refund_stuck_over_a_day_is_listed_for_the_accountant(self):
        tx = self._paid_tx(100.0, "wechatpay")
        self.env["ir.config_parameter"].sudo().set_param("ev_pay_sandbox.refund_processing", "1")
        refund = self._refund(tx, 10)
        action = self.env.ref("ev_pay_invoice.payment_transaction_action_ev_refunds")
        self.assertEqual(self.env["ir.ui.menu"].search([("action", "=", "ir.actions.act_window,%s" % action.id)])
                         .name, "Refunds to Check")
        refund.last_state_change = fields.Datetime.now() - datetime.timedelta(days=2)
        stuck = self.env["payment.transaction"].search(
            [("provider_code", "in", ("wechatpay", "alipay")), ("operation", "=", "refund"),
             ("state", "in", ("draft", "pending")),
             ("last_state_change", "<", fields.Date.to_string(fields.Date.today() - datetime.timedelta(days=1)))])
        self.assertIn(refund, stuck)
        self.env["ev.pay.sandbox.order"].sudo()._ev_sandbox_finish_refunds()
        refund.action_ev_check_refund()
        self.assertEqual(refund.state, "done", "the accountant's button asked WeChat Pay and settled it")

    def test_alipay_refund_answer_lost_is_checked_at_once(self):
        tx = self._paid_tx(100.0, "alipay")
        proxy = self._through_proxy(self.alipay, ["lose_answer"])
        refund = self._refund(tx, 30)
        self.assertEqual([line for _mode, line in proxy.seen][:1], ["POST /ev_pay/sandbox/alipay/gateway.do"])
        self.assertEqual(len(proxy.seen), 2, "refund, then alipay.trade.fastpay.refund.query at once")
        self.assertEqual(refund.state, "done", "the refund query found it refunded")
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 3000, "refunded once")
        self.assertEqual(len(self._payments(refund)), 1)

    def test_wechat_refund_never_received_is_sent_again_under_the_same_number(self):
        tx = self._paid_tx(100.0, "wechatpay")
        proxy = self._through_proxy(self.wechatpay, ["swallow"])
        refund = self._refund(tx, 25)
        self.assertEqual(refund.state, "pending", "the answer never came: 查询中, not failed")
        self.assertIn("查询中", refund.state_message)
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 0)
        self._run_refund_cron(refund)  # query: RESOURCE_NOT_EXISTS, so the refund is sent again
        self.assertEqual([mode for mode, _line in proxy.seen], ["swallow", "relay", "relay", "relay"])
        self.assertEqual(refund.state, "done")
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 2500, "refunded once")
