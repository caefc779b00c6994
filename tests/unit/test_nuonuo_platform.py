"""Nuonuo platform side for the simulator (protocols.nuonuo_platform), driven through the client side
(protocols.nuonuo) as the Odoo models will drive the real platform (docs/protocols/: einvoice.md#red-letter-invoices,
einvoice.md#invoice-xml, nuonuo.md and the README.md#simulators checklist)."""
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from urllib.parse import urlencode

import pytest

from protocols import einvoice_rules as rules
from protocols import nuonuo as nn
from protocols import nuonuo_platform as platform
from protocols.nuonuo import Outcome

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 10, 8, 10, 30, tzinfo=BEIJING)
# A placeholder; the real e-bike code is UNCONFIRMED (einvoice.md#tax-classification-codes).
GOODS_CODE = "1090512990000000000"
SECRETS = {"SD63236305": "SDDED2523BED4643"}
CREDENTIALS = nn.Credentials("SD63236305", "SDDED2523BED4643", "token-1", nn.TEST_SELLER_TAX_NUM)


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sandbox(clock):
    return platform.NuonuoSandbox(seed="unit-tests", clock=clock, short_names={GOODS_CODE: "摩托车"})


def blue_invoice(order_no="EV20261008000001", amount="3299.00", buyer=None, **overrides):
    values = {
        "order_no": order_no, "invoice_date": NOW, "clerk": "王开票",
        "seller": nn.Seller(nn.TEST_SELLER_TAX_NUM, tel="0571-88888888", address="杭州市西湖区示例路1号",
                            bank_account="中国工商银行杭州分行 1202020209000012345"),
        "buyer": buyer or nn.Buyer("李四"),
        "lines": [nn.BillingLine("电动自行车", GOODS_CODE, "13%", amount, quantity=1, unit="辆", spec_type="TDT1234Z")],
        "remark": "整车编码：310422600000001；电池编码：BT2026A0001；充电器编码：CH2026B0001",
    }
    values.update(overrides)
    return nn.BlueInvoice(**values)


def send(sandbox, api_method, payload, credentials=CREDENTIALS, url=nn.TEST_URL) -> nn.NuonuoResponse:
    """Client builds and signs, the sandbox verifies like the gateway and answers, the client parses."""
    request = nn.build_request(api_method, payload, credentials, url=url)
    answer = sandbox.handle(params=request.params, headers=request.headers, body=request.body,
                            secret_for=SECRETS.get, token_valid=lambda key, token: token == "token-1")
    return nn.parse_response(platform.envelope_body(answer))


def issue(sandbox, invoice=None) -> nn.InvoiceResult:
    invoice = invoice or blue_invoice()
    serial = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING, nn.build_billing_payload(invoice)))
    sandbox.process_all()
    [result] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                             nn.build_query_payload(serial_nos=[serial])))
    return result


# ----------------------------------------------------------------------------------------------- gateway checks
def signed(payload=None, **changes):
    request = nn.build_request(nn.ApiMethod.QUERY_INVOICE, payload or {"orderNos": ["EV1"]}, CREDENTIALS,
                               timestamp=1700000000)
    params, headers, body = dict(request.params), dict(request.headers), request.body
    params.update(changes.pop("params", {}))
    headers.update(changes.pop("headers", {}))
    return {"params": params, "headers": headers, "body": changes.pop("body", body)}


def test_a_correctly_signed_request_is_accepted():
    verified = platform.verify_request(**signed(), secret_for=SECRETS.get)
    assert (verified.app_key, verified.api_method, verified.user_tax) == (
        "SD63236305", "nuonuo.OpeMplatform.queryInvoiceResult", nn.TEST_SELLER_TAX_NUM)
    assert verified.payload == {"orderNos": ["EV1"]}


def test_header_names_are_case_insensitive():
    call = signed()
    call["headers"] = {key.lower(): value for key, value in call["headers"].items()}
    assert platform.verify_request(**call, secret_for=SECRETS.get).api_method.endswith("queryInvoiceResult")


def test_a_client_mounted_under_a_prefix_signs_what_the_gateway_checks():
    request = nn.build_request("m", {"a": 1}, CREDENTIALS, url="http://localhost:8069/ev_pay/sandbox/nuonuo/open/v1/services")
    assert platform.verify_request(params=request.params, headers=request.headers, body=request.body,
                                   secret_for=SECRETS.get).payload == {"a": 1}


@pytest.mark.parametrize("changes, code", [
    ({"body": b'{"orderNos":["EV2"]}'}, "070601"),  # body changed after signing
    ({"body": b'{"orderNos": ["EV1"]}'}, "070601"),  # same JSON, different text: the text is what is signed
    ({"params": {"timestamp": "1700000001"}}, "070601"),
    ({"params": {"nonce": "12345678"}}, "070601"),
    ({"params": {"appkey": "unknown"}}, "070101"),
    ({"params": {"senid": "abc"}}, "0201"),
    ({"params": {"nonce": "1234567"}}, "0201"),
    ({"params": {"timestamp": "soon"}}, "0201"),
    ({"headers": {"X-Nuonuo-Sign": "AAAA"}}, "070601"),
    ({"headers": {"accessToken": "stolen"}}, "070301"),
    ({"headers": {"method": ""}}, "070501"),
    ({"body": b"\xff\xfe"}, "070601"),
])
def test_gateway_refusals_carry_the_gateways_codes(changes, code):
    with pytest.raises(platform.PlatformError) as error:
        platform.verify_request(**signed(**changes), secret_for=SECRETS.get,
                                token_valid=lambda key, token: token == "token-1")
    assert error.value.code == code
    assert error.value.envelope() == {"code": code, "describe": error.value.describe, "result": None}


def test_non_json_body_is_refused_after_the_signature_check():
    request = nn.build_request("m", {}, CREDENTIALS)
    body = b"not json"
    headers = {**request.headers, "X-Nuonuo-Sign": nn.sign(CREDENTIALS.app_secret, CREDENTIALS.app_key,
                                                           request.params["senid"], request.params["nonce"],
                                                           request.params["timestamp"], body)}
    with pytest.raises(platform.PlatformError) as error:
        platform.verify_request(params=request.params, headers=headers, body=body, secret_for=SECRETS.get)
    assert error.value.code == "0201"


def test_optional_clock_skew_check():
    call = signed()
    with pytest.raises(platform.PlatformError) as error:
        platform.verify_request(**call, secret_for=SECRETS.get, now=1700000000 + 3600, max_clock_skew=600)
    assert error.value.code == "070601"
    platform.verify_request(**call, secret_for=SECRETS.get, now=1700000000 + 60, max_clock_skew=600)


def test_credentials_errors_reach_the_client_as_outcomes(sandbox):
    wrong = nn.Credentials("SD63236305", "not-the-secret", "token-1")
    assert send(sandbox, nn.ApiMethod.QUERY_INVOICE, {"orderNos": ["x"]}, wrong).outcome is Outcome.CREDENTIALS
    expired = nn.Credentials("SD63236305", "SDDED2523BED4643", "token-0")
    assert send(sandbox, nn.ApiMethod.QUERY_INVOICE, {"orderNos": ["x"]}, expired).outcome is Outcome.TOKEN_INVALID
    assert send(sandbox, "nuonuo.OpeMplatform.noSuchApi", {}).outcome is Outcome.CREDENTIALS  # 070501


# --------------------------------------------------------------------------------------------------------- numbers
def test_invoice_numbers_are_deterministic_20_digit_numbers():
    first = platform.invoice_number("seed", 1, date(2026, 10, 8))
    assert first == platform.invoice_number("seed", 1, date(2026, 10, 8))
    assert first != platform.invoice_number("seed", 2, date(2026, 10, 8))
    assert first != platform.invoice_number("other seed", 1, date(2026, 10, 8))
    parsed = rules.parse_einvoice_number(first)
    assert (parsed.year, parsed.region_code, parsed.channel) == (2026, "33", "2")
    shanghai = platform.invoice_number("seed", 7, date(2024, 5, 14), region_code="31")
    assert shanghai.startswith("24312") and len(shanghai) == 20
    assert len({platform.invoice_number("seed", n, date(2026, 1, 1)) for n in range(1000)}) == 1000
    with pytest.raises(ValueError):
        platform.invoice_number("seed", 1, date(2026, 1, 1), region_code="99")


def test_serial_numbers_look_like_the_real_ones():
    serial = platform.serial_number("seed", 1, NOW)
    assert len(serial) == 20 and serial.isdigit() and serial.startswith("261008103000")


# ----------------------------------------------------------------------------------------------------- blue flow
def test_blue_invoice_goes_from_accepted_to_issued(sandbox):
    payload = nn.build_billing_payload(blue_invoice())
    accepted = send(sandbox, nn.ApiMethod.REQUEST_BILLING, payload)
    serial = nn.parse_billing_response(accepted)
    assert accepted.describe == "开票提交成功"
    query = nn.build_query_payload(order_nos=["EV20261008000001"])

    [result] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE, query))
    assert (result.serial_no, result.status, result.state, result.invoice_number) == (
        serial, "20", nn.InvoiceState.ISSUING, None)
    assert sandbox.process(serial) == "21"
    [result] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE, query))
    assert result.state is nn.InvoiceState.ISSUING and result.invoice_number  # numbered, signature pending
    assert sandbox.process(serial) == "2"
    [result] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE, query))
    assert result.state is nn.InvoiceState.ISSUED and result.final
    assert rules.validate_einvoice_number(result.invoice_number, issued_on=NOW.date())
    assert result.issued_at == NOW
    assert (result.amount_excl, result.tax_amount, result.amount_incl) == (D("2919.47"), D("379.53"), D("3299.00"))
    assert result.pdf_url.endswith(result.invoice_number + ".pdf") and result.ofd_url.endswith(".ofd")
    assert result.xml_url.endswith(".xml")
    assert result.qr_code == f"01,32,,{result.invoice_number},2919.47,20261008,,{result.qr_code[-4:]}"


def test_duplicate_order_no_is_rejected_with_e9106_and_recovered_by_a_query(sandbox):
    payload = nn.build_billing_payload(blue_invoice())
    serial = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING, payload))
    again = send(sandbox, nn.ApiMethod.REQUEST_BILLING, payload)  # e.g. a retry after a timeout
    assert (again.code, again.outcome) == ("E9106", Outcome.DUPLICATE_ORDER)
    with pytest.raises(nn.NuonuoError):
        nn.parse_billing_response(again)
    [known] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                            nn.build_query_payload(order_nos=["EV20261008000001"])))
    assert known.serial_no == serial and len(sandbox.invoices) == 1


def test_unknown_invoice_query_is_e9500(sandbox):
    answer = send(sandbox, nn.ApiMethod.QUERY_INVOICE, nn.build_query_payload(order_nos=["NOPE"]))
    assert answer.code == "E9500" and nn.parse_invoice_results(answer) == []


def test_issued_invoice_xml_has_the_official_structure(sandbox):
    result = issue(sandbox, blue_invoice(buyer=nn.Buyer("浙江诺诺网络科技有限公司", "91330106MA2AYNWD8M",
                                                            is_company=True, address="杭州市", tel="0571-1")))
    root = ET.fromstring(sandbox.invoice_xml(result.serial_no))
    assert root.tag == "EInvoice"
    assert root.findtext("Header/EIid") == result.invoice_number == root.findtext("TaxSupervisionInfo/InvoiceNumber")
    assert root.findtext("Header/EInvoiceTag") == "SWEI3300"
    assert root.findtext("Header/InherentLabel/InIssuType/LabelCode") == "Y"
    assert root.findtext("Header/InherentLabel/GeneralOrSpecialVAT/LabelName") == "普通发票"
    data = root.find("EInvoiceData")
    assert data.findtext("SellerInformation/SellerIdNum") == nn.TEST_SELLER_TAX_NUM
    assert data.findtext("SellerInformation/SellerBankName") == "中国工商银行杭州分行"
    assert data.findtext("SellerInformation/SellerBankAccNum") == "1202020209000012345"
    assert data.findtext("BuyerInformation/BuyerIdNum") == "91330106MA2AYNWD8M"
    basic = data.find("BasicInformation")
    # The total is TotalTax-includedAmount; the line's is TotaltaxIncludedAmount (einvoice.md#invoice-xml pitfall).
    assert (basic.findtext("TotalAmWithoutTax"), basic.findtext("TotalTaxAm"),
            basic.findtext("TotalTax-includedAmount")) == ("2919.47", "379.53", "3299.00")
    assert basic.findtext("TotalTax-includedAmountInChinese") == "叁仟贰佰玖拾玖元整"
    assert basic.findtext("Drawer") == "王开票"
    [item] = data.findall("IssuItemInformation")
    assert item.findtext("ItemName") == "*摩托车*电动自行车"
    assert (item.findtext("SpecMod"), item.findtext("MeaUnits"), item.findtext("Quantity")) == ("TDT1234Z", "辆", "1")
    assert (item.findtext("UnPrice"), item.findtext("Amount"), item.findtext("TaxRate")) == ("2919.47", "2919.47",
                                                                                             "0.13")
    assert (item.findtext("ComTaxAm"), item.findtext("TotaltaxIncludedAmount")) == ("379.53", "3299.00")
    assert item.findtext("TaxClassificationCode") == GOODS_CODE
    assert data.findtext("AdditionalInformation/Remark").startswith("整车编码：310422600000001")
    assert data.find("SpecificInformation") is None  # only red invoices carry RedEInvoice
    assert root.findtext("TaxSupervisionInfo/TaxBureauCode") == "13300000000"
    assert root.findtext("TaxSupervisionInfo/TaxBureauName") == "国家税务总局浙江省税务局"
    with pytest.raises(ValueError):
        sandbox.invoice_xml(nn.parse_billing_response(send(
            sandbox, nn.ApiMethod.REQUEST_BILLING, nn.build_billing_payload(blue_invoice("EV2")))))


def test_sandbox_enforces_the_platforms_order_rules(sandbox):
    order = nn.build_billing_payload(blue_invoice())["order"]
    cases = [
        ({k: v for k, v in order.items() if k != "naturalPersonVerifyFlag"}, "小于等于4位"),  # why the client sends it
        ({**order, "orderNo": "X" * 21}, "20位"),
        ({**order, "invoiceType": "2"}, "红字确认单"),
        ({**order, "invoiceLine": "bs"}, "购方税号"),
        ({**order, "pushMode": "1"}, "购方手机"),
        ({**order, "invoiceDate": "2026/10/08"}, "yyyy-MM-dd"),
        ({**order, "invoiceDetail": [{**order["invoiceDetail"][0], "tax": "380.00"}]}, "must equal"),
        ({**order, "invoiceDetail": [{**order["invoiceDetail"][0], "price": ""}]}, "同时"),
        ({**order, "invoiceDetail": [{**order["invoiceDetail"][0], "goodsCode": "123"}]}, "19位"),
        ({**order, "invoiceDetail": [
            {**order["invoiceDetail"][0], "invoiceLineProperty": "2"},
            {**order["invoiceDetail"][0], "goodsName": "别的", "invoiceLineProperty": "1",
             "taxExcludedAmount": "-88.50", "tax": "-11.50", "taxIncludedAmount": "-100.00", "num": "", "price": ""}]},
         "折扣行"),
    ]
    for wrong, fragment in cases:
        answer = send(sandbox, nn.ApiMethod.REQUEST_BILLING, {"order": wrong})
        assert answer.code == "E9105" and answer.outcome is Outcome.VALIDATION, wrong
        assert fragment in answer.describe, answer.describe
    discounted = [{**order["invoiceDetail"][0], "invoiceLineProperty": "2"},
                  {**order["invoiceDetail"][0], "invoiceLineProperty": "1", "taxExcludedAmount": "-88.50",
                   "tax": "-11.50", "taxIncludedAmount": "-100.00", "num": "", "price": ""}]
    assert send(sandbox, nn.ApiMethod.REQUEST_BILLING, {"order": {**order, "invoiceDetail": discounted}}).ok
    assert not sandbox.invoices[next(iter(sandbox.invoices))].is_red


def test_logged_out_drawer_fails_issuing_and_recovers_with_reinvoice(sandbox):
    serial = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING,
                                            nn.build_billing_payload(blue_invoice())))
    sandbox.drawer_logged_in = False
    sandbox.process_all()
    [failed] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                             nn.build_query_payload(serial_nos=[serial])))
    assert failed.state is nn.InvoiceState.FAILED and failed.failure is Outcome.TAX_LOGIN_REQUIRED  # pause, re-login
    sandbox.drawer_logged_in = True
    assert send(sandbox, nn.ApiMethod.REINVOICE, nn.build_reinvoice_payload(serial, "EV20261008000001")).ok
    sandbox.process_all()
    [issued] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                             nn.build_query_payload(serial_nos=[serial])))
    assert issued.state is nn.InvoiceState.ISSUED and issued.order_no == "EV20261008000001"


def test_signing_failure_is_retried_with_reinvoice(sandbox):
    sandbox.fail_signing_next()
    serial = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING,
                                            nn.build_billing_payload(blue_invoice())))
    sandbox.process_all()
    assert sandbox.invoices[serial].status == "24"
    number = sandbox.invoices[serial].number
    assert send(sandbox, nn.ApiMethod.REINVOICE, nn.build_reinvoice_payload(serial, "EV20261008000001")).ok
    assert sandbox.invoices[serial].status == "21"
    sandbox.process_all()
    assert (sandbox.invoices[serial].status, sandbox.invoices[serial].number) == ("2", number)  # same invoice


def test_injected_issuing_failure_and_reinvoice_limits(sandbox, clock):
    sandbox.fail_next("购方税号不存在")
    serial = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING,
                                            nn.build_billing_payload(blue_invoice())))
    sandbox.process_all()
    [failed] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                             nn.build_query_payload(serial_nos=[serial])))
    assert (failed.fail_cause, failed.failure) == ("购方税号不存在", Outcome.VALIDATION)
    retry = nn.build_reinvoice_payload(serial, "EV20261008000001")
    for _ in range(platform.REINVOICE_DAILY_LIMIT):
        sandbox.fail_next()
        assert send(sandbox, nn.ApiMethod.REINVOICE, retry).ok
        sandbox.process_all()
    limited = send(sandbox, nn.ApiMethod.REINVOICE, retry)
    assert (limited.code, limited.outcome) == ("E9613", Outcome.RETRY_LIMIT)
    clock.now = NOW + timedelta(days=1)  # the limit is per day
    assert send(sandbox, nn.ApiMethod.REINVOICE, retry).ok
    sandbox.process_all()
    assert sandbox.invoices[serial].status == "2"
    refused = send(sandbox, nn.ApiMethod.REINVOICE, retry)
    assert refused.code == "E9105" and "无需再重试" in refused.describe
    assert send(sandbox, nn.ApiMethod.REINVOICE, nn.build_reinvoice_payload(serial, "OTHER")).code == "E9500"


def test_callback_form_is_understood_by_the_client(sandbox):
    result = issue(sandbox)
    form = sandbox.callback_form(result.serial_no)
    callback = nn.parse_invoice_callback(urlencode(form).encode("utf-8"))
    assert (callback.state, callback.order_no, callback.serial_no) == (nn.InvoiceState.ISSUED, result.order_no,
                                                                       result.serial_no)
    assert callback.invoice_number == result.invoice_number and callback.issued_at == result.issued_at
    assert callback.pdf_url == result.pdf_url
    sandbox.drawer_logged_in = False
    failing = nn.parse_billing_response(send(sandbox, nn.ApiMethod.REQUEST_BILLING,
                                             nn.build_billing_payload(blue_invoice("EV2"))))
    with pytest.raises(ValueError):
        sandbox.callback_form(failing)  # not final yet: Nuonuo calls back only with a result
    sandbox.process_all()
    failed = nn.parse_invoice_callback(sandbox.callback_form(failing))
    assert (failed.state, failed.failure) == (nn.InvoiceState.FAILED, Outcome.TAX_LOGIN_REQUIRED)


# ------------------------------------------------------------------------------------------------------ red flow
def red_request(blue: nn.InvoiceResult, **overrides) -> nn.RedConfirmRequest:
    values = {"bill_id": "RB20261008000001", "blue_invoice_number": blue.invoice_number,
              "blue_invoice_line": nn.InvoiceLine.GENERAL, "seller_tax_num": nn.TEST_SELLER_TAX_NUM,
              "seller_name": "诺诺沙箱测试企业", "buyer_name": "李四", "reason": nn.RedReason.INVOICING_ERROR,
              "order_no": "RV20261008000001"}
    values.update(overrides)
    return nn.RedConfirmRequest(**values)


def query_form(sandbox, bill_id) -> nn.RedConfirmForm:
    [form] = nn.parse_red_confirm_query(send(sandbox, nn.ApiMethod.QUERY_RED_CONFIRM,
                                             nn.build_red_confirm_query(bill_id=bill_id))).forms
    return form


def test_consumer_full_red_needs_no_confirmation_and_issues_the_red_invoice(sandbox):
    blue = issue(sandbox)
    saved = send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, nn.build_red_confirm_payload(red_request(blue)))
    assert nn.parse_red_confirm_saved(saved) == "RB20261008000001"
    form = query_form(sandbox, "RB20261008000001")
    assert form.state is nn.RedFormState.NO_CONFIRMATION_NEEDED and form.state.red_invoice_due
    assert form.invoice_serial_num and not form.red_invoice_issued  # issuing
    sandbox.process_all()
    form = query_form(sandbox, "RB20261008000001")
    assert form.red_invoice_issued and form.order_no == "RV20261008000001"
    assert (form.amount_excl, form.tax_amount, form.reason) == (D("-2919.47"), D("-379.53"),
                                                                nn.RedReason.INVOICING_ERROR)
    [red] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                          nn.build_query_payload(serial_nos=[form.invoice_serial_num])))
    assert red.state is nn.InvoiceState.ISSUED and red.is_red
    assert red.original_invoice_number == blue.invoice_number != red.invoice_number
    assert red.amount_incl == D("-3299.00")
    root = ET.fromstring(sandbox.invoice_xml(red.serial_no))
    assert root.findtext("Header/InherentLabel/InIssuType/LabelCode") == "N"
    assert root.findtext("EInvoiceData/SpecificInformation/RedEInvoice/OriginalInvoiceCode") == blue.invoice_number
    assert root.findtext("EInvoiceData/BasicInformation/TotalTax-includedAmount") == "-3299.00"
    basic = root.find("EInvoiceData/BasicInformation")
    assert basic.findtext("TotalTax-includedAmountInChinese") == "（负数）叁仟贰佰玖拾玖元整"
    assert root.findtext("EInvoiceData/AdditionalInformation/Remark").startswith(
        f"被红冲蓝字数电发票号码：{blue.invoice_number} 红字发票信息确认单编号：{form.bill_no}")
    assert root.findtext("EInvoiceData/IssuItemInformation/Quantity") == "-1"
    fast = send(sandbox, nn.ApiMethod.FAST_INVOICE_RED, nn.build_fast_invoice_red(
        order_no="RV20261008000001", tax_num=nn.TEST_SELLER_TAX_NUM, blue_invoice_number=blue.invoice_number,
        invoice_line=nn.InvoiceLine.GENERAL, bill_no=form.bill_no))
    assert fast.result == {"invoiceSerialNum": red.serial_no}
    # No second full red of the same blue invoice, and no reuse of a form id.
    again = send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM,
                 nn.build_red_confirm_payload(red_request(blue, bill_id="RB2", order_no="RV2")))
    assert again.code == "E9105" and "全额冲红" in again.describe
    assert send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM,
                nn.build_red_confirm_payload(red_request(blue))).outcome is Outcome.DUPLICATE_ORDER


def test_booked_invoice_partial_red_waits_for_the_buyer(sandbox):
    blue = issue(sandbox)
    sandbox.mark_booked(blue.invoice_number)
    allowance = rules.split_tax_inclusive("-300.00", "13%")
    request = red_request(blue, reason=nn.RedReason.SALES_ALLOWANCE, buyer_has_booked=True, lines=[
        nn.RedLine(1, "电动自行车", GOODS_CODE, "13%", allowance.excl, allowance.tax)])
    assert send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, nn.build_red_confirm_payload(request)).ok
    form = query_form(sandbox, "RB20261008000001")
    assert form.state is nn.RedFormState.AWAITING_BUYER and not form.invoice_serial_num
    # We raised it: we cannot confirm it ourselves, but we can revoke it; here the buyer agrees.
    assert send(sandbox, nn.ApiMethod.CONFIRM_RED_CONFIRM,
                nn.build_red_confirm_decision(agree=True, bill_id="RB20261008000001")).code == "E9105"
    sandbox.buyer_decides("RB20261008000001", agree=True)
    sandbox.process_all()
    form = query_form(sandbox, "RB20261008000001")
    assert form.state is nn.RedFormState.CONFIRMED and form.red_invoice_issued
    [red] = nn.parse_invoice_results(send(sandbox, nn.ApiMethod.QUERY_INVOICE,
                                          nn.build_query_payload(serial_nos=[form.invoice_serial_num])))
    assert (red.amount_excl, red.tax_amount, red.amount_incl) == (allowance.excl, allowance.tax, D("-300.00"))


def test_partial_red_of_an_unbooked_invoice_is_refused_by_the_platform_too(sandbox):
    blue = issue(sandbox)
    allowance = rules.split_tax_inclusive("-300.00", "13%")
    payload = nn.build_red_confirm_payload(red_request(blue, reason=nn.RedReason.SALES_RETURN, buyer_has_booked=True,
                                                       lines=[nn.RedLine(1, "电动自行车", GOODS_CODE, "13%",
                                                                         allowance.excl, allowance.tax)]))
    refused = send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, payload)  # our flag said booked, the bureau disagrees
    assert refused.code == "E9105" and "全额冲红" in refused.describe


def test_a_pending_form_can_be_revoked(sandbox):
    blue = issue(sandbox)
    sandbox.mark_booked(blue.invoice_number)
    assert send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, nn.build_red_confirm_payload(red_request(blue))).ok
    assert send(sandbox, nn.ApiMethod.CANCEL_RED_CONFIRM, nn.build_red_confirm_cancel(bill_id="RB20261008000001")).ok
    form = query_form(sandbox, "RB20261008000001")
    assert (form.bill_status, form.state) == ("08", nn.RedFormState.CANCELLED)
    assert send(sandbox, nn.ApiMethod.CANCEL_RED_CONFIRM,
                nn.build_red_confirm_cancel(bill_id="RB20261008000001")).code == "E9105"
    assert send(sandbox, nn.ApiMethod.CANCEL_RED_CONFIRM, nn.build_red_confirm_cancel(bill_id="nope")).code == "E9500"


def test_red_form_of_an_unknown_blue_invoice(sandbox):
    payload = nn.build_red_confirm_payload(nn.RedConfirmRequest(
        "RB1", "26332000000123456789", nn.InvoiceLine.GENERAL, nn.TEST_SELLER_TAX_NUM, "x", "李四",
        nn.RedReason.INVOICING_ERROR))
    assert send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, payload).outcome is Outcome.NOT_FOUND


def test_render_special_invoice_xml_standalone():
    document = platform.EInvoiceDocument(
        number="24312000000136634917", issued_at=datetime(2024, 5, 14, 20, 1, 47, tzinfo=BEIJING), special=True,
        seller=platform.XmlParty("52310106751466629W", "上海智能消防学校"),
        buyer=platform.XmlParty("91330106MA2AYNWD8M", "浙江诺诺网络科技有限公司"), drawer="刘小川",
        items=(platform.XmlItem("*非学历教育服务*消防设施操作员中级培训费", D("0.01"), rules.TaxRate.parse("0.03"),
                                D("0.00"), D("0.01"), "3070201020000000000"),))
    root = ET.fromstring(platform.render_einvoice_xml(document))
    assert root.findtext("Header/InherentLabel/GeneralOrSpecialVAT/LabelCode") == "01"
    assert root.findtext("Header/EInvoiceTag") == "SWEI3100"
    assert root.findtext("EInvoiceData/BasicInformation/TotalTax-includedAmountInChinese") == "壹分"
    assert root.findtext("TaxSupervisionInfo/TaxBureauName") == "国家税务总局上海市税务局"
    assert root.findtext("TaxSupervisionInfo/IssueTime") == "2024-05-14 20:01:47"
