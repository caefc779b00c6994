"""The till during a pay-code payment of unknown outcome (issue #15 item 3), over real HTTP against the sandbox:
it shows "waiting for the buyer's password" while the buyer types it, and after the window the cancellation
and its reason; a payment made within the window is added to the order once."""
import datetime
from random import randint

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .lossy_proxy import LossyProxy
from .pos_common import EvPosCommon

WECHAT_UNKNOWN_CODE, ALIPAY_UNKNOWN_CODE = "139912345678901234", "289912345678901234"
WECHAT_CODE = "134567890123456789"


@tagged("post_install", "-at_install")
class TestPosCodepayUnknown(EvPosCommon):

    def _draft_order(self, amount=88.0):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        uuid = f"ev-pos-unknown-{randint(1, 10**9)}"
        vals = {
            "amount_paid": 0, "amount_return": 0, "amount_tax": 0, "amount_total": amount,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()), "state": "draft",
            "pricelist_id": self.main_pos_config.pricelist_id.id, "name": f"Order {uuid}", "uuid": uuid,
            "lines": [(0, 0, {"product_id": self.helmet.id, "qty": 1, "price_unit": amount,
                              "price_subtotal": amount, "price_subtotal_incl": amount, "tax_ids": [(6, 0, [])],
                              "pack_lot_ids": []})],
            "partner_id": False, "session_id": session.id, "sequence_number": 1, "payment_ids": [],
            "user_id": self.pos_user.id, "to_invoice": False, "last_order_preparation_change": "{}",
            "access_token": f"token-{uuid}",
        }
        self.env["pos.order"].with_user(self.pos_user).with_context(generate_pdf=False).sync_from_ui([vals])
        order = self.env["pos.order"].with_user(self.pos_user).search([("uuid", "=", uuid)])
        order.get_and_set_online_payments_data(amount)
        return order

    def _tx(self, order):
        self.env.invalidate_all()
        return order.sudo()._ev_pay_transactions()

    def _poll_later(self, tx, seconds):
        """The till polls again ``seconds`` after the payment started."""
        moment = fields.Datetime.now() - datetime.timedelta(seconds=seconds)
        tx.write({"ev_last_query_at": moment, "ev_expires_at": moment + datetime.timedelta(seconds=30)})
        return tx.pos_order_id.ev_pos_poll()

    def test_till_shows_the_password_wait_then_the_cancellation(self):
        order = self._draft_order()
        state = order.ev_pos_codepay(ALIPAY_UNKNOWN_CODE, 88.0)
        [shown] = state["transactions"]
        self.assertEqual((shown["state"], shown["codepay"]), ("pending", True), "unknown, not failed")
        self.assertEqual(shown["message"], "Waiting for the buyer to enter the wallet password.")
        state = self._poll_later(self._tx(order), 10)
        self.assertEqual(state["transactions"][0]["state"], "pending", "still within the 30 s window")
        state = self._poll_later(self._tx(order), 31)
        [shown] = state["transactions"]
        self.assertEqual(shown["state"], "cancel")
        self.assertIn("cancelled", shown["message"])
        self.assertFalse(state["paid"])
        self.assertEqual(self._sandbox_order(self._tx(order)).state, "closed", "cancelled at Alipay")

    def test_paid_within_the_window_is_added_once(self):
        order = self._draft_order(amount=120.0)
        order.ev_pos_codepay(WECHAT_UNKNOWN_CODE, 120.0)
        tx = self._tx(order)
        self.assertEqual(tx.state, "pending")
        self._sandbox_order(tx)._ev_wallet_pay()  # the buyer confirms after the system error
        state = self._poll_later(tx, 20)
        self.assertTrue(state["paid"])
        self.assertEqual(tx.state, "done")
        self._poll_later(tx, 40)  # a later poll past the window cancels nothing
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(order.payment_ids), 1)

    def test_no_second_charge_while_the_first_is_unsettled(self):
        proxy = LossyProxy(self.base_url(), self.canonical_tag, ["relay", "lose_answer"])
        self.addCleanup(proxy.close)
        self.wechatpay.ev_api_base_url = "%s/ev_pay/sandbox/wechatpay" % proxy.url
        order = self._draft_order()
        order.ev_pos_codepay(WECHAT_CODE, 88.0)
        first = self._tx(order)
        # The cashier scans again; the reverse of the first payment gets no answer: it may have been paid.
        with self.assertRaisesRegex(UserError, "still being checked"), self.env.cr.savepoint():
            order.ev_pos_codepay(WECHAT_CODE, 88.0)
        self.assertEqual([mode for mode, _line in proxy.seen], ["relay", "lose_answer"])
        self.assertEqual(self._tx(order), first, "no second charge was sent")
        self.assertEqual(self.env["ev.pay.sandbox.order"].sudo().search_count(
            [("provider_id", "=", self.wechatpay.id), ("amount_fen", "=", 8800), ("ev_codepay", "=", True)]), 1)
