"""Taxpayer ids and mobile numbers (protocols.uscc), checked against docs/protocols/einvoice.md#taxpayer-id and
GB 32100-2015."""
import pytest

from protocols import uscc
from protocols.checks import Reason

# Real, public codes. Every check character below was verified with the GB 32100 algorithm (and, where the venv has
# it, with python-stdnum); a wrong memory of a code would fail with a 30-in-31 chance.
REAL_CODES = [
    "91330106MA2AYNWD8M",  # 浙江诺诺网络科技有限公司 — Nuonuo doc sample (einvoice.md#taxpayer-id)
    "91440101MA5APD8X8J",  # 广东航天信息爱信诺科技有限公司 — Nuonuo doc sample (einvoice.md#taxpayer-id)
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108558521630L",  # 小米通讯技术有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "913205830880018839",  # 昆山京东尚信贸易有限公司 — seller on a real 数电 XML
    "91330000142942095H",  # 浙江沪杭甬高速公路股份有限公司 — seller on a real 数电 XML
    "52310106751466629W",  # 上海智能消防学校, a 民办非企业单位 — seller in a real Nuonuo callback
]
# Letter-prefixed codes (positions 1-2 are letters): check characters computed with python-stdnum's
# calc_check_digit, an independent implementation. stdnum's own validate() rejects them (einvoice.md#taxpayer-id caveat
# 1).
LETTER_PREFIXED = ["Y1330106MA2AYNWD80", "N2330106MA2AYNWD85"]


@pytest.mark.parametrize("code", REAL_CODES + LETTER_PREFIXED)
def test_valid_codes_pass(code):
    check = uscc.validate_uscc(code)
    assert check.valid and check.reason is None and check.value == code
    assert uscc.uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_single_wrong_character_in_the_body_is_caught(code):
    # 31 is prime and no weight is a multiple of it, so every single substitution changes the checksum.
    for position in range(8, 18):
        for replacement in "0AX":
            if replacement == code[position]:
                continue
            wrong = code[:position] + replacement + code[position + 1:]
            assert uscc.validate_uscc(wrong).reason is Reason.CHECK_DIGIT, wrong


def test_the_briefs_guess_is_not_a_valid_code():
    check = uscc.validate_uscc("91110000100000589B")
    assert check.reason is Reason.CHECK_DIGIT
    assert "should be A" in check.detail
    assert uscc.uscc_check_char("91110000100000589") == "A"


def test_nuonuo_sandbox_seller_number_is_not_a_uscc():
    assert uscc.validate_uscc("339902999999789113").reason is Reason.CHECK_DIGIT  # einvoice.md#taxpayer-id caveat 2


def test_stdnum_agrees_on_digit_prefixes_and_rejects_letter_prefixes():
    stdnum_uscc = pytest.importorskip("stdnum.cn.uscc")
    for code in REAL_CODES:
        assert stdnum_uscc.is_valid(code) and uscc.validate_uscc(code)
    for code in LETTER_PREFIXED:
        assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]
        assert not stdnum_uscc.is_valid(code)  # why the module has its own check
        assert uscc.validate_uscc(code)


@pytest.mark.parametrize("raw, reason", [
    ("", Reason.EMPTY),
    (None, Reason.EMPTY),
    ("91330106MA2AYNWD8", Reason.LENGTH),
    ("91330106MA2AYNWD8MM", Reason.LENGTH),
    ("91330106MA2AYNWDIM", Reason.CHARSET),  # I is never used
    ("91330106MA2AYNWDOM", Reason.CHARSET),  # nor O
    ("91330106MA2AYNWDSM", Reason.CHARSET),  # nor S
    ("9133010-MA2AYNWD8M", Reason.CHARSET),
    ("91A30106MA2AYNWD8M", Reason.REGION),  # positions 3-8 are the 6-digit region code
])
def test_refusals_name_their_reason(raw, reason):
    check = uscc.validate_uscc(raw)
    assert not check and check.reason is reason and check.detail


def test_input_is_normalised_before_checking():
    assert uscc.validate_uscc(" 91330106ma2aynwd8m\n").value == "91330106MA2AYNWD8M"
    full_width = "９１３３０１０６ＭＡ２ＡＹＮＷＤ８Ｍ"  # typed with a Chinese IME
    assert uscc.validate_uscc(full_width).value == "91330106MA2AYNWD8M"
    assert uscc.validate_uscc("9133 0106 MA2A YNWD 8M")


def test_describe_gives_the_parts_and_the_standards_labels():
    parts = uscc.describe_uscc("91330106MA2AYNWD8M")
    assert (parts.registration_authority, parts.entity_type) == ("工商", "企业")
    assert (parts.region_code, parts.organisation_code, parts.check_char) == ("330106", "MA2AYNWD8", "M")
    assert uscc.describe_uscc("52310106751466629W").entity_type == "民办非企业单位"
    assert uscc.describe_uscc("N2330106MA2AYNWD85").registration_authority is None  # added after 2015: no label
    with pytest.raises(ValueError):
        uscc.describe_uscc("91330106MA2AYNWD8A")


def test_taxpayer_id_of_an_organisation_is_a_checked_uscc():
    check = uscc.validate_taxpayer_id("91330106MA2AYNWD8M")
    assert check and check.kind is uscc.TaxpayerIdKind.USCC
    assert uscc.validate_taxpayer_id("91330106MA2AYNWD8A").reason is Reason.CHECK_DIGIT
    # An ID number is not an organisation's id.
    assert uscc.validate_taxpayer_id("11010519491231002X").reason is Reason.CHECK_DIGIT


@pytest.mark.parametrize("legacy", ["330106123456789", "31010119900101123", "11010519491231002X01"])
def test_legacy_15_17_20_character_ids_are_accepted_unchecked(legacy):
    check = uscc.validate_taxpayer_id(legacy)
    assert check and check.kind is uscc.TaxpayerIdKind.LEGACY


@pytest.mark.parametrize("raw, reason", [
    ("3301061234567890", Reason.LENGTH),
    ("33010612345", Reason.LENGTH),
    ("33010612345678%", Reason.CHARSET),
    ("  ", Reason.EMPTY),
])
def test_taxpayer_id_refusals(raw, reason):
    assert uscc.validate_taxpayer_id(raw).reason is reason


def test_natural_person_may_use_a_resident_id_number():
    check = uscc.validate_taxpayer_id("11010519491231002x", organisation=False)  # GB 11643's own example
    assert check and check.kind is uscc.TaxpayerIdKind.ID_CARD and check.value == "11010519491231002X"
    assert uscc.id_card_check_char("11010519491231002") == "X"
    assert uscc.validate_taxpayer_id("110105194912310021", organisation=False).reason is Reason.CHECK_DIGIT
    # A USCC (e.g. a 个体工商户 title) given for a person is accepted as a USCC.
    assert uscc.validate_taxpayer_id("91330106MA2AYNWD8M", organisation=False).kind is uscc.TaxpayerIdKind.USCC


@pytest.mark.parametrize("raw, normalised", [
    ("13800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("(+86)138 0013 8000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("199.1234.5678", "19912345678"),
    ("１３８００１３８０００", "13800138000"),
])
def test_mobile_numbers_are_normalised(raw, normalised):
    check = uscc.normalize_cn_mobile(raw)
    assert check.valid and check.value == normalised


@pytest.mark.parametrize("raw, reason", [
    ("", Reason.EMPTY),
    (None, Reason.EMPTY),
    ("12800138000", Reason.PREFIX),  # second digit 2: not a mobile number
    ("+852 9123 4567", Reason.PREFIX),  # Hong Kong
    ("1380013800", Reason.LENGTH),
    ("138001380001", Reason.LENGTH),
    ("138OO138000", Reason.CHARSET),
])
def test_mobile_refusals(raw, reason):
    assert uscc.normalize_cn_mobile(raw).reason is reason
