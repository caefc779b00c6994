"""Taxpayer identifiers (统一社会信用代码 / 纳税人识别号) and mainland mobile numbers.

Rules (docs/protocols/einvoice.md#taxpayer-id, GB 32100-2015):

* A USCC has 18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V).
  Position 1 is the registration authority, 2 the entity type, 3–8 the region code, 9–17 the organisation code,
  18 the check character ``A[(31 − Σ A.index(cᵢ)·wᵢ) mod 31]`` with the weights in ``USCC_WEIGHTS``.
* Letter prefixes exist (e.g. ``Y…``); ``python-stdnum`` rejects them because it wants digits in positions 1–8,
  which is why this module has its own check.
* A 纳税人识别号 may also be a legacy 15/17/20-character id, or an ID-card number for individuals. The doc says to
  apply the USCC check only when the value has 18 characters and the buyer is an organisation, so the legacy
  lengths are accepted on their character set alone.
* Nuonuo's test seller number ``339902999999789113`` is not a valid USCC: callers skip the check in test mode.
"""
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .checks import CheckResult, Reason

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18
LEGACY_TAXPAYER_ID_LENGTHS = (15, 17, 20)

# GB 32100-2015 table 1/2, for display only. Other authority codes were added after 2015 and the public lists
# disagree, so an unlisted prefix is *not* a validation failure: rejecting a real code would block an invoice,
# while a typo that keeps a valid check character is a 1-in-31 event.
REGISTRATION_AUTHORITIES = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "Y": ("其他", {"1": "其他"}),
}

# GB 11643-1999 (resident ID number, ISO 7064 MOD 11-2). Not in einvoice.md: used only to check the 18-character
# id of a natural-person buyer, where einvoice.md#taxpayer-id says the USCC check must not be applied.
_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CARD_CHECK = "10X98765432"

_USCC_CHARS = frozenset(USCC_ALPHABET)
_LEGACY_ID = re.compile(r"[0-9A-Z]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()（）.]")


class TaxpayerIdKind(StrEnum):
    USCC = "uscc"
    ID_CARD = "id_card"
    LEGACY = "legacy"


@dataclass(frozen=True)
class TaxpayerIdCheck(CheckResult):
    kind: TaxpayerIdKind | None = None


@dataclass(frozen=True)
class UsccParts:
    registration_authority_code: str
    registration_authority: str | None  # label, None when not in GB 32100-2015's own table
    entity_type_code: str
    entity_type: str | None
    region_code: str
    organisation_code: str
    check_char: str


def _normalise(raw: str | None) -> str:
    """Upper-case, drop spaces, fold full-width characters typed with a Chinese IME (``９１…`` → ``91…``)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()


def uscc_check_char(first17: str) -> str:
    """The 18th character for 17 leading USCC characters (GB 32100-2015 §4, weights ``USCC_WEIGHTS``)."""
    if len(first17) != 17 or not set(first17) <= _USCC_CHARS:
        raise ValueError("need 17 characters from the USCC alphabet")
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str | None) -> CheckResult:
    """Check an 18-character unified social credit code: length, character set, region digits, check character."""
    code = _normalise(raw)
    if not code:
        return CheckResult(code, Reason.EMPTY, "no code given")
    if len(code) != USCC_LENGTH:
        return CheckResult(code, Reason.LENGTH, f"a USCC has 18 characters, got {len(code)}")
    bad = sorted(set(code) - _USCC_CHARS)
    if bad:
        return CheckResult(code, Reason.CHARSET, f"characters not allowed in a USCC: {''.join(bad)} (I, O, Z, S, V "
                                                 "and punctuation are never used)")
    if not code[2:8].isdigit():
        return CheckResult(code, Reason.REGION, "positions 3-8 must be the 6-digit region code")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return CheckResult(code, Reason.CHECK_DIGIT, f"check character should be {expected}, not {code[17]}")
    return CheckResult(code)


def describe_uscc(code: str) -> UsccParts:
    """Split a (valid) USCC into its parts, with GB 32100-2015 labels where the standard's own table has them."""
    code = _normalise(code)
    if not validate_uscc(code):
        raise ValueError(f"not a valid USCC: {code!r}")
    authority, types = REGISTRATION_AUTHORITIES.get(code[0], (None, {}))
    return UsccParts(code[0], authority, code[1], types.get(code[1]), code[2:8], code[8:17], code[17])


def id_card_check_char(first17: str) -> str:
    """GB 11643-1999 check character of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need 17 digits")
    return _ID_CARD_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_CARD_WEIGHTS)) % 11]


def _valid_id_card(code: str) -> bool:
    return len(code) == 18 and code[:17].isdigit() and code[17] == id_card_check_char(code[:17])


def validate_taxpayer_id(raw: str | None, *, organisation: bool = True) -> TaxpayerIdCheck:
    """Check a buyer's 纳税人识别号 the way einvoice.md#taxpayer-id prescribes (einvoice.md#taxpayer-id caveat 3).

    * 18 characters, organisation: full USCC check.
    * 18 characters, natural person: a valid USCC (e.g. a 个体工商户 title) or a valid resident ID number.
    * 15, 17 or 20 characters: legacy ids, accepted on their character set (digits and capital letters).
    """
    code = _normalise(raw)
    if not code:
        return TaxpayerIdCheck(code, Reason.EMPTY, "no taxpayer id given")
    if not _LEGACY_ID.fullmatch(code):
        return TaxpayerIdCheck(code, Reason.CHARSET, "a taxpayer id has only digits and capital letters")
    if len(code) == USCC_LENGTH:
        uscc = validate_uscc(code)
        if uscc:
            return TaxpayerIdCheck(code, kind=TaxpayerIdKind.USCC)
        if organisation:
            return TaxpayerIdCheck(code, uscc.reason, uscc.detail)
        if _valid_id_card(code):
            return TaxpayerIdCheck(code, kind=TaxpayerIdKind.ID_CARD)
        return TaxpayerIdCheck(code, Reason.CHECK_DIGIT, "neither a valid USCC nor a valid resident ID number")
    if len(code) in LEGACY_TAXPAYER_ID_LENGTHS:
        return TaxpayerIdCheck(code, kind=TaxpayerIdKind.LEGACY)
    return TaxpayerIdCheck(code, Reason.LENGTH, f"a taxpayer id has 15, 17, 18 or 20 characters, got {len(code)}")


def normalize_cn_mobile(raw: str | None) -> CheckResult:
    """Normalise a mainland mobile number to its 11 digits ``1[3-9]xxxxxxxxx``.

    Tolerates spaces, dashes, dots and brackets and a ``+86`` / ``0086`` / ``86`` country prefix, so that
    ``+86 138-0013-8000`` becomes ``13800138000``. Any other country code is rejected with ``Reason.PREFIX``.
    """
    number = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not number:
        return CheckResult("", Reason.EMPTY, "no mobile number given")
    if number.startswith("+"):
        if not number.startswith("+86"):
            return CheckResult(number, Reason.PREFIX, "not a mainland China (+86) number")
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not number.isdigit():
        return CheckResult(number, Reason.CHARSET, "a mobile number has only digits")
    if len(number) != 11:
        return CheckResult(number, Reason.LENGTH, f"a mainland mobile number has 11 digits, got {len(number)}")
    if not _MOBILE.fullmatch(number):
        return CheckResult(number, Reason.PREFIX, "a mainland mobile number starts with 13-19")
    return CheckResult(number)
