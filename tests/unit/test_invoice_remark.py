"""The remark of a bundle's e-invoice (addons/ev_bundle_sale/tools/invoice_remark.py)."""
import pytest
from invoice_remark import RemarkTooLong, bundle_remark


def test_codes_by_role_in_registration_order():
    assert bundle_remark(["310422600000001"], ["M48V350W0001"], ["BT2026A0001"], ["CH2026B0001"]) == (
        "整车编码：310422600000001；电机编码：M48V350W0001；电池编码：BT2026A0001；充电器编码：CH2026B0001")


def test_empty_parts_are_left_out():
    assert bundle_remark(vehicle_codes=["310422600000001"]) == "整车编码：310422600000001"
    assert bundle_remark(charger_codes=["C1", "C2"]) == "充电器编码：C1、C2"
    assert bundle_remark(other_codes=["SN1"]) == "序列号：SN1"
    assert bundle_remark() == ""


def test_remark_limit():
    with pytest.raises(RemarkTooLong, match="at most 200"):
        bundle_remark(["310422600000001"], battery_codes=["B" * 30] * 6)
