"""Settlement bill parsers (protocols.bills), against bills.md#wechat-pay-trade-bill, bills.md#wechat-pay-fund-flow-bill
and bills.md#alipay-bills of docs/protocols/.

The fixtures reproduce the official sample lines (see fixtures/README.md for what is verbatim and what is made up).
"""
import codecs
import gzip
import hashlib
import io
import pathlib
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from protocols import bills
from protocols.bills import BillFormatError, Channel, FlowDirection, TradeKind

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
BEIJING = timezone(timedelta(hours=8))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


WECHAT_DOC = fixture("wechat_tradebill_all_doc_sample.csv")
WECHAT_EBIKE = fixture("wechat_tradebill_all_ebike.csv")
FUNDFLOW_DOC = fixture("wechat_fundflow_doc_sample.csv")
ALIPAY_DOC = fixture("alipay_trade_detail_doc_sample.csv")


def edit(data: bytes, old: str, new: str, encoding: str = "utf-8") -> bytes:
    text = data.decode(encoding)
    assert old in text, old
    return text.replace(old, new, 1).encode(encoding)


def without_last_lines(data: bytes, count: int, encoding: str = "utf-8") -> bytes:
    lines = data.decode(encoding).splitlines(keepends=True)
    return "".join(lines[:-count]).encode(encoding)


# ------------------------------------------------------------------------------------------- WeChat trade bill
def test_doc_sample_row_is_parsed_field_by_field():
    bill = bills.parse_wechat_trade_bill(WECHAT_DOC)
    first = bill.lines[0]
    assert first == bills.TradeLine(
        channel=Channel.WECHAT, line_no=2, kind=TradeKind.PAYMENT,
        trade_time=datetime(2022, 3, 21, 13, 51, 31, tzinfo=BEIJING),
        transaction_id="420000612032130748613220688", out_trade_no="2021WERUN1647840687637",
        gross_amount=D("0.01"), refund_amount=D("0.00"), fee=D("0.00000"), order_amount=D("0.01"),
        refund_id=None, out_refund_no=None,  # printed as `0 on a payment row
        sub_merchant_id="176531292", status="SUCCESS", fee_rate="0.90%", goods_name="微信云托管支付测试")
    assert first.raw["公众账号ID"] == "wxfdc955f7104ad557" and first.raw["费率备注"] == ""


def test_every_column_of_a_row_is_kept_as_printed():
    text = WECHAT_DOC.decode("utf-8")
    header = [name.strip() for name in text.splitlines()[0].split(",")]
    printed = [value.strip() for value in text.splitlines()[1][1:].split(",`")]
    first = bills.parse_wechat_trade_bill(WECHAT_DOC).lines[0]
    assert dict(first.raw) == dict(zip(header, printed))
    assert list(first.raw) == header and len(first.raw) == len(header)
    assert first.raw.get("no such column", "-") == "-"


def test_doc_sample_summary_is_checked_and_reported():
    bill = bills.parse_wechat_trade_bill(WECHAT_DOC)
    summary = bill.summary
    assert (summary.line_count, summary.payment_count, summary.refund_count) == (12, 6, 6)
    assert summary.reported == {"总交易单数": D(12), "应结订单总金额": D("0.06"), "退款总金额": D("0.06"),
                                "充值券退款总金额": D("0.00"), "手续费总金额": D("0.00000"), "订单总金额": D("0.06"),
                                "申请退款总金额": D("0.06")}
    assert (summary.gross_total, summary.refund_total, summary.net_total) == (D("0.06"), D("0.06"), D("0"))
    refund = bill.lines[6]
    assert refund.kind is TradeKind.REFUND and refund.status == "REFUND"
    assert refund.transaction_id == bill.lines[0].transaction_id  # the original payment's id
    assert (refund.gross_amount, refund.refund_amount) == (D("0.00"), D("0.01"))
    assert refund.refund_id == "5030030905202203211823756000"
    assert refund.out_refund_no == "RF2021WERUN1647840687637"


def test_fees_refunds_and_commas_in_goods_names():
    bill = bills.parse_wechat_trade_bill(WECHAT_EBIKE)
    sale, _, charger, refund = bill.lines
    assert sale.goods_name == "雅迪冠能E9,含电池充电器"  # a comma inside a value survives the split
    assert (sale.gross_amount, sale.fee, sale.net_amount) == (D("3299.00"), D("19.79400"), D("3279.20600"))
    assert charger.fee_rate == "0.60%"
    assert (refund.kind, refund.refund_amount, refund.fee) == (TradeKind.REFUND, D("300.00"), D("-1.80000"))
    assert refund.net_amount == D("-298.20000")  # the fee share comes back with the refund
    assert bill.summary.fee_total == D("34.12200") == bill.summary.reported["手续费总金额"]
    assert bill.summary.net_total == D("5987.00") - D("300.00") - D("34.12200")


def test_encodings_line_endings_gzip_and_hash():
    reference = bills.parse_wechat_trade_bill(WECHAT_EBIKE)
    for variant in (codecs.BOM_UTF8 + WECHAT_EBIKE, WECHAT_EBIKE.replace(b"\n", b"\r\n"),
                    WECHAT_EBIKE.decode().encode("gb18030"), gzip.compress(WECHAT_EBIKE)):
        assert bills.parse_wechat_trade_bill(variant).lines == reference.lines
    sha1 = hashlib.sha1(WECHAT_EBIKE).hexdigest()
    assert bills.parse_wechat_trade_bill(gzip.compress(WECHAT_EBIKE), sha1=sha1.upper()).summary == reference.summary
    with pytest.raises(BillFormatError, match="SHA1"):
        bills.parse_wechat_trade_bill(WECHAT_EBIKE, sha1="0" * 40)
    with pytest.raises(BillFormatError, match="gzip"):
        bills.parse_wechat_trade_bill(gzip.compress(WECHAT_EBIKE)[:-20])


@pytest.mark.parametrize("cut", [1, 2])
def test_missing_summary_means_truncated(cut):
    with pytest.raises(BillFormatError, match="truncated"):
        bills.parse_wechat_trade_bill(without_last_lines(WECHAT_DOC, cut))


def test_file_cut_inside_a_row_is_refused_with_its_line_number():
    text = WECHAT_DOC.decode()
    cut = text[: text.index("`2022-03-21 20:12:00") + 60]
    with pytest.raises(BillFormatError) as error:
        bills.parse_wechat_trade_bill(cut.encode())
    assert error.value.line_no == 10 and "values" in str(error.value)


@pytest.mark.parametrize("old, new, fragment", [
    ("`12,`0.06,`0.06", "`12,`0.07,`0.06", "应结订单总金额 is 0.07 but the lines add up to 0.06"),
    ("`12,`0.06,`0.06", "`11,`0.06,`0.06", "the summary says 总交易单数 is 11 but the lines add up to 12"),
    ("`0.00000,`0.06,`0.06", "`0.00001,`0.06,`0.06", "手续费总金额"),
    ("`0.90%,`0.00,`0.01,`", "`0.90%,`0.00,`0.02,`", "申请退款总金额 is 0.06 but the lines add up to 0.07"),
])
def test_summary_mismatch_is_refused(old, new, fragment):
    with pytest.raises(BillFormatError, match=fragment) as error:
        bills.parse_wechat_trade_bill(edit(WECHAT_DOC, old, new))
    assert error.value.line_no == 15


@pytest.mark.parametrize("old, new, fragment, line_no", [
    ("`0.01,`0.00,`0,`0,", "`0.0x,`0.00,`0,`0,", "应结订单金额 '0.0x' is not an amount", 2),
    ("`2022-03-21 13:51:31,", "`2022-03-21,", "交易时间", 2),
    ("`2022-03-21 13:51:31,", "2022-03-21 13:51:31,", "backtick", 2),
    ("`微信云托管支付测试,`,", "`微信云托管支付测试,", "values, the header has 27", 2),
    ("交易时间,公众账号ID", "时间,公众账号ID", "missing column(s) 交易时间, new column(s) 时间", 1),
])
def test_malformed_lines_are_refused_with_their_line_number(old, new, fragment, line_no):
    with pytest.raises(BillFormatError, match=fragment.replace("(", r"\(").replace(")", r"\)")) as error:
        bills.parse_wechat_trade_bill(edit(WECHAT_DOC, old, new))
    assert error.value.line_no == line_no
    assert str(error.value).startswith(f"line {line_no}: ")


def test_content_after_the_totals_and_empty_files_are_refused():
    with pytest.raises(BillFormatError, match="after the totals"):
        bills.parse_wechat_trade_bill(WECHAT_DOC + b"`1,`2\r\n")
    with pytest.raises(BillFormatError, match="empty"):
        bills.parse_wechat_trade_bill(b"\r\n\r\n")
    with pytest.raises(BillFormatError, match="neither UTF-8 nor GBK"):
        bills.parse_wechat_trade_bill(b"\x81\x20\xff" * 10)


def test_success_bill_layout_is_read_by_column_name():
    """The SUCCESS bill drops the refund columns (bills.md#wechat-pay-trade-bill); the parser reads columns by name, not
    position."""
    text = WECHAT_EBIKE.decode().splitlines()
    header = text[0].split(",")
    keep = [i for i, name in enumerate(header) if name in (
        "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型",
        "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "商品名称", "商户数据包", "手续费", "费率",
        "订单金额", "费率备注")]
    rows = [",".join(header[i] for i in keep)]
    for line in text[1:4]:
        values = line[1:].split(",`")
        rows.append("`" + ",`".join(values[i] for i in keep))
    rows += ["总交易单数,应结订单总金额,手续费总金额,订单总金额", "`3,`5987.00,`35.92200,`5987.00"]
    bill = bills.parse_wechat_trade_bill("\n".join(rows).encode())
    assert len(bill.lines) == 3 and all(line.refund_amount == 0 for line in bill.lines)
    assert len(rows[0].split(",")) == 20


# ---------------------------------------------------------------------------------------------- WeChat fund bill
def test_fund_flow_doc_sample():
    bill = bills.parse_wechat_fundflow_bill(FUNDFLOW_DOC)
    assert bill.summary == bills.FundFlowSummary(20, 17, D("0.35"), 3, D("0.18"))
    last = bill.lines[-1]
    assert last == bills.FundFlowLine(
        line_no=21, booked_at=datetime(2018, 2, 1, 4, 21, 23, tzinfo=BEIJING),
        business_id="50000305742018020103387128253", flow_id="1900009231201802015884652186", business_name="退款",
        business_type="退款", direction=FlowDirection.EXPENSE, amount=D("0.02"), balance=D("0.17"),
        applicant="system", remark="缺货", voucher_no="REF4200000068201801293084726067")
    assert last.signed_amount == D("-0.02")
    assert sum(line.signed_amount for line in bill.lines) == last.balance  # the day started at 0.00
    assert {line.business_type for line in bill.lines} == {"交易", "扣除交易手续费", "退款"}


def test_fund_flow_accepts_full_width_brackets_in_the_header():
    data = edit(FUNDFLOW_DOC, "收支金额(元),账户结余(元)", "收支金额（元）,账户结余（元）")
    assert bills.parse_wechat_fundflow_bill(data).summary.income_total == D("0.35")


@pytest.mark.parametrize("old, new, fragment", [
    ("`20.0,`17.0,`0.35", "`20.0,`17.0,`0.36", "收入金额"),
    ("`20.0,`17.0,`0.35,`3.0,`0.18", "`20.0,`17.0,`0.35,`3.0,`0.19", "支出金额"),
    ("`20.0,`17.0", "`21.0,`17.0", "资金流水总笔数"),
    ("`20.0,`17.0", "`20.5,`17.0", "not a count"),
    ("`支出,`0.02,`0.17", "`转出,`0.02,`0.17", "neither 收入 nor 支出"),
    ("`支出,`0.02,`0.17", "`支出,`-0.02,`0.17", "negative"),
])
def test_fund_flow_problems(old, new, fragment):
    with pytest.raises(BillFormatError, match=fragment):
        bills.parse_wechat_fundflow_bill(edit(FUNDFLOW_DOC, old, new))


def test_fund_flow_truncated():
    with pytest.raises(BillFormatError, match="truncated"):
        bills.parse_wechat_fundflow_bill(without_last_lines(FUNDFLOW_DOC, 2))
    with pytest.raises(BillFormatError, match="truncated"):
        bills.parse_wechat_fundflow_bill(without_last_lines(FUNDFLOW_DOC, 1))


# ------------------------------------------------------------------------------------------- Alipay detail bill
def test_alipay_doc_sample_in_gbk():
    assert ALIPAY_DOC.startswith("#支付宝业务明细查询".encode("gbk"))  # the fixture really is GBK
    bill = bills.parse_alipay_trade_bill(ALIPAY_DOC)
    assert bill.channel is Channel.ALIPAY
    assert (bill.account, bill.partner_id) == ("20880211096256330156", "2088021109625633")
    assert (bill.period_start, bill.period_end) == (datetime(2019, 9, 16, tzinfo=BEIJING),
                                                    datetime(2019, 9, 17, tzinfo=BEIJING))
    summary = bill.summary
    assert (summary.line_count, summary.payment_count, summary.refund_count) == (10, 6, 4)
    assert (summary.gross_total, summary.refund_total, summary.fee_total) == (D("0.06"), D("0.04"), D("0.00"))
    assert summary.reported == {"交易笔数": D(6), "商家实收": D("0.06"), "商家优惠": D("0.00"),
                                "退款笔数": D(4), "商家实收退款": D("-0.04"), "商家优惠退款": D("0.00")}
    payment, refund = bill.lines[0], bill.lines[1]
    assert payment == bills.TradeLine(
        channel=Channel.ALIPAY, line_no=6, kind=TradeKind.PAYMENT,
        trade_time=datetime(2019, 9, 16, 10, 55, 23, tzinfo=BEIJING),
        transaction_id="2019091622001458860515315453",  # the trailing tab is gone
        out_trade_no="service_1568601259302", gross_amount=D("0.01"), refund_amount=D("0"), fee=D("0.00"),
        order_amount=D("0.01"), status="交易", goods_name="下单测试")
    assert (refund.kind, refund.refund_amount, refund.gross_amount) == (TradeKind.REFUND, D("0.01"), D("0"))
    assert refund.out_refund_no == "re_test_1568602607356"  # = out_request_no
    assert refund.transaction_id == payment.transaction_id
    assert refund.trade_time == datetime(2019, 9, 16, 10, 56, 48, tzinfo=BEIJING)
    assert bill.lines[8].raw["门店编号"] == ""  # a lone tab is an empty value


def test_alipay_service_fee_is_negative_in_the_file_and_a_cost_on_the_line():
    # 服务费 is negative when charged (bills.md#alipay-bills, e.g. -0.12); on a refund row a returned fee is positive.
    data = edit(ALIPAY_DOC, ",\t,0.00,0.00,下单测试", ",\t,-0.12,0.00,下单测试", "gbk")
    data = edit(data, ",re_test_1568602607356\t,0.00,", ",re_test_1568602607356\t,0.05,", "gbk")
    bill = bills.parse_alipay_trade_bill(data)
    payment, refund = bill.lines[0], bill.lines[1]
    assert (payment.fee, payment.net_amount) == (D("0.12"), D("-0.11"))
    assert (refund.fee, refund.net_amount) == (D("-0.05"), D("0.04"))
    assert bill.summary.fee_total == D("0.07")


def alipay_zip(detail: bytes, utf8_names: bool = False) -> bytes:
    """A zip like Alipay's: the (汇总) member first, names in GBK without the UTF-8 flag."""
    names = ["20880211096256330156_20190916_业务明细(汇总).csv", "20880211096256330156_20190916_业务明细.csv"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, name in enumerate(names):
            placeholder = f"member{index}".ljust(len(name.encode("gbk")), "_")
            archive.writestr(name if utf8_names else placeholder, b"#summary\r\n" if index == 0 else detail)
    data = buffer.getvalue()
    if not utf8_names:  # Python would write UTF-8 names with the flag; put raw GBK bytes in place instead
        for index, name in enumerate(names):
            placeholder = f"member{index}".ljust(len(name.encode("gbk")), "_").encode()
            assert data.count(placeholder) == 2  # local header and central directory
            data = data.replace(placeholder, name.encode("gbk"))
    return data


@pytest.mark.parametrize("utf8_names", [False, True])
def test_alipay_zip_is_opened_at_its_detail_member(utf8_names):
    archive = alipay_zip(ALIPAY_DOC, utf8_names)
    assert bills.parse_alipay_trade_bill(archive).lines == bills.parse_alipay_trade_bill(ALIPAY_DOC).lines
    with pytest.raises(BillFormatError, match="damaged"):
        bills.parse_alipay_trade_bill(archive[:100])


def test_alipay_zip_without_detail_member():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.csv", b"x")
    with pytest.raises(BillFormatError, match="no …_业务明细.csv"):
        bills.parse_alipay_trade_bill(buffer.getvalue())


def test_alipay_bill_resaved_as_utf8_reads_the_same():
    resaved = codecs.BOM_UTF8 + ALIPAY_DOC.decode("gbk").encode("utf-8")
    assert bills.parse_alipay_trade_bill(resaved).lines == bills.parse_alipay_trade_bill(ALIPAY_DOC).lines


@pytest.mark.parametrize("cut", [2, 3, 4, 6])
def test_alipay_truncated(cut):
    # The footer is: end-of-list marker, 交易合计, 退款合计, 导出时间; any cut into the first three is a truncation.
    with pytest.raises(BillFormatError, match="truncated"):
        bills.parse_alipay_trade_bill(without_last_lines(ALIPAY_DOC, cut, "gbk"))
    assert len(bills.parse_alipay_trade_bill(without_last_lines(ALIPAY_DOC, 1, "gbk")).lines) == 10  # 导出时间 only


@pytest.mark.parametrize("old, new, fragment", [
    ("#交易合计：6笔", "#交易合计：7笔", "交易合计笔数 is 7 but the lines add up to 6"),
    ("商家实收共0.06元", "商家实收共0.07元", "交易合计商家实收"),
    ("#退款合计：4笔", "#退款合计：3笔", "退款合计笔数"),
    ("商家实收退款共-0.04元", "商家实收退款共-0.05元", "退款合计商家实收退款"),
    ("商家优惠退款共0.00元", "商家优惠退款共0.01元", "退款合计商家优惠退款"),
    (",-0.01,-0.01,0.00", ",-0.01,0.01,0.00", "wrong sign"),
    ("*津水(602***@qq.com)\t,0.01,0.01", "*津水(602***@qq.com)\t,0.01,0.0a", "商家实收(元) '0.0a'"),
    (",下单测试,2019-09-16 10:55:16,2019-09-16 10:55:23,", ",下单测试,2019-09-16 10:55:16,", "values, the header"),
    ("支付宝交易号,商户订单号", "交易号,商户订单号", "missing column(s) 支付宝交易号, new column(s) 交易号"),
])
def test_alipay_problems(old, new, fragment):
    with pytest.raises(BillFormatError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        bills.parse_alipay_trade_bill(edit(ALIPAY_DOC, old, new, "gbk"))


def test_alipay_detail_row_after_the_footer_is_refused():
    text = ALIPAY_DOC.decode("gbk") + "2019091622001458860517860493\t,x\t,交易\t\r\n"
    with pytest.raises(BillFormatError, match="after the end of the detail list"):
        bills.parse_alipay_trade_bill(text.encode("gbk"))


def test_alipay_header_only_is_refused():
    with pytest.raises(BillFormatError, match="no header"):
        bills.parse_alipay_trade_bill("#支付宝业务明细查询\r\n#账号：[20880211096256330156]\r\n".encode("gbk"))
