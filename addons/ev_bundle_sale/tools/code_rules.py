"""Format rules of the codes printed on an e-bike, its battery and its charger (pure Python, no ORM).

* **Vehicle code (整车编码)**, GB 17761: 15 digits = maker code (4, assigned by 中国物品编码中心) + vehicle type (1;
  ``2`` = e-bike) + production year (2) + serial (8); no check digit. A **17-character VIN** (ISO 3779, check
  character in position 9) belongs to an electric motorcycle or moped, which may not be sold as an e-bike: it is
  refused with its own reason. A type digit other than ``2`` or an implausible year is only a warning, because the
  2024 edition of the standard may differ and refusing a real vehicle would block a sale.
* **Charger code (充电器编码)**, GB 42296-2022 amendment No. 1 (2024): 13 characters = positions 9–17 of the maker's
  unified social credit code (overseas makers: ``JW`` + 7 characters) + 2-digit year + 2-character model code
  (the letters I, O and Z are not used). Printed labels may separate the parts with hyphens; they are dropped.
* **Battery code (电池编码)**: a lead-acid battery's code is defined by each maker (GB 43854-2024 only asks for a
  permanent unique code), so the generic rule is loose (4–40 letters, digits, ``-``) and each brand may configure
  regular expressions that a code must match. A **lithium** battery's code follows GB/T 45565-2025 (enterprise
  code + battery type code + unique identification code); only what is published of it is checked: characters of
  the GB/T 1988 / OCR-B set, i.e. capital letters and digits without separators (``data/README.md`` says what is
  not checked). The brand's patterns apply on top.
* **Motor code (电动机编码)**, GB 17761-2024 §5.3: its format is not published; checked as loosely as a battery code.

A checker never raises on bad input: it returns a ``CodeCheck`` whose ``reason`` says what is wrong.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

VEHICLE_CODE_LENGTH = 15
VIN_LENGTH = 17
CHARGER_CODE_LENGTH = 13
EBIKE_TYPE_DIGIT = "2"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CHARGER_MODEL_FORBIDDEN = frozenset("IOZ")
_VIN_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")  # ISO 3779: no I, O, Q
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
               **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_BATTERY_GENERIC = re.compile(r"[0-9A-Z][0-9A-Z\-]{2,38}[0-9A-Z]")
_SEPARATORS = re.compile(r"[\s\u200b]+")


class CodeReason(StrEnum):
    """Why a code was refused. The values are stable: models map them to translated messages."""

    EMPTY = "empty"
    VIN = "vin"  # a 17-character VIN: an e-motorcycle, not an e-bike
    LENGTH = "length"
    CHARSET = "charset"
    MAKER = "maker"  # charger: the maker part is not 9 USCC characters nor JW + 7
    YEAR = "year"  # charger: the year part is not 2 digits
    MODEL = "model"  # charger: the model part uses I, O or Z
    PATTERN = "pattern"  # battery: matches none of its brand's patterns
    LITHIUM_CHARSET = "lithium_charset"  # lithium battery: GB/T 45565 codes have only capital letters and digits


class CodeWarning(StrEnum):
    VEHICLE_TYPE = "vehicle_type"  # digit 5 is not 2 (e-bike)
    VEHICLE_YEAR = "vehicle_year"  # production year in the future


@dataclass(frozen=True)
class CodeCheck:
    """``value`` is the normalised code (what is stored and looked up); ``reason`` is None when it is valid."""

    value: str
    reason: CodeReason | None = None
    detail: str = ""  # short English explanation for logs
    warnings: tuple = field(default=())

    @property
    def valid(self) -> bool:
        return self.reason is None

    def __bool__(self) -> bool:
        return self.valid


def normalize_code(raw: str | None) -> str:
    """What a scanner or a keyboard typed, as stored: full-width folded (``３１０…`` → ``310…``), spaces dropped,
    upper case. Hyphens are kept here (battery codes may contain them)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def vin_check_char(vin: str) -> str:
    """ISO 3779 / GB 16735 check character (position 9) of a 17-character VIN."""
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS))
    return "X" if total % 11 == 10 else str(total % 11)


def looks_like_vin(code: str) -> bool:
    """17 VIN characters (no I, O, Q) with at least one letter: the shape of a motor-vehicle VIN.

    The check character is not required to match: a VIN with a typo is still a VIN, and still not an e-bike.
    """
    return len(code) == VIN_LENGTH and set(code) <= _VIN_ALPHABET and not code.isdigit()


def check_vehicle_code(raw: str | None, today: datetime.date | None = None) -> CodeCheck:
    code = normalize_code(raw)
    if not code:
        return CodeCheck(code, CodeReason.EMPTY, "no code given")
    if looks_like_vin(code):
        return CodeCheck(code, CodeReason.VIN, "a 17-character VIN identifies an electric motorcycle or moped")
    if not code.isdigit():
        return CodeCheck(code, CodeReason.CHARSET, "a vehicle code has only digits")
    if len(code) != VEHICLE_CODE_LENGTH:
        return CodeCheck(code, CodeReason.LENGTH, f"a vehicle code has 15 digits, got {len(code)}")
    warnings = []
    if code[4] != EBIKE_TYPE_DIGIT:
        warnings.append(CodeWarning.VEHICLE_TYPE)
    year = 2000 + int(code[5:7])
    if year > (today or datetime.date.today()).year + 1:
        warnings.append(CodeWarning.VEHICLE_YEAR)
    return CodeCheck(code, warnings=tuple(warnings))


def vehicle_code_parts(code: str) -> dict:
    """Maker, type, year and serial of a valid 15-digit vehicle code."""
    code = normalize_code(code)
    return {"maker": code[:4], "type": code[4], "year": 2000 + int(code[5:7]), "serial": code[7:]}


def check_charger_code(raw: str | None) -> CodeCheck:
    code = normalize_code(raw).replace("-", "")
    if not code:
        return CodeCheck(code, CodeReason.EMPTY, "no code given")
    if not code.isalnum() or not code.isascii():
        return CodeCheck(code, CodeReason.CHARSET, "a charger code has only letters and digits")
    if len(code) != CHARGER_CODE_LENGTH:
        return CodeCheck(code, CodeReason.LENGTH, f"a charger code has 13 characters, got {len(code)}")
    maker, year, model = code[:9], code[9:11], code[11:]
    if not (maker.startswith("JW") or set(maker) <= set(USCC_ALPHABET)):
        return CodeCheck(code, CodeReason.MAKER, "characters 1-9 are the maker's credit code (no I, O, Z, S, V)")
    if not year.isdigit():
        return CodeCheck(code, CodeReason.YEAR, "characters 10-11 are the 2-digit year")
    if set(model) & _CHARGER_MODEL_FORBIDDEN:
        return CodeCheck(code, CodeReason.MODEL, "characters 12-13 are the model code, never I, O or Z")
    return CodeCheck(code)


def compile_patterns(patterns) -> list:
    """Compile a brand's patterns; raises ``re.error`` on an invalid one (shown to the manager who types it)."""
    return [re.compile(pattern) for pattern in patterns if pattern]


LITHIUM_CHEMISTRIES = frozenset({"lithium_ion", "lithium_iron_phosphate"})


def check_battery_code(raw: str | None, patterns=(), chemistry: str | None = None) -> CodeCheck:
    """``patterns``: the regular expressions of the battery's brand (strings or compiled); the code must fully
    match one of them when there are any. ``chemistry`` (product attribute): lithium codes follow GB/T 45565."""
    code = normalize_code(raw)
    if not code:
        return CodeCheck(code, CodeReason.EMPTY, "no code given")
    if chemistry in LITHIUM_CHEMISTRIES and not re.fullmatch(r"[0-9A-Z]+", code):
        return CodeCheck(code, CodeReason.LITHIUM_CHARSET,
                         "a GB/T 45565 lithium battery code has only capital letters and digits")
    if not code.isascii() or not _BATTERY_GENERIC.fullmatch(code):
        if not code.isascii() or not re.fullmatch(r"[0-9A-Z\-]+", code):
            return CodeCheck(code, CodeReason.CHARSET, "a battery code has only letters, digits and '-'")
        return CodeCheck(code, CodeReason.LENGTH, f"a battery code has 4 to 40 characters, got {len(code)}")
    compiled = [p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns if p]
    if compiled and not any(p.fullmatch(code) for p in compiled):
        return CodeCheck(code, CodeReason.PATTERN, "matches none of the brand's patterns")
    return CodeCheck(code)


def check_motor_code(raw: str | None) -> CodeCheck:
    """Motor codes are maker-defined (GB 17761-2024 §5.3 gives no published format): 4–40 letters, digits, '-'."""
    code = normalize_code(raw)
    if not code:
        return CodeCheck(code, CodeReason.EMPTY, "no code given")
    if not code.isascii() or not re.fullmatch(r"[0-9A-Z\-]+", code):
        return CodeCheck(code, CodeReason.CHARSET, "a motor code has only letters, digits and '-'")
    if not 4 <= len(code) <= 40:
        return CodeCheck(code, CodeReason.LENGTH, f"a motor code has 4 to 40 characters, got {len(code)}")
    return CodeCheck(code)


CHECKERS = {"vehicle": check_vehicle_code, "charger": check_charger_code, "battery": check_battery_code}


def normalize_for_role(role: str, raw: str | None) -> str:
    """The stored form of a code of ``role`` (chargers lose their hyphens)."""
    code = normalize_code(raw)
    return code.replace("-", "") if role == "charger" else code
