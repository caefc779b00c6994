import datetime

from odoo.tests import tagged

from .payment_common import EvPaymentCommon

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


@tagged("post_install", "-at_install")
class TestSettlementSandboxDownload(EvPaymentCommon):
    """The scheduled download against the sandbox: a real collection and partial refund through the simulated
    WeChat Pay, then the day's trade bill fetched over the bill API (signed request, SHA1 checked) and settled."""

    def test_download_match_and_reconcile_a_sandbox_day(self):
        order = self._order(amount=2599.0)
        wechat_tx, _alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertTrue(wechat_tx.payment_id)
        self.assertEqual(wechat_tx.payment_id.outstanding_account_id, self.wechatpay.ev_clearing_account_id)
        wizard = self.env["payment.refund.wizard"].with_context(
            active_model="account.payment", active_id=wechat_tx.payment_id.id).create({})
        wizard.amount_to_refund = 500.0
        wizard.action_refund()
        self.env.invalidate_all()
        refund = wechat_tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(refund.state, "done")

        today = datetime.datetime.now(BEIJING).date()
        imported = self.wechatpay._ev_download_and_import(today)
        trade_bill = imported.filtered(lambda bill: bill.bill_type == "wechat_trade")
        self.assertEqual(len(trade_bill), 1)
        settlement = trade_bill.settlement_id
        self.assertRecordValues(settlement, [{
            "channel": "wechatpay", "date": today, "state": "posted", "payment_count": 1, "refund_count": 1,
            "gross_amount": 2599.0, "refund_amount": 500.0, "fee_amount": 12.59, "net_amount": 2086.41,
        }])
        self.assertEqual(settlement.line_ids.transaction_id, wechat_tx | refund)
        self.assertFalse(settlement.difference_ids.filtered(lambda d: d.kind != "missing"))
        clearing = self.wechatpay.ev_clearing_account_id
        for tx in (wechat_tx, refund):
            lines = tx.payment_id.move_id.line_ids.filtered(lambda line: line.account_id == clearing)
            self.assertTrue(lines.full_reconcile_id, tx.reference)
        # The next run finds the bill imported and fetches nothing.
        self.assertFalse(self.wechatpay._ev_download_and_import(today).filtered(
            lambda bill: bill.bill_type == "wechat_trade"))
