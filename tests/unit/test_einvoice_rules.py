"""数电票 amount, rate, code and number rules (protocols.einvoice_rules), against einvoice.md#invoice-number,
einvoice.md#content-and-amounts, einvoice.md#tax-classification-codes, einvoice.md#invoice-xml."""
from datetime import date
from decimal import Decimal as D

import pytest

from protocols import einvoice_rules as rules
from protocols.checks import Reason
from protocols.einvoice_rules import AmountError, TaxRate


# ------------------------------------------------------------------------------------------------------ tax rates
@pytest.mark.parametrize("raw, rate, exempt, nuonuo, label", [
    ("0.13", D("0.13"), False, "0.13", "13%"),
    ("13%", D("0.13"), False, "0.13", "13%"),
    (D("0.030"), D("0.03"), False, "0.03", "3%"),
    ("1%", D("0.01"), False, "0.01", "1%"),
    ("0.015", D("0.015"), False, "0.015", "1.5%"),
    ("0", D("0"), False, "0", "0%"),
    ("免税", D("0"), True, "0", "免税"),
    ("exempt", D("0"), True, "0", "免税"),
])
def test_tax_rate_parsing(raw, rate, exempt, nuonuo, label):
    parsed = TaxRate.parse(raw)
    assert (parsed.rate, parsed.exempt, parsed.nuonuo_value, parsed.label) == (rate, exempt, nuonuo, label)
    assert parsed.favoured_policy_flag == ("03" if exempt else "")


@pytest.mark.parametrize("raw, flag, label", [("不征税", "04", "不征税"), ("not_taxable", "04", "不征税")])
def test_not_taxable_rate(raw, flag, label):
    parsed = TaxRate.parse(raw)
    assert (parsed.rate, parsed.not_taxable, parsed.exempt, parsed.nuonuo_value) == (D("0"), True, False, "0")
    assert (parsed.favoured_policy_flag, parsed.label) == (flag, label)
    assert TaxRate.from_policy_flag("0", flag) == parsed
    assert TaxRate.from_policy_flag("0", "03") == TaxRate.parse("免税")
    assert TaxRate.from_policy_flag("0.13", "") == TaxRate(D("0.13"))
    assert rules.line_problems("100.00", "1.00", "101.00", parsed) == ["a 不征税 line has no tax, got 1.00"]
    with pytest.raises(AmountError):
        TaxRate(D("0.13"), not_taxable=True)


def test_tax_rate_from_odoo_percentage():
    assert TaxRate.from_percent(13.0) == TaxRate(D("0.13"))
    assert TaxRate.from_percent("1") == TaxRate(D("0.01"))


@pytest.mark.parametrize("raw", ["0.17", "16%", "0.131", "abc", "", "-0.13"])
def test_unknown_rates_are_refused(raw):
    with pytest.raises(AmountError):
        TaxRate.parse(raw)


# --------------------------------------------------------------------------------------------- splitting amounts
@pytest.mark.parametrize("rate, excl, tax", [
    ("13%", "2919.47", "379.53"),  # 3299 / 1.13 = 2919.469…
    ("3%", "3202.91", "96.09"),
    ("1%", "3266.34", "32.66"),
    ("免税", "3299.00", "0.00"),
    ("0", "3299.00", "0.00"),
])
def test_split_of_a_consumer_price(rate, excl, tax):
    line = rules.split_tax_inclusive("3299.00", rate)
    assert (line.excl, line.tax, line.incl) == (D(excl), D(tax), D("3299.00"))


def test_split_is_exact_and_within_nuonuos_tolerance_for_every_cent_amount():
    for rate in ("0.13", "0.03", "0.01", "0.015", "0.06", "0.09"):
        for cents in range(1, 400_000, 97):
            incl = D(cents) / 100
            line = rules.split_tax_inclusive(incl, rate)
            assert line.excl + line.tax == line.incl == incl
            # Our split is at most 1 cent away from round(excl × rate), far inside the 0.06 Nuonuo allows.
            assert abs(line.tax - rules.round_cents(line.excl * D(rate))) <= D("0.01")
            assert rules.line_problems(line.excl, line.tax, line.incl, rate) == []


def test_red_split_is_the_exact_negative_of_the_blue_split():
    for amount in ("0.01", "0.05", "89.00", "3299.00", "12345.67"):
        blue, red = rules.split_tax_inclusive(amount, "13%"), rules.split_tax_inclusive("-" + amount, "13%")
        assert (red.excl, red.tax, red.incl) == (-blue.excl, -blue.tax, -blue.incl)


def test_split_refuses_amounts_with_more_than_two_decimals():
    with pytest.raises(AmountError, match="more than 2 decimals"):
        rules.split_tax_inclusive("3299.005", "13%")


def test_tax_on_an_exclusive_amount_rounds_half_up():
    # 0.50 × 0.13 = 0.065: 四舍五入 gives 0.07 (banker's rounding would give 0.06).
    line = rules.compute_tax_exclusive("0.50", "13%")
    assert (line.tax, line.incl) == (D("0.07"), D("0.57"))


@pytest.mark.parametrize("excl, tax, incl, rate, fragment", [
    ("100.00", "13.07", "113.07", "13%", "more than 0.06"),
    ("100.00", "12.93", "112.93", "13%", "more than 0.06"),
    ("100.00", "13.00", "113.01", "13%", "must equal"),
    ("100.001", "13.00", "113.001", "13%", "more than 2 decimals"),
    ("100.00", "0.01", "100.01", "免税", "has no tax"),
    ("100.00", "x", "113.00", "13%", "not a number"),
])
def test_line_rule_breaches_are_reported(excl, tax, incl, rate, fragment):
    problems = rules.line_problems(excl, tax, incl, rate)
    assert problems and any(fragment in p for p in problems), problems
    with pytest.raises(AmountError):
        rules.check_line(excl, tax, incl, rate)


def test_a_tax_difference_of_exactly_six_cents_is_accepted():
    assert rules.line_problems("100.00", "13.06", "113.06", "13%") == []
    assert rules.line_problems("100.00", "12.94", "112.94", "13%") == []


def test_invoice_totals_are_sums_of_checked_lines():
    lines = [rules.split_tax_inclusive(a, "13%") for a in ("2899.00", "350.00", "50.00")]
    totals = rules.invoice_totals(lines)
    assert totals.incl == D("3299.00") and totals.excl + totals.tax == totals.incl
    assert totals.excl == sum(line.excl for line in lines)


def test_invoice_totals_name_the_bad_line():
    good = rules.split_tax_inclusive("100.00", "13%")
    bad = rules.LineAmounts(D("100.00"), D("13.10"), D("113.10"), TaxRate.parse("13%"))
    with pytest.raises(AmountError, match="line 2"):
        rules.invoice_totals([good, bad])
    with pytest.raises(AmountError):
        rules.invoice_totals([])


def test_whole_invoice_tax_tolerance_per_rate():
    # 30 lines each 0.05 off (allowed per line) add up to 1.50, beyond the (UNCONFIRMED) 1.27 whole-invoice bound.
    drifting = [rules.LineAmounts(D("100.00"), D("13.05"), D("113.05"), TaxRate.parse("13%"))] * 30
    with pytest.raises(AmountError, match="rate 0.13"):
        rules.invoice_totals(drifting)
    assert rules.invoice_totals(drifting[:25]).tax == D("326.25")  # 25 × 0.05 = 1.25 is within it


# ------------------------------------------------------------------------------------------------------ allocation
def test_allocation_of_a_negotiated_bundle_price_adds_up_to_the_cent():
    parts = rules.allocate_amount("3000.00", [2899, 350, 50])
    assert sum(parts) == D("3000.00")
    exact = [D(3000) * w / 3299 for w in (2899, 350, 50)]
    assert all(abs(p - e) < D("0.01") for p, e in zip(parts, exact))
    assert rules.allocate_amount("3299.00", [2899, 350, 50]) == [D("2899.00"), D("350.00"), D("50.00")]


def test_allocation_ties_go_to_the_earlier_lines_and_signs_are_kept():
    assert rules.allocate_amount("0.02", [1, 1, 1]) == [D("0.01"), D("0.01"), D("0.00")]
    assert rules.allocate_amount("-1.00", [1, 1, 1]) == [D("-0.34"), D("-0.33"), D("-0.33")]
    with pytest.raises(AmountError):
        rules.allocate_amount("1.00", [0, 0])
    with pytest.raises(AmountError):
        rules.allocate_amount("1.005", [1])


# ------------------------------------------------------------------------------------ tax classification codes
def test_tax_classification_code_is_19_digits():
    assert rules.validate_tax_classification_code(" 3049900000000000000 ").value == "3049900000000000000"


@pytest.mark.parametrize("raw, reason", [
    ("", Reason.EMPTY),
    (None, Reason.EMPTY),
    ("304990000000000000", Reason.LENGTH),
    ("30499000000000000000", Reason.LENGTH),
    ("30499000000000000A0", Reason.CHARSET),
    ("３０４９９００００００００００００００", Reason.CHARSET),  # full-width digits
    # the printer code of Nuonuo's samples (einvoice.md#tax-classification-codes)
    ("1090511030000000000", Reason.EXAMPLE_CODE),
])
def test_tax_classification_code_refusals(raw, reason):
    assert rules.validate_tax_classification_code(raw).reason is reason


# ------------------------------------------------------------------------------------------------ 数电票 numbers
@pytest.mark.parametrize("number, year, region, channel, province", [
    ("24312000000136634917", 2024, "31", "2", "上海市"),  # einvoice.md#invoice-number, from a Nuonuo callback
    ("26332000000123456789", 2026, "33", "2", "浙江省"),  # einvoice.md#invoice-number test fixture
    ("25327000001739485410", 2025, "32", "7", "江苏省"),  # real XML sample
    ("26337904450900255091", 2026, "33", "7", "浙江省"),  # real XML sample
])
def test_einvoice_numbers_parse(number, year, region, channel, province):
    parsed = rules.parse_einvoice_number(number)
    assert (parsed.year, parsed.region_code, parsed.channel, parsed.province) == (year, region, channel, province)
    assert len(parsed.sequence) == 15
    assert rules.validate_einvoice_number(number, issued_on=date(year, 5, 14))


@pytest.mark.parametrize("raw, reason", [
    ("", Reason.EMPTY),
    ("2431200000013663491", Reason.LENGTH),
    ("243120000001366349170", Reason.LENGTH),
    ("2431200000013663491X", Reason.CHARSET),
    ("24992000000136634917", Reason.REGION),
    ("24002000000136634917", Reason.REGION),
])
def test_einvoice_number_refusals(raw, reason):
    assert rules.validate_einvoice_number(raw).reason is reason
    with pytest.raises(ValueError):
        rules.parse_einvoice_number(raw)


def test_einvoice_number_year_must_match_the_issue_date():
    check = rules.validate_einvoice_number("24312000000136634917", issued_on=date(2025, 1, 2))
    assert check.reason is Reason.YEAR


# -------------------------------------------------------------------------------------------- amount in Chinese
@pytest.mark.parametrize("amount, text", [
    ("5.61", "伍元陆角壹分"),  # a real XML's TotalTax-includedAmountInChinese
    ("106.00", "壹佰零陆元整"),
    ("3299.00", "叁仟贰佰玖拾玖元整"),
    ("1288.60", "壹仟贰佰捌拾捌元陆角"),
    ("1004.50", "壹仟零肆元伍角"),
    ("1040.00", "壹仟零肆拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0", "零元整"),
    ("100000.00", "壹拾万元整"),
    ("100001.00", "壹拾万零壹元整"),
    ("1001000.00", "壹佰万零壹仟元整"),
    ("10010000.00", "壹仟零壹万元整"),
    ("11000100.00", "壹仟壹佰万零壹佰元整"),
    ("100000001.00", "壹亿零壹元整"),
    ("1000000.05", "壹佰万元零伍分"),
    ("-150.00", "（负数）壹佰伍拾元整"),
])
def test_amount_in_chinese(amount, text):
    assert rules.amount_in_chinese(amount) == text
