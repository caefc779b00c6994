"""Format rules of vehicle, charger and battery codes (addons/ev_bundle_sale/tools/code_rules.py)."""
import datetime
import re

import code_rules as rules
import pytest
from code_rules import CodeReason, CodeWarning


# ------------------------------------------------------------------------------------------------ vehicle codes
def test_vehicle_code_of_15_digits_is_valid():
    check = rules.check_vehicle_code("310422600000001", today=datetime.date(2026, 5, 1))
    assert check and check.value == "310422600000001" and check.warnings == ()
    assert rules.vehicle_code_parts(check.value) == {"maker": "3104", "type": "2", "year": 2026, "serial": "00000001"}


def test_vehicle_code_is_normalised_from_scanner_or_ime_input():
    assert rules.check_vehicle_code(" 3104 2260 0000 001\n").value == "310422600000001"
    assert rules.check_vehicle_code("３１０４２２６０００００００１").value == "310422600000001"


@pytest.mark.parametrize("raw, reason", [
    ("", CodeReason.EMPTY),
    (None, CodeReason.EMPTY),
    ("31042260000000", CodeReason.LENGTH),
    ("3104226000000012", CodeReason.LENGTH),
    ("31042260000000A", CodeReason.CHARSET),
    ("LFV2A21K0A3000001", CodeReason.VIN),  # a car/motorcycle VIN, check digit right or wrong
    ("lzsjcmlc4n5000001", CodeReason.VIN),
])
def test_vehicle_code_refusals(raw, reason):
    check = rules.check_vehicle_code(raw)
    assert not check and check.reason is reason and check.detail


def test_seventeen_digits_are_a_length_error_not_a_vin():
    # VINs always contain letters (WMI); 17 digits is just a mistyped vehicle code.
    assert rules.check_vehicle_code("31042260000000123").reason is CodeReason.LENGTH


def test_vehicle_code_warnings_do_not_refuse():
    check = rules.check_vehicle_code("310412600000001", today=datetime.date(2026, 5, 1))
    assert check and check.warnings == (CodeWarning.VEHICLE_TYPE,)
    check = rules.check_vehicle_code("310429900000001", today=datetime.date(2026, 5, 1))
    assert check and CodeWarning.VEHICLE_YEAR in check.warnings


def test_vin_check_char():
    assert rules.vin_check_char("1M8GDM9AXKP042788") == "X"  # the ISO 3779 textbook example
    assert rules.looks_like_vin("1M8GDM9AXKP042788")


# ------------------------------------------------------------------------------------------------ charger codes
@pytest.mark.parametrize("raw", ["MA5F0000X26A1", "MA5F0000X-26-A1", "ma5f0000x-26-a1", "JW1234567 26 AB"])
def test_charger_code_valid(raw):
    check = rules.check_charger_code(raw)
    assert check and len(check.value) == 13 and "-" not in check.value


@pytest.mark.parametrize("raw, reason", [
    ("", CodeReason.EMPTY),
    ("MA5F0000X26A", CodeReason.LENGTH),
    ("MA5F0000X26A12", CodeReason.LENGTH),
    ("MA5F0000X26A#", CodeReason.CHARSET),
    ("MA5F0000S26A1", CodeReason.MAKER),  # S is not in the credit-code alphabet
    ("MA5F0000X2AA1", CodeReason.YEAR),
    ("MA5F0000X26AO", CodeReason.MODEL),
    ("MA5F0000X26ZA", CodeReason.MODEL),
])
def test_charger_code_refusals(raw, reason):
    check = rules.check_charger_code(raw)
    assert not check and check.reason is reason, check


# ------------------------------------------------------------------------------------------------ battery codes
def test_battery_code_generic_rule():
    assert rules.check_battery_code("TN4820G2611000101")
    assert rules.check_battery_code("cat-48v-0001").value == "CAT-48V-0001"
    assert rules.check_battery_code("ABC").reason is CodeReason.LENGTH
    assert rules.check_battery_code("A" * 41).reason is CodeReason.LENGTH
    assert rules.check_battery_code("TN48_20").reason is CodeReason.CHARSET
    assert rules.check_battery_code("电池0001").reason is CodeReason.CHARSET
    assert rules.check_battery_code("").reason is CodeReason.EMPTY


def test_battery_code_brand_patterns():
    patterns = [r"TN\d{4}[A-Z]\d{10}", re.compile(r"TNX-\d{8}")]
    assert rules.check_battery_code("TN4820G2611000101", patterns)
    assert rules.check_battery_code("tnx-26110001", patterns)
    check = rules.check_battery_code("CW4820G2611000101", patterns)
    assert check.reason is CodeReason.PATTERN
    assert rules.check_battery_code("CW4820G2611000101", [])  # no patterns configured: generic rule only


def test_compile_patterns_reports_invalid_regex():
    with pytest.raises(re.error):
        rules.compile_patterns(["TN(\\d"])


def test_normalize_for_role():
    assert rules.normalize_for_role("charger", "ma5f0000x-26-a1") == "MA5F0000X26A1"
    assert rules.normalize_for_role("battery", "cat-48v-0001") == "CAT-48V-0001"
    assert set(rules.CHECKERS) == {"vehicle", "battery", "charger"}
