"""The buyer's resident identity card number (居民身份证号码, GB 11643-1999), for vehicle registration (pure Python).

18 characters: address code (6 digits), date of birth (8 digits, YYYYMMDD), sequence (3 digits), check character
(ISO 7064 MOD 11-2: ``0``-``9`` or ``X``). The residence permits of Hong Kong, Macao and Taiwan residents and the
2023 foreigner's permanent residence card use the same structure, so they pass the same check. The 15-digit cards
of before 1999 are no longer valid and are refused.
"""
import datetime
import re
import unicodedata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"


def normalize(raw: str | None) -> str:
    """Full-width characters, spaces and a lower-case x as typed on a phone: ``11010519491231002X``."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text).upper()


def check_character(first_17: str) -> str:
    return _CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first_17, _WEIGHTS, strict=True)) % 11]


def is_valid(number: str, today: datetime.date | None = None) -> bool:
    """Whether ``number`` (normalized) is a well-formed 18-character ID number with its check character right."""
    if not re.fullmatch(r"\d{17}[\dX]", number or ""):
        return False
    try:
        birth = datetime.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return False
    if birth.year < 1900 or birth > (today or datetime.date.today()):
        return False
    return check_character(number[:17]) == number[17]


def mask(number: str | None) -> str:
    """The first 4 and last 4 characters, the rest as ``*``: enough to recognise a card, not to use it."""
    number = number or ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
