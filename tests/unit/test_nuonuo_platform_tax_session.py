"""The simulated bureau produces, on demand, what live platforms do and the sandbox did not: a drawer whose login
needs a check, a low credit line, a form a company buyer raises against us, and a form that lapses after 72 hours."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
import test_nuonuo_platform as base
from test_nuonuo_platform import blue_invoice, issue, query_form, red_request, send

from protocols import nuonuo as nn
from protocols import nuonuo_platform as platform

SESSION = nn.build_tax_session_payload(nn.TEST_SELLER_TAX_NUM)


@pytest.fixture
def clock():
    return base.Clock()


@pytest.fixture
def sandbox(clock):
    return platform.NuonuoSandbox(seed="unit-tests", clock=clock, short_names={base.GOODS_CODE: "摩托车"})


def test_login_state_and_credit_line_on_demand(sandbox):
    assert nn.parse_tax_login_status(send(sandbox, nn.ApiMethod.TAX_LOGIN_STATUS, SESSION)).ok
    sandbox.drawer_logged_in, sandbox.login_check = False, "sms"
    status = nn.parse_tax_login_status(send(sandbox, nn.ApiMethod.TAX_LOGIN_STATUS, SESSION))
    assert status.state is nn.TaxLoginState.NEEDS_SMS
    sandbox.credit_line_remaining = D("1200.00")
    line = nn.parse_credit_line(send(sandbox, nn.ApiMethod.CREDIT_LINE, SESSION))
    assert line.remaining == D("1200.00") and line.total == D("1000000.00") and line.used == D("998800.00")


def test_a_buyer_raised_form_is_found_by_period_and_confirmed_by_us(sandbox, clock):
    blue = issue(sandbox, blue_invoice(buyer=nn.Buyer("杭州绿行科技有限公司", tax_num="91330106MA2AYNWD8M")))
    sandbox.raise_buyer_form(blue.invoice_number, bill_id="BUYER1")
    query = nn.build_red_confirm_query(date_from=clock.now.date() - timedelta(days=7), date_to=clock.now.date())
    [found] = nn.parse_red_confirm_query(send(sandbox, nn.ApiMethod.QUERY_RED_CONFIRM, query)).forms
    assert (found.state, found.apply_source) == (nn.RedFormState.AWAITING_SELLER, nn.BUYER_IDENTITY)
    assert found.blue_invoice_number == blue.invoice_number
    assert send(sandbox, nn.ApiMethod.CONFIRM_RED_CONFIRM,
                nn.build_red_confirm_decision(agree=True, bill_id="BUYER1")).ok
    sandbox.process_all()
    confirmed = query_form(sandbox, "BUYER1")
    assert confirmed.state is nn.RedFormState.CONFIRMED and confirmed.red_invoice_issued


def test_a_buyer_raised_form_can_be_refused(sandbox):
    blue = issue(sandbox)
    sandbox.raise_buyer_form(blue.invoice_number, bill_id="BUYER2")
    assert send(sandbox, nn.ApiMethod.CONFIRM_RED_CONFIRM,
                nn.build_red_confirm_decision(agree=False, bill_id="BUYER2")).ok
    refused = query_form(sandbox, "BUYER2")
    assert (refused.bill_status, refused.state) == ("06", nn.RedFormState.CANCELLED)
    assert not refused.invoice_serial_num


def test_a_form_awaiting_the_buyer_lapses_after_72_hours(sandbox, clock):
    blue = issue(sandbox)
    sandbox.mark_booked(blue.invoice_number)
    assert send(sandbox, nn.ApiMethod.SAVE_RED_CONFIRM, nn.build_red_confirm_payload(red_request(blue))).ok
    clock.now += timedelta(hours=71)
    assert query_form(sandbox, "RB20261008000001").bill_status == "02"
    clock.now += timedelta(hours=2)
    lapsed = query_form(sandbox, "RB20261008000001")
    assert (lapsed.bill_status, lapsed.status_label) == ("07", "作废（超72小时未确认）")
    assert not lapsed.invoice_serial_num
