"""WeChat Pay platform side for the sandbox (protocols.wechatpay_platform): request checks, answers, bills."""
import gzip
import json

import pytest

from protocols import keys
from protocols import wechatpay as wp
from protocols import wechatpay_platform as platform

NOW = 1700000000


@pytest.fixture(scope="module")
def merchant():
    private_pem, public_pem = keys.generate_rsa_keypair()
    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "merchant API cert")
    return private_pem, public_pem, cert_pem, serial


def _authorization(merchant, method="POST", url="/v3/pay/partner/transactions/native", body=b'{"a":1}',
                   timestamp=NOW):
    private_pem, _, _, serial = merchant
    return wp.build_authorization(method, url, body.decode(), "1900000001", serial, private_pem,
                                  timestamp=timestamp, nonce="NONCE")


def _reason(callable_, *args, **kwargs):
    with pytest.raises(wp.WechatPaySignatureError) as error:
        callable_(*args, **kwargs)
    return error.value.reason


# ------------------------------------------------------------------------------------------- Authorization header

def test_parse_authorization_accepts_any_field_order():
    header = ('WECHATPAY2-SHA256-RSA2048 signature="c2ln+/=",serial_no="ABC",timestamp="1554208460",'
              'nonce_str="N",mchid="1900009191"')
    assert platform.parse_authorization(header) == {
        "signature": "c2ln+/=", "serial_no": "ABC", "timestamp": "1554208460", "nonce_str": "N", "mchid": "1900009191"}


@pytest.mark.parametrize("header, reason", [
    ("", "missing_header"),
    ('Bearer mchid="1"', "unsupported_signature_type"),
    ('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1"', "missing_header"),
    ('WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="N"', "malformed_header"),
    ('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="x",serial_no="S",signature="s"',
     "malformed_header"),
])
def test_parse_authorization_rejects(header, reason):
    assert _reason(platform.parse_authorization, header) == reason


def test_verify_authorization_with_certificate_or_bare_public_key(merchant):
    _, public_pem, cert_pem, serial = merchant
    header = _authorization(merchant)
    body = b'{"a":1}'
    url = "/v3/pay/partner/transactions/native"
    assert platform.verify_authorization("POST", url, body, header, {serial: cert_pem}, now=NOW)["serial_no"] == serial
    assert platform.verify_authorization("POST", url, body, header, public_pem, now=NOW)["mchid"] == "1900000001"


def test_verify_authorization_failures(merchant):
    _, public_pem, _, serial = merchant
    url = "/v3/pay/partner/transactions/native"
    header = _authorization(merchant)
    store = {serial: public_pem}
    assert _reason(platform.verify_authorization, "POST", url, b'{"a":2}', header, store, now=NOW) == "bad_signature"
    assert _reason(platform.verify_authorization, "GET", url, b'{"a":1}', header, store, now=NOW) == "bad_signature"
    assert _reason(platform.verify_authorization, "POST", url + "?x=1", b'{"a":1}', header, store,
                   now=NOW) == "bad_signature"
    assert _reason(platform.verify_authorization, "POST", url, b'{"a":1}', header, {"OTHER": public_pem},
                   now=NOW) == "unknown_serial"
    other_public = keys.generate_rsa_keypair()[1]
    assert _reason(platform.verify_authorization, "POST", url, b'{"a":1}', header, {serial: other_public},
                   now=NOW) == "bad_signature"
    assert platform.verify_authorization("POST", url, b'{"a":1}', header, store, now=NOW + 299)
    assert _reason(platform.verify_authorization, "POST", url, b'{"a":1}', header, store, now=NOW + 300) == "stale"
    assert _reason(platform.verify_authorization, "POST", url, b'{"a":1}', header, store, now=NOW - 300) == "stale"


# ------------------------------------------------------------------------------------------------------- answers

def test_signed_json_answer_verifies_with_merchant_side_code():
    private_pem, public_pem = keys.generate_rsa_keypair()
    body, headers = platform.json_answer({"code_url": "weixin://wxpay/bizpayurl?pr=x"}, "PUB_KEY_ID_1", private_pem,
                                         timestamp=NOW)
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert wp.verify_response_signature(headers, body, {"PUB_KEY_ID_1": public_pem}, now=NOW) == "PUB_KEY_ID_1"
    empty_body, empty_headers = platform.json_answer(None, "PUB_KEY_ID_1", private_pem, timestamp=NOW)
    assert empty_body == b"" and "Content-Type" not in empty_headers
    assert wp.verify_response_signature(empty_headers, b"", {"PUB_KEY_ID_1": public_pem}, now=NOW)


def test_error_answers_use_the_documented_statuses():
    expected_body = '{"code":"SIGN_ERROR","message":"签名错误"}'.encode()
    assert platform.error_answer("SIGN_ERROR", "签名错误") == (401, expected_body)
    assert platform.error_answer("ORDER_NOT_EXIST", "x")[0] == 404
    assert platform.error_answer("OUT_TRADE_NO_USED", "x")[0] == 403
    assert platform.error_answer("FREQUENCY_LIMITED", "x")[0] == 429
    status, body = platform.error_answer("PARAM_ERROR", "x", detail={"field": "amount"})
    assert status == 400 and json.loads(body)["detail"] == {"field": "amount"}


def test_retry_schedule_totals_about_24h_4m():
    assert len(platform.NOTIFY_RETRY_SCHEDULE_SECONDS) == 15
    assert sum(platform.NOTIFY_RETRY_SCHEDULE_SECONDS) == 24 * 3600 + 4 * 60


# ------------------------------------------------------------------------------------------------------- bills

def _parse(text):
    """A minimal reader of the bills.md#wechat-pay-trade-bill layout: header, backtick rows, summary header, totals
    row."""
    lines = text.split("\n")
    assert lines[-1] == ""  # ends with a line feed
    lines = lines[:-1]
    header = lines[0].split(",")
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("总交易单数"))
    rows = []
    for line in lines[1:summary_at]:
        cells = line.split(",")
        assert all(cell.startswith("`") for cell in cells), line
        rows.append(dict(zip(header, (cell[1:] for cell in cells), strict=True)))
    totals_cells = lines[summary_at + 1].split(",")
    assert all(cell.startswith("`") for cell in totals_cells)
    totals = dict(zip(lines[summary_at].split(","), (cell[1:] for cell in totals_cells), strict=True))
    assert len(lines) == summary_at + 2
    return header, rows, totals


DOC_SAMPLE_ROW = ("`2022-03-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220688,"
                  "`2021WERUN1647840687637,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,"
                  "`0,`0,`0.00,`0.00,`,`,`微信云托管支付测试,`,`0.00000,`0.90%,`0.01,`0.00,`")


def test_trade_bill_reproduces_the_documented_sample_row():
    transaction = {
        "sp_appid": "wxfdc955f7104ad557", "sp_mchid": "180023671", "sub_mchid": "176531292",
        "transaction_id": "420000612032130748613220688", "out_trade_no": "2021WERUN1647840687637",
        "payer": {"sp_openid": "oZWaCKXip5njeEiloC4oeOV1TTsk"}, "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "bank_type": "OTHERS", "success_time": "2022-03-21T13:51:31+08:00", "amount": {"total": 1, "currency": "CNY"},
        "description": "微信云托管支付测试", "fee_rate": "0.009",
    }
    text = platform.build_trade_bill("2022-03-21", [transaction])
    lines = text.split("\n")
    assert lines[0] == ",".join(platform.TRADE_BILL_ALL_COLUMNS)
    assert lines[1] == DOC_SAMPLE_ROW
    assert lines[2] == "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    assert lines[3] == "`1,`0.01,`0.00,`0.00,`0.00000,`0.01,`0.00"


def _transaction(out_trade_no, total, success_time, trade_state="SUCCESS", **extra):
    transaction = {
        "sp_appid": "wxsp000000000001", "sp_mchid": "1900000001", "sub_mchid": "1900000002",
        "transaction_id": "42000000%s" % out_trade_no, "out_trade_no": out_trade_no, "trade_type": "NATIVE",
        "trade_state": trade_state, "bank_type": "CMC", "success_time": success_time,
        "payer": {"sp_openid": "openid-" + out_trade_no}, "amount": {"total": total, "currency": "CNY"},
        "description": "电动自行车, 48V", "attach": "line1\nline2",
    }
    transaction.update(extra)
    return transaction


def test_all_bill_with_payments_refund_and_day_cut():
    transactions = [
        _transaction("SO000001", 259900, "2024-01-02T09:30:00+08:00", trade_state="REFUND"),
        _transaction("SO000002", 49900, "2024-01-02T23:59:59+08:00"),
        _transaction("SO000003", 100, "2024-01-03T00:00:00+08:00"),   # next day (Beijing)
        _transaction("SO000004", 100, "2024-01-01T16:00:00Z"),       # = 2024-01-02 00:00:00 Beijing
        _transaction("SO000005", 100, None, trade_state="NOTPAY"),
    ]
    refunds = [{"refund_id": "50300000001", "out_refund_no": "RF000001", "out_trade_no": "SO000001",
                "transaction_id": "42000000SO000001", "status": "SUCCESS", "channel": "ORIGINAL",
                "create_time": "2024-01-02T15:00:00+08:00", "amount": {"refund": 100000, "total": 259900}},
               {"refund_id": "50300000002", "out_refund_no": "RF000009", "out_trade_no": "SO000002",
                "status": "PROCESSING", "create_time": "2024-01-05T10:00:00+08:00",
                "amount": {"refund": 1, "total": 49900}}]
    header, rows, totals = _parse(platform.build_trade_bill("2024-01-02", transactions, refunds))
    assert len(header) == 27
    assert [(row["商户订单号"], row["交易状态"]) for row in rows] == [
        ("SO000004", "SUCCESS"), ("SO000001", "SUCCESS"), ("SO000001", "REFUND"), ("SO000002", "SUCCESS")]
    paid = rows[1]
    assert paid["交易时间"] == "2024-01-02 09:30:00"
    assert paid["特约商户号"] == "1900000002" and paid["用户标识"] == "openid-SO000001"
    assert paid["应结订单金额"] == "2599.00" and paid["订单金额"] == "2599.00"
    assert paid["手续费"] == "15.59000"  # 0.6 % of 2599.00 = 15.594 -> 15.59 (whole fen), written with 5 decimals
    assert paid["费率"] == "0.60%"
    assert paid["商品名称"] == "电动自行车， 48V"  # no raw comma inside the unquoted CSV
    assert paid["商户数据包"] == "line1\\nline2"  # line breaks written literally (bills.md#wechat-pay-fund-flow-bill)
    refund = rows[2]
    assert refund["交易时间"] == "2024-01-02 15:00:00"
    assert refund["微信退款单号"] == "50300000001" and refund["商户退款单号"] == "RF000001"
    assert refund["退款金额"] == "1000.00" and refund["申请退款金额"] == "1000.00"
    assert refund["应结订单金额"] == "0.00" and refund["订单金额"] == "0.00"
    assert refund["退款类型"] == "ORIGINAL" and refund["退款状态"] == "SUCCESS"
    assert refund["手续费"] == "-6.00000"
    assert totals == {"总交易单数": "4", "应结订单总金额": "3099.00", "退款总金额": "1000.00",
                      "充值券退款总金额": "0.00", "手续费总金额": "12.59000", "订单总金额": "3099.00",
                      "申请退款总金额": "1000.00"}


def test_success_bill_has_20_columns_and_no_refund_rows():
    transactions = [_transaction("SO000001", 1000, "2024-01-02T09:30:00+08:00", trade_state="REFUND")]
    refunds = [{"refund_id": "503", "out_refund_no": "RF1", "out_trade_no": "SO000001", "status": "SUCCESS",
                "create_time": "2024-01-02T15:00:00+08:00", "amount": {"refund": 1000, "total": 1000}}]
    header, rows, totals = _parse(platform.build_trade_bill("2024-01-02", transactions, refunds, bill_type="SUCCESS"))
    assert header == list(platform.TRADE_BILL_SUCCESS_COLUMNS) and len(header) == 20
    assert len(rows) == 1 and rows[0]["交易状态"] == "SUCCESS" and rows[0]["手续费"] == "0.06000"
    assert totals["总交易单数"] == "1"
    with pytest.raises(ValueError):
        platform.build_trade_bill("2024-01-02", transactions, refunds, bill_type="REFUND")


def test_direct_mode_rows_use_zero_sub_merchant_and_fee_override():
    transaction = {"appid": "wxdirect", "mchid": "1900000009", "transaction_id": "4200", "out_trade_no": "SO000007",
                   "trade_state": "SUCCESS", "success_time": "2024-01-02T08:00:00+08:00",
                   "payer": {"openid": "o-direct"}, "amount": {"total": 100}, "fee_fen": 1}
    _, rows, totals = _parse(platform.build_trade_bill("2024-01-02", [transaction]))
    assert rows[0]["公众账号ID"] == "wxdirect" and rows[0]["商户号"] == "1900000009"
    assert rows[0]["特约商户号"] == "0" and rows[0]["用户标识"] == "o-direct"
    assert rows[0]["手续费"] == "0.01000" and totals["手续费总金额"] == "0.01000"


def test_refund_without_its_transaction_is_an_error():
    refund = {"refund_id": "1", "out_refund_no": "R1", "out_trade_no": "MISSING1", "status": "SUCCESS",
              "create_time": "2024-01-02T15:00:00+08:00", "amount": {"refund": 1, "total": 1}}
    with pytest.raises(ValueError):
        platform.build_trade_bill("2024-01-02", [], [refund])


def test_empty_day_still_has_header_and_zero_totals():
    header, rows, totals = _parse(platform.build_trade_bill("2024-01-02", []))
    assert rows == [] and totals["总交易单数"] == "0" and totals["手续费总金额"] == "0.00000"


def test_fundflow_bill_layout_matches_the_documented_sample():
    text = platform.build_fundflow_bill([
        {"booked_at": "2018-02-01 04:21:23", "business_no": "50000305742018020103387128253",
         "flow_no": "1900009231201802015884652186", "business_name": "退款", "business_type": "退款",
         "direction": "支出", "amount_fen": 2, "balance_fen": 17, "remark": "缺货",
         "voucher_no": "REF4200000068201801293084726067"},
        {"booked_at": "2018-02-01 05:00:00", "business_no": "4200000068", "flow_no": "1900009231201802015884652187",
         "business_name": "交易", "business_type": "交易", "direction": "收入", "amount_fen": 35, "balance_fen": 52},
    ])
    lines = text.split("\n")
    assert lines[0] == ("记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),"
                        "资金变更提交申请人,备注,业务凭证号")
    assert lines[1] == ("`2018-02-01 04:21:23,`50000305742018020103387128253,`1900009231201802015884652186,`退款,"
                        "`退款,`支出,`0.02,`0.17,`system,`缺货,`REF4200000068201801293084726067")
    assert lines[3] == "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
    assert lines[4] == "`2.0,`1.0,`0.35,`1.0,`0.02"
    assert lines[5] == "" and len(lines) == 6


def test_bill_file_bytes_and_gzip():
    text = "交易时间\n"
    assert platform.bill_file_bytes(text) == text.encode("utf-8")
    assert gzip.decompress(platform.bill_file_bytes(text, "GZIP")) == text.encode("utf-8")
