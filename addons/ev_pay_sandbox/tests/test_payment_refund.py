from odoo.tests import Form, tagged

from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvPaymentRefund(EvPaymentCommon):

    def _paid(self, provider_code, amount=100.0):
        order = self._order(amount=amount)
        wechat_tx, alipay_tx = self._collect(order)
        tx = wechat_tx if provider_code == "wechatpay" else alipay_tx
        self._wallet_pay(tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        return order, tx

    def _refund_with_wizard(self, payment, amount):
        wizard = self.env["payment.refund.wizard"].with_context(active_model="account.payment",
                                                                active_id=payment.id).create({})
        wizard.amount_to_refund = amount
        wizard.action_refund()
        self.env.invalidate_all()

    def test_partial_then_full_refund_wechatpay(self):
        order, tx = self._paid("wechatpay")
        payment = self._payments(tx)
        self._refund_with_wizard(payment, 30)
        refund = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(refund.mapped("state"), ["done"])
        self.assertEqual(refund.amount, -30)
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 3000)
        self.assertEqual(self._payments(refund).payment_type, "outbound")
        self.assertEqual(payment.amount_available_for_refund, 70)
        # The simulator's REFUND.SUCCESS callback arrives later: accepted, nothing new.
        delivered = self._deliver()
        self.assertEqual(delivered.mapped("state"), ["delivered"])
        self.assertEqual(len(self._payments(refund)), 1)
        self._refund_with_wizard(payment, 70)
        refunds = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(sorted(refunds.mapped("amount")), [-70, -30])
        self.assertEqual(set(refunds.mapped("state")), {"done"})
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 10000)
        self.assertEqual(payment.amount_available_for_refund, 0)

    def test_full_refund_from_credit_note_alipay(self):
        order, tx = self._paid("alipay", amount=88.8)
        invoice = order.invoice_ids
        reversal = Form(self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids)).save()
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        self.assertEqual(credit_note.ev_refund_source_tx_id, tx)
        credit_note.action_ev_refund_to_wallet()
        self.env.invalidate_all()
        refund = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(refund.state, "done")
        self.assertAlmostEqual(refund.amount, -88.8)
        self.assertEqual(refund.invoice_ids, credit_note)
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 8880)
        self._deliver()  # the simulator's refund notification: nothing new
        self.assertEqual(len(self._payments(refund)), 1)
        self.assertFalse(credit_note.ev_refund_source_tx_id, "nothing left to refund from this credit note")
