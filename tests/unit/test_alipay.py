"""Alipay gateway merchant side (protocols.alipay), checked against docs/protocols/alipay.md."""
import base64
import datetime
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from protocols import alipay, keys
from protocols import alipay_platform as platform


@pytest.fixture(scope="module")
def app_keys():
    return keys.generate_rsa_keypair()


@pytest.fixture(scope="module")
def alipay_keys():
    return keys.generate_rsa_keypair()


@pytest.fixture(scope="module")
def app(app_keys, alipay_keys):
    return alipay.AlipayApp("2021000000000001", app_keys[0], alipay_keys[1])


# -------------------------------------------------------------------------------------------------- sign string

def test_sign_content_sorts_drops_empty_keeps_blank_and_raw_unicode():
    params = {
        "sign": "SHOULD-NOT-APPEAR",
        "timestamp": "2024-01-01 10:00:00",
        "biz_content": '{"subject":"电动自行车 & 电池","total_amount":"0.01"}',
        "app_id": "2021000000000001",
        "notify_url": "",               # empty: dropped
        "app_auth_token": None,         # None: dropped
        "Zeta": "upper-case sorts before lower-case in ASCII",
        "remark": " ",                  # blank is not empty: kept
        "sign_type": "RSA2",            # requests sign sign_type
    }
    assert alipay.sign_content(params) == (
        "Zeta=upper-case sorts before lower-case in ASCII"
        "&app_id=2021000000000001"
        '&biz_content={"subject":"电动自行车 & 电池","total_amount":"0.01"}'
        "&remark= "
        "&sign_type=RSA2"
        "&timestamp=2024-01-01 10:00:00")


def test_request_params_are_complete_and_signature_is_sha256withrsa_over_utf8(app, app_keys):
    params = alipay.precreate_params(app, "SO000042", "2599", "电动自行车", notify_url="https://shop.example/ali",
                                     app_auth_token="202401BBdealer", timestamp="2024-01-01 10:00:00")
    assert {key: value for key, value in params.items() if key != "sign"} == {
        "app_id": "2021000000000001", "method": "alipay.trade.precreate", "format": "JSON", "charset": "utf-8",
        "sign_type": "RSA2", "timestamp": "2024-01-01 10:00:00", "version": "1.0",
        "notify_url": "https://shop.example/ali", "app_auth_token": "202401BBdealer",
        "biz_content": '{"out_trade_no":"SO000042","total_amount":"2599.00","subject":"电动自行车",'
                       '"product_code":"FACE_TO_FACE_PAYMENT"}'}
    expected_content = ("app_auth_token=202401BBdealer&app_id=2021000000000001"
                        '&biz_content={"out_trade_no":"SO000042","total_amount":"2599.00","subject":"电动自行车",'
                        '"product_code":"FACE_TO_FACE_PAYMENT"}'
                        "&charset=utf-8&format=JSON&method=alipay.trade.precreate"
                        "&notify_url=https://shop.example/ali&sign_type=RSA2&timestamp=2024-01-01 10:00:00&version=1.0")
    assert alipay.sign_content(params) == expected_content
    expected_sign = base64.b64encode(keys.load_private_key(app_keys[0]).sign(
        expected_content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()
    assert params["sign"] == expected_sign


def test_timestamp_is_beijing_time_whatever_the_server_zone(app):
    utc_evening = datetime.datetime(2024, 1, 1, 16, 30, 5, tzinfo=datetime.UTC)
    assert alipay.beijing_timestamp(utc_evening) == "2024-01-02 00:30:05"
    assert alipay.query_params(app, out_trade_no="SO1", timestamp=utc_evening)["timestamp"] == "2024-01-02 00:30:05"


def test_split_for_post_puts_only_biz_content_in_the_body(app):
    params = alipay.query_params(app, out_trade_no="SO1", app_auth_token="tok", timestamp="2024-01-01 10:00:00")
    query, form = alipay.split_for_post(params)
    assert form == {"biz_content": '{"out_trade_no":"SO1"}'}
    assert "biz_content" not in query and query["sign"] == params["sign"] and query["app_auth_token"] == "tok"
    url = alipay.gateway_url(params)
    assert url.startswith(alipay.GATEWAY_URL + "?app_id=2021000000000001&method=alipay.trade.query")
    assert "timestamp=2024-01-01+10%3A00%3A00" in url  # URL-encoding happens only when sending


# ---------------------------------------------------------------------------------------------- request builders

def _biz(params):
    return json.loads(params["biz_content"])


def test_builders(app):
    assert _biz(alipay.pay_params(app, "SO2", "499.00", "电池", "287634438256643940")) == {
        "out_trade_no": "SO2", "scene": "bar_code", "auth_code": "287634438256643940",
        "product_code": "FACE_TO_FACE_PAYMENT", "subject": "电池", "total_amount": "499.00"}
    assert _biz(alipay.query_params(app, trade_no="2024010122001")) == {"trade_no": "2024010122001"}
    assert _biz(alipay.close_params(app, out_trade_no="SO1", operator_id="op1")) == {
        "out_trade_no": "SO1", "operator_id": "op1"}
    assert alipay.cancel_params(app, out_trade_no="SO1")["method"] == "alipay.trade.cancel"
    refund = alipay.refund_params(app, "100.5", "RF1", out_trade_no="SO1", refund_reason="退货",
                                  app_auth_token="tok")
    assert refund["method"] == "alipay.trade.refund" and refund["app_auth_token"] == "tok"
    assert _biz(refund) == {"out_trade_no": "SO1", "refund_amount": "100.50", "out_request_no": "RF1",
                            "refund_reason": "退货"}
    assert _biz(alipay.refund_query_params(app, "RF1", out_trade_no="SO1")) == {
        "out_trade_no": "SO1", "out_request_no": "RF1"}
    bill = alipay.bill_download_url_params(app, datetime.date(2024, 1, 2), app_auth_token="tok")
    assert bill["method"] == "alipay.data.dataservice.bill.downloadurl.query"
    assert _biz(bill) == {"bill_type": "trade", "bill_date": "2024-01-02"}
    precreate = alipay.precreate_params(app, "SO3", 1, "x", timeout_express="15m",
                                        extra={"extend_params": {"sys_service_provider_id": "2088000000000000"}})
    assert _biz(precreate)["timeout_express"] == "15m"
    assert _biz(precreate)["extend_params"] == {"sys_service_provider_id": "2088000000000000"}
    assert "notify_url" not in precreate and "app_auth_token" not in precreate


@pytest.mark.parametrize("call", [
    lambda app: alipay.query_params(app),
    lambda app: alipay.refund_params(app, "1.00", "", out_trade_no="SO1"),
    lambda app: alipay.pay_params(app, "SO1", "1.00", "x", ""),
    lambda app: alipay.precreate_params(app, "SO1", "0.001", "x"),
    lambda app: alipay.precreate_params(app, "SO1", "0", "x"),
    lambda app: alipay.precreate_params(app, "SO1", "100000000.01", "x"),
    lambda app: alipay.precreate_params(app, "SO1", "abc", "x"),
    lambda app: alipay.bill_download_url_params(app, "2024-01-02", bill_type="fund"),
])
def test_builder_validation(app, call):
    with pytest.raises(ValueError):
        call(app)


def test_format_yuan():
    assert alipay.format_yuan("12.3") == "12.30"
    assert alipay.format_yuan(12) == "12.00"
    assert alipay.format_yuan(0.1) == "0.10"
    assert alipay.format_yuan("100000000") == "100000000.00"


# ------------------------------------------------------------------------------------------ synchronous answers

def test_signed_substring_is_extracted_verbatim_with_whitespace_and_braces_in_strings():
    inner = '{ "code" : "10000",\n  "msg":"Success", "sub":{"a":"}{"}, "note":"quote \\" and } brace" }'
    raw = '{"sign":"xyz","alipay_trade_query_response" : %s ,"alipay_cert_sn":"sn"}' % inner
    content, node = alipay.extract_signed_content(raw, "alipay.trade.query")
    assert content == inner and node == "alipay_trade_query_response"


def test_error_response_node_and_not_found():
    raw = '{"error_response":{"code":"40002","msg":"Invalid Arguments"},"sign":""}'
    assert alipay.extract_signed_content(raw, "alipay.trade.query")[1] == "error_response"
    with pytest.raises(alipay.AlipaySignatureError) as error:
        alipay.extract_signed_content('{"other_response":{}}', "alipay.trade.query")
    assert error.value.reason == "response_not_found"


def test_verify_response_uses_raw_text_not_a_reserialisation(alipay_keys):
    private_pem, public_pem = alipay_keys
    inner = '{"code": "10000", "msg": "Success", "out_trade_no": "SO1", "trade_status": "TRADE_SUCCESS"}'
    raw = '{"alipay_trade_query_response": %s, "sign": "%s"}' % (inner, keys.rsa_sha256_sign(private_pem, inner))
    payload = alipay.verify_response(raw, "alipay.trade.query", public_pem)
    assert payload["trade_status"] == "TRADE_SUCCESS" and alipay.is_success(payload)
    assert alipay.verify_response(raw.encode("utf-8"), "alipay.trade.query", public_pem) == payload


def test_verify_response_rejects_tampering_wrong_key_and_unsigned_success(alipay_keys, app_keys):
    private_pem, public_pem = alipay_keys
    raw = platform.build_response_text("alipay.trade.query",
                                       platform.result_payload(out_trade_no="SO1", total_amount="0.01",
                                                               trade_status="TRADE_SUCCESS"), private_pem)
    for bad_raw, key in ((raw.replace('"0.01"', '"1.01"'), public_pem), (raw, app_keys[1])):
        with pytest.raises(alipay.AlipaySignatureError) as error:
            alipay.verify_response(bad_raw, "alipay.trade.query", key)
        assert error.value.reason == "bad_signature"
    unsigned_success = '{"alipay_trade_query_response":{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS"}}'
    with pytest.raises(alipay.AlipaySignatureError) as error:
        alipay.verify_response(unsigned_success, "alipay.trade.query", public_pem)
    assert error.value.reason == "missing_sign"


def test_unsigned_error_answer_is_returned_as_a_failure(alipay_keys):
    raw = ('{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature",'
           '"sub_msg":"验签出错"},"sign":""}')
    payload = alipay.verify_response(raw, "alipay.trade.precreate", alipay_keys[1])
    assert payload["sub_code"] == "isv.invalid-signature" and not alipay.is_success(payload)


# ------------------------------------------------------------------------------------------------ notifications

NOTIFICATION_FIELDS = {
    "gmt_create": "2024-01-02 10:55:16", "gmt_payment": "2024-01-02 10:55:23",
    "trade_no": "2024010222001458860515315453",
    "out_trade_no": "SO000042", "buyer_id": "2088102177846880", "buyer_logon_id": "158****1562",
    "seller_id": "2088101106499364", "trade_status": "TRADE_SUCCESS", "total_amount": "2599.00",
    "receipt_amount": "2599.00", "invoice_amount": "2599.00", "buyer_pay_amount": "2599.00", "point_amount": "0.00",
    "subject": "电动自行车 48V 20Ah", "body": "",  # an empty field: the Java SDK drops it from the sign string
    "fund_bill_list": [{"amount": "2599.00", "fundChannel": "ALIPAYACCOUNT"}], "auth_app_id": "2021000000000099",
}


def test_notification_sign_content_excludes_sign_sign_type_and_empty_values(alipay_keys):
    form = platform.build_notification_form(NOTIFICATION_FIELDS, "2021000000000001", alipay_keys[0],
                                            notify_id="ac05099524730693a8b330c5ecf72da9786",
                                            notify_time="2024-01-02 10:55:24")
    content = alipay.notification_sign_content(form)
    assert "sign=" not in content and "sign_type=" not in content and "&body=" not in content
    assert content == (
        "app_id=2021000000000001&auth_app_id=2021000000000099&buyer_id=2088102177846880"
        "&buyer_logon_id=158****1562&buyer_pay_amount=2599.00&charset=utf-8"
        '&fund_bill_list=[{"amount":"2599.00","fundChannel":"ALIPAYACCOUNT"}]'
        "&gmt_create=2024-01-02 10:55:16&gmt_payment=2024-01-02 10:55:23&invoice_amount=2599.00"
        "&notify_id=ac05099524730693a8b330c5ecf72da9786&notify_time=2024-01-02 10:55:24"
        "&notify_type=trade_status_sync&out_trade_no=SO000042&point_amount=0.00&receipt_amount=2599.00"
        "&seller_id=2088101106499364&subject=电动自行车 48V 20Ah&total_amount=2599.00"
        "&trade_no=2024010222001458860515315453&trade_status=TRADE_SUCCESS&version=1.0")
    assert form["sign_type"] == "RSA2"
    assert keys.rsa_sha256_verify(alipay_keys[1], content, form["sign"])


def test_verify_notification_round_trip_and_failures(alipay_keys, app_keys):
    form = platform.build_notification_form(NOTIFICATION_FIELDS, "2021000000000001", alipay_keys[0])
    assert alipay.verify_notification(form, alipay_keys[1])["out_trade_no"] == "SO000042"
    # Frameworks may hand over lists of values (e.g. MultiDict.to_dict(flat=False)).
    assert alipay.verify_notification({k: [v] for k, v in form.items()}, alipay_keys[1])["trade_status"] == (
        "TRADE_SUCCESS")
    cases = [
        (dict(form, total_amount="2598.00"), alipay_keys[1], "bad_signature"),
        (form, app_keys[1], "bad_signature"),
        (dict(form, sign=base64.b64encode(b"\x01" * 256).decode()), alipay_keys[1], "bad_signature"),
        ({k: v for k, v in form.items() if k != "sign"}, alipay_keys[1], "missing_sign"),
        (dict(form, sign_type="RSA"), alipay_keys[1], "unsupported_sign_type"),
    ]
    for bad_form, key, reason in cases:
        with pytest.raises(alipay.AlipaySignatureError) as error:
            alipay.verify_notification(bad_form, key)
        assert error.value.reason == reason
    # Filling the empty field changes the content: the signature no longer matches.
    with pytest.raises(alipay.AlipaySignatureError):
        alipay.verify_notification(dict(form, body="x"), alipay_keys[1])


def test_notification_business_checks():
    notification = dict(NOTIFICATION_FIELDS, app_id="2021000000000001")
    assert alipay.notification_mismatches(notification, "2021000000000001", "SO000042", "2599") == []
    assert alipay.notification_mismatches(notification, "2021000000000099", "SO000042", "2599", isv=True) == []
    assert alipay.notification_mismatches(notification, "2021000000000001", "SO000043", "2599.01",
                                          seller_id="2088000000000000") == ["out_trade_no", "total_amount",
                                                                            "seller_id"]
    assert alipay.is_paid("TRADE_FINISHED") and not alipay.is_paid("WAIT_BUYER_PAY")
    assert alipay.NOTIFY_SUCCESS_ANSWER == "success"
