"""Round trips: the simulators' bill generators (protocols/*_platform.py) → the parsers (protocols/bills.py).

The settlement import reads what the sandbox serves, so both sides must agree on every column the import uses:
order numbers, refund numbers, amounts, fees and their signs.
"""
import datetime
from decimal import Decimal as D

import pytest

from protocols import alipay_platform, bills, wechatpay_platform
from protocols.bills import BillFormatError, TradeKind

DAY = datetime.date(2025, 3, 18)


def _wechat_txn(number, total_fen, paid_at="2025-03-18T10:15:00+08:00", **extra):
    return {
        "sp_appid": "wx0000000000000001", "sp_mchid": "1900000109", "sub_mchid": "1600000001",
        "transaction_id": "42000000%020d" % number, "out_trade_no": "S%05d-WX-1" % number,
        "trade_type": "NATIVE", "trade_state": "SUCCESS", "bank_type": "OTHERS", "success_time": paid_at,
        "amount": {"total": total_fen, "currency": "CNY"}, "payer": {"sp_openid": "oPayer%d" % number},
        "description": "电动自行车 TDT-%02d, 黑色" % number, **extra,
    }


def _wechat_refund(txn, out_refund_no, refund_fen, created="2025-03-18T16:00:00+08:00"):
    return {"refund_id": "50%026d" % int(txn["transaction_id"][-6:]), "out_refund_no": out_refund_no,
            "transaction_id": txn["transaction_id"], "out_trade_no": txn["out_trade_no"], "status": "SUCCESS",
            "create_time": created, "success_time": created,
            "amount": {"total": txn["amount"]["total"], "refund": refund_fen, "currency": "CNY"}}


def test_wechat_trade_bill_round_trip_with_refunds_and_fees():
    paid = [_wechat_txn(1, 399900), _wechat_txn(2, 259900), _wechat_txn(3, 12345, fee_fen=74)]
    other_day = _wechat_txn(4, 100000, paid_at="2025-03-17T23:59:59+08:00")
    refunds = [_wechat_refund(paid[0], "S00001-WX-1-R1", 399900), _wechat_refund(paid[1], "S00002-WX-1-R1", 50000)]
    text = wechatpay_platform.build_trade_bill(DAY, paid + [other_day], refunds)
    bill = bills.parse_wechat_trade_bill(wechatpay_platform.bill_file_bytes(text, "GZIP"),
                                         sha1=wechatpay_platform.bill_download_answer(text, "x")["hash_value"])

    payments = {line.out_trade_no: line for line in bill.lines if line.kind is TradeKind.PAYMENT}
    refunded = {line.out_refund_no: line for line in bill.lines if line.kind is TradeKind.REFUND}
    assert set(payments) == {"S00001-WX-1", "S00002-WX-1", "S00003-WX-1"}  # the 17th's payment is not in
    assert payments["S00001-WX-1"].gross_amount == D("3999.00")
    assert payments["S00001-WX-1"].fee == D("23.99")  # 0.6 %, half up
    assert payments["S00003-WX-1"].fee == D("0.74")  # a fee given by the platform wins
    assert payments["S00002-WX-1"].transaction_id == paid[1]["transaction_id"]
    assert payments["S00002-WX-1"].sub_merchant_id == "1600000001"
    assert payments["S00002-WX-1"].goods_name == "电动自行车 TDT-02， 黑色"  # commas are made full-width
    assert refunded["S00001-WX-1-R1"].refund_amount == D("3999.00")
    assert refunded["S00001-WX-1-R1"].gross_amount == 0
    assert refunded["S00001-WX-1-R1"].fee == D("-23.99")  # the fee is given back
    assert refunded["S00001-WX-1-R1"].out_trade_no == "S00001-WX-1"
    assert refunded["S00002-WX-1-R1"].refund_amount == D("500.00")  # partial refund
    assert refunded["S00002-WX-1-R1"].refund_id
    summary = bill.summary
    assert (summary.payment_count, summary.refund_count) == (3, 2)
    assert summary.gross_total == D("3999.00") + D("2599.00") + D("123.45")
    assert summary.refund_total == D("4499.00")
    assert summary.net_total == summary.gross_total - summary.refund_total - summary.fee_total


def test_wechat_success_bill_round_trip():
    text = wechatpay_platform.build_trade_bill(DAY, [_wechat_txn(1, 5000)], bill_type="SUCCESS")
    bill = bills.parse_wechat_trade_bill(text.encode())
    assert [(line.out_trade_no, line.gross_amount, line.refund_amount) for line in bill.lines] == [
        ("S00001-WX-1", D("50.00"), D("0"))]


def test_wechat_empty_day_round_trip():
    bill = bills.parse_wechat_trade_bill(wechatpay_platform.build_trade_bill(DAY, []).encode())
    assert bill.lines == () and bill.summary.net_total == 0


def test_wechat_fundflow_round_trip():
    entries = [
        {"booked_at": "2025-03-18 10:15:00", "business_no": "4200000001", "flow_no": "F1", "business_name": "交易",
         "business_type": "交易", "direction": "收入", "amount_fen": 399900, "balance_fen": 399900},
        {"booked_at": "2025-03-18 10:15:00", "business_no": "4200000001", "flow_no": "F2", "business_name": "交易",
         "business_type": "扣除交易手续费", "direction": "支出", "amount_fen": 2399, "balance_fen": 397501},
        {"booked_at": datetime.datetime(2025, 3, 19, 6, 0), "business_no": "W1", "flow_no": "F3",
         "business_name": "提现", "business_type": "提现", "direction": "支出", "amount_fen": 397501,
         "balance_fen": 0, "remark": "T+1 自动提现"},
    ]
    bill = bills.parse_wechat_fundflow_bill(wechatpay_platform.build_fundflow_bill(entries).encode())
    assert [(line.flow_id, line.signed_amount) for line in bill.lines] == [
        ("F1", D("3999.00")), ("F2", D("-23.99")), ("F3", D("-3975.01"))]
    assert bill.lines[2].remark == "T+1 自动提现"
    assert bill.summary.expense_total == D("3999.00")


def _alipay_trade(number, amount, paid_at="2025-03-18 11:00:00"):
    return {"trade_no": "2025031822001%015d" % number, "out_trade_no": "S%05d-ZFB-1" % number,
            "total_amount": amount, "receipt_amount": amount, "buyer_logon_id": "buy***@example.com",
            "subject": "电动自行车", "gmt_create": paid_at, "gmt_payment": paid_at}


def test_alipay_bill_zip_round_trip_with_partial_refund():
    trades = [_alipay_trade(1, "3999.00"), _alipay_trade(2, "100.00"), _alipay_trade(3, "9.99", "2025-03-19 00:00:01")]
    refunds = [{"trade_no": trades[0]["trade_no"], "out_request_no": "S00001-ZFB-1-R1", "refund_amount": "1000.00",
                "gmt_refund": "2025-03-18 15:00:00"}]
    text = alipay_platform.build_trade_bill("2088000000000002", DAY, trades, refunds,
                                            export_time=datetime.datetime(2025, 3, 19, 9, 0))
    bill = bills.parse_alipay_trade_bill(alipay_platform.build_bill_zip("2088000000000002", DAY, text))
    assert bill.partner_id == "2088000000000002"
    assert bill.period_start.date() == DAY
    payments = {line.out_trade_no: line for line in bill.lines if line.kind is TradeKind.PAYMENT}
    (refund,) = [line for line in bill.lines if line.kind is TradeKind.REFUND]
    assert set(payments) == {"S00001-ZFB-1", "S00002-ZFB-1"}
    assert payments["S00001-ZFB-1"].gross_amount == D("3999.00")
    assert payments["S00001-ZFB-1"].fee == D("23.99")
    assert payments["S00001-ZFB-1"].transaction_id == trades[0]["trade_no"]  # the tab is stripped
    assert (refund.out_refund_no, refund.out_trade_no, refund.refund_amount, refund.fee) == (
        "S00001-ZFB-1-R1", "S00001-ZFB-1", D("1000.00"), D("-6.00"))
    assert bill.summary.net_total == D("4099.00") - D("1000.00") - (D("23.99") + D("0.60") - D("6.00"))


def test_alipay_bill_cut_in_transit_is_refused():
    text = alipay_platform.build_trade_bill("2088000000000002", DAY, [_alipay_trade(1, "10.00")])
    data = alipay_platform.build_bill_zip("2088000000000002", DAY, text)
    with pytest.raises(BillFormatError):
        bills.parse_alipay_trade_bill(data[: len(data) // 2])
    with pytest.raises(BillFormatError, match="truncated"):
        bills.parse_alipay_trade_bill(alipay_platform.encode_bill(text.rsplit("#-----", 1)[0]))
