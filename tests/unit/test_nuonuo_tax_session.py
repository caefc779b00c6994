"""The drawer's tax-bureau session, the credit line and the red forms' 72-hour window on the client side
(protocols.nuonuo, nuonuo.md#drawer-session-and-credit-line and #red-confirmation-forms)."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from protocols import nuonuo as nn

BEIJING = timezone(timedelta(hours=8))


def answer(result, code="E0000"):
    return nn.parse_response({"code": code, "describe": "成功", "result": result})


def test_session_payload_names_the_seller_and_the_drawers_extension():
    assert nn.build_tax_session_payload(" 91310104MA1FR3XK4N ", extension_number="01") == {
        "taxNum": "91310104MA1FR3XK4N", "extensionNumber": "01"}
    with pytest.raises(nn.InvoiceDataError):
        nn.build_tax_session_payload("")


@pytest.mark.parametrize(("result", "state"), [
    ({"certificationStatus": "1"}, nn.TaxLoginState.OK),
    ({"loginStatus": "已登录"}, nn.TaxLoginState.OK),
    ({"certificationStatus": "0", "authType": "face", "message": "请扫脸认证"}, nn.TaxLoginState.NEEDS_FACE),
    ({"certificationStatus": "0", "authType": "sms"}, nn.TaxLoginState.NEEDS_SMS),
    ({"status": "0", "message": "需要短信验证"}, nn.TaxLoginState.NEEDS_SMS),
    ({"status": "0"}, nn.TaxLoginState.NEEDS_FACE),  # the bureau's usual check when it does not say
])
def test_login_status_tells_which_check_the_bureau_wants(result, state):
    status = nn.parse_tax_login_status(answer(result))
    assert status.state is state
    assert status.ok is (state is nn.TaxLoginState.OK)


def test_login_status_without_a_status_is_not_taken_for_ok():
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_tax_login_status(answer({"message": "成功"}))
    with pytest.raises(nn.NuonuoError):
        nn.parse_tax_login_status(answer(None, code="070302"))  # API not granted: an error, not "logged in"


def test_credit_line_remaining_is_read_or_derived():
    line = nn.parse_credit_line(answer({"totalCreditLine": "1000000.00", "usedCreditLine": "999000.50",
                                        "surplusCreditLine": "999.50"}))
    assert (line.total, line.used, line.remaining) == (D("1000000.00"), D("999000.50"), D("999.50"))
    derived = nn.parse_credit_line(answer({"totalCreditLine": "5000", "usedCreditLine": "1200.10"}))
    assert derived.remaining == D("3799.90")
    with pytest.raises(nn.NuonuoProtocolError):
        nn.parse_credit_line(answer({"totalCreditLine": "5000"}))


def form(status, bill_time="2026-10-08 10:30:00"):
    return nn.parse_red_confirm_form({"billId": "RB1", "billNo": "26310000000001", "billStatus": status,
                                      "billTime": bill_time, "applySource": "1"})


def test_every_bureau_state_has_its_chinese_meaning():
    for code in ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10"):
        assert nn.BILL_STATUS_LABELS[code]
        assert form(code).state is not nn.RedFormState.UNKNOWN
    assert form("07").status_label == "作废（超72小时未确认）"
    assert form("10").state is nn.RedFormState.CANCELLED


def test_a_waiting_form_lapses_72_hours_after_it_was_raised():
    raised = datetime(2026, 10, 8, 10, 30, tzinfo=BEIJING)
    assert nn.red_form_lapses_at(form("02")) == raised + timedelta(hours=72)
    assert nn.red_form_lapses_at(form("03")) == raised + timedelta(hours=72)
    assert nn.red_form_lapses_at(form("04")) is None  # confirmed: nothing lapses
    assert nn.red_form_lapses_at(form("02", bill_time="")) is None
    assert form("03").apply_source == nn.BUYER_IDENTITY
