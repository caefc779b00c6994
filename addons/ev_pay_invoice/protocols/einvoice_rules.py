"""Amount, tax-rate and identifier rules of fully digital e-invoices (数电票), independent of any provider.

Sources: einvoice.md#invoice-number (20-digit number), einvoice.md#content-and-amounts (rounding and amounts, tax
rates), einvoice.md#tax-classification-codes (tax classification codes), einvoice.md#invoice-xml (the XML's amount in
Chinese). All money is ``Decimal``; floats are only accepted where Odoo hands them over (``TaxRate.from_percent``) and
are converted through ``str`` first.

Rounding: the platforms say "round" without naming a mode; Chinese tax practice is 四舍五入, i.e. ``ROUND_HALF_UP``
(ties away from zero, so a red line is exactly the negative of its blue line).
"""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .checks import CheckResult, Reason

CENT = Decimal("0.01")
# einvoice.md#content-and-amounts: Nuonuo accepts |tax − round(excl × rate, 2)| ≤ 0.06 per line.
LINE_TAX_TOLERANCE = Decimal("0.06")
# einvoice.md#content-and-amounts: "Whole-invoice tolerance (the commonly cited 1.27): UNCONFIRMED." We enforce it per
# tax rate as a sanity bound only; with our per-line split each line is off by at most 0.01, so real invoices stay far
# below it.
INVOICE_TAX_TOLERANCE = Decimal("1.27")
TAX_CLASSIFICATION_CODE_LENGTH = 19
EINVOICE_NUMBER_LENGTH = 20

# VAT rates and levy rates a 数电票 line may carry. 13 % is for general taxpayers' goods; small-scale taxpayers use
# the 3 % levy rate, reduced to 1 % under the current relief (einvoice.md#content-and-amounts). The rate is configured
# per dealer, never assumed.
KNOWN_RATES = frozenset(Decimal(r) for r in ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0"))
# favouredPolicyFlag for 数电 (einvoice.md#content-and-amounts): 03 = 免税, 04 = 不征税 (codes 01-18 of the 数电
# table; 04 UNCONFIRMED beyond that table's order). Nuonuo's zeroRateFlag is documented as empty for 数电 票.
FAVOURED_POLICY_EXEMPT = "03"
FAVOURED_POLICY_NOT_TAXABLE = "04"

# einvoice.md#tax-classification-codes: the code in Nuonuo's samples is the documentation example for a *printer*; never
# ship it for an e-bike.
DOCUMENTATION_EXAMPLE_CODES = {"1090511030000000000": "printer (Nuonuo documentation example)"}

# GB/T 2260 provincial-level codes: positions 3-4 of a 数电票 number and the tax bureau of the XML
# (einvoice.md#invoice-number, einvoice.md#invoice-xml).
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}


class AmountError(ValueError):
    """Amounts that break a 数电票 rule. ``problems`` lists every rule broken, in English."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def to_decimal(value, what: str = "amount") -> Decimal:
    """A finite Decimal from a Decimal, int, numeric string or float (floats go through ``str``)."""
    if isinstance(value, bool):
        raise AmountError(f"{what}: {value!r} is not a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AmountError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise AmountError(f"{what}: {value!r} is not a finite number")
    return number


def money(value, what: str = "amount") -> Decimal:
    """An amount that already has at most 2 decimals. Refuses to round silently: a price is what the customer paid."""
    number = to_decimal(value, what)
    if number != number.quantize(CENT):
        raise AmountError(f"{what}: {number} has more than 2 decimals")
    return number.quantize(CENT)


def plain_decimal(number: Decimal) -> str:
    """Decimal → plain text without exponent or trailing zeros ("1", "2919.46902655"), for price and quantity."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def round_cents(value: Decimal) -> Decimal:
    """Round half up to 2 decimals (四舍五入)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxRate:
    """A line's tax rate. ``exempt`` (免税) and ``not_taxable`` (不征税) carry rate 0 and favouredPolicyFlag 03 / 04
    (einvoice.md#content-and-amounts)."""

    rate: Decimal
    exempt: bool = False
    not_taxable: bool = False

    def __post_init__(self):
        if self.rate not in KNOWN_RATES:
            raise AmountError(f"tax rate {self.rate} is not a VAT or levy rate of a 数电票 (known: "
                              f"{', '.join(str(r) for r in sorted(KNOWN_RATES))})")
        if (self.exempt or self.not_taxable) and self.rate:
            raise AmountError("an exempt (免税) or not taxable (不征税) line has rate 0")
        if self.exempt and self.not_taxable:
            raise AmountError("a line is either exempt (免税) or not taxable (不征税)")

    @classmethod
    def parse(cls, value) -> "TaxRate":
        """Accept ``"0.13"``, ``"13%"``, ``Decimal("0.03")``, ``"免税"`` / ``"exempt"``, ``"不征税"`` /
        ``"not_taxable"``."""
        if isinstance(value, TaxRate):
            return value
        text = str(value).strip()
        if text in ("免税", "exempt"):
            return cls(Decimal("0"), exempt=True)
        if text in ("不征税", "not_taxable"):
            return cls(Decimal("0"), not_taxable=True)
        if text.endswith("%"):
            return cls.from_percent(text[:-1])
        return cls(to_decimal(text, "tax rate").normalize())

    @classmethod
    def from_percent(cls, percent) -> "TaxRate":
        """From a percentage such as Odoo's ``account.tax.amount`` (13.0 → 0.13)."""
        return cls((to_decimal(percent, "tax rate") / 100).normalize())

    @property
    def nuonuo_value(self) -> str:
        """The ``taxRate`` string Nuonuo expects: ``"0.13"``, ``"0.01"``, ``"0"``."""
        return format(self.rate.normalize(), "f") if self.rate else "0"

    @classmethod
    def from_policy_flag(cls, rate, favoured_policy_flag) -> "TaxRate":
        """The rate of a received invoiceDetail line: its taxRate and favouredPolicyFlag."""
        if favoured_policy_flag == FAVOURED_POLICY_EXEMPT:
            return cls.parse("免税")
        if favoured_policy_flag == FAVOURED_POLICY_NOT_TAXABLE:
            return cls.parse("不征税")
        return cls.parse(rate)

    @property
    def favoured_policy_flag(self) -> str:
        if self.exempt:
            return FAVOURED_POLICY_EXEMPT
        return FAVOURED_POLICY_NOT_TAXABLE if self.not_taxable else ""

    @property
    def label(self) -> str:
        """As printed in the tax rate column: 13%, 免税, 不征税."""
        if self.exempt:
            return "免税"
        if self.not_taxable:
            return "不征税"
        return f"{format((self.rate * 100).normalize(), 'f')}%"


@dataclass(frozen=True)
class LineAmounts:
    """One invoice line: amount without tax + tax = amount with tax, each with 2 decimals."""

    excl: Decimal
    tax: Decimal
    incl: Decimal
    rate: TaxRate


def split_tax_inclusive(incl, rate) -> LineAmounts:
    """Split a consumer (tax-inclusive) price: ``excl = round(incl / (1 + rate), 2)``, ``tax = incl − excl``
    (einvoice.md#content-and-amounts).

    Works for negative (red) amounts too: the split of −x is exactly the negative of the split of x.
    """
    rate = TaxRate.parse(rate)
    incl = money(incl, "amount with tax")
    excl = round_cents(incl / (1 + rate.rate))
    return LineAmounts(excl, incl - excl, incl, rate)


def compute_tax_exclusive(excl, rate) -> LineAmounts:
    """From an amount without tax: ``tax = round(excl × rate, 2)``, ``incl = excl + tax``
    (einvoice.md#content-and-amounts)."""
    rate = TaxRate.parse(rate)
    excl = money(excl, "amount without tax")
    tax = round_cents(excl * rate.rate)
    return LineAmounts(excl, tax, excl + tax, rate)


def line_problems(excl, tax, incl, rate) -> list[str]:
    """Every einvoice.md#content-and-amounts line rule the three amounts break (empty list when they are acceptable to
    Nuonuo)."""
    problems = []
    try:
        rate = TaxRate.parse(rate)
    except AmountError as error:
        return error.problems
    values = {}
    for what, value in (("amount without tax", excl), ("tax", tax), ("amount with tax", incl)):
        try:
            values[what] = money(value, what)
        except AmountError as error:
            problems.extend(error.problems)
    if problems:
        return problems
    excl, tax, incl = values.values()
    if excl + tax != incl:
        problems.append(f"amount without tax {excl} + tax {tax} must equal amount with tax {incl}")
    expected = round_cents(excl * rate.rate)
    if not rate.rate and tax:
        problems.append(f"a {rate.label} line has no tax, got {tax}")
    elif abs(tax - expected) > LINE_TAX_TOLERANCE:
        problems.append(f"tax {tax} is more than {LINE_TAX_TOLERANCE} away from {excl} × {rate.nuonuo_value} = "
                        f"{expected}")
    return problems


def check_line(excl, tax, incl, rate) -> LineAmounts:
    """Like ``line_problems`` but raises ``AmountError``; returns the normalised amounts."""
    problems = line_problems(excl, tax, incl, rate)
    if problems:
        raise AmountError(problems)
    return LineAmounts(money(excl), money(tax), money(incl), TaxRate.parse(rate))


@dataclass(frozen=True)
class InvoiceTotals:
    excl: Decimal
    tax: Decimal
    incl: Decimal


def invoice_totals(lines: list[LineAmounts]) -> InvoiceTotals:
    """Totals of an invoice: plain sums of its lines, after checking each line and each rate group.

    The per-rate check compares Σtax with round(Σexcl × rate) against the UNCONFIRMED 1.27 whole-invoice tolerance.
    """
    if not lines:
        raise AmountError("an invoice has at least one line")
    problems = []
    for index, line in enumerate(lines, 1):
        problems.extend(f"line {index}: {p}" for p in line_problems(line.excl, line.tax, line.incl, line.rate))
    by_rate: dict[Decimal, list[LineAmounts]] = {}
    for line in lines:
        by_rate.setdefault(line.rate.rate, []).append(line)
    for rate, group in by_rate.items():
        tax = sum((line.tax for line in group), Decimal("0.00"))
        expected = round_cents(sum((line.excl for line in group), Decimal("0.00")) * rate)
        if abs(tax - expected) > INVOICE_TAX_TOLERANCE:
            problems.append(f"rate {rate}: total tax {tax} is more than {INVOICE_TAX_TOLERANCE} away from {expected}")
    if problems:
        raise AmountError(problems)
    return InvoiceTotals(
        sum((line.excl for line in lines), Decimal("0.00")),
        sum((line.tax for line in lines), Decimal("0.00")),
        sum((line.incl for line in lines), Decimal("0.00")),
    )


def allocate_amount(total, weights) -> list[Decimal]:
    """Share a 2-decimal ``total`` across lines in proportion to ``weights`` (e.g. list prices), to the cent.

    Largest-remainder method: the cents lost to rounding down go to the largest remainders, earlier lines first on
    ties, so the parts always add up to ``total`` exactly and the result is deterministic. Used when a bundle (vehicle
    + battery + charger) is sold for one negotiated 实际销售金额 but invoiced on separate lines.
    """
    total = money(total, "total")
    weights = [to_decimal(w, "weight") for w in weights]
    if not weights or any(w < 0 for w in weights) or not sum(weights):
        raise AmountError("weights must be non-negative and not all zero")
    cents = int(total / CENT)
    sign = -1 if cents < 0 else 1
    exact = [abs(cents) * w / sum(weights) for w in weights]
    parts = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: abs(cents) - sum(parts)]:
        parts[i] += 1
    return [sign * p * CENT for p in parts]


def validate_tax_classification_code(raw: str | None) -> CheckResult:
    """商品和服务税收分类编码: 19 digits (einvoice.md#tax-classification-codes). Rejects the printer code copied from
    Nuonuo's documentation.

    The real codes for 电动自行车 / 锂离子蓄电池 / 充电器 are UNCONFIRMED (einvoice.md#tax-classification-codes,
    einvoice.md#open-questions): keep them per product and have the accountant confirm them against the current official
    table.
    """
    code = (raw or "").strip()
    if not code:
        return CheckResult(code, Reason.EMPTY, "no tax classification code")
    if not code.isascii() or not code.isdigit():
        return CheckResult(code, Reason.CHARSET, "a tax classification code has only digits")
    if len(code) != TAX_CLASSIFICATION_CODE_LENGTH:
        return CheckResult(code, Reason.LENGTH, f"a tax classification code has 19 digits, got {len(code)}")
    if code in DOCUMENTATION_EXAMPLE_CODES:
        return CheckResult(code, Reason.EXAMPLE_CODE, f"{code} is the {DOCUMENTATION_EXAMPLE_CODES[code]}")
    return CheckResult(code)


@dataclass(frozen=True)
class EInvoiceNumber:
    """The parts of a 20-digit 数电票 number (einvoice.md#invoice-number): YY, province, channel, 15-digit sequence."""

    number: str
    year: int
    region_code: str
    channel: str
    sequence: str

    @property
    def province(self) -> str:
        return PROVINCES[self.region_code]


def validate_einvoice_number(raw: str | None, *, issued_on: date | None = None) -> CheckResult:
    """Check a 数电票 number: 20 digits, a provincial-level region code, and (if given) the issue year."""
    number = (raw or "").strip()
    if not number:
        return CheckResult(number, Reason.EMPTY, "no invoice number")
    if not number.isascii() or not number.isdigit():
        return CheckResult(number, Reason.CHARSET, "a 数电票 number has only digits")
    if len(number) != EINVOICE_NUMBER_LENGTH:
        return CheckResult(number, Reason.LENGTH, f"a 数电票 number has 20 digits, got {len(number)}")
    if number[2:4] not in PROVINCES:
        return CheckResult(number, Reason.REGION, f"positions 3-4 ({number[2:4]}) are not a provincial-level code")
    if issued_on and number[:2] != f"{issued_on.year % 100:02d}":
        return CheckResult(number, Reason.YEAR, f"starts with {number[:2]} but was issued in {issued_on.year}")
    return CheckResult(number)


def parse_einvoice_number(raw: str) -> EInvoiceNumber:
    check = validate_einvoice_number(raw)
    if not check:
        raise ValueError(f"not a 数电票 number: {check.detail}")
    number = check.value
    return EInvoiceNumber(number, 2000 + int(number[:2]), number[2:4], number[4], number[5:])


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(group: int) -> str:
    """0 < group < 10000, without leading 零 (the caller adds the joining 零)."""
    text, zero = "", False
    for power in (3, 2, 1, 0):
        digit = group // 10 ** power % 10
        if digit:
            text += ("零" if zero and text else "") + _DIGITS[digit] + _SMALL_UNITS[power]
            zero = False
        else:
            zero = True
    return text


def amount_in_chinese(amount) -> str:
    """价税合计（大写）as in the 数电票 XML ``TotalTax-includedAmountInChinese`` (e.g. ``伍元陆角壹分``,
    einvoice.md#invoice-xml samples).

    Conventions: 元 (the XML samples use 元, not 圆); ``整`` only when there are no 角/分; a 零 between 元 and 分 when
    角 is zero (``壹拾元零伍分``); negative (red) amounts get the ``（负数）`` prefix printed on red invoices.
    """
    amount = money(amount)
    prefix = "（负数）" if amount < 0 else ""
    cents = int(abs(amount) / CENT)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    integer, groups, index = "", [], 0
    while yuan:
        groups.append((yuan % 10000, index))
        yuan //= 10000
        index += 1
    need_zero = False
    for group, power in reversed(groups):
        if group:
            lead = "零" if integer and (need_zero or group < 1000) else ""
            integer += lead + _four_digits(group) + _BIG_UNITS[power]
            need_zero = group % 10 == 0
        else:
            need_zero = bool(integer)
    if not integer and not jiao and not fen:
        return prefix + "零元整"
    text = integer + "元" if integer else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen and integer:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    elif not jiao:
        text += "整"
    return prefix + text
