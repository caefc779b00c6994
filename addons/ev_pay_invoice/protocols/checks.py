"""The result type shared by the identifier and code validators (``uscc``, ``einvoice_rules``).

A validator never raises on bad user input: it returns a ``CheckResult`` whose ``reason`` says what is wrong, so an
Odoo constraint or a wizard can turn it into a message without parsing exception text.
"""
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a value was rejected. The string values are stable: models may store or translate them."""

    EMPTY = "empty"
    LENGTH = "length"
    CHARSET = "charset"
    REGION = "region"  # a region / administrative-division part is not a known code
    CHECK_DIGIT = "check_digit"
    PREFIX = "prefix"  # a mobile number that is not a mainland 1[3-9] number, or a foreign country code
    YEAR = "year"  # a 数电票 number whose year digits do not match the issue date
    EXAMPLE_CODE = "example_code"  # a tax classification code copied from vendor documentation


@dataclass(frozen=True)
class CheckResult:
    """``value`` is the normalised input (what should be stored); ``reason`` is None when the value is valid."""

    value: str
    reason: Reason | None = None
    detail: str = ""  # a short English explanation for logs and error messages

    @property
    def valid(self) -> bool:
        return self.reason is None

    def __bool__(self) -> bool:
        return self.valid
