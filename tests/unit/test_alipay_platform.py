"""Alipay platform side for the sandbox (protocols.alipay_platform): request checks, answers, the trade bill."""
import datetime
import io
import zipfile

import pytest

from protocols import alipay, keys
from protocols import alipay_platform as platform


@pytest.fixture(scope="module")
def app_keys():
    return keys.generate_rsa_keypair()


@pytest.fixture(scope="module")
def app(app_keys):
    return alipay.AlipayApp("2021000000000001", app_keys[0])


def test_gateway_verifies_our_request(app, app_keys):
    params = alipay.refund_params(app, "1.00", "RF1", out_trade_no="SO1", app_auth_token="tok")
    assert platform.verify_request(params, app_keys[1]) == {"out_trade_no": "SO1", "refund_amount": "1.00",
                                                            "out_request_no": "RF1"}
    cases = [
        (dict(params, biz_content=params["biz_content"].replace("1.00", "9.00")), "bad_signature"),
        (dict(params, app_auth_token="other"), "bad_signature"),
        (dict(params, sign_type="RSA"), "unsupported_sign_type"),  # sign_type is part of a request's sign string
        ({k: v for k, v in params.items() if k != "sign"}, "missing_sign"),
    ]
    for bad_params, reason in cases:
        with pytest.raises(alipay.AlipaySignatureError) as error:
            platform.verify_request(bad_params, app_keys[1])
        assert error.value.reason == reason


def test_response_text_shape_and_payload():
    private_pem, public_pem = keys.generate_rsa_keypair()
    payload = platform.result_payload("40004", sub_code="ACQ.TRADE_NOT_EXIST", sub_msg="交易不存在",
                                      out_trade_no="SO1")
    text = platform.build_response_text("alipay.trade.close", payload, private_pem)
    assert text.startswith('{"alipay_trade_close_response":{"code":"40004","msg":"Business Failed",'
                           '"sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在","out_trade_no":"SO1"},"sign":"')
    assert alipay.verify_response(text, "alipay.trade.close", public_pem) == payload


# ------------------------------------------------------------------------------------------------------- bill

# The two first rows of the bills.md#alipay-bills sample (public test fixture), with real tab characters.
DOC_TRADE_ROW = ("2019091622001458860515315453\t,service_1568601259302\t,交易\t,下单测试,2019-09-16 10:55:16,"
                 "2019-09-16 10:55:23,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,"
                 "0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试")
DOC_REFUND_ROW = ("2019091622001458860515315453\t,service_1568601259302\t,退款\t,下单测试,2019-09-16 10:55:16,"
                  "2019-09-16 10:56:48,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,"
                  "0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,re_test_1568602607356\t,0.00,0.00,下单测试")

SAMPLE_TRADE = {
    "trade_no": "2019091622001458860515315453", "out_trade_no": "service_1568601259302", "subject": "下单测试",
    "gmt_create": "2019-09-16 10:55:16", "gmt_payment": "2019-09-16 10:55:23", "store_id": "alipay_store",
    "store_name": "alipay_store", "operator_id": "alipay", "terminal_id": "", "buyer_logon_id": "*津水(602***@qq.com)",
    "total_amount": "0.01", "receipt_amount": "0.01", "body": "下单测试",
}
SAMPLE_REFUND = {"trade_no": "2019091622001458860515315453", "out_request_no": "re_test_1568602607356",
                 "refund_amount": "0.01", "gmt_refund": "2019-09-16 10:56:48"}


def test_bill_reproduces_the_documented_sample():
    text = platform.build_trade_bill("2088021109625633", "2019-09-16", [SAMPLE_TRADE], [SAMPLE_REFUND],
                                     export_time=datetime.datetime(2019, 9, 17, 5, 46, 49))
    assert text.split("\n") == [
        "#支付宝业务明细查询",
        "#账号：[20880211096256330156]",
        "#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        ",".join(platform.TRADE_BILL_COLUMNS),
        DOC_TRADE_ROW,
        DOC_REFUND_ROW,
        "#-----------------------------------------业务明细列表结束------------------------------------",
        "#交易合计：1笔，商家实收共0.01元，商家优惠共0.00元",
        "#退款合计：1笔，商家实收退款共-0.01元，商家优惠退款共0.00元",
        "#导出时间：[2019年09月17日 05:46:49]",
        "",
    ]


def test_bill_fees_day_cut_and_totals():
    trades = [
        dict(SAMPLE_TRADE, trade_no="T1", out_trade_no="SO1", total_amount="2599.00", receipt_amount="2599.00",
             gmt_payment="2019-09-16 12:00:00", subject="电动自行车, 48V"),
        dict(SAMPLE_TRADE, trade_no="T2", out_trade_no="SO2", total_amount="20.00", receipt_amount=None,
             gmt_payment="2019-09-17 00:00:00"),   # next day
        dict(SAMPLE_TRADE, trade_no="T3", out_trade_no="SO3", gmt_payment=None),  # never paid
    ]
    refunds = [{"out_trade_no": "SO1", "out_request_no": "R1", "refund_amount": "1000",
                "gmt_refund": "2019-09-16 13:00:00"}]
    lines = platform.build_trade_bill("2088021109625633", datetime.date(2019, 9, 16), trades, refunds).split("\n")
    detail = [line.split(",") for line in lines[5:7]]
    header = platform.TRADE_BILL_COLUMNS
    assert all(len(cells) == len(header) == 25 for cells in detail)
    sale, refund = (dict(zip(header, cells)) for cells in detail)
    assert sale["商户订单号"] == "SO1\t" and sale["商品名称"] == "电动自行车， 48V"
    assert sale["订单金额（元）"] == "2599.00" and sale["服务费（元）"] == "-15.59"  # 0.6 %, negative when charged
    assert refund["业务类型"] == "退款\t" and refund["商家实收（元）"] == "-1000.00"
    assert refund["退款批次号/请求号"] == "R1\t" and refund["服务费（元）"] == "6.00"
    assert lines[7].endswith("业务明细列表结束------------------------------------")
    assert lines[8] == "#交易合计：1笔，商家实收共2599.00元，商家优惠共0.00元"
    assert lines[9] == "#退款合计：1笔，商家实收退款共-1000.00元，商家优惠退款共0.00元"
    with pytest.raises(ValueError):
        platform.build_trade_bill("2088021109625633", "2019-09-16", [], refunds)


def test_bill_is_gbk_and_zipped():
    text = platform.build_trade_bill("2088021109625633", "2019-09-16", [dict(SAMPLE_TRADE, subject="电车🚲")])
    data = platform.encode_bill(text)
    assert data.decode("gbk").startswith("#支付宝业务明细查询\n")
    assert "电车?" in data.decode("gbk")  # characters outside GBK are replaced, not fatal
    archive = zipfile.ZipFile(io.BytesIO(platform.build_bill_zip("2088021109625633", "2019-09-16", text)))
    (name,) = archive.namelist()
    assert name == "20880211096256330156_20190916_业务明细.csv"
    assert archive.read(name) == data
