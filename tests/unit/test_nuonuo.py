"""Nuonuo client side (protocols.nuonuo), checked against einvoice.md#content-and-amounts,
einvoice.md#red-letter-invoices and nuonuo.md of docs/protocols/."""
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from protocols import nuonuo as nn
from protocols.nuonuo import Outcome

# A placeholder tax classification code: the real one for 电动自行车 is UNCONFIRMED
# (einvoice.md#tax-classification-codes).
GOODS_CODE = "1090512990000000000"
COMPANY_USCC = "91330106MA2AYNWD8M"
SELLER_USCC = "91440101MA5APD8X8J"
BEIJING = timezone(timedelta(hours=8))
ISSUE_TIME = datetime(2026, 10, 8, 10, 30, 0, tzinfo=BEIJING)
CREDENTIALS = nn.Credentials("SD63236305", "SDDED2523BED4643", "ad3a7071c4f1560dbe1e160mzciyrp3s", SELLER_USCC)


# ------------------------------------------------------------------------------------------------------- signature
def test_signature_matches_the_docs_vector():
    # nuonuo.md#transport-and-signature: secret "secret", appKey "app", senid a×32, nonce 12345678, timestamp
    # 1700000000, body {"name":"中文"}.
    body = '{"name":"中文"}'
    assert nn.signing_string("app", "a" * 32, "12345678", "1700000000", body) == (
        'a=services&l=v1&p=open&k=app&i=' + "a" * 32 + '&n=12345678&t=1700000000&f={"name":"中文"}')
    assert nn.sign("secret", "app", "a" * 32, "12345678", "1700000000", body) == "4BzcKzrcoqxPis0W/W3X2ae0uIo="
    assert nn.sign("secret", "app", "a" * 32, "12345678", "1700000000", body.encode()) == "4BzcKzrcoqxPis0W/W3X2ae0uIo="


def test_signature_covers_body_and_every_parameter():
    base = ("secret", "app", "a" * 32, "12345678", "1700000000", '{"name":"中文"}')
    reference = nn.sign(*base)
    for index, changed in ((1, "app2"), (2, "b" * 32), (3, "12345679"), (4, "1700000001"), (5, '{"name": "中文"}')):
        args = list(base)
        args[index] = changed
        assert nn.sign(*args) != reference, f"argument {index} is not covered"
    assert nn.sign("secret2", *base[1:]) != reference


def test_signature_uses_the_services_segments_even_under_a_prefix():
    body = '{"a":1}'
    assert (nn.sign("s", "k", "a" * 32, "12345678", "1", body, "/ev_pay/sandbox/nuonuo/open/v1/services")
            == nn.sign("s", "k", "a" * 32, "12345678", "1", body))


def test_serialised_body_is_compact_utf8_json():
    assert nn.serialize_body({"name": "中文", "amount": D("1.50")}) == '{"name":"中文","amount":"1.50"}'
    with pytest.raises(TypeError):
        nn.serialize_body({"when": datetime(2026, 1, 1)})


# --------------------------------------------------------------------------------------------------------- request
def test_prepared_request_has_the_documented_headers_params_and_signed_body():
    payload = {"serialNos": ["24051420014001423596"], "isOfferInvoiceDetail": "0"}
    request = nn.build_request(nn.ApiMethod.QUERY_INVOICE, payload, CREDENTIALS, senid="f" * 32, nonce="87654321",
                               timestamp=1700000000)
    assert request.url == nn.PRODUCTION_URL == "https://sdk.nuonuo.com/open/v1/services"
    assert request.params == {"senid": "f" * 32, "nonce": "87654321", "timestamp": "1700000000",
                              "appkey": "SD63236305"}
    assert request.body == nn.serialize_body(payload).encode("utf-8")
    assert set(request.headers) == {"Content-Type", "X-Nuonuo-Sign", "accessToken", "userTax", "method"}
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert request.headers["method"] == "nuonuo.OpeMplatform.queryInvoiceResult"
    assert request.headers["accessToken"] == CREDENTIALS.access_token
    assert request.headers["userTax"] == SELLER_USCC
    assert request.headers["X-Nuonuo-Sign"] == nn.sign(CREDENTIALS.app_secret, "SD63236305", "f" * 32, "87654321",
                                                       "1700000000", request.body)


def test_self_use_app_sends_no_user_tax_header():
    credentials = nn.Credentials("key", "secret", "token")
    assert "userTax" not in nn.build_request("m", {}, credentials).headers


def test_generated_senid_and_nonce_follow_the_rules():
    request = nn.build_request("m", {}, CREDENTIALS)
    assert len(request.params["senid"]) == 32 and request.params["senid"].isalnum()
    nonce = request.params["nonce"]
    assert len(nonce) == 8 and nonce.isdigit() and nonce[0] != "0"
    assert nn.build_request("m", {}, CREDENTIALS).params["senid"] != request.params["senid"]


@pytest.mark.parametrize("kwargs", [{"senid": "short"}, {"nonce": "1234567"}, {"nonce": "01234567"}])
def test_bad_common_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        nn.build_request("m", {}, CREDENTIALS, **kwargs)


def test_a_token_is_required():
    with pytest.raises(ValueError, match="access token"):
        nn.build_request("m", {}, nn.Credentials("key", "secret"))


def test_secrets_stay_out_of_reprs():
    request = nn.build_request("m", {"x": 1}, CREDENTIALS)
    token = nn.parse_token_response({"access_token": "tok-123", "expires_in": 86400, "refresh_token": "ref-456"})
    for text in (repr(request), repr(CREDENTIALS), repr(token), str(request.redacted_headers())):
        for secret in (CREDENTIALS.app_secret, CREDENTIALS.access_token, request.headers["X-Nuonuo-Sign"],
                       "tok-123", "ref-456"):
            assert secret not in text


# ------------------------------------------------------------------------------------------------------------ tokens
def test_token_requests():
    self_use = nn.token_request_self_use("key", "secret")
    assert self_use.url == "https://open.nuonuo.com/accessToken"
    assert parse_qs(self_use.body.decode()) == {"client_id": ["key"], "client_secret": ["secret"],
                                               "grant_type": ["client_credentials"]}
    assert self_use.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    isv = nn.token_request_isv("key", "secret", "code1", SELLER_USCC, "https://erp.example.com/nuonuo")
    assert isv.form["grant_type"] == "authorization_code" and isv.form["taxNum"] == SELLER_USCC
    refresh = nn.token_request_refresh("ref", "user-42", "secret")
    assert refresh.form["client_id"] == "user-42"  # the authorised userId, not the appKey
    assert refresh.form["grant_type"] == "refresh_token"
    url = urlsplit(nn.authorize_url("key", "https://erp.example.com/cb", "xyz"))
    assert parse_qs(url.query) == {"appKey": ["key"], "response_type": ["code"],
                                   "redirect_uri": ["https://erp.example.com/cb"], "state": ["xyz"]}


def test_token_response_parsing():
    obtained = datetime(2026, 10, 8, tzinfo=UTC)
    token = nn.parse_token_response(b'{"access_token":"abc","expires_in":86400,"refresh_token":"r","userId":"u1"}',
                                    obtained_at=obtained)
    assert (token.access_token, token.refresh_token, token.user_id) == ("abc", "r", "u1")
    assert token.expires_at == obtained + timedelta(days=1)
    assert nn.parse_token_response({"access_token": "abc"}).expires_at is None
    with pytest.raises(nn.NuonuoError) as error:
        nn.parse_token_response({"error": "070306", "error_description": "token调用次数超限"})
    assert error.value.outcome is Outcome.RATE_LIMITED
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_token_response(b"<html>")


# ---------------------------------------------------------------------------------------------- codes and envelope
@pytest.mark.parametrize("code, describe, outcome", [
    ("E0000", "开票提交成功", Outcome.OK),
    ("0000", "查询成功", Outcome.OK),
    ("E9106", "订单编号或流水号不能重复", Outcome.DUPLICATE_ORDER),
    ("E9500", "发票不存在", Outcome.NOT_FOUND),
    ("E9613", "同一流水号(订单号)单日最多重试20次", Outcome.RETRY_LIMIT),
    ("E9105", "折扣行的商品名称必须和被折扣行相同", Outcome.VALIDATION),
    ("E9999", "数据校验失败", Outcome.VALIDATION),
    ("E9101", "开票失败：电子税务局登录已失效，需要重新登录", Outcome.TAX_LOGIN_REQUIRED),
    ("E9102", "开票员未登录电子税务局，请扫码登录", Outcome.TAX_LOGIN_REQUIRED),
    ("E9103", "请完成刷脸身份认证后再开票", Outcome.TAX_LOGIN_REQUIRED),
    ("070301", "accessToken不匹配/或appKey不匹配", Outcome.TOKEN_INVALID),
    ("0799", "accessToken已过期", Outcome.TOKEN_INVALID),
    ("070101", "获取app密钥失败或appkey无效", Outcome.CREDENTIALS),
    ("070401", "调用用户身份不匹配", Outcome.CREDENTIALS),
    ("070601", "签名不匹配", Outcome.CREDENTIALS),
    ("070306", "token调用次数超限", Outcome.RATE_LIMITED),
    ("070201", "超出API日流量限额", Outcome.RATE_LIMITED),
    ("040102", "API服务异常，请稍后重试", Outcome.TRANSIENT),
    ("9999", "系统繁忙", Outcome.TRANSIENT),
    ("X1", "?", Outcome.UNKNOWN),
    (None, "", Outcome.UNKNOWN),
])
def test_codes_map_to_actions(code, describe, outcome):
    assert nn.classify(code, describe) is outcome


def test_response_parsing():
    response = nn.parse_response('{"code":"E9106","describe":"订单编号或流水号不能重复","result":null}'.encode())
    assert (response.code, response.outcome, response.ok) == ("E9106", Outcome.DUPLICATE_ORDER, False)
    with pytest.raises(nn.NuonuoError) as error:
        response.raise_for_outcome()
    assert error.value.outcome is Outcome.DUPLICATE_ORDER and error.value.code == "E9106"
    assert nn.parse_response({"code": 200, "describe": "x"}).code == "200"
    for bad in (b"not json", b"[1, 2]", b'{"describe": "no code"}', b"\xff\xfe"):
        with pytest.raises(nn.NuonuoProtocolError):
            nn.parse_response(bad)


# ------------------------------------------------------------------------------------------------ blue invoice
def consumer_invoice(**overrides) -> nn.BlueInvoice:
    values = {
        "order_no": "EV20261008000001",
        "invoice_date": ISSUE_TIME,
        "clerk": "王开票",
        "seller": nn.Seller(SELLER_USCC, tel="020-88888888", address="广州市天河区示例路1号"),
        "buyer": nn.Buyer("李四"),
        "lines": [nn.BillingLine("电动自行车", GOODS_CODE, "13%", "3299.00", quantity=1, unit="辆",
                                 spec_type="TDT1234Z")],
        "remark": "整车编码：310422600000001；电池编码：BT2026A0001；充电器编码：CH2026B0001",
        "callback_url": "https://erp.example.com/ev_pay/einvoice/nuonuo/callback",
        "extension_number": "923",
    }
    values.update(overrides)
    return nn.BlueInvoice(**values)


def test_consumer_invoice_payload():
    assert nn.build_billing_payload(consumer_invoice()) == {"order": {
        "orderNo": "EV20261008000001",
        "invoiceDate": "2026-10-08 10:30:00",
        "invoiceType": "1",
        "invoiceLine": "pc",
        "clerk": "王开票",
        "salerTaxNum": SELLER_USCC,
        "buyerName": "李四",
        "naturalPersonFlag": "0",
        # else a ≤ 4-character personal name is blocked (einvoice.md#content-and-amounts)
        "naturalPersonVerifyFlag": "0",
        "pushMode": "-1",
        "salerTel": "020-88888888",
        "salerAddress": "广州市天河区示例路1号",
        "remark": "整车编码：310422600000001；电池编码：BT2026A0001；充电器编码：CH2026B0001",
        "callBackUrl": "https://erp.example.com/ev_pay/einvoice/nuonuo/callback",
        "extensionNumber": "923",
        "invoiceDetail": [{
            "goodsName": "电动自行车",
            "goodsCode": GOODS_CODE,
            "withTaxFlag": "1",
            "taxRate": "0.13",
            "taxExcludedAmount": "2919.47",
            "tax": "379.53",
            "taxIncludedAmount": "3299.00",
            "invoiceLineProperty": "0",
            "num": "1",
            "price": "3299",
            "unit": "辆",
            "specType": "TDT1234Z",
        }],
    }}


def test_invoice_date_is_sent_in_beijing_time_and_naive_dates_are_refused():
    utc_time = datetime(2026, 10, 8, 2, 30, tzinfo=UTC)
    assert nn.build_billing_payload(consumer_invoice(invoice_date=utc_time))["order"]["invoiceDate"] == \
        "2026-10-08 10:30:00"
    with pytest.raises(nn.InvoiceDataError, match="timezone-aware"):
        nn.build_billing_payload(consumer_invoice(invoice_date=datetime(2026, 10, 8, 10, 30)))


def test_company_buyer_sends_its_checked_taxpayer_id():
    order = nn.build_billing_payload(consumer_invoice(buyer=nn.Buyer(
        "浙江诺诺网络科技有限公司", " 91330106ma2aynwd8m ", is_company=True, address="杭州市", tel="0571-1")))["order"]
    assert order["buyerTaxNum"] == COMPANY_USCC and order["naturalPersonFlag"] == "0"
    assert "naturalPersonVerifyFlag" not in order
    special = nn.build_billing_payload(consumer_invoice(
        invoice_line=nn.InvoiceLine.SPECIAL, buyer=nn.Buyer("浙江诺诺网络科技有限公司", COMPANY_USCC, is_company=True)))
    assert special["order"]["invoiceLine"] == "bs"


def test_person_with_id_number_gets_the_invoice_in_their_own_folder():
    order = nn.build_billing_payload(consumer_invoice(buyer=nn.Buyer("李四", "11010519491231002X")))["order"]
    assert order["naturalPersonFlag"] == "1" and order["buyerTaxNum"] == "11010519491231002X"


@pytest.mark.parametrize("overrides, fragment", [
    ({"order_no": "EV202610080000000001X"}, "orderNo"),
    ({"order_no": "EV 2026"}, "orderNo"),
    ({"clerk": ""}, "clerk"),
    ({"remark": "备" * 201}, "remark"),
    ({"extension_number": "123456"}, "extension number"),
    ({"buyer": nn.Buyer("")}, "buyer name"),
    ({"buyer": nn.Buyer("某公司", "91330106MA2AYNWD8A", is_company=True)}, "buyer taxpayer id"),
    ({"buyer": nn.Buyer("某公司", is_company=True)}, "buyer taxpayer id"),
    ({"invoice_line": nn.InvoiceLine.SPECIAL}, "专票"),
    ({"seller": nn.Seller("91440101MA5APD8X8A")}, "seller taxpayer id"),
    ({"push_mode": "1"}, "mobile"),
    ({"push_mode": "0"}, "e-mail"),
    ({"lines": []}, "at least one line"),
    ({"lines": [nn.BillingLine("电动自行车", "1090511030000000000", "13%", "3299.00")]}, "printer"),
    ({"lines": [nn.BillingLine("电动自行车", GOODS_CODE, "17%", "3299.00")]}, "tax rate"),
    ({"lines": [nn.BillingLine("电动自行车", GOODS_CODE, "13%", "3299.001")]}, "2 decimals"),
    ({"lines": [nn.BillingLine("电动自行车", GOODS_CODE, "13%", "-3299.00")]}, "positive"),
    ({"lines": [nn.BillingLine("", GOODS_CODE, "13%", "1.00")]}, "goods name"),
    ({"lines": [nn.BillingLine("车" * 91, GOODS_CODE, "13%", "1.00")]}, "goods name"),
    ({"lines": [nn.BillingLine("车", GOODS_CODE, "13%", "1.00", spec_type="X" * 41)]}, "spec"),
    ({"lines": [nn.BillingLine("车", GOODS_CODE, "13%", "1.00", quantity=0)]}, "quantity"),
])
def test_invoice_data_problems_are_reported(overrides, fragment):
    with pytest.raises(nn.InvoiceDataError) as error:
        nn.build_billing_payload(consumer_invoice(**overrides))
    assert any(fragment in problem for problem in error.value.problems), error.value.problems


def test_all_problems_are_reported_at_once():
    with pytest.raises(nn.InvoiceDataError) as error:
        nn.build_billing_payload(consumer_invoice(order_no="", clerk="", remark="x" * 300,
                                                  lines=[nn.BillingLine("", "123", "13%", "1.00")]))
    assert len(error.value.problems) >= 5


def test_sandbox_seller_number_skips_the_uscc_check():
    order = nn.build_billing_payload(consumer_invoice(seller=nn.Seller(nn.TEST_SELLER_TAX_NUM)))["order"]
    assert order["salerTaxNum"] == "339902999999789113"


def test_line_variants():
    lines = [
        nn.BillingLine("电动自行车", GOODS_CODE, "13%", "6598.00", quantity=2),
        nn.BillingLine("锂电池", GOODS_CODE, "1%", "100.00", quantity=3),
        nn.BillingLine("旧车回收服务", GOODS_CODE, "免税", "50.00"),
    ]
    detail = nn.build_billing_payload(consumer_invoice(lines=lines))["order"]["invoiceDetail"]
    assert (detail[0]["num"], detail[0]["price"]) == ("2", "3299")
    assert (detail[1]["num"], detail[1]["price"], detail[1]["taxRate"]) == ("3", "33.33333333", "0.01")
    assert (detail[1]["taxExcludedAmount"], detail[1]["tax"]) == ("99.01", "0.99")
    assert "num" not in detail[2] and "price" not in detail[2]  # price and num go together or not at all
    assert (detail[2]["taxRate"], detail[2]["tax"], detail[2]["favouredPolicyFlag"]) == ("0", "0.00", "03")


def test_amounts_from_elsewhere_are_checked_not_trusted():
    good = nn.BillingLine("电动自行车", GOODS_CODE, "13%", "3299.00",
                          amounts=nn.LineAmounts(D("2919.48"), D("379.52"), D("3299.00"), nn.TaxRate.parse("13%")))
    assert nn.build_billing_payload(consumer_invoice(lines=[good]))["order"]["invoiceDetail"][0]["tax"] == "379.52"
    for amounts in (nn.LineAmounts(D("2900.00"), D("399.00"), D("3299.00"), nn.TaxRate.parse("13%")),
                    nn.LineAmounts(D("2919.47"), D("379.53"), D("3299.00"), nn.TaxRate.parse("13%"))):
        line = nn.BillingLine("电动自行车", GOODS_CODE, "13%", "3300.00" if amounts.tax == D("379.53") else "3299.00",
                              amounts=amounts)
        with pytest.raises(nn.InvoiceDataError):
            nn.build_billing_payload(consumer_invoice(lines=[line]))


def test_sms_delivery_normalises_the_phone():
    order = nn.build_billing_payload(consumer_invoice(push_mode="1", buyer=nn.Buyer("李四", phone="+86 138-0013-8000")))
    assert order["order"]["buyerPhone"] == "13800138000" and order["order"]["pushMode"] == "1"


def test_billing_response_gives_the_serial_or_says_to_query():
    accepted = nn.parse_response({"code": "E0000", "describe": "开票提交成功",
                                  "result": {"invoiceSerialNum": "20160108165823395151"}})
    assert nn.parse_billing_response(accepted) == "20160108165823395151"
    duplicate = nn.parse_response({"code": "E9106", "describe": "订单编号或流水号不能重复", "result": None})
    with pytest.raises(nn.NuonuoError) as error:
        nn.parse_billing_response(duplicate)
    # README.md#principles: query by orderNo instead of resubmitting
    assert error.value.outcome is Outcome.DUPLICATE_ORDER
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_billing_response(nn.parse_response({"code": "E0000", "describe": "", "result": {}}))


# ------------------------------------------------------------------------------------------------------ query
def test_query_payload():
    assert nn.build_query_payload(order_nos=["EV1"]) == {"orderNos": ["EV1"], "isOfferInvoiceDetail": "0"}
    assert nn.build_query_payload(serial_nos=["S1"], with_details=True) == {"serialNos": ["S1"],
                                                                          "isOfferInvoiceDetail": "1"}
    with pytest.raises(nn.InvoiceDataError):
        nn.build_query_payload()
    with pytest.raises(nn.InvoiceDataError):
        nn.build_query_payload(order_nos=[str(i) for i in range(51)])
    assert nn.build_reinvoice_payload("S1", "EV1") == {"fpqqlsh": "S1", "orderno": "EV1"}


QUERY_ANSWER = {"code": "E0000", "describe": "查询成功", "result": [
    {"serialNo": "S2", "orderNo": "EV2", "status": "2", "statusMsg": "开票完成", "invoiceTime": 1715688107000,
     "allElectronicInvoiceNumber": "24312000000136634917", "invoiceNo": "24312000000136634917",
     "pdfUrl": "https://inv.jss.com.cn/x.pdf", "ofdUrl": "https://inv.jss.com.cn/x.ofd",
     "exTaxAmount": "2919.47", "taxAmount": "379.53", "orderAmount": "3299.00", "payerName": "李四",
     "qrCode": "01,32,,24312000000136634917,2919.47,20240514,,1DD6"},
    {"serialNo": "S20", "orderNo": "EV20", "status": "20", "statusMsg": "开票中"},
    {"serialNo": "S21", "orderNo": "EV21", "status": "21", "allElectronicInvoiceNumbe": "24312000000136634918"},
    {"serialNo": "S22", "orderNo": "EV22", "status": "22", "failCause": "电子税务局登录已失效，需要重新登录"},
    {"serialNo": "S22b", "orderNo": "EV22b", "status": "22", "failCause": "购方税号不存在"},
    {"serialNo": "S24", "orderNo": "EV24", "status": "24", "statusMsg": "开票成功签章失败"},
    {"serialNo": "S3", "orderNo": "EV3", "status": "3"},
    {"serialNo": "S9", "orderNo": "EV9", "status": "99"},
    {"serialNo": "SR", "orderNo": "RV1", "status": "2", "allElectronicInvoiceNumber": "24312000000136634919",
     "oldEleInvoiceNumber": "24312000000136634917", "orderAmount": "-3299.00", "redReason": "2"},
]}


def test_query_results_are_normalised():
    results = {r.serial_no: r for r in nn.parse_invoice_results(nn.parse_response(json.dumps(QUERY_ANSWER)))}
    issued = results["S2"]
    assert issued.state is nn.InvoiceState.ISSUED and issued.final and not issued.is_red
    assert issued.invoice_number == "24312000000136634917"
    assert issued.issued_at == datetime(2024, 5, 14, 20, 1, 47, tzinfo=BEIJING)  # epoch ms → Beijing time
    assert (issued.amount_excl, issued.tax_amount, issued.amount_incl) == (D("2919.47"), D("379.53"), D("3299.00"))
    assert issued.pdf_url.endswith(".pdf") and issued.ofd_url.endswith(".ofd") and issued.xml_url == ""
    assert results["S20"].state is nn.InvoiceState.ISSUING and not results["S20"].final
    assert results["S21"].state is nn.InvoiceState.ISSUING
    # the misspelt field of one client (nuonuo.md#open-questions)
    assert results["S21"].invoice_number == "24312000000136634918"
    assert (results["S22"].state, results["S22"].failure) == (nn.InvoiceState.FAILED, Outcome.TAX_LOGIN_REQUIRED)
    assert (results["S22b"].state, results["S22b"].failure) == (nn.InvoiceState.FAILED, Outcome.VALIDATION)
    assert results["S24"].state is nn.InvoiceState.SIGN_FAILED and results["S24"].failure is Outcome.TRANSIENT
    assert results["S3"].state is nn.InvoiceState.VOIDED
    assert results["S9"].state is nn.InvoiceState.UNKNOWN and not results["S9"].final
    assert results["SR"].is_red and results["SR"].original_invoice_number == "24312000000136634917"


def test_query_not_found_is_empty_and_other_errors_raise():
    assert nn.parse_invoice_results(nn.parse_response({"code": "E9500", "describe": "发票不存在"})) == []
    with pytest.raises(nn.NuonuoError):
        nn.parse_invoice_results(nn.parse_response({"code": "070301", "describe": "accessToken不匹配"}))
    single = nn.parse_response({"code": "E0000", "result": {"serialNo": "S1", "status": "20"}})
    assert [r.serial_no for r in nn.parse_invoice_results(single)] == ["S1"]
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_invoice_results(nn.parse_response({"code": "E0000", "result": "oops"}))


# -------------------------------------------------------------------------------------------------------- callback
# A real callback's content (trimmed; einvoice.md#invoice-number QR sample comes from it).
REAL_CALLBACK_CONTENT = {
    "c_status": "1", "c_orderno": "20240514200006941204927", "c_fpqqlsh": "24051420014001423596",
    "c_fphm": "24312000000136634917", "allElectronicInvoiceNumber": "24312000000136634917", "c_fpdm": "",
    "c_kprq": "1715688107000", "c_invoice_line": "pc", "c_hjje": "0.01", "c_hjse": "0.00", "c_bhsje": "0.01",
    "c_url": "https://inv.jss.com.cn/fp2/AlbMom_Ik6qbApwQ0iNlQ5RN64wgkx6KQdUKs5hoQSHSktgWBUEuWKEQFf8wO8uSwK4uBL06Zu5"
             "WG5eSqb5QRw.pdf",
    "c_ofd_url": "https://inv.jss.com.cn/fp2/DtTCGikOBJs9AM7snCYhI2e-X66Ovm8BYkeda5IqSD_q50hlVLuK5Y4_WoZBEVo9h-X9rjx"
                 "6aWSjMrN730Ne9w.ofd",
    "qrCode": "01,32,,24312000000136634917,0.01,20240514,,1DD6",
    "invoiceItems": [{"itemName": "消防设施操作员中级培训费", "itemCode": "3070201020000000000",
                      "itemTaxRate": "0.03", "itemSumAmount": "0.01", "itemTaxAmount": "0.00"}],
}


def test_real_callback_is_parsed():
    form = {"operater": "callback", "orderno": "20240514200006941204927",
            "content": json.dumps(REAL_CALLBACK_CONTENT, ensure_ascii=False)}
    for raw in (form, urlencode(form).encode("utf-8"), urlencode(form)):
        callback = nn.parse_invoice_callback(raw)
        assert callback.state is nn.InvoiceState.ISSUED and callback.failure is None
        assert (callback.order_no, callback.serial_no) == ("20240514200006941204927", "24051420014001423596")
        assert callback.invoice_number == "24312000000136634917"
        assert callback.issued_at == datetime(2024, 5, 14, 20, 1, 47, tzinfo=BEIJING)
        assert callback.pdf_url.endswith(".pdf") and callback.ofd_url.endswith(".ofd")
    assert nn.CALLBACK_ACK == {"status": "0000", "message": "同步成功"}


@pytest.mark.parametrize("c_status, state", [("1", nn.InvoiceState.ISSUED), ("2", nn.InvoiceState.FAILED),
                                             ("3", nn.InvoiceState.SIGN_FAILED), ("9", nn.InvoiceState.UNKNOWN)])
def test_callback_status_codes_differ_from_query_codes(c_status, state):
    content = {**REAL_CALLBACK_CONTENT, "c_status": c_status, "c_errorMessage": "需要重新登录"}
    callback = nn.parse_invoice_callback({"operater": "callback", "orderno": content["c_orderno"],
                                          "content": json.dumps(content)})
    assert callback.state is state
    assert callback.failure is (Outcome.TAX_LOGIN_REQUIRED if state is nn.InvoiceState.FAILED else None)


@pytest.mark.parametrize("form", [
    {"operater": "other", "orderno": "1", "content": "{}"},
    {"orderno": "1", "content": "{}"},
    {"operater": "callback", "orderno": "1", "content": "not json"},
    {"operater": "callback", "orderno": "OTHER", "content": json.dumps(REAL_CALLBACK_CONTENT)},
])
def test_bad_callbacks_are_refused(form):
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_invoice_callback(form)


# ------------------------------------------------------------------------------------------------------ red letter
def test_red_reasons_map_between_nuonuo_and_bureau_codes():
    assert nn.RedReason.from_bureau("01") is nn.RedReason.INVOICING_ERROR
    assert nn.RedReason.INVOICING_ERROR.nuonuo_code == "2"
    assert nn.RedReason.from_nuonuo("1") is nn.RedReason.SALES_RETURN
    assert nn.RedReason.SALES_RETURN.bureau_code == "02"
    assert [r.nuonuo_code for r in nn.RedReason] == ["1", "2", "3", "4"]
    with pytest.raises(ValueError):
        nn.RedReason.from_nuonuo("5")


def red_request(**overrides) -> nn.RedConfirmRequest:
    values = {"bill_id": "RB20261008000001", "blue_invoice_number": "26332000000123456789",
              "blue_invoice_line": nn.InvoiceLine.GENERAL, "seller_tax_num": SELLER_USCC,
              "seller_name": "示例电动车行", "buyer_name": "李四", "reason": nn.RedReason.INVOICING_ERROR,
              "order_no": "RV20261008000001"}
    values.update(overrides)
    return nn.RedConfirmRequest(**values)


def test_full_red_payload():
    assert nn.build_red_confirm_payload(red_request()) == {
        "billId": "RB20261008000001", "blueInvoiceLine": "pc", "applySource": "0",
        "blueElecInvoiceNumber": "26332000000123456789", "sellerTaxNo": SELLER_USCC, "sellerName": "示例电动车行",
        "buyerName": "李四", "redReason": "2", "orderNo": "RV20261008000001"}


PARTIAL_LINE = nn.RedLine(1, "电动自行车", GOODS_CODE, "13%", "-265.49", "-34.51")


def test_partial_red_only_after_booking_and_only_for_returns_or_allowances():
    with pytest.raises(nn.InvoiceDataError, match="booked"):
        nn.build_red_confirm_payload(red_request(reason=nn.RedReason.SALES_ALLOWANCE, lines=[PARTIAL_LINE]))
    with pytest.raises(nn.InvoiceDataError, match="开票有误"):  # an invoicing error is always a full red
        nn.build_red_confirm_payload(red_request(buyer_has_booked=True, lines=[PARTIAL_LINE]))
    payload = nn.build_red_confirm_payload(red_request(reason=nn.RedReason.SALES_ALLOWANCE, buyer_has_booked=True,
                                                       lines=[PARTIAL_LINE]))
    assert payload["redReason"] == "4"
    assert payload["detail"] == [{"blueDetailIndex": "1", "goodsName": "电动自行车", "goodsCode": GOODS_CODE,
                                  "taxRate": "0.13", "taxExcludedAmount": "-265.49", "taxAmount": "-34.51"}]


@pytest.mark.parametrize("overrides, fragment", [
    ({"bill_id": ""}, "billId"),
    ({"bill_id": "B" * 33}, "billId"),
    ({"blue_invoice_number": "2633200000012345678"}, "blue invoice number"),
    ({"order_no": "R" * 21}, "red orderNo"),
    ({"buyer_name": ""}, "buyer name"),
    ({"reason": nn.RedReason.SALES_RETURN, "buyer_has_booked": True,
      "lines": [nn.RedLine(1, "车", GOODS_CODE, "13%", "265.49", "34.51")]}, "negative"),
    ({"reason": nn.RedReason.SALES_RETURN, "buyer_has_booked": True,
      "lines": [nn.RedLine(0, "车", GOODS_CODE, "13%", "-265.49", "-34.51", quantity="x")]}, "index"),
])
def test_red_form_problems(overrides, fragment):
    with pytest.raises(nn.InvoiceDataError) as error:
        nn.build_red_confirm_payload(red_request(**overrides))
    assert any(fragment in p for p in error.value.problems), error.value.problems


def test_red_form_query_refresh_decision_cancel_and_fast_red_payloads():
    assert nn.build_red_confirm_query(bill_id="RB1") == {"identity": "0", "billId": "RB1", "pageNo": "1",
                                                         "pageSize": "50"}
    ranged = nn.build_red_confirm_query(date_from=date(2026, 9, 1), date_to=date(2026, 11, 29), page_no=2)
    assert (ranged["billTimeStart"], ranged["billTimeEnd"], ranged["pageNo"]) == ("2026-09-01", "2026-11-29", "2")
    for bad in ({}, {"date_from": date(2026, 1, 1), "date_to": date(2026, 4, 2)}, {"bill_id": "x", "page_size": 51}):
        with pytest.raises(nn.InvoiceDataError):
            nn.build_red_confirm_query(**bad)
    assert nn.build_red_confirm_refresh(bill_uuid="U1") == {"identity": "0", "billUuid": "U1"}
    with pytest.raises(nn.InvoiceDataError):
        nn.build_red_confirm_refresh()
    assert nn.build_red_confirm_decision(agree=False, bill_no="N1", reason="金额不符") == {
        "identity": "0", "billNo": "N1", "confirmAgreement": "0", "confirmReason": "金额不符"}
    assert nn.build_red_confirm_cancel(bill_id="RB1", extension_number="923") == {
        "identity": "0", "billId": "RB1", "extensionNumber": "923"}
    with pytest.raises(nn.InvoiceDataError):
        nn.build_red_confirm_cancel()
    assert nn.build_fast_invoice_red(order_no="RV1", tax_num=SELLER_USCC, blue_invoice_number="26332000000123456789",
                                     invoice_line=nn.InvoiceLine.GENERAL, bill_no="N1") == {
        "orderNo": "RV1", "taxNum": SELLER_USCC, "elecInvoiceNumber": "26332000000123456789", "invoiceLine": "pc",
        "billNo": "N1"}
    with pytest.raises(nn.InvoiceDataError, match="billNo or billUuid"):
        nn.build_fast_invoice_red(order_no="RV1", tax_num=SELLER_USCC, blue_invoice_number="26332000000123456789",
                                  invoice_line=nn.InvoiceLine.GENERAL)


def test_red_form_query_answer_is_normalised():
    forms = [
        {"billId": "RB1", "billNo": "N1", "billUuid": "U1", "billStatus": "01", "openStatus": "1",
         "invoiceSerialNum": "S9", "orderNo": "RV1", "blueInvoiceNumber": "26332000000123456789",
         "taxExcludedAmount": "-2919.47", "taxAmount": "-379.53", "redReason": "2", "applySource": 0},
        {"billId": "RB2", "billStatus": "02"},
        {"billId": "RB3", "billStatus": "07"},
        {"billId": "RB4", "billStatus": "16", "billMessage": "蓝票不存在"},
        {"billId": "RB5", "billStatus": "42"},
    ]
    for answer in ({"code": "E0000", "result": {"total": "5", "list": forms}},
                   {"code": "0000", "describe": "查询成功", "total": "5", "list": forms}):  # the doc page's layout
        page = nn.parse_red_confirm_query(nn.parse_response(answer))
        assert page.total == 5
        first = page.forms[0]
        assert first.state is nn.RedFormState.NO_CONFIRMATION_NEEDED and first.state.red_invoice_due
        assert first.red_invoice_issued and first.invoice_serial_num == "S9" and first.status_label == "无需确认"
        assert (first.amount_excl, first.reason, first.apply_source) == (D("-2919.47"),
                                                                         nn.RedReason.INVOICING_ERROR, "0")
        assert [f.state for f in page.forms[1:]] == [nn.RedFormState.AWAITING_BUYER, nn.RedFormState.CANCELLED,
                                                     nn.RedFormState.APPLY_FAILED, nn.RedFormState.UNKNOWN]
        assert not page.forms[1].state.red_invoice_due and page.forms[3].message == "蓝票不存在"
    assert nn.parse_red_confirm_saved(nn.parse_response({"code": "E0000", "result": "13123123123123123"})) == \
        "13123123123123123"
