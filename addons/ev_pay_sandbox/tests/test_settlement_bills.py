import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.ev_pay_invoice.protocols import bills

from .common_settlement import SettlementCommon
from .payment_common import EvPaymentCommon

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def next_morning():
    """10:30 Beijing time tomorrow: today has ended and the platforms have published its bills."""
    tomorrow = datetime.datetime.now(BEIJING).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(10, 30), tzinfo=BEIJING).astimezone(datetime.UTC)


@tagged("post_install", "-at_install")
class TestSettlementTolerantBills(SettlementCommon):
    """What live platforms add to their bills (docs/protocols/bills.md#tolerant-reading) never fails the day: an
    unknown row is kept as printed and listed for the accountant, a layout change is noted, the rest is settled."""

    def _with_frozen_row_and_new_columns(self, data, reference):
        """The bill with the row of ``reference`` in a trade state WeChat may add (FROZEN), a new column in the
        header and the rows, and a new total in the summary (all the totals still add up)."""
        lines = data.decode().splitlines()
        summary_at = next(i for i, line in enumerate(lines) if line.startswith("总交易单"))
        rows = [line.replace("`SUCCESS,", "`FROZEN,") if reference in line else line
                for line in lines[1:summary_at]]
        return "\r\n".join([lines[0] + ",优惠标记"] + [row + ",`" for row in rows] + [
            lines[summary_at] + ",优惠券退款总金额", lines[summary_at + 1] + ",`0.00"]).encode()

    def test_unknown_row_kind_and_new_columns_are_imported_and_listed_with_what_to_do(self):
        sale = self.paid_tx(self.wechat, 1000.0)
        frozen = {"sp_appid": self.wechat.wechatpay_appid, "sp_mchid": self.wechat.wechatpay_mchid,
                  "sub_mchid": self.wechat.wechatpay_sub_mchid, "transaction_id": "4200009999202510010000000001",
                  "out_trade_no": "RISK-0001", "trade_state": "SUCCESS",
                  "success_time": "%sT15:00:00+08:00" % self.day.isoformat(),
                  "amount": {"total": 59900, "currency": "CNY"}, "description": "电动自行车"}
        data = self._with_frozen_row_and_new_columns(self.wechat_bill([sale], extra=[frozen]), "RISK-0001")
        bill, created = self.import_bill(self.wechat, data)
        self.assertTrue(created)
        settlement = bill.settlement_id
        # The day is settled on what is known: the frozen row adds no amount, the sale is matched and posted.
        self.assertRecordValues(settlement, [{"state": "posted", "payment_count": 1, "gross_amount": 1000.0,
                                              "fee_amount": 6.0, "net_amount": 994.0}])
        unrecognised = settlement.line_ids.filtered(lambda ln: ln.kind == "unrecognised")
        self.assertEqual(len(unrecognised), 1)
        self.assertEqual((unrecognised.out_trade_no, unrecognised.gross_amount, unrecognised.match_state),
                         ("RISK-0001", 0.0, "none"))
        self.assertIn("交易状态: FROZEN", unrecognised.raw_row)
        self.assertIn("应结订单金额: 599.00", unrecognised.raw_row)
        self.assertIn("优惠标记", bill.layout_notes)
        self.assertIn("优惠券退款总金额", bill.layout_notes)
        differences = settlement.difference_ids
        self.assertEqual(sorted(differences.mapped("kind")), ["bill_layout", "unrecognised"])
        row = differences.filtered(lambda d: d.kind == "unrecognised")
        self.assertEqual((row.reference, row.line_id, row.state), ("RISK-0001", unrecognised, "open"))
        self.assertIn("交易状态: FROZEN", row.detail)
        self.assertIn("merchant platform", row.advice)
        layout = differences.filtered(lambda d: d.kind == "bill_layout")
        self.assertEqual((layout.bill_id, layout.detail), (bill, bill.layout_notes))
        self.assertTrue(layout.advice)
        # The sale's clearing line is reconciled by the settlement entry, the frozen row is not booked.
        self.assertTrue(self.clearing_lines(sale).reconciled)
        self.assertEqual(settlement.move_id.line_ids.filtered(
            lambda ln: ln.ev_settlement_role == "collections").credit, 1000.0)
        # Once the accountant has dealt with it, it stays resolved; importing the same rows again adds nothing.
        row.action_resolve()
        settlement._ev_compute_differences()
        self.assertEqual(settlement.difference_ids.filtered(lambda d: d.kind == "unrecognised").state, "resolved")
        again, created = self.import_bill(self.wechat, data.replace(b"\r\n", b"\n"), name="again.csv")
        self.assertTrue(created)
        self.assertEqual(again.new_line_count, 0)
        self.assertEqual(len(settlement.line_ids.filtered(lambda ln: ln.kind == "unrecognised")), 1)

    def test_changed_required_column_names_what_changed_and_imports_nothing(self):
        sale = self.paid_tx(self.wechat, 1000.0)
        data = self.wechat_bill([sale]).decode().replace("手续费,费率", "手续费(元),费率", 1).encode()
        with self.assertRaisesRegex(Exception, r"手续费\(元\)") as error:
            self.import_bill(self.wechat, data)
        self.assertIn("手续费", str(error.exception))
        self.assertFalse(self.env["ev.settlement.bill"].search([("provider_id", "=", self.wechat.id)]))

    def _alipay_account_bill(self, movements, day):
        """An Alipay 账务明细 (signcustomer) CSV in its real layout (GBK, tabs after the identifiers)."""
        header = ("账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,"
                  "账户余额（元）,交易渠道,业务类型,备注")
        balance, rows = 0.0, []
        for flow_no, business_no, out_trade_no, moment, amount, business_type in movements:
            balance += amount
            rows.append(",".join([flow_no + "\t", business_no + "\t", out_trade_no + "\t", "电动自行车", moment, "",
                                  "%.2f" % amount if amount > 0 else "", "%.2f" % amount if amount < 0 else "",
                                  "%.2f" % balance, "支付宝", business_type, ""]))
        start = day.strftime("%Y年%m月%d日")
        end = (day + datetime.timedelta(days=1)).strftime("%Y年%m月%d日")
        text = "\r\n".join([
            "#支付宝账务明细查询", "#账号：[20880000000000020156]",
            "#起始日期：[%s 00:00:00]   终止日期：[%s 00:00:00]" % (start, end),
            "#-----------------------------------------账务明细列表----------------------------------------",
            header] + rows + [
            "#-----------------------------------------账务明细列表结束------------------------------------",
            "#导出时间：[%s 10:31:07]" % end]) + "\r\n"
        return text.encode("gb18030")

    def test_alipay_account_detail_bill_gives_fees_and_withdrawal(self):
        sale = self.paid_tx(self.alipay, 1000.0)
        bill, _created = self.import_bill(self.alipay, self.alipay_bill([sale]), name="trade.zip")
        settlement = bill.settlement_id
        self.assertEqual((settlement.fee_amount, settlement.net_amount), (6.0, 994.0))
        moment = "%s 12:00:00" % self.day
        account, _created = self.import_bill(self.alipay, self._alipay_account_bill([
            ("A1", sale.provider_reference, sale.reference, moment, 1000.0, "在线支付"),
            ("A2", sale.provider_reference, sale.reference, moment, -6.0, "收费"),
        ], self.day), name="account.csv")
        self.assertEqual(account.bill_type, "alipay_fundflow")
        self.assertEqual(account.settlement_id, settlement)
        self.assertEqual(settlement.fund_fee_amount, 6.0)
        self.assertEqual(sorted(settlement.fund_line_ids.mapped("flow_amount")), [-6.0, 1000.0])
        self.assertFalse(settlement.difference_ids.filtered(lambda d: d.kind == "fee"))
        next_day = self.day + datetime.timedelta(days=1)
        self.import_bill(self.alipay, self._alipay_account_bill([
            ("A3", "20251001200040011100660000012345", "", "%s 06:00:00" % next_day, -994.0, "提现"),
        ], next_day), name="account2.csv")
        self.assertEqual((settlement.withdrawal_ref, settlement.withdrawal_date),
                         ("20251001200040011100660000012345", next_day))


@tagged("post_install", "-at_install")
class TestSubMerchantFundFlowBill(EvPaymentCommon):
    """Service-provider mode downloads the dealer's own fund-flow bill (/v3/bill/sub-merchant-fundflowbill, files
    encrypted for our merchant key) from the sandbox; direct mode keeps the merchant's own bill."""

    def _sub_bill_links(self):
        return self.env["ir.config_parameter"].sudo().search_count(
            [("key", "like", "ev_pay_invoice.sandbox_sub_bill.")])

    def test_partner_mode_reads_the_sub_merchants_encrypted_bill_and_direct_mode_its_own(self):
        self.assertEqual(self.wechatpay.wechatpay_mode, "partner")
        order = self._order(amount=1000.0)
        wechat_tx, _alipay_tx = self._collect(order)
        self._wallet_pay(wechat_tx)
        self._deliver()
        self.env.invalidate_all()
        self.assertEqual(wechat_tx.state, "done")
        today = datetime.datetime.now(BEIJING).date()
        links = self._sub_bill_links()
        with freeze_time(next_morning()):
            data = self.wechatpay._ev_download_bill("wechat_fundflow", today)
        self.assertEqual(self._sub_bill_links(), links + 1, "the encrypted sub-merchant bill was served")
        bill = bills.parse_wechat_fundflow_bill(data)
        movements = {(line.business_type, line.signed_amount) for line in bill.lines}
        self.assertEqual(movements, {("交易", 1000), ("扣除交易手续费", -6)})
        self.assertEqual({line.business_id for line in bill.lines}, {wechat_tx.provider_reference})
        # Imported, it gives the day's fees from the dealer's own account.
        with freeze_time(next_morning()):
            imported = self.wechatpay._ev_download_and_import(today)
        self.assertEqual(self._sub_bill_links(), links + 2)
        settlement = imported.settlement_id
        self.assertEqual(sorted(imported.mapped("bill_type")), ["wechat_fundflow", "wechat_trade"])
        self.assertEqual((settlement.fee_amount, settlement.fund_fee_amount), (6.0, 6.0))
        self.assertFalse(settlement.difference_ids.filtered(lambda d: d.kind == "fee"))

        self.wechatpay.write({"wechatpay_mode": "direct"})
        with freeze_time(next_morning()):
            data = self.wechatpay._ev_download_bill("wechat_fundflow", today)
        self.assertEqual(self._sub_bill_links(), links + 2, "direct mode asks for its own bill, not a sub-merchant's")
        self.assertEqual(bills.parse_wechat_fundflow_bill(data).summary.line_count, 2)
