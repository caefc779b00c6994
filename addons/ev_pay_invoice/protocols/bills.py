"""Parsers of settlement bill files: WeChat Pay trade bill and fund-flow bill, Alipay business detail bill.

Formats (bills.md#wechat-pay-trade-bill, bills.md#wechat-pay-fund-flow-bill, bills.md#alipay-bills):

* WeChat (UTF-8 via the API, optionally gzip): a header row without backticks; detail rows where every value is
  prefixed with a backtick and separated by commas; then a summary header row and one totals row (backticked too).
  Amounts are in **yuan** (unlike the JSON APIs' fen); 手续费 has 5 decimals. A refunded order keeps its SUCCESS row
  and gets an extra REFUND row whose 应结订单金额 is 0.00.
* Alipay ``trade`` detail (a zip of GBK CSVs): ``#`` preamble (account, period), a header, detail rows whose
  identifier fields carry a trailing tab, then a ``#`` footer with ``交易合计`` / ``退款合计`` lines. Refund rows
  have negative amounts; 服务费 is negative when charged.

Every parser checks the bill's own summary against its lines (counts and totals). A file without its summary is
truncated; any malformed line raises ``BillFormatError`` naming the line. Nothing partial is ever returned.

What is well-formed but new to us never fails the day (bills.md#tolerant-reading): a row of an unknown kind (a new
WeChat 交易状态, an Alipay 业务类型 other than 交易/退款) becomes an ``UNRECOGNISED`` line with no amount of its own
and its raw row kept; a new header or summary column is read past. Each of them is listed in the bill's
``notices`` for the accountant, saying what changed.

Sign conventions of ``TradeLine`` (the same for both channels): ``gross_amount`` is what a payment line settles to
the merchant, ``refund_amount`` what a refund line gives back (both ≥ 0), ``fee`` is the fee charged (> 0) or
returned (< 0), and ``net_amount = gross − refund − fee`` is the line's effect on the merchant's balance.
"""
import codecs
import csv
import gzip
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum

# bill times are Beijing time (bills.md#wechat-pay-trade-bill day cut)
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
ZERO = Decimal("0")



def _lt(template: str) -> str:
    """Marks a parser message for Odoo's translation export, which finds ``_lt("…")`` calls by name: the
    application shows the message in the user's language with this English template as its key, and this module
    stays free of Odoo."""
    return template

class BillFormatError(ValueError):
    """The file is not a complete, self-consistent bill. ``line_no`` is 1-based, when one line is to blame."""

    def __init__(self, template: str, line_no: int | None = None, **params):
        # The English template and its parameters are kept apart so that the application can show the message
        # in the user's language (the template is its translation key, %-style as Odoo's own).
        self.template, self.params, self.line_no = template, params, line_no
        message = template % params if params else template
        super().__init__(f"line {line_no}: {message}" if line_no else message)


class Channel(StrEnum):
    WECHAT = "wechat"
    ALIPAY = "alipay"


class TradeKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    REVOKED = "revoked"  # WeChat 交易状态 REVOKED (撤销)
    UNRECOGNISED = "unrecognised"  # a row kind this parser does not know: kept with its raw row, no amount


class NoticeKind(StrEnum):
    ROW_KIND = "row_kind"  # a row of an unknown kind, imported as unrecognised
    NEW_COLUMNS = "new_columns"  # the header has columns the documented layout lacks
    SUMMARY_COLUMNS = "summary_columns"  # the summary has totals we cannot check


@dataclass(frozen=True)
class BillNotice:
    """Something well-formed the parser did not recognise; the bill is read all the same. ``template`` (English,
    %-style, the translation key) and ``params`` say what changed; ``raw`` is the row concerned, as printed."""

    kind: NoticeKind
    template: str
    params: Mapping[str, object]
    line_no: int | None = None
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template


class FlowDirection(StrEnum):
    INCOME = "income"  # 收入
    EXPENSE = "expense"  # 支出


@dataclass(frozen=True, slots=True)  # a busy day has 10,000 lines: no __dict__ each
class TradeLine:
    channel: Channel
    line_no: int
    kind: TradeKind
    trade_time: datetime  # payment success / refund time, aware (Beijing)
    transaction_id: str  # 微信订单号 / 支付宝交易号 (of the original payment, also on refund lines)
    out_trade_no: str  # 商户订单号
    gross_amount: Decimal
    refund_amount: Decimal
    fee: Decimal
    order_amount: Decimal = ZERO  # 订单金额 of a payment line (before non-cash coupons); 0 on refund lines
    refund_id: str | None = None  # 微信退款单号
    out_refund_no: str | None = None  # 商户退款单号 / 退款批次号/请求号 (= out_request_no)
    sub_merchant_id: str | None = None  # 特约商户号 (WeChat service-provider mode)
    status: str = ""  # the line's status / business type as printed
    fee_rate: str = ""  # as printed, e.g. "0.60%"
    goods_name: str = ""
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def net_amount(self) -> Decimal:
        return self.gross_amount - self.refund_amount - self.fee


@dataclass(frozen=True)
class TradeBillSummary:
    line_count: int
    payment_count: int
    refund_count: int
    gross_total: Decimal
    refund_total: Decimal
    fee_total: Decimal
    reported: Mapping[str, Decimal]  # the bill's own summary figures, by their printed names

    @property
    def net_total(self) -> Decimal:
        return self.gross_total - self.refund_total - self.fee_total


@dataclass(frozen=True)
class TradeBill:
    channel: Channel
    lines: tuple[TradeLine, ...]
    summary: TradeBillSummary
    account: str | None = None  # Alipay: #账号 (PID + "0156")
    partner_id: str | None = None  # Alipay: the 16-digit PID
    period_start: datetime | None = None  # Alipay: #起始日期
    period_end: datetime | None = None  # Alipay: 终止日期
    notices: tuple[BillNotice, ...] = ()


@dataclass(frozen=True, slots=True)
class FundFlowLine:
    line_no: int
    booked_at: datetime  # 记账时间
    business_id: str  # 微信支付业务单号
    flow_id: str  # 资金流水单号
    business_name: str  # 业务名称: 交易 / 退款 / 充值/提现 / 企业付款 / 分账 …
    business_type: str  # 业务类型: 交易 / 扣除交易手续费 / 退款 / 退款关闭 / 退还交易手续费 …
    direction: FlowDirection
    amount: Decimal  # 收支金额, ≥ 0
    balance: Decimal  # 账户结余 after this movement
    applicant: str = ""
    remark: str = ""
    voucher_no: str = ""  # 业务凭证号
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction is FlowDirection.INCOME else -self.amount


@dataclass(frozen=True)
class FundFlowSummary:
    line_count: int
    income_count: int
    income_total: Decimal
    expense_count: int
    expense_total: Decimal


@dataclass(frozen=True)
class FundFlowBill:
    lines: tuple[FundFlowLine, ...]
    summary: FundFlowSummary
    channel: Channel = Channel.WECHAT
    account: str | None = None  # Alipay: #账号 (PID + "0156")
    partner_id: str | None = None  # Alipay: the 16-digit PID
    period_start: datetime | None = None  # Alipay: #起始日期
    notices: tuple[BillNotice, ...] = ()


class BillRow(Mapping):
    """One detail row, every column as printed (``row["商户订单号"]``). A busy day has 10,000 rows: they share one
    column index, and a value repeated across rows (app id, merchant number, status, time…) is stored once."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: tuple[str, ...]):
        self._index = index
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[self._index[name]]

    def __iter__(self):
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"BillRow({dict(self)!r})"


def _row_maker(header: list[str]):
    """Build the BillRows of one bill: values (already checked to be as many as the header's columns) → BillRow."""
    index = {name: position for position, name in enumerate(header)}
    stored = {}

    def make_row(values: list[str]) -> BillRow:
        return BillRow(index, tuple(stored.setdefault(value, value) for value in values))
    return make_row


# ---------------------------------------------------------------------------------------------------------------
# Bytes → text
# ---------------------------------------------------------------------------------------------------------------

def check_sha1(data: bytes, expected: str):
    """WeChat's ``hash_value`` (``hash_type`` SHA1) covers the *uncompressed* file (bills.md#wechat-pay-trade-bill)."""
    actual = hashlib.sha1(data).hexdigest()
    if actual != (expected or "").strip().lower():
        raise BillFormatError(_lt("SHA1 of the bill is %(actual)s, the download answer said %(expected)s"),
                              actual=actual, expected=expected)


def _gunzip(data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise BillFormatError(_lt("the gzip archive is damaged or cut short (%(error)s)"), error=str(error)) from None


def decode_bill_text(data: bytes) -> str:
    """UTF-8 (WeChat, or a re-saved file with BOM) or GBK (Alipay), told apart safely.

    Chinese text in GBK is practically never valid UTF-8, so strict UTF-8 is tried first and GB18030 (a superset of
    GBK) second; a pure-ASCII file reads the same either way.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        encodings = ("utf-8",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BillFormatError(_lt("the bill is neither UTF-8 nor GBK text"))


# The line boundaries of str.splitlines(), found one at a time (a list of a busy day's lines would cost megabytes).
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _split_lines(text: str):
    """The lines of ``text`` as str.splitlines() cuts them, yielded one by one."""
    start = 0
    for line_break in _LINE_BREAK.finditer(text):
        yield text[start:line_break.start()]
        start = line_break.end()
    if start < len(text):
        yield text[start:]


def _numbered_lines(text: str):
    """(line number, line) for every non-blank line; numbers count blank lines too, as an editor shows them."""
    for number, line in enumerate(_split_lines(text), 1):
        if line.strip():
            yield number, line.rstrip()


def _amount(value: str, column: str, line_no: int, memo: dict | None = None) -> Decimal:
    """``memo`` (one per bill): the same printed amount read once, one Decimal shared by the rows that print it (a
    busy day has 10,000 rows of four amounts, most of them repeated)."""
    if memo is not None:
        known = memo.get(value)
        if known is not None:
            return known
    text = (value or "").strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BillFormatError(_lt("%(column)s %(value)r is not an amount"),
                              line_no, column=column, value=value) from None
    if not amount.is_finite():
        raise BillFormatError(_lt("%(column)s %(value)r is not an amount"), line_no, column=column, value=value)
    if memo is not None:
        memo[value] = amount
    return amount


def _count(value: str, column: str, line_no: int) -> int:
    """Counts are printed as ``12`` or, in fund bills, ``20.0``."""
    number = _amount(value, column, line_no)
    if number != number.to_integral_value() or number < 0:
        raise BillFormatError(_lt("%(column)s %(value)r is not a count"), line_no, column=column, value=value)
    return int(number)


def _time(value: str, column: str, line_no: int) -> datetime:
    text = " ".join((value or "").split())  # old bills print two spaces between date and time
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ)
    except ValueError:
        raise BillFormatError(_lt("%(column)s %(value)r is not a date and time"), line_no, column=column,
                              value=value) from None


def _optional_id(value: str) -> str | None:
    """WeChat prints ``0`` or nothing where a payment row has no refund id or sub-merchant."""
    value = (value or "").strip()
    return None if value in ("", "0") else value


# ---------------------------------------------------------------------------------------------------------------
# WeChat: backtick-prefixed CSV with a summary section
# ---------------------------------------------------------------------------------------------------------------

def _backticked(line: str, line_no: int) -> list[str]:
    """Values of a detail or totals row: each one starts with a backtick, so split on ',`' (commas inside values
    such as goods names survive)."""
    if not line.startswith("`"):
        raise BillFormatError(_lt("expected a bill row whose values start with a backtick (`)"), line_no)
    return [value.strip() for value in line[1:].split(",`")]


def _header(line: str) -> list[str]:
    """Column names. The documented header has no backticks (tolerated anyway); NFKC folds full-width brackets,
    since both "收支金额（元）" and "收支金额(元)" spellings are in circulation."""
    return [unicodedata.normalize("NFKC", name).strip().lstrip("`").strip() for name in line.split(",")]


def _parse_wechat_sections(text: str, required: tuple[str, ...], summary_starts: tuple[str, ...], kind: str,
                           known=()):
    """Split a WeChat bill into (header, [(line_no, row dict)], summary dict, summary line number, notices)."""
    lines = _numbered_lines(text)
    try:
        header_no, header_line = next(lines)
    except StopIteration:
        raise BillFormatError(_lt("the %(kind)s is empty"), kind=kind) from None
    header = _header(header_line)
    missing = [name for name in required if name not in header]
    _changed_header_error(header, missing, known, header_no)
    if missing:
        raise BillFormatError(_lt("not a WeChat %(kind)s header: missing column(s) %(columns)s"), header_no, kind=kind,
                              columns=", ".join(missing))
    notices = [notice for notice in [_new_columns_notice(header, known, header_no)] if notice]
    rows, summary_header, last_no, make_row = [], None, header_no, _row_maker(header)
    for line_no, line in lines:
        last_no = line_no
        if _header(line)[0] in summary_starts:
            summary_header = _header(line)
            break
        values = _backticked(line, line_no)
        if len(values) != len(header):
            raise BillFormatError(_lt("has %(values)s values, the header has %(columns)s columns"), line_no,
                                  values=len(values), columns=len(header))
        rows.append((line_no, make_row(values)))
    if summary_header is None:
        raise BillFormatError(_lt("the %(kind)s ends after line %(last)s without its summary rows (%(summary)s…): the "
                              "file is truncated"), kind=kind, last=last_no, summary=summary_starts[0])
    try:
        totals_no, totals_line = next(lines)
    except StopIteration:
        raise BillFormatError(_lt("the %(kind)s ends after the summary header without the totals row: the file is "
                              "truncated"), last_no, kind=kind) from None
    totals = _backticked(totals_line, totals_no)
    if len(totals) != len(summary_header):
        raise BillFormatError(_lt("the totals row has %(values)s values, its header has %(columns)s"), totals_no,
                              values=len(totals), columns=len(summary_header))
    for extra_no, _ in lines:
        raise BillFormatError(_lt("unexpected content after the totals row"), extra_no)
    return header, rows, dict(zip(summary_header, totals)), totals_no, notices


def _row_kind_notice(line_no: int, column: str, value: str, row: BillRow) -> BillNotice:
    return BillNotice(NoticeKind.ROW_KIND, _lt("%(column)s %(value)r is a kind of row this version does not know: "
                                               "imported as unrecognised, with the row as printed"),
                      {"column": column, "value": value}, line_no, raw=row)


def _new_columns_notice(header: list[str], known, line_no: int) -> BillNotice | None:
    new = [name for name in header if name and name not in known]
    if not new:
        return None
    return BillNotice(NoticeKind.NEW_COLUMNS, _lt("the header has new column(s) %(columns)s: read past, their "
                                                  "values are kept with each row"),
                      {"columns": ", ".join(new)}, line_no)


def _changed_header_error(header: list[str], missing: list[str], known, line_no: int, **params):
    """Required columns are missing and new ones appeared (a renamed column shows as both): say both."""
    new = [name for name in header if name and name not in known]
    if missing and new:
        raise BillFormatError(_lt("the bill's header changed: missing column(s) %(columns)s, new column(s) "
                                  "%(new)s"), line_no, columns=", ".join(missing), new=", ".join(new))


def _verify(reported, computed, what: str, line_no: int):
    if reported != computed:
        raise BillFormatError(_lt("the summary says %(what)s is %(reported)s but the lines add up to %(computed)s"),
                              line_no, what=what, reported=reported, computed=computed)


# Summary column → detail column it totals (None: the number of rows). The old names are those of the legacy
# layout some merchants still get (bills.md#wechat-pay-trade-bill); the current ALL bill uses the first name of each
# pair.
_WECHAT_TRADE_TOTALS = {
    "总交易单数": None, "总交易单": None,
    "应结订单总金额": "应结订单金额", "总交易额": "总金额",
    "退款总金额": "退款金额", "总退款金额": "退款金额",
    "充值券退款总金额": "充值券退款金额", "总企业红包退款金额": "企业红包退款金额",
    "手续费总金额": "手续费", "订单总金额": "订单金额", "申请退款总金额": "申请退款金额",
}
_WECHAT_TRADE_KINDS = {"SUCCESS": TradeKind.PAYMENT, "REFUND": TradeKind.REFUND, "REVOKED": TradeKind.REVOKED}
# Every column of the documented layouts (ALL, SUCCESS, REFUND, legacy): any other is reported as new.
_WECHAT_TRADE_COLUMNS = frozenset((
    "交易时间", "公众账号ID", "商户号", "特约商户号", "子商户号", "设备号", "微信订单号", "商户订单号",
    "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "总金额", "代金券金额",
    "企业红包金额", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "企业红包退款金额",
    "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额",
    "费率备注", "退款申请时间", "退款成功时间",
))


def _unrecognised_line(channel: Channel, line_no: int, row: BillRow, status: str, trade_time: datetime | None,
                       transaction_id: str, out_trade_no: str) -> TradeLine:
    """A row of an unknown kind: no amount of its own (its meaning is unknown), the row kept as printed."""
    return TradeLine(channel=channel, line_no=line_no, kind=TradeKind.UNRECOGNISED, trade_time=trade_time,
                     transaction_id=transaction_id, out_trade_no=out_trade_no, gross_amount=ZERO, refund_amount=ZERO,
                     fee=ZERO, status=status, goods_name=row.get("商品名称", ""), raw=row)


def _lenient_time(value: str) -> datetime | None:
    try:
        return _time(value, "", 0)
    except BillFormatError:
        return None


def _wechat_trade_line(line_no: int, row: BillRow, memo: dict | None = None) -> TradeLine:
    status = row["交易状态"]
    if status not in _WECHAT_TRADE_KINDS:
        return _unrecognised_line(Channel.WECHAT, line_no, row, status, _lenient_time(row["交易时间"]),
                                  row["微信订单号"], row["商户订单号"])
    amounts = {column: _amount(row[column], column, line_no, memo)
               for column in _WECHAT_TRADE_TOTALS.values() if column and column in row}
    gross_column = "应结订单金额" if "应结订单金额" in row else "总金额"  # legacy layout has no 应结订单金额
    fee = _amount(row["手续费"], "手续费", line_no, memo)
    return TradeLine(
        channel=Channel.WECHAT,
        line_no=line_no,
        kind=_WECHAT_TRADE_KINDS[status],
        trade_time=_time(row["交易时间"], "交易时间", line_no),
        transaction_id=row["微信订单号"],
        out_trade_no=row["商户订单号"],
        gross_amount=amounts.get(gross_column, ZERO),
        refund_amount=amounts.get("退款金额", ZERO),
        fee=fee,
        order_amount=amounts.get("订单金额", ZERO),
        refund_id=_optional_id(row.get("微信退款单号", "")),
        out_refund_no=_optional_id(row.get("商户退款单号", "")),
        sub_merchant_id=_optional_id(row.get("特约商户号", row.get("子商户号", ""))),
        status=status,
        fee_rate=row.get("费率", ""),
        goods_name=row.get("商品名称", ""),
        raw=row,
    )


def parse_wechat_trade_bill(data: bytes, *, sha1: str | None = None) -> TradeBill:
    """Parse a ``/v3/bill/tradebill`` file (ALL; SUCCESS and REFUND layouts too, read by column name).

    ``sha1``: the download answer's ``hash_value``, checked against the uncompressed bytes.
    """
    data = _gunzip(data)
    if sha1 is not None:
        check_sha1(data, sha1)
    header, rows, totals, totals_no, notices = _parse_wechat_sections(
        decode_bill_text(data), ("交易时间", "微信订单号", "商户订单号", "交易状态", "手续费"),
        ("总交易单数", "总交易单"), "trade bill", known=_WECHAT_TRADE_COLUMNS)
    if "应结订单金额" not in header and "总金额" not in header:
        raise BillFormatError(_lt("the trade bill has neither 应结订单金额 nor 总金额"), 1)
    memo = {}
    lines = tuple(_wechat_trade_line(line_no, row, memo) for line_no, row in rows)
    del memo
    notices += [_row_kind_notice(line.line_no, "交易状态", line.status, line.raw) for line in lines
                if line.kind is TradeKind.UNRECOGNISED]
    unchecked = [name for name in totals if name not in _WECHAT_TRADE_TOTALS]
    if unchecked:
        notices.append(BillNotice(NoticeKind.SUMMARY_COLUMNS, _lt(
            "the summary has new total(s) %(columns)s that this version cannot check; the other totals were "
            "checked"), {"columns": ", ".join(unchecked)}, totals_no))
    reported = {}
    for name, value in totals.items():
        if name not in _WECHAT_TRADE_TOTALS:
            continue
        column = _WECHAT_TRADE_TOTALS[name]
        if column is None:
            reported[name] = Decimal(_count(value, name, totals_no))
            _verify(reported[name], len(lines), "总交易单数", totals_no)
            continue
        reported[name] = _amount(value, name, totals_no)
        if column not in header:
            # The SUCCESS layout drops the refund columns but may keep their totals: these can only be zero.
            if reported[name]:
                raise BillFormatError(_lt("summary column %(name)s totals %(column)s, which the detail rows lack"),
                                      totals_no, name=name, column=column)
            continue
        computed = sum((_amount(line.raw[column], column, line.line_no) for line in lines), ZERO)
        _verify(reported[name], computed, name, totals_no)
    if not any(_WECHAT_TRADE_TOTALS[name] is None for name in totals):
        raise BillFormatError(_lt("the summary has no trade count (总交易单数)"), totals_no)
    return TradeBill(Channel.WECHAT, lines, _trade_summary(lines, reported), notices=tuple(notices))


def _trade_summary(lines: tuple[TradeLine, ...], reported: dict[str, Decimal]) -> TradeBillSummary:
    return TradeBillSummary(
        line_count=len(lines),
        payment_count=sum(1 for line in lines if line.kind is TradeKind.PAYMENT),
        refund_count=sum(1 for line in lines if line.kind is TradeKind.REFUND),
        gross_total=sum((line.gross_amount for line in lines), ZERO),
        refund_total=sum((line.refund_amount for line in lines), ZERO),
        fee_total=sum((line.fee for line in lines), ZERO),
        reported=reported,
    )


_FUND_COLUMNS = ("记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型", "收支金额(元)",
                 "账户结余(元)")
_FUND_DIRECTIONS = {"收入": FlowDirection.INCOME, "支出": FlowDirection.EXPENSE}
_FUND_KNOWN = frozenset(_FUND_COLUMNS + ("资金变更提交申请人", "备注", "业务凭证号"))


def _fund_line(line_no: int, row: BillRow) -> FundFlowLine:
    direction = _FUND_DIRECTIONS.get(row["收支类型"])
    if direction is None:
        raise BillFormatError(_lt("收支类型 %(value)r is neither 收入 nor 支出"), line_no, value=row["收支类型"])
    amount = _amount(row["收支金额(元)"], "收支金额(元)", line_no)
    if amount < 0:
        raise BillFormatError(_lt("收支金额(元) %(amount)s is negative; the direction is in 收支类型"), line_no,
                              amount=amount)
    return FundFlowLine(
        line_no=line_no,
        booked_at=_time(row["记账时间"], "记账时间", line_no),
        business_id=row["微信支付业务单号"],
        flow_id=row["资金流水单号"],
        business_name=row["业务名称"],
        business_type=row["业务类型"],
        direction=direction,
        amount=amount,
        balance=_amount(row["账户结余(元)"], "账户结余(元)", line_no),
        applicant=row.get("资金变更提交申请人", ""),
        # Texts are kept as written: WeChat replaces \1 by a space and writes CR/LF as literal \r \n
        # (bills.md#wechat-pay-fund-flow-bill).
        remark=row.get("备注", ""),
        voucher_no=row.get("业务凭证号", ""),
        raw=row,
    )


def parse_wechat_fundflow_bill(data: bytes, *, sha1: str | None = None) -> FundFlowBill:
    """Parse a fund-flow bill (``/v3/bill/fundflowbill`` or the sub-merchant one, once decrypted;
    bills.md#wechat-pay-fund-flow-bill)."""
    data = _gunzip(data)
    if sha1 is not None:
        check_sha1(data, sha1)
    _, rows, totals, totals_no, notices = _parse_wechat_sections(
        decode_bill_text(data), _FUND_COLUMNS, ("资金流水总笔数",), "fund-flow bill", known=_FUND_KNOWN)
    checked = ("资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额")
    unchecked = [name for name in totals if name not in checked]
    if unchecked:
        notices.append(BillNotice(NoticeKind.SUMMARY_COLUMNS, _lt(
            "the summary has new total(s) %(columns)s that this version cannot check; the other totals were "
            "checked"), {"columns": ", ".join(unchecked)}, totals_no))
    lines = tuple(_fund_line(line_no, row) for line_no, row in rows)
    try:
        summary = FundFlowSummary(
            line_count=_count(totals["资金流水总笔数"], "资金流水总笔数", totals_no),
            income_count=_count(totals["收入笔数"], "收入笔数", totals_no),
            income_total=_amount(totals["收入金额"], "收入金额", totals_no),
            expense_count=_count(totals["支出笔数"], "支出笔数", totals_no),
            expense_total=_amount(totals["支出金额"], "支出金额", totals_no),
        )
    except KeyError as missing:
        raise BillFormatError(_lt("the summary lacks %(column)s"), totals_no, column=missing.args[0]) from None
    incomes = [line for line in lines if line.direction is FlowDirection.INCOME]
    expenses = [line for line in lines if line.direction is FlowDirection.EXPENSE]
    _verify(summary.line_count, len(lines), "资金流水总笔数", totals_no)
    _verify(summary.income_count, len(incomes), "收入笔数", totals_no)
    _verify(summary.income_total, sum((line.amount for line in incomes), ZERO), "收入金额", totals_no)
    _verify(summary.expense_count, len(expenses), "支出笔数", totals_no)
    _verify(summary.expense_total, sum((line.amount for line in expenses), ZERO), "支出金额", totals_no)
    return FundFlowBill(lines, summary, notices=tuple(notices))


# ---------------------------------------------------------------------------------------------------------------
# Alipay: GBK CSV with '#' preamble and footer
# ---------------------------------------------------------------------------------------------------------------

_ALIPAY_COLUMNS = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额(元)", "商家实收(元)", "商家优惠(元)",
                   "退款批次号/请求号", "服务费(元)")
_ALIPAY_KINDS = {"交易": TradeKind.PAYMENT, "退款": TradeKind.REFUND}
_ALIPAY_TRADE_KNOWN = frozenset((
    "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称",
    "操作员", "终端号", "对方账户", "订单金额(元)", "商家实收(元)", "支付宝红包(元)", "集分宝(元)",
    "支付宝优惠(元)", "商家优惠(元)", "券核销金额(元)", "券名称", "商家红包消费金额(元)",
    "卡消费金额(元)", "退款批次号/请求号", "服务费(元)", "分润(元)", "备注",
))
_ALIPAY_END = "业务明细列表结束"
_ALIPAY_PAYMENTS = re.compile(r"#交易合计:(\d+)笔,商家实收共(-?[\d.]+)元,商家优惠共(-?[\d.]+)元")
_ALIPAY_REFUNDS = re.compile(r"#退款合计:(\d+)笔,商家实收退款共(-?[\d.]+)元,商家优惠退款共(-?[\d.]+)元")
_ALIPAY_ACCOUNT = re.compile(r"#账号:\[(\w+)\]")
_ALIPAY_PERIOD = re.compile(r"#起始日期:\[(.+?)\]\s*终止日期:\[(.+?)\]")


def _fold(text: str) -> str:
    """NFKC for the header and the '#' lines only (（元）→(元), ：→:, ，→,); detail values are kept as written."""
    return unicodedata.normalize("NFKC", text)


def extract_alipay_detail_csv(archive: bytes) -> bytes:
    """The ``…_业务明细.csv`` member of Alipay's bill zip (the ``(汇总)`` summary member sorts first;
    bills.md#alipay-bills)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            for info in zipped.infolist():
                name = info.filename
                if not info.flag_bits & 0x800:  # no UTF-8 flag: the name is GBK bytes read as cp437
                    try:
                        name = name.encode("cp437").decode("gbk")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        pass
                if name.endswith(("业务明细.csv", "账务明细.csv")) and "汇总" not in name:
                    return zipped.read(info)
    except zipfile.BadZipFile as error:
        raise BillFormatError(_lt("the Alipay bill zip is damaged or cut short (%(error)s)"),
                              error=str(error)) from None
    raise BillFormatError(_lt("the Alipay bill zip has no …_业务明细.csv member"))


def _alipay_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y年%m月%d日 %H:%M:%S").replace(tzinfo=CHINA_TZ)
    except ValueError:
        return None


def _alipay_line(line_no: int, row: BillRow, memo: dict | None = None) -> TradeLine:
    business = row["业务类型"]
    kind = _ALIPAY_KINDS.get(business)
    if kind is None:
        return _unrecognised_line(Channel.ALIPAY, line_no, row, business,
                                  _lenient_time(row["完成时间"] or row.get("创建时间", "")), row["支付宝交易号"],
                                  row["商户订单号"])
    received = _amount(row["商家实收(元)"], "商家实收(元)", line_no, memo)
    # Refund rows are negative; a payment with a negative amount (or the reverse) is a damaged line.
    if (kind is TradeKind.PAYMENT and received < 0) or (kind is TradeKind.REFUND and received > 0):
        raise BillFormatError(_lt("商家实收(元) %(received)s has the wrong sign for a %(business)s row"), line_no,
                              received=received, business=business)
    finished = row["完成时间"] or row.get("创建时间", "")
    return TradeLine(
        channel=Channel.ALIPAY,
        line_no=line_no,
        kind=kind,
        trade_time=_time(finished, "完成时间", line_no),
        transaction_id=row["支付宝交易号"],
        out_trade_no=row["商户订单号"],
        gross_amount=received if kind is TradeKind.PAYMENT else ZERO,
        refund_amount=ZERO - received if kind is TradeKind.REFUND else ZERO,
        fee=ZERO - _amount(row["服务费(元)"], "服务费(元)", line_no, memo),  # negative in the file when charged
        order_amount=_amount(row["订单金额(元)"], "订单金额(元)", line_no, memo) if kind is TradeKind.PAYMENT else ZERO,
        out_refund_no=row["退款批次号/请求号"] or None,
        status=business,
        goods_name=row.get("商品名称", ""),
        raw=row,
    )


def _alipay_sections(data: bytes, required: tuple[str, ...], known, end_marker: str):
    """Split an Alipay CSV (the zip's detail member, or the member itself) into (preamble lines, header,
    [(line_no, BillRow)], footer lines, last line number, notices). Raises when a required column is missing or the
    end marker is absent (a truncated file)."""
    if data[:4] == b"PK\x03\x04":
        data = extract_alipay_detail_csv(data)
    numbered = list(_numbered_lines(decode_bill_text(data)))
    preamble, index = [], 0
    while index < len(numbered) and numbered[index][1].startswith("#"):
        preamble.append(_fold(numbered[index][1]))
        index += 1
    if index == len(numbered):
        raise BillFormatError(_lt("the Alipay bill has no header row"))
    header_no, header_line = numbered[index]
    header = [_fold(name).strip() for name in next(csv.reader([header_line]))]
    missing = [name for name in required if name not in header]
    _changed_header_error(header, missing, known, header_no)
    if missing:
        raise BillFormatError(_lt("not an Alipay business detail header: missing %(columns)s"), header_no,
                              columns=", ".join(missing))
    notices = [notice for notice in [_new_columns_notice(header, known, header_no)] if notice]
    rows, footer, make_row = [], [], _row_maker(header)
    for line_no, line in numbered[index + 1:]:
        if line.startswith("#") or footer:
            footer.append((line_no, _fold(line)))
            continue
        values = [value.strip() for value in next(csv.reader([line]))]  # strips the identifiers' trailing tab
        if len(values) != len(header):
            raise BillFormatError(_lt("has %(values)s values, the header has %(columns)s columns"), line_no,
                                  values=len(values), columns=len(header))
        rows.append((line_no, make_row(values)))
    last_no = numbered[-1][0]
    for line_no, line in footer:
        if not line.startswith("#"):
            raise BillFormatError(_lt("a detail row after the end of the detail list"), line_no)
    footer_text = [line for _, line in footer]
    if not any(end_marker in line for line in footer_text):
        raise BillFormatError(_lt("the bill ends after line %(last)s without '%(end)s': the file is truncated"),
                              last=last_no, end=end_marker)
    return preamble, header, rows, footer_text, last_no, notices


def _alipay_account(preamble: list[str]):
    """(account, PID, period start, period end) from the '#' preamble."""
    account = next((m[1] for m in map(_ALIPAY_ACCOUNT.match, preamble) if m), None)
    period = next((m for m in map(_ALIPAY_PERIOD.match, preamble) if m), None)
    # bills.md#alipay-bills: the account is the 16-digit PID followed by 0156.
    partner_id = account[:16] if account and len(account) == 20 and account.endswith("0156") else account
    return (account, partner_id, _alipay_time(period[1]) if period else None,
            _alipay_time(period[2]) if period else None)


def parse_alipay_trade_bill(data: bytes) -> TradeBill:
    """Parse Alipay's ``trade`` business detail bill: the downloaded zip, or its ``…_业务明细.csv`` member."""
    preamble, _header_row, rows, footer_text, last_no, notices = _alipay_sections(
        data, _ALIPAY_COLUMNS, _ALIPAY_TRADE_KNOWN, _ALIPAY_END)
    memo = {}
    lines = [_alipay_line(line_no, row, memo) for line_no, row in rows]
    del memo
    notices += [_row_kind_notice(line.line_no, "业务类型", line.status, line.raw) for line in lines
                if line.kind is TradeKind.UNRECOGNISED]
    payments = next((m for m in map(_ALIPAY_PAYMENTS.match, footer_text) if m), None)
    refunds = next((m for m in map(_ALIPAY_REFUNDS.match, footer_text) if m), None)
    if not payments or not refunds:
        raise BillFormatError(_lt("the bill ends after line %(last)s without its 交易合计/退款合计 lines: the file is "
                              "truncated"), last=last_no)
    lines = tuple(lines)
    paid = [line for line in lines if line.kind is TradeKind.PAYMENT]
    refunded = [line for line in lines if line.kind is TradeKind.REFUND]
    discount = "商家优惠(元)"
    reported = {
        "交易笔数": Decimal(payments[1]), "商家实收": Decimal(payments[2]), "商家优惠": Decimal(payments[3]),
        "退款笔数": Decimal(refunds[1]), "商家实收退款": Decimal(refunds[2]), "商家优惠退款": Decimal(refunds[3]),
    }
    _verify(reported["交易笔数"], len(paid), "交易合计笔数", last_no)
    _verify(reported["商家实收"], sum((line.gross_amount for line in paid), ZERO), "交易合计商家实收", last_no)
    _verify(reported["商家优惠"], sum((_amount(line.raw[discount], discount, line.line_no) for line in paid), ZERO),
            "交易合计商家优惠", last_no)
    _verify(reported["退款笔数"], len(refunded), "退款合计笔数", last_no)
    _verify(reported["商家实收退款"], -sum((line.refund_amount for line in refunded), ZERO), "退款合计商家实收退款",
            last_no)
    _verify(reported["商家优惠退款"],
            sum((_amount(line.raw[discount], discount, line.line_no) for line in refunded), ZERO),
            "退款合计商家优惠退款", last_no)
    account, partner_id, period_start, period_end = _alipay_account(preamble)
    return TradeBill(
        Channel.ALIPAY, lines, _trade_summary(lines, reported), account=account, partner_id=partner_id,
        period_start=period_start, period_end=period_end, notices=tuple(notices),
    )


# Alipay signcustomer (账务明细) bill: the account's movements — collections, refunds, service fees, withdrawals
# (bills.md#alipay-account-bill).
_ALIPAY_ACCOUNT_COLUMNS = ("账务流水号", "业务流水号", "商户订单号", "发生时间", "收入金额(+元)", "支出金额(-元)",
                           "账户余额(元)", "业务类型")
_ALIPAY_ACCOUNT_KNOWN = frozenset(_ALIPAY_ACCOUNT_COLUMNS + ("商品名称", "对方账号", "交易渠道", "备注"))
_ALIPAY_ACCOUNT_END = "账务明细列表结束"
_ALIPAY_INCOME = re.compile(r"#收入合计:(\d+)笔,共(-?[\d.]+)元")
_ALIPAY_EXPENSE = re.compile(r"#支出合计:(\d+)笔,共(-?[\d.]+)元")


def _alipay_account_line(line_no: int, row: BillRow) -> FundFlowLine:
    income = _amount(row["收入金额(+元)"] or "0", "收入金额(+元)", line_no)
    expense = _amount(row["支出金额(-元)"] or "0", "支出金额(-元)", line_no)
    if income and expense:
        raise BillFormatError(_lt("a movement with both an income (%(income)s) and an expense (%(expense)s)"),
                              line_no, income=income, expense=expense)
    business_type = row["业务类型"]
    return FundFlowLine(
        line_no=line_no,
        booked_at=_time(row["发生时间"], "发生时间", line_no),
        business_id=row["业务流水号"],
        flow_id=row["账务流水号"],
        business_name=business_type,
        business_type=business_type,
        direction=FlowDirection.EXPENSE if expense else FlowDirection.INCOME,
        amount=abs(expense) if expense else income,
        balance=_amount(row["账户余额(元)"], "账户余额(元)", line_no),
        remark=row.get("备注", ""),
        voucher_no=row["商户订单号"],
        raw=row,
    )


def parse_alipay_account_bill(data: bytes) -> FundFlowBill:
    """Parse Alipay's ``signcustomer`` account detail bill (账务明细): the zip or its ``…_账务明细.csv`` member.

    Its movements read like WeChat's fund flow: ``business_type`` is the printed 业务类型 (在线支付, 交易退款, 收费,
    提现 …), ``voucher_no`` our order number. The 收入合计/支出合计 footer lines are checked when present."""
    preamble, _header_row, rows, footer_text, last_no, notices = _alipay_sections(
        data, _ALIPAY_ACCOUNT_COLUMNS, _ALIPAY_ACCOUNT_KNOWN, _ALIPAY_ACCOUNT_END)
    lines = tuple(_alipay_account_line(line_no, row) for line_no, row in rows)
    incomes = [line for line in lines if line.direction is FlowDirection.INCOME]
    expenses = [line for line in lines if line.direction is FlowDirection.EXPENSE]
    income_total = sum((line.amount for line in incomes), ZERO)
    expense_total = sum((line.amount for line in expenses), ZERO)
    income = next((m for m in map(_ALIPAY_INCOME.match, footer_text) if m), None)
    expense = next((m for m in map(_ALIPAY_EXPENSE.match, footer_text) if m), None)
    if income:
        _verify(int(income[1]), len(incomes), "收入合计笔数", last_no)
        _verify(Decimal(income[2]), income_total, "收入合计金额", last_no)
    if expense:
        _verify(int(expense[1]), len(expenses), "支出合计笔数", last_no)
        _verify(abs(Decimal(expense[2])), expense_total, "支出合计金额", last_no)
    account, partner_id, period_start, _period_end = _alipay_account(preamble)
    summary = FundFlowSummary(len(lines), len(incomes), income_total, len(expenses), expense_total)
    return FundFlowBill(lines, summary, channel=Channel.ALIPAY, account=account, partner_id=partner_id,
                        period_start=period_start, notices=tuple(notices))
