import datetime
from random import randint
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .pos_common import EvPosCommon

WECHAT_PAY_CODE, ALIPAY_PAY_CODE = "134567890123456789", "281234567890123456"


@tagged("post_install", "-at_install")
class TestPosEvPay(EvPosCommon):
    """WeChat Pay / Alipay in the Point of Sale (pos_online_payment's server half), against the sandbox
    simulators over real HTTP: QR paid by callback, pay codes polled until the buyer confirms, cancel, and
    exactly one account.payment per collection once the session is closed."""

    def _open_session(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        return self.main_pos_config.current_session_id

    def _order_vals(self, session, uuid, amount=88.0, qty=1, **values):
        """What the till sends for an order of ``qty`` helmets at ``amount`` in all (its draft by default)."""
        return {
            "amount_paid": 0, "amount_return": 0, "amount_tax": 0, "amount_total": amount,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()), "state": "draft",
            "pricelist_id": self.main_pos_config.pricelist_id.id, "name": f"Order {uuid}", "uuid": uuid,
            "lines": [(0, 0, {"product_id": self.helmet.id, "qty": qty, "price_unit": amount / qty,
                              "price_subtotal": amount, "price_subtotal_incl": amount, "tax_ids": [(6, 0, [])],
                              "pack_lot_ids": [], **values.pop("line", {})})],
            "partner_id": False, "session_id": session.id, "sequence_number": 1, "payment_ids": [],
            "user_id": self.pos_user.id, "to_invoice": False, "last_order_preparation_change": "{}",
            "access_token": f"token-{uuid}", **values,
        }

    def _sync(self, vals):
        uuid = vals["uuid"]  # sync_from_ui takes it out of the values of an existing order
        self.env["pos.order"].with_user(self.pos_user).with_context(generate_pdf=False).sync_from_ui([vals])
        return self.env["pos.order"].with_user(self.pos_user).search([("uuid", "=", uuid)])

    def _draft_order(self, session, amount=88.0, **values):
        """What the till saves before an online payment: the draft order, then the amount to collect."""
        order = self._sync(self._order_vals(session, f"ev-pos-pay-{randint(1, 10**9)}", amount, **values))
        order.get_and_set_online_payments_data(amount)
        return order

    def _txs(self, order):
        self.env.invalidate_all()
        return order.sudo()._ev_pay_transactions()

    def _pos_tour_in_china(self, tour):
        """The tour in a browser whose clock is on Beijing time, as the stores' tills are."""
        original_init = ChromeBrowser.__init__

        def init_in_china(browser, *args, **kwargs):
            original_init(browser, *args, **kwargs)
            browser._websocket_request("Emulation.setTimezoneOverride", params={"timezoneId": "Asia/Shanghai"})

        with patch.object(ChromeBrowser, "__init__", init_in_china):
            self.start_pos_tour(tour)

    def _assert_dated_when_sold(self, order):
        self.assertLess(abs(order.date_order - order.create_date), datetime.timedelta(hours=1),
                        "the sale is dated when it was made (UTC), not by the till's wall clock read as UTC")

    def _close(self, session):
        session.post_closing_cash_details(0)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")

    def _assert_booked_once(self, session, tx):
        """One account.payment for the collection (the transaction's), linked to the POS payment and
        reconciled with the session's receivable line; the session itself books no other payment."""
        payments = self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(self.env["account.payment"].search([("pos_session_id", "=", session.id)]), payments)
        self.assertEqual(tx.pos_order_id.payment_ids.online_account_payment_id, payments)
        receivable = payments.move_id.line_ids.filtered(lambda line: line.account_id == payments.destination_account_id)
        self.assertTrue(receivable.reconciled, "the session's receivable split line is reconciled with it")

    def test_qr_paid_by_callback_booked_once(self):
        session = self._open_session()
        order = self._draft_order(session)
        state = order.ev_pos_create_qr(88.0)
        self.assertEqual([tx["provider_code"] for tx in state["transactions"]], ["wechatpay", "alipay"])
        self.assertTrue(all(tx["qr_content"] for tx in state["transactions"]))
        wechat, alipay = self._txs(order)
        self._wallet_pay(wechat)  # the buyer scans the WeChat QR and pays
        self._deliver()  # WeChat Pay's signed callback reaches the webhook
        self.assertEqual(wechat.state, "done")
        state = order.ev_pos_poll()
        self.assertTrue(state["paid"])
        self.env.invalidate_all()
        self.assertEqual(order.state, "paid")
        self.assertEqual(alipay.state, "cancel", "the other wallet's order is closed")
        # Polled again, or read back after the bus ping: nothing is added twice.
        order.ev_pos_poll()
        order.get_and_set_online_payments_data(False)
        self.assertEqual(len(order.payment_ids), 1)
        self._close(session)
        self._assert_booked_once(session, wechat)

    def test_pay_codes_polled_until_the_buyer_confirms(self):
        session = self._open_session()
        order = self._draft_order(session, amount=120.0)
        with self.assertRaisesRegex(UserError, "not a WeChat Pay or Alipay pay code"), self.env.cr.savepoint():
            order.ev_pos_codepay("123", 120.0)
        self.assertFalse(self._txs(order))
        state = order.ev_pos_codepay(WECHAT_PAY_CODE, 120.0)
        tx = self._txs(order)
        self.assertEqual((tx.provider_code, tx.ev_codepay, tx.state), ("wechatpay", True, "pending"))
        self.assertFalse(state["paid"])
        self._sandbox_order(tx)._ev_wallet_pay()  # the buyer types the wallet password (no callback for codepay)
        tx.ev_last_query_at = fields.Datetime.now() - datetime.timedelta(seconds=10)
        self.assertTrue(order.ev_pos_poll()["paid"], "the poll queried WeChat Pay and found it paid")
        self.assertEqual(tx.state, "done")
        # Alipay trade.pay: 10003 waiting, paid in the wallet, its callback confirms it.
        second = self._draft_order(session, amount=66.0)
        second.ev_pos_codepay(ALIPAY_PAY_CODE, 66.0)
        alipay_tx = self._txs(second)
        self.assertEqual((alipay_tx.provider_code, alipay_tx.state), ("alipay", "pending"))
        self._sandbox_order(alipay_tx)._ev_wallet_pay()
        self._deliver()
        self.assertTrue(second.ev_pos_poll()["paid"])
        self._close(session)
        payments = self.env["account.payment"].search([("pos_session_id", "=", session.id)])
        self.assertEqual(payments, tx.payment_id | alipay_tx.payment_id)

    def test_cancel_closes_the_provider_orders(self):
        session = self._open_session()
        order = self._draft_order(session)
        order.ev_pos_create_qr(88.0)
        order.ev_pos_codepay(WECHAT_PAY_CODE, 88.0)  # the cashier switched to the pay code: QR orders closed
        txs = self._txs(order)
        self.assertEqual(txs.mapped("state"), ["cancel", "cancel", "pending"])
        order.ev_pos_cancel()
        self.assertEqual(self._txs(order).mapped("state"), ["cancel"] * 3)
        self.assertEqual(set(self._sandbox_order(txs[-1]).mapped("state")), {"closed"})
        with self.assertRaisesRegex(UserError, "cannot be collected online"):
            order.ev_pos_create_qr(500.0)

    def test_pos_wechat_qr_tour(self):
        """Chromium on Beijing time: pay a POS order with WeChat Pay (sandbox wallet), the till confirms by
        itself; the order is dated when it was sold; the closed session has exactly one payment booked."""
        session = self._open_session()
        self._pos_tour_in_china("EvPosWechatQrTour")
        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.assertEqual(order.state, "paid")
        self._assert_dated_when_sold(order)
        wechat = self._txs(order).filtered(lambda tx: tx.provider_code == "wechatpay")
        self.assertEqual(wechat.state, "done")
        self._close(session)
        self._assert_booked_once(session, wechat)

    def test_paid_while_the_order_cannot_be_finished(self):
        """The buyer pays while the server cannot finish the order (发票 ticked, no customer yet): the payment is
        recorded and kept on the still-draft order, the till is told why, and the order is finished — invoiced,
        one payment — when the till sends it again with the customer. Nothing is collected twice."""
        session = self._open_session()
        buyer = self.env["res.partner"].create({"name": "POS 发票 Buyer"})
        order = self._draft_order(session, to_invoice=True)
        order.ev_pos_create_qr(88.0)
        wechat, _alipay = self._txs(order)
        self._wallet_pay(wechat)
        self._deliver()
        self.assertEqual(wechat.state, "done")
        state = order.ev_pos_poll()
        self.env.invalidate_all()
        self.assertFalse(state["paid"])
        self.assertTrue(state["unfinished"], state)
        self.assertIn("partner", state["error"])
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.payment_ids.online_account_payment_id, wechat.payment_id, "the payment is kept")
        self.assertTrue(order.payment_ids.uuid, "the till tells the server's payment apart (no double line)")
        self.assertIn("could not be finished", order.message_ids[:1].body)
        self.assertEqual(order.get_and_set_online_payments_data(False)["ev_pos_error"], state["error"])
        # The cashier chooses the customer and presses 验证: the till sends the order, paid. What it might send
        # about the online payment is not applied (the server holds it): its own copy of the line, a line without
        # payment method (an earlier till's blank line: NOT NULL in the database), a deletion of the recorded one.
        recorded = order.payment_ids
        till_line = {"amount": 88.0, "payment_date": fields.Datetime.to_string(fields.Datetime.now()),
                     "payment_status": "done", "uuid": "till-copy"}
        self._sync(self._order_vals(
            session, order.uuid, partner_id=buyer.id, to_invoice=True, state="paid", amount_paid=88.0,
            payment_ids=[(0, 0, {**till_line, "payment_method_id": self.ev_method.id}),
                         (0, 0, {**till_line, "payment_method_id": False, "uuid": "till-blank"}),
                         (2, recorded.id)]))
        self.env.invalidate_all()
        self.assertEqual(order.state, "invoiced")
        self.assertEqual(order.account_move.state, "posted")
        self.assertEqual(order.account_move.partner_id, buyer)
        self.assertFalse(order.ev_pos_error)
        self.assertEqual(order.payment_ids, recorded, "the recorded payment, alone")
        self.assertEqual(len(order.payment_ids), 1)
        self.assertTrue(order.ev_pos_poll()["paid"])
        self._close(session)
        self._assert_booked_once(session, wechat)

    def test_pos_paid_unfinished_tour(self):
        """Chromium, the till in China's time zone: the buyer pays an invoiced sale by WeChat Pay, but the invoice
        cannot be made (the customer's fiscal position books the sale on a closed account). The till keeps the one
        paid line (no blank or duplicate line as the bus pings arrive, none after a reload), says why, and once
        another customer is chosen 验证 finishes the order: invoiced, one payment, one account.payment, dated when
        it was sold."""
        # The customer's fiscal position books the sale on an income account the accountant has closed: the
        # payment is recorded (it books on the receivable), the invoice cannot be made.
        income = self.helmet.product_tmpl_id._get_product_accounts()["income"]
        closed_account = self.env["account.account"].create({
            "name": "Closed income", "code": "700999", "account_type": "income"})
        position = self.env["account.fiscal.position"].create({
            "name": "Closed income position",
            "account_ids": [Command.create({"account_src_id": income.id, "account_dest_id": closed_account.id})],
        })
        closed_account.deprecated = True
        self.main_pos_config.write({"fiscal_position_ids": [Command.link(position.id)]})
        self.env["res.partner"].create({
            "name": "POS Closed Account Buyer", "property_account_position_id": position.id})
        buyer = self.env["res.partner"].create({"name": "POS Invoice Buyer"})
        session = self._open_session()
        self._pos_tour_in_china("EvPosPaidUnfinishedTour")
        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual((order.state, order.partner_id), ("invoiced", buyer))
        self.assertEqual(order.account_move.state, "posted")
        self.assertFalse(order.ev_pos_error)
        wechat = self._txs(order).filtered(lambda tx: tx.provider_code == "wechatpay")
        self.assertEqual(wechat.state, "done")
        self.assertEqual(order.payment_ids.online_account_payment_id, wechat.payment_id)
        self.assertEqual(len(order.payment_ids), 1, "one payment line: the wallet's")
        self._assert_dated_when_sold(order)
        self._close(session)
        self._assert_booked_once(session, wechat)

    def test_refund_to_the_wallet(self):
        """A POS refund of an order paid by WeChat Pay goes back to the wallet through WeChat Pay (partial here:
        one of two helmets); the invoiced order's refund gets its credit note, linked to the refund; the wallet
        payment cannot be refunded beyond what it paid."""
        session = self._open_session()
        buyer = self.env["res.partner"].create({"name": "POS Refund Buyer"})
        order = self._draft_order(session, amount=88.0, qty=2, partner_id=buyer.id, to_invoice=True)
        order.ev_pos_create_qr(88.0)
        wechat, _alipay = self._txs(order)
        self._wallet_pay(wechat)
        self._deliver()
        self.assertTrue(order.ev_pos_poll()["paid"])
        self.env.invalidate_all()
        self.assertEqual(order.state, "invoiced")
        refund = self._sync(self._order_vals(
            session, f"ev-pos-refund-{randint(1, 10**9)}", amount=-44.0, qty=-1, partner_id=buyer.id,
            to_invoice=True, line={"refunded_orderline_id": order.lines.id}))
        with self.assertRaisesRegex(UserError, "not a refund"), self.env.cr.savepoint():
            self._draft_order(session).ev_pos_refund(self.ev_method.id, 10.0)
        state = refund.ev_pos_refund(self.ev_method.id, 44.0)
        self.env.invalidate_all()
        self.assertTrue(state["paid"], state)
        refund_tx = wechat.child_transaction_ids
        self.assertEqual((refund_tx.operation, refund_tx.state, refund_tx.amount), ("refund", "done", -44.0))
        self.assertEqual(self._sandbox_order(wechat).refunded_fen, 4400, "WeChat Pay refunded the buyer")
        self.assertEqual(refund.state, "invoiced")
        credit_note = refund.account_move
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, order.account_move)
        self.assertIn(credit_note, refund_tx.invoice_ids)
        self.assertEqual(refund.payment_ids.online_account_payment_id, refund_tx.payment_id)
        self.assertEqual(refund.payment_ids.amount, -44.0)
        # Pressed again (a double tap, a retry): nothing more is refunded.
        refund.ev_pos_refund(self.ev_method.id, 44.0)
        self.assertEqual(len(wechat.child_transaction_ids), 1)
        self._close(session)
