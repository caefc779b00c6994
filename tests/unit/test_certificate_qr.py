"""Reading the vehicle step's scan: a frame-code label or the QR code of the product certificate (合格证)
(addons/ev_bundle_sale/tools/certificate_qr.py). Shapes and what is confirmed: docs/compliance.md."""
import code_rules as rules
import pytest
from certificate_qr import parse_vehicle_scan, same_model
from code_rules import CodeReason

CODE = "310422600000001"


@pytest.mark.parametrize("raw", [
    # The two parameters a public point-of-sale app reads from the certificate QR (confirmed shape).
    f"https://www.example-cert.cn/cert/query?vinCode={CODE}",
    f"http://cert.example.com.cn/h5/index.html?cert_ins_id={CODE}&t=1",
    # Parameter names are case-insensitive; the query may sit in a single-page app's fragment.
    f"HTTPS://EXAMPLE.CN/#/detail?VINCODE={CODE}",
    f"https://example.cn/app/#/cert?from=qr&cert_ins_id={CODE}",
    # A bare query string.
    f"vinCode={CODE}",
])
def test_vehicle_code_from_certificate_url(raw):
    scan = parse_vehicle_scan(raw)
    assert scan.recognised and scan.is_certificate and scan.source == "url"
    assert scan.vehicle_code == CODE and rules.check_vehicle_code(scan.vehicle_code)


def test_certificate_url_with_number_model_and_motor():
    scan = parse_vehicle_scan(
        f"https://example.cn/q?vinCode={CODE}&certNo=HGZ2026000123&clxh=TDT1234Z&motorCode=WX48350A0001")
    assert (scan.vehicle_code, scan.certificate_no, scan.model, scan.motor_code) == (
        CODE, "HGZ2026000123", "TDT1234Z", "WX48350A0001")


@pytest.mark.parametrize("raw", [
    f"产品合格证编号：HGZ2026000123\n车辆型号：TDT1234Z\n整车编码：{CODE}\n电动机编码：WX48350A0001",
    f"整车编码:{CODE};产品合格证编号:HGZ2026000123;车辆型号:TDT1234Z;电机编码:WX48350A0001",
    # Full-width digits and colons, as an IME or some scanners send them.
    "车架号：３１０４２２６０００００００１，合格证编号：HGZ2026000123，产品型号：TDT1234Z，电机号：WX48350A0001",
])
def test_certificate_text_fields(raw):
    scan = parse_vehicle_scan(raw)
    assert scan.recognised and scan.source == "text"
    assert (scan.vehicle_code, scan.certificate_no, scan.model, scan.motor_code) == (
        CODE, "HGZ2026000123", "TDT1234Z", "WX48350A0001")


@pytest.mark.parametrize("raw", [CODE, f" {CODE}\n", "3104 2260 0000 001", "31042260000000A"])
def test_frame_label_is_passed_to_the_code_rules(raw):
    scan = parse_vehicle_scan(raw)
    assert scan.recognised and scan.source == "label" and not scan.is_certificate
    assert scan.vehicle_code == raw.strip().replace(" ", "")


@pytest.mark.parametrize("raw", [
    "https://example.cn/product?id=42",  # a URL without a known parameter
    "https://weixin.qq.com/r/abcdefg",
    "欢迎购买本公司电动自行车",  # text without fields
    "型号说明：TDT1234Z",  # fields, but no vehicle code
    "",
])
def test_unknown_qr_is_not_recognised(raw):
    scan = parse_vehicle_scan(raw)
    assert not scan.recognised and scan.vehicle_code == ""


def test_vehicle_code_in_qr_is_checked_by_the_code_rules():
    # A QR whose "vehicle code" has 14 digits is read, then refused by the rules with their reason.
    scan = parse_vehicle_scan("https://example.cn/q?vinCode=31042260000000")
    assert scan.recognised and rules.check_vehicle_code(scan.vehicle_code).reason == CodeReason.LENGTH


def test_models_compare_as_printed():
    assert same_model("TDT-1234Z", "tdt1234z") and same_model("ＴＤＴ１２３４Ｚ", "TDT 1234Z")
    assert not same_model("TDT1234Z", "TDT1235Z")


# ------------------------------------------------------------------------------------------------ battery chemistry
@pytest.mark.parametrize("chemistry", ["lithium_ion", "lithium_iron_phosphate"])
def test_lithium_codes_have_only_capital_letters_and_digits(chemistry):
    assert rules.check_battery_code("F0A1B2C3D4E5F6G7H8", chemistry=chemistry)
    assert rules.check_battery_code("f0a1b2c3d4e5", chemistry=chemistry)  # upper-cased like every code
    for code in ("TN-4820-0001", "TN4820/0001", "TN4820_0001"):
        assert rules.check_battery_code(code, chemistry=chemistry).reason in (
            CodeReason.LITHIUM_CHARSET, CodeReason.CHARSET)
    assert rules.check_battery_code("TN-4820-0001", chemistry=chemistry).reason == CodeReason.LITHIUM_CHARSET


@pytest.mark.parametrize("chemistry", [None, "lead_acid", "graphene_lead_acid"])
def test_lead_acid_codes_keep_the_maker_rules(chemistry):
    assert rules.check_battery_code("TN-4820-0001", chemistry=chemistry)
    assert rules.check_battery_code("TN-4820-0001", [r"CW\d+"], chemistry=chemistry).reason == CodeReason.PATTERN


def test_lithium_code_must_also_match_the_makers_pattern():
    assert rules.check_battery_code("CW6020L2600000009", [r"CW\d{4}L\d{10}"], chemistry="lithium_ion")
    assert rules.check_battery_code("TN4820G2600000001", [r"CW\d{4}L\d{10}"],
                                    chemistry="lithium_ion").reason == CodeReason.PATTERN


# ------------------------------------------------------------------------------------------------ motor codes
@pytest.mark.parametrize("raw, reason", [
    ("WX48350A0001", None), ("wx-48350-a0001", None), ("", CodeReason.EMPTY), ("ABC", CodeReason.LENGTH),
    ("WX48350A0001#", CodeReason.CHARSET), ("电机0001", CodeReason.CHARSET),
])
def test_motor_code(raw, reason):
    assert rules.check_motor_code(raw).reason == reason
