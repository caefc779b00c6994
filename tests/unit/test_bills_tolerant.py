"""Tolerant bill reading (bills.md#tolerant-reading): what is well-formed but new is read past and reported, never
a failed day; and Alipay's account detail bill (bills.md#alipay-account-bill). Real-format samples with synthetic
values, see fixtures/README.md."""
import pathlib
from decimal import Decimal as D

import pytest

from protocols import bills
from protocols.bills import BillFormatError, Channel, FlowDirection, NoticeKind, TradeKind

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_wechat_row_of_a_new_trade_state_is_kept_as_unrecognised_with_its_row():
    bill = bills.parse_wechat_trade_bill(fixture("wechat_tradebill_unknown_state.csv"))
    assert [line.kind for line in bill.lines] == [TradeKind.PAYMENT] * 3 + [TradeKind.REFUND, TradeKind.UNRECOGNISED]
    frozen = bill.lines[-1]
    assert (frozen.status, frozen.out_trade_no, frozen.transaction_id) == (
        "FROZEN", "EV20261008000004", "4200002345202610081234567804")
    # No amount of its own (its meaning is unknown): the known lines' totals are as before.
    assert (frozen.gross_amount, frozen.refund_amount, frozen.fee) == (0, 0, 0)
    assert frozen.raw["应结订单金额"] == "1999.00" and frozen.raw["商品名称"] == "新日电动自行车XC1"
    assert bill.summary.gross_total == D("5987.00") and bill.summary.fee_total == D("34.12200")
    assert bill.summary.reported["总交易单数"] == 5  # the summary, which counts the row, was checked
    [notice] = bill.notices
    assert notice.kind is NoticeKind.ROW_KIND and notice.line_no == 6 and notice.raw is frozen.raw
    assert "交易状态 'FROZEN'" in notice.message and "unrecognised" in notice.message


def test_a_damaged_total_is_still_refused_when_a_row_is_unrecognised():
    data = fixture("wechat_tradebill_unknown_state.csv").replace(b"`5,`7986.00", b"`5,`7987.00")
    with pytest.raises(BillFormatError, match="应结订单总金额"):
        bills.parse_wechat_trade_bill(data)


def test_wechat_new_header_column_and_new_summary_total_are_reported_not_refused():
    bill = bills.parse_wechat_trade_bill(fixture("wechat_tradebill_new_columns.csv"))
    assert len(bill.lines) == 4 and bill.lines[0].raw["优惠标记"] == ""
    assert bill.summary.fee_total == D("34.12200")
    by_kind = {notice.kind: notice for notice in bill.notices}
    assert set(by_kind) == {NoticeKind.NEW_COLUMNS, NoticeKind.SUMMARY_COLUMNS}
    assert by_kind[NoticeKind.NEW_COLUMNS].line_no == 1
    assert "new column(s) 优惠标记" in by_kind[NoticeKind.NEW_COLUMNS].message
    assert "优惠券退款总金额" in by_kind[NoticeKind.SUMMARY_COLUMNS].message
    assert by_kind[NoticeKind.SUMMARY_COLUMNS].line_no == 7


def test_documented_layouts_give_no_notice():
    for name in ("wechat_tradebill_all_doc_sample.csv", "wechat_tradebill_all_ebike.csv"):
        assert bills.parse_wechat_trade_bill(fixture(name)).notices == ()
    assert bills.parse_alipay_trade_bill(fixture("alipay_trade_detail_doc_sample.csv")).notices == ()
    assert bills.parse_wechat_fundflow_bill(fixture("wechat_fundflow_doc_sample.csv")).notices == ()


def test_renamed_required_column_says_what_changed():
    data = fixture("wechat_tradebill_all_ebike.csv").decode().replace("手续费,费率", "手续费(元),费率", 1).encode()
    with pytest.raises(BillFormatError, match=r"missing column\(s\) 手续费, new column\(s\) 手续费\(元\)") as error:
        bills.parse_wechat_trade_bill(data)
    assert error.value.line_no == 1


def test_alipay_business_type_other_than_trade_or_refund_is_unrecognised():
    bill = bills.parse_alipay_trade_bill(fixture("alipay_trade_unknown_business.csv"))
    unrecognised = [line for line in bill.lines if line.kind is TradeKind.UNRECOGNISED]
    assert len(unrecognised) == 1
    [split] = unrecognised
    assert split.status == "分账" and split.raw["业务类型"] == "分账" and split.gross_amount == 0
    assert split.trade_time.hour == 19
    assert bill.summary.payment_count == 6 and bill.summary.refund_count == 4  # the footer's counts, checked
    [notice] = bill.notices
    assert notice.kind is NoticeKind.ROW_KIND and "业务类型 '分账'" in notice.message


def test_alipay_account_detail_bill_reads_fees_refunds_and_withdrawals():
    bill = bills.parse_alipay_account_bill(fixture("alipay_account_detail.csv"))
    assert bill.channel is Channel.ALIPAY and bill.partner_id == "2088021109625633"
    assert bill.period_start.date().isoformat() == "2026-10-08"
    assert [line.business_type for line in bill.lines] == [
        "在线支付", "收费", "在线支付", "收费", "交易退款", "收费", "提现"]
    fees = [line.signed_amount for line in bill.lines if line.business_type == "收费"]
    assert fees == [D("-19.79"), D("-15.59"), D("1.80")]
    withdrawal = bill.lines[-1]
    assert withdrawal.direction is FlowDirection.EXPENSE and withdrawal.amount == D("4800.00")
    assert withdrawal.flow_id == "20261008110010010007"  # the tab after the identifier is gone
    assert bill.lines[0].voucher_no == "EV20261008A00001"
    assert bill.summary == bills.FundFlowSummary(7, 3, D("5899.80"), 4, D("5135.38"))
    assert sum(line.signed_amount for line in bill.lines) == bill.lines[-1].balance - D("10000.00")


@pytest.mark.parametrize("old, new, fragment", [
    ("#收入合计：3笔", "#收入合计：4笔", "收入合计笔数"),
    ("共5899.80元", "共5899.81元", "收入合计金额"),
    ("#支出合计：4笔，共-5135.38元", "#支出合计：4笔，共-5135.39元", "支出合计金额"),
    ("账务明细列表结束", "账务明细列表", "truncated"),
    ("-4800.00", "-48x0.00", "支出金额"),
])
def test_alipay_account_detail_problems_are_refused(old, new, fragment):
    text = fixture("alipay_account_detail.csv").decode("gb18030")
    assert old in text
    with pytest.raises(BillFormatError, match=fragment):
        bills.parse_alipay_account_bill(text.replace(old, new, 1).encode("gb18030"))
