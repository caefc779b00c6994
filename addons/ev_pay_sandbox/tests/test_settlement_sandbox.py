import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..protocols import alipay
from .payment_common import EvPaymentCommon

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def next_morning():
    """10:30 Beijing time tomorrow: today has ended and the platforms have published its bills."""
    tomorrow = datetime.datetime.now(BEIJING).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(10, 30), tzinfo=BEIJING).astimezone(datetime.UTC)


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
        # While the day runs, its bill is neither published nor downloaded (it would be incomplete).
        self.assertFalse(self.wechatpay._ev_download_and_import(today))
        self.assertFalse(self.env["ev.settlement"].search([("provider_id", "=", self.wechatpay.id)]))
        with freeze_time(next_morning()):
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
        with freeze_time(next_morning()):
            self.assertFalse(self.wechatpay._ev_download_and_import(today).filtered(
                lambda bill: bill.bill_type == "wechat_trade"))


@tagged("post_install", "-at_install")
class TestSettlementSandboxBills(EvPaymentCommon):
    """The sandbox serves all three bills of a day: WeChat's trade and fund-flow bills (fees 0.6 %, the T+1
    withdrawal of the previous day's net) and Alipay's zipped GBK trade bill; the daily cron imports them."""

    def _refund(self, tx, amount):
        wizard = self.env["payment.refund.wizard"].with_context(
            active_model="account.payment", active_id=tx.payment_id.id).create({})
        wizard.amount_to_refund = amount
        wizard.action_refund()
        self.env.invalidate_all()
        refund = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund" and t.amount == -amount)
        self.assertEqual(refund.state, "done")
        return refund

    def _to_yesterday(self, tx):
        """The payment happened yesterday, on the platform and in our books."""
        moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(days=1)
        self._sandbox_order(tx).paid_at = moment
        tx.last_state_change = moment

    def test_fundflow_and_alipay_bills_downloaded_by_the_cron(self):
        today = datetime.datetime.now(BEIJING).date()
        yesterday = today - datetime.timedelta(days=1)
        early = self._paid_tx(1000.0, "wechatpay")
        self._to_yesterday(early)
        sale = self._paid_tx(2599.0, "wechatpay")
        refund = self._refund(sale, 500.0)
        ali_sale = self._paid_tx(88.8, "alipay")
        ali_refund = self._refund(ali_sale, 8.8)
        Provider = self.env["payment.provider"]

        # Yesterday's bills: 1000.00, fee 6.00 in both WeChat bills; nothing withdrawn before.
        Provider._cron_ev_download_bills(bill_date=yesterday)
        old = self.env["ev.settlement"].search([("provider_id", "=", self.wechatpay.id), ("date", "=", yesterday)])
        self.assertEqual(sorted(old.bill_ids.mapped("bill_type")), ["wechat_fundflow", "wechat_trade"])
        self.assertRecordValues(old, [{"state": "posted", "gross_amount": 1000.0, "fee_amount": 6.0,
                                       "fund_fee_amount": 6.0, "net_amount": 994.0, "withdrawal_ref": False}])

        # Today's, the next morning: the three bills; the fund-flow bill shows today's fees and the withdrawal of
        # yesterday's 994.
        with freeze_time(next_morning()):
            Provider._cron_ev_download_bills()
        self.assertFalse(self.wechatpay.ev_bill_last_error)
        self.assertFalse(self.alipay.ev_bill_last_error)
        bills = self.env["ev.settlement.bill"].search([("bill_date", "=", today),
                                                       ("provider_id", "in", (self.wechatpay | self.alipay).ids)])
        self.assertEqual(sorted(bills.mapped("bill_type")), ["alipay_trade", "wechat_fundflow", "wechat_trade"])
        wechat = bills.filtered(lambda b: b.bill_type == "wechat_trade").settlement_id
        self.assertRecordValues(wechat, [{
            "state": "posted", "payment_count": 1, "refund_count": 1, "gross_amount": 2599.0, "refund_amount": 500.0,
            "fee_amount": 12.59, "fund_fee_amount": 12.59, "net_amount": 2086.41,
        }])
        self.assertEqual(bills.filtered(lambda b: b.bill_type == "wechat_fundflow").settlement_id, wechat)
        self.assertFalse(wechat.difference_ids.filtered(lambda d: d.kind != "missing"))
        self.assertTrue(old.withdrawal_ref.startswith("WD"))
        self.assertEqual(old.withdrawal_date, today)
        fund_lines = wechat.fund_line_ids
        self.assertEqual(round(sum(fund_lines.mapped("flow_amount")), 2), round(2086.41 - 994.0, 2))
        alipay = bills.filtered(lambda b: b.bill_type == "alipay_trade").settlement_id
        # 88.80 - 8.80 - (0.53 - 0.05)
        self.assertRecordValues(alipay, [{
            "channel": "alipay", "state": "posted", "gross_amount": 88.8, "refund_amount": 8.8, "fee_amount": 0.48,
            "net_amount": 79.52,
        }])
        self.assertEqual(alipay.line_ids.transaction_id, ali_sale | ali_refund)
        self.assertEqual(wechat.line_ids.transaction_id, sale | refund)
        for tx in (early, sale, refund, ali_sale, ali_refund):
            lines = tx.payment_id.move_id.line_ids.filtered(
                lambda line, tx=tx: line.account_id == tx.provider_id.ev_clearing_account_id)
            self.assertTrue(lines.full_reconcile_id, tx.reference)
        # A second run finds everything imported and fetches nothing.
        with freeze_time(next_morning()):
            self.assertFalse(self.alipay._ev_download_and_import(today))
            self.assertFalse(self.wechatpay._ev_download_and_import(today))

    def test_download_wizard_by_day_and_late_rows_the_next_morning(self):
        today = datetime.datetime.now(BEIJING).date()
        yesterday = today - datetime.timedelta(days=1)
        early = self._paid_tx(1000.0, "wechatpay")
        self._to_yesterday(early)
        Wizard = self.env["ev.settlement.download.wizard"]
        # Today has not ended: refused, nothing fetched.
        with self.assertRaisesRegex(UserError, "has not ended"):
            Wizard.create({"provider_ids": self.wechatpay.ids, "date_from": today, "date_to": today}).action_download()
        # The day before yesterday (no trade) and yesterday.
        wizard = Wizard.create({"provider_ids": self.wechatpay.ids, "date_from": yesterday - datetime.timedelta(days=1),
                                "date_to": yesterday})
        wizard.action_download()
        settlements = self.env["ev.settlement"].search([("provider_id", "=", self.wechatpay.id)])
        self.assertEqual(settlements.mapped("date"), [yesterday], "a day without trade leaves no settlement")
        self.assertRecordValues(settlements, [{"state": "posted", "gross_amount": 1000.0}])
        self.assertIn("1 new lines", wizard.result)
        self.assertTrue(self.env["ev.settlement.bill"].search_count([
            ("provider_id", "=", self.wechatpay.id), ("bill_date", "=", yesterday - datetime.timedelta(days=1)),
            ("settlement_id", "=", False)]), "the empty day is recorded as downloaded")
        entry = settlements.move_id
        # A payment of yesterday the platform published late: the next morning's run downloads yesterday again
        # and books it as an adjustment.
        late = self._paid_tx(500.0, "wechatpay")
        self._to_yesterday(late)
        with freeze_time(next_morning()):
            self.env["payment.provider"]._cron_ev_download_bills()
        self.assertRecordValues(settlements, [{"state": "posted", "gross_amount": 1500.0, "move_id": entry.id}])
        self.assertEqual(len(settlements.move_ids), 2)
        self.assertIn(late, settlements.line_ids.transaction_id)

    def test_bill_api_refusals(self):
        sandbox = self.env["ev.pay.sandbox.order"].sudo()
        with self.assertRaisesRegex(Exception, "bill_date"):
            sandbox._ev_wechatpay_route(self.wechatpay, "GET", "/v3/bill/fundflowbill?bill_date=yesterday", b"")
        params = alipay.bill_download_url_params(self.alipay._ev_alipay_app(), "2025-01", bill_type="trade")
        with self.assertRaisesRegex(Exception, "isv.invalid-bill-date"):
            self.alipay._ev_alipay_call(params)
        # The file behind an unknown token is not there.
        self.assertEqual(self.url_open("/ev_pay/sandbox/alipay/downloadBillFile.resource?token=nope").status_code,
                         404)
