"""Nuonuo *platform* side, for the local sandbox simulator (README.md#simulators checklist, einvoice.md#invoice-xml,
nuonuo.md).

What the simulator must reproduce and this module provides, without network or database:

* ``verify_request``: the gateway's HMAC-SHA1 check of ``X-Nuonuo-Sign`` and of the common parameters;
* ``envelope``: answers in Nuonuo's ``{"code", "describe", "result"}`` envelope;
* ``invoice_number`` / ``serial_number``: deterministic 20-digit 数电票 numbers ``YY + province + channel + seq``
  and invoice serial numbers, from a seed and a counter;
* ``render_einvoice_xml``: the official-like 数电票 XML (einvoice.md#invoice-xml) of an issued (blue or red) invoice;
* ``NuonuoSandbox``: an in-memory 诺税通 that accepts ``requestBillingNew`` (``E9106`` on a duplicate orderNo),
  moves invoices 20 → 21 → 2 (or 22 / 24) when told to, answers queries, retries with ``reInvoice``, runs red
  confirmation forms (01 auto-issues the red invoice), and produces the form callback with ``c_status``.

Where the real platform's behaviour is not documented, the sandbox picks one and says so (search "UNCONFIRMED").
"""
import hashlib
import hmac
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from . import einvoice_rules as rules
from .einvoice_rules import TaxRate
from .nuonuo import (
    BILL_STATUS_LABELS,
    CHINA_TZ,
    DUPLICATE_ORDER,
    INVOICE_NOT_FOUND,
    RETRY_LIMIT,
    SERVICES_PATH,
    SUCCESS,
    VALIDATION_FAILED,
    ApiMethod,
    RedReason,
    serialize_body,
    sign,
)

TOKEN_MISMATCH = "070301"  # accessToken不匹配/或appKey不匹配
UNKNOWN_APP = "070101"  # 获取app密钥失败或appkey无效
BAD_SIGNATURE = "070601"  # 签名不匹配 / 验签失败
UNKNOWN_API = "070501"  # 请求的API不存在
BAD_PARAMETERS = "0201"  # 必填项输入参数空 / 输入参数格式有误

_SENID = re.compile(r"[0-9A-Za-z]{32}")
# The doc says an 8-digit positive integer. (Nuonuo's own PHP/Go SDKs draw 5-10 digits, so the real gateway is
# evidently laxer; the sandbox holds our client to the documented rule.)
_NONCE = re.compile(r"[1-9]\d{7}")
_DATE_TIME = "%Y-%m-%d %H:%M:%S"


class PlatformError(Exception):
    """An answer other than success; ``envelope()`` of it is what the platform sends back."""

    def __init__(self, code: str, describe: str):
        self.code, self.describe = code, describe
        super().__init__(f"{code}: {describe}")

    def envelope(self) -> dict:
        return envelope(self.code, self.describe)


def envelope(code: str = SUCCESS, describe: str = "成功", result=None) -> dict:
    return {"code": code, "describe": describe, "result": result}


def envelope_body(answer: Mapping) -> bytes:
    return serialize_body(answer).encode("utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Gateway: signature and common parameters
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifiedRequest:
    app_key: str
    api_method: str
    access_token: str = field(repr=False)
    user_tax: str
    payload: Mapping = field(repr=False)


def _header(headers: Mapping, name: str) -> str:
    """HTTP header names are case-insensitive."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def verify_request(*, params: Mapping, headers: Mapping, body: bytes,
                   secret_for: Callable[[str], str | None],
                   token_valid: Callable[[str, str], bool] | None = None,
                   path: str = SERVICES_PATH, now: int | None = None,
                   max_clock_skew: int | None = None) -> VerifiedRequest:
    """Check a services call the way the gateway does; raise ``PlatformError`` with the gateway's code.

    ``secret_for(app_key)`` returns the app secret (None if unknown); ``token_valid(app_key, token)`` checks the
    access token. ``max_clock_skew`` (seconds) is off by default: the gateway's window is UNCONFIRMED, only its
    message (验签失败: 请检查服务器时间是否与北京时间保持一致) hints that one exists.
    """
    app_key = str(params.get("appkey") or "")
    secret = secret_for(app_key) if app_key else None
    if not secret:
        raise PlatformError(UNKNOWN_APP, "获取app密钥失败或appkey无效")
    senid, nonce, timestamp = (str(params.get(k) or "") for k in ("senid", "nonce", "timestamp"))
    if not _SENID.fullmatch(senid):
        raise PlatformError(BAD_PARAMETERS, "输入参数格式有误: senid 须为32位随机码")
    if not _NONCE.fullmatch(nonce):
        raise PlatformError(BAD_PARAMETERS, "输入参数格式有误: nonce 须为8位随机正整数")
    if not timestamp.isdigit():
        raise PlatformError(BAD_PARAMETERS, "输入参数格式有误: timestamp")
    if max_clock_skew is not None and now is not None and abs(now - int(timestamp)) > max_clock_skew:
        raise PlatformError(BAD_SIGNATURE, "验签失败: 请检查服务器时间是否与北京时间保持一致")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise PlatformError(BAD_SIGNATURE, "签名不匹配: 报文须为UTF-8") from None
    expected = sign(secret, app_key, senid, nonce, timestamp, text, path)
    if not hmac.compare_digest(expected, _header(headers, "X-Nuonuo-Sign")):
        raise PlatformError(BAD_SIGNATURE, "签名不匹配")
    token = _header(headers, "accessToken")
    if not token or (token_valid is not None and not token_valid(app_key, token)):
        raise PlatformError(TOKEN_MISMATCH, "accessToken不匹配/或appKey不匹配")
    api_method = _header(headers, "method")
    if not api_method:
        raise PlatformError(UNKNOWN_API, "请求的API不存在")
    try:
        payload = json.loads(text)
    except ValueError:
        raise PlatformError(BAD_PARAMETERS, "输入参数格式有误: 报文不是JSON") from None
    if not isinstance(payload, dict):
        raise PlatformError(BAD_PARAMETERS, "输入参数格式有误: 报文不是JSON对象")
    return VerifiedRequest(app_key, api_method, token, _header(headers, "userTax"), payload)


# ---------------------------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------------------------

def _seeded(seed: str, salt: str, modulus: int) -> int:
    return int(hashlib.sha256(f"{seed}|{salt}".encode()).hexdigest(), 16) % modulus


def invoice_number(seed: str, counter: int, issued_on: date, *, region_code: str = "33", channel: str = "2") -> str:
    """A 20-digit 数电票 number (einvoice.md#invoice-number): YY + province + channel digit + 15-digit sequence.

    The sequence starts at a seed-derived offset and counts up, so a given (seed, counter) always yields the same
    number and different counters never collide.
    """
    if region_code not in rules.PROVINCES or not (len(channel) == 1 and channel.isdigit()) or counter < 0:
        raise ValueError("need a provincial region code, a one-digit channel and a counter ≥ 0")
    sequence = (_seeded(seed, "invoice", 10 ** 14) + counter) % 10 ** 15
    return f"{issued_on.year % 100:02d}{region_code}{channel}{sequence:015d}"


def serial_number(seed: str, counter: int, at: datetime) -> str:
    """A 20-digit invoiceSerialNum like the real ones (``24051420014001423596``: yyMMddHHmmss + 8 digits)."""
    suffix = (_seeded(seed, "serial", 10 ** 7) + counter) % 10 ** 8
    return at.astimezone(CHINA_TZ).strftime("%y%m%d%H%M%S") + f"{suffix:08d}"


# ---------------------------------------------------------------------------------------------------------------
# Official-like 数电票 XML (einvoice.md#invoice-xml)
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class XmlParty:
    tax_num: str
    name: str
    address: str = ""
    tel: str = ""
    bank_name: str = ""
    bank_account: str = ""


@dataclass(frozen=True)
class XmlItem:
    name: str  # as printed: "*<tax-code short name>*<goods name>" when the short name is known
    amount: Decimal  # without tax
    tax_rate: TaxRate
    tax: Decimal
    amount_incl: Decimal
    code: str  # tax classification code
    spec: str = ""
    unit: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None  # without tax


@dataclass(frozen=True)
class EInvoiceDocument:
    number: str
    issued_at: datetime
    special: bool  # 增值税专用发票 vs 普通发票
    seller: XmlParty
    buyer: XmlParty
    drawer: str
    items: tuple[XmlItem, ...]
    remark: str = ""
    original_number: str = ""  # set for a red invoice: the blue invoice it reverses
    red_form_number: str = ""


def _sub(parent: ET.Element, tag: str, text=None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text if isinstance(text, str) else format(text, "f")
    return element


def _label(parent: ET.Element, tag: str, code: str, name: str):
    label = _sub(parent, tag)
    _sub(label, "LabelCode", code)
    _sub(label, "LabelName", name)


def _party(parent: ET.Element, tag: str, prefix: str, party: XmlParty):
    info = _sub(parent, tag)
    for suffix, value in (("IdNum", party.tax_num), ("Name", party.name), ("Addr", party.address),
                          ("TelNum", party.tel), ("BankName", party.bank_name), ("BankAccNum", party.bank_account)):
        _sub(info, prefix + suffix, value)


def render_einvoice_xml(document: EInvoiceDocument) -> bytes:
    """The XML the tax platform delivers beside PDF and OFD, with the element names public parsers agree on
    (einvoice.md#invoice-xml).

    Pitfalls kept on purpose: ``TotalTax-includedAmount`` (invoice total) vs ``TotaltaxIncludedAmount`` (line).
    UNCONFIRMED details, chosen from real samples: ``EInvoiceTag`` = SWEI + province + 00, ``Version`` 0.32,
    ``InIssuType`` Y/N for blue/red, the blue number of a red invoice in ``RedEInvoice/OriginalInvoiceCode``,
    ``TaxBureauCode`` = 1 + province + 8 zeros. ``SellerAuthentication`` is left out: its values are unknown.
    """
    number = rules.parse_einvoice_number(document.number)
    red = bool(document.original_number)
    totals = [sum((getattr(item, name) for item in document.items), Decimal("0.00"))
              for name in ("amount", "tax", "amount_incl")]
    root = ET.Element("EInvoice")
    header = _sub(root, "Header")
    _sub(header, "EIid", document.number)
    _sub(header, "EInvoiceTag", f"SWEI{number.region_code}00")
    _sub(header, "Version", "0.32")
    labels = _sub(header, "InherentLabel")
    _label(labels, "InIssuType", "N" if red else "Y", "是否蓝字发票标志")
    _label(labels, "EInvoiceType", "02", "电子发票")
    _label(labels, "GeneralOrSpecialVAT", *(("01", "增值税专用发票") if document.special else ("02", "普通发票")))

    data = _sub(root, "EInvoiceData")
    _party(data, "SellerInformation", "Seller", document.seller)
    _party(data, "BuyerInformation", "Buyer", document.buyer)
    basic = _sub(data, "BasicInformation")
    _sub(basic, "TotalAmWithoutTax", totals[0])
    _sub(basic, "TotalTaxAm", totals[1])
    _sub(basic, "TotalTax-includedAmount", totals[2])
    _sub(basic, "TotalTax-includedAmountInChinese", rules.amount_in_chinese(totals[2]))
    _sub(basic, "Drawer", document.drawer)
    _sub(basic, "RequestTime", document.issued_at.astimezone(CHINA_TZ).strftime(_DATE_TIME))
    for item in document.items:
        line = _sub(data, "IssuItemInformation")
        _sub(line, "ItemName", item.name)
        _sub(line, "SpecMod", item.spec)
        _sub(line, "MeaUnits", item.unit)
        _sub(line, "Quantity", "" if item.quantity is None else rules.plain_decimal(item.quantity))
        _sub(line, "UnPrice", "" if item.unit_price is None else rules.plain_decimal(item.unit_price))
        _sub(line, "Amount", item.amount)
        _sub(line, "TaxRate", item.tax_rate.label if item.tax_rate.favoured_policy_flag else item.tax_rate.nuonuo_value)
        _sub(line, "ComTaxAm", item.tax)
        _sub(line, "TotaltaxIncludedAmount", item.amount_incl)
        _sub(line, "TaxClassificationCode", item.code)
    if red:
        specific = _sub(data, "SpecificInformation")
        _sub(_sub(specific, "RedEInvoice"), "OriginalInvoiceCode", document.original_number)
    remark = document.remark
    if red:
        # Real red invoices open the remark with the reversed number (and the confirmation form number).
        prefix = f"被红冲蓝字数电发票号码：{document.original_number}"
        if document.red_form_number:
            prefix += f" 红字发票信息确认单编号：{document.red_form_number}"
        remark = prefix + (f" {remark}" if remark else "")
    _sub(_sub(data, "AdditionalInformation"), "Remark", remark)
    supervision = _sub(root, "TaxSupervisionInfo")
    _sub(supervision, "InvoiceNumber", document.number)
    _sub(supervision, "IssueTime", document.issued_at.astimezone(CHINA_TZ).strftime(_DATE_TIME))
    _sub(supervision, "TaxBureauCode", f"1{number.region_code}00000000")
    _sub(supervision, "TaxBureauName", f"国家税务总局{number.province}税务局")
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Order validation (what requestBillingNew rejects)
# ---------------------------------------------------------------------------------------------------------------

def _text(value) -> str:
    return str(value if value is not None else "").strip()


def _line_problems(index: int, line: Mapping, previous: Mapping | None) -> list[str]:
    where = f"第{index}行"
    problems = []
    name = _text(line.get("goodsName"))
    if not name or len(name) > 90:
        problems.append(f"{where}商品名称必填且不超过90字符")
    code = rules.validate_tax_classification_code(_text(line.get("goodsCode")))
    if not code and code.reason is not rules.Reason.EXAMPLE_CODE:  # the real platform accepts the printer code
        problems.append(f"{where}商品编码须为19位数字")
    if _text(line.get("withTaxFlag")) not in ("0", "1"):
        problems.append(f"{where}单价含税标志须为0或1")
    if bool(_text(line.get("price"))) != bool(_text(line.get("num"))):
        problems.append(f"{where}单价和数量须同时为空或同时填写")
    # The real platform recomputes missing amounts (einvoice.md#content-and-amounts); the sandbox insists on all three
    # so that our client's omissions show up in tests.
    amounts = [line.get(key) for key in ("taxExcludedAmount", "tax", "taxIncludedAmount")]
    if any(_text(a) == "" for a in amounts):
        problems.append(f"{where}不含税金额、税额、含税金额须全部填写")
    else:
        problems.extend(f"{where}{p}" for p in rules.line_problems(*amounts, _text(line.get("taxRate"))))
    kind = _text(line.get("invoiceLineProperty") or "0")
    if kind == "1" and (previous is None or _text(previous.get("invoiceLineProperty")) != "2"
                        or _text(previous.get("goodsName")) != name):
        problems.append(f"{where}折扣行的商品名称必须和被折扣行相同，且紧跟被折扣行")  # E9105 (nuonuo.md#issuing)
    return problems


def validate_billing_order(order: Mapping, *, name_check: bool = True) -> list[str]:
    """What the sandbox's requestBillingNew rejects with E9105, as a list of Chinese messages
    (einvoice.md#content-and-amounts rules).

    ``name_check`` mimics the company setting that blocks non-natural-person 普票 titles of ≤ 4 characters unless
    the request sets ``naturalPersonVerifyFlag`` to 0.
    """
    problems = []
    for key, label in (("buyerName", "购方名称"), ("salerTaxNum", "销方税号"), ("orderNo", "订单号"),
                       ("invoiceDate", "订单时间"), ("clerk", "开票员")):
        if not _text(order.get(key)):
            problems.append(f"{label}不能为空")
    if len(_text(order.get("orderNo"))) > 20:
        problems.append("订单号不能超过20位")
    try:
        datetime.strptime(_text(order.get("invoiceDate")), _DATE_TIME)
    except ValueError:
        problems.append("订单时间格式须为yyyy-MM-dd HH:mm:ss")
    if _text(order.get("invoiceType")) != "1":
        problems.append("开票类型须为1（数电票冲红请对接红字确认单接口）")
    invoice_line = _text(order.get("invoiceLine"))
    if invoice_line not in ("pc", "bs"):
        problems.append("沙箱仅支持数电电子发票（pc/bs）")
    if invoice_line == "bs" and not _text(order.get("buyerTaxNum")):
        problems.append("数电专票购方税号必填")
    buyer_name = _text(order.get("buyerName"))
    if len(buyer_name) > 100:
        problems.append("购方名称不能超过100字符")
    if (name_check and invoice_line == "pc" and buyer_name and len(buyer_name) <= 4
            and _text(order.get("naturalPersonFlag")) != "1" and _text(order.get("naturalPersonVerifyFlag")) != "0"):
        problems.append("非自然人数电普票购买方名称长度不能小于等于4位")
    if len(_text(order.get("remark"))) > 200:
        problems.append("数电票备注不能超过200字符")
    push_mode = _text(order.get("pushMode") or "1")
    if push_mode in ("1", "2") and not _text(order.get("buyerPhone")):
        problems.append("推送方式为手机时购方手机必填")
    if push_mode in ("0", "2") and not _text(order.get("email")):
        problems.append("推送方式为邮箱时推送邮箱必填")
    lines = order.get("invoiceDetail")
    if not isinstance(lines, list) or not 1 <= len(lines) <= 2000:
        problems.append("发票明细须为1至2000行")
        return problems
    previous = None
    for index, line in enumerate(lines, 1):
        if not isinstance(line, Mapping):
            problems.append(f"第{index}行格式有误")
            continue
        problems.extend(_line_problems(index, line, previous))
        previous = line
    return problems


# ---------------------------------------------------------------------------------------------------------------
# In-memory sandbox
# ---------------------------------------------------------------------------------------------------------------

def _red_copy(source: Mapping, excl: Decimal, tax: Decimal, num: str | None) -> dict:
    """A red line copied from a blue line: negative amounts (and quantity); the unit price stays positive."""
    line = {key: value for key, value in source.items() if key not in ("num", "price")}
    line.update(taxExcludedAmount=format(excl, "f"), tax=format(tax, "f"), taxIncludedAmount=format(excl + tax, "f"))
    if num:
        line["num"] = num
        if source.get("price"):
            line["price"] = source["price"]
    return line


def _split_bank(text: str) -> tuple[str, str]:
    """Nuonuo's salerAccount / buyerAccount is "开户行 账号"; the XML has them apart."""
    name, _, account = (text or "").strip().rpartition(" ")
    return (name, account) if name else (account, "")


STATUS_MESSAGES = {"2": "开票完成", "20": "开票中", "21": "开票成功签章中", "22": "开票失败", "24": "开票成功签章失败"}
REINVOICE_DAILY_LIMIT = 20  # E9613 (nuonuo.md#issuing)
TAX_LOGIN_FAIL_CAUSE = "电子税务局登录已失效，需要重新登录"


@dataclass
class SandboxInvoice:
    """One invoice as the sandbox holds it (mutable: its status moves)."""

    serial_no: str
    order_no: str
    order: dict
    created_at: datetime
    status: str = "20"
    fail_cause: str = ""
    number: str = ""
    issued_at: datetime | None = None
    original_number: str = ""  # red: the blue invoice
    red_reason: str = ""
    red_form_number: str = ""
    fully_reversed: bool = False  # blue: a full red exists
    booked_by_buyer: bool = False  # blue: buyer confirmed use (allows partial red, needs buyer confirmation)
    retries: dict = field(default_factory=dict)  # date → reInvoice count

    @property
    def is_red(self) -> bool:
        return bool(self.original_number)


@dataclass
class SandboxRedForm:
    bill_id: str
    bill_no: str
    bill_uuid: str
    payload: dict
    blue: SandboxInvoice
    bill_status: str
    created_at: datetime
    red_serial_no: str = ""


class NuonuoSandbox:
    """An in-memory 诺税通 for tests and the dev simulator. Not thread-safe; the caller serialises calls.

    Issuance is explicit: ``process(serial)`` advances one step (20 → 21 → 2), ``process_all()`` finishes
    everything. ``fail_next(cause)`` / ``fail_signing_next()`` inject 22 / 24, and ``drawer_logged_in = False``
    makes issuing fail with a tax-login cause, as a logged-out drawer does on the real platform (nuonuo.md#issuing).
    """

    def __init__(self, *, seed: str = "sandbox", region_code: str = "33", channel: str = "2",
                 seller_name: str = "诺诺沙箱测试企业", clock: Callable[[], datetime] | None = None,
                 file_base_url: str = "https://nuonuo-sandbox.invalid/einvoice",
                 short_names: Mapping[str, str] | None = None, name_check: bool = True):
        self.seed, self.region_code, self.channel = seed, region_code, channel
        self.seller_name = seller_name
        self.clock = clock or (lambda: datetime.now(CHINA_TZ))
        self.file_base_url = file_base_url.rstrip("/")
        self.short_names = dict(short_names or {})
        self.name_check = name_check
        self.drawer_logged_in = True
        self.invoices: dict[str, SandboxInvoice] = {}  # by serial number
        self.red_forms: dict[str, SandboxRedForm] = {}  # by billId
        self._by_order: dict[str, str] = {}
        self._serials = 0
        self._numbers = 0
        self._injected: list[tuple[str, str]] = []  # ("22"|"24", cause) for the next invoices processed
        self._handlers = {
            ApiMethod.REQUEST_BILLING: self._request_billing,
            ApiMethod.QUERY_INVOICE: self._query_invoice,
            ApiMethod.REINVOICE: self._reinvoice,
            ApiMethod.SAVE_RED_CONFIRM: self._save_red_confirm,
            ApiMethod.QUERY_RED_CONFIRM: self._query_red_confirm,
            ApiMethod.REFRESH_RED_CONFIRM: lambda payload: envelope(result=None),
            ApiMethod.CONFIRM_RED_CONFIRM: self._confirm_red_form,
            ApiMethod.CANCEL_RED_CONFIRM: self._cancel_red_form,
            ApiMethod.FAST_INVOICE_RED: self._fast_invoice_red,
        }

    # -- entry points ------------------------------------------------------------------------------------------

    def call(self, api_method: str, payload: Mapping) -> dict:
        """Answer one already verified call with an envelope (errors included, never raised)."""
        handler = self._handlers.get(api_method)
        if handler is None:
            return envelope(UNKNOWN_API, "请求的API不存在")
        try:
            return handler(payload)
        except PlatformError as error:
            return error.envelope()

    def handle(self, *, params: Mapping, headers: Mapping, body: bytes, secret_for: Callable[[str], str | None],
               token_valid: Callable[[str, str], bool] | None = None) -> dict:
        """Verify a raw HTTP call like the gateway, then answer it."""
        try:
            request = verify_request(params=params, headers=headers, body=body, secret_for=secret_for,
                                     token_valid=token_valid)
        except PlatformError as error:
            return error.envelope()
        return self.call(request.api_method, request.payload)

    # -- simulation controls -----------------------------------------------------------------------------------

    def fail_next(self, cause: str = "开票失败：税局校验不通过"):
        """The next invoice processed from 20 fails (22) with ``cause``."""
        self._injected.append(("22", cause))

    def fail_signing_next(self, cause: str = "签章失败"):
        """The next invoice processed from 21 ends in 24 (issued, not signed)."""
        self._injected.append(("24", cause))

    def mark_booked(self, number: str):
        """The buyer confirmed use of / booked this blue invoice (allows partial red; forms need confirmation)."""
        self._invoice_by_number(number).booked_by_buyer = True

    def buyer_decides(self, bill_id: str, agree: bool):
        """The buyer side confirms (→ 04, red invoice issued) or denies (→ 05) a form we raised."""
        form = self._form(bill_id)
        if form.bill_status != "02":
            raise PlatformError(VALIDATION_FAILED, "确认单当前状态不可确认")
        form.bill_status = "04" if agree else "05"
        if agree:
            self._issue_red_invoice(form)

    def process(self, serial_no: str) -> str:
        """Advance one invoice one step; return its new status."""
        invoice = self.invoices[serial_no]
        if invoice.status == "20":
            injected = self._take_injected("22")
            if not self.drawer_logged_in:
                invoice.status, invoice.fail_cause = "22", TAX_LOGIN_FAIL_CAUSE
            elif injected is not None:
                invoice.status, invoice.fail_cause = "22", injected
            else:
                invoice.status = "21"
                self._assign_number(invoice)
        elif invoice.status == "21":
            injected = self._take_injected("24")
            invoice.status, invoice.fail_cause = ("24", injected) if injected is not None else ("2", "")
        return invoice.status

    def process_all(self):
        while pending := [s for s, invoice in self.invoices.items() if invoice.status in ("20", "21")]:
            for serial in pending:
                self.process(serial)

    def invoice_by_order(self, order_no: str) -> SandboxInvoice:
        return self.invoices[self._by_order[order_no]]

    def callback_form(self, serial_no: str) -> dict:
        """The form fields Nuonuo POSTs to ``callBackUrl`` once an invoice is final (nuonuo.md#callback)."""
        invoice = self.invoices[serial_no]
        c_status = {"2": "1", "22": "2", "24": "3"}.get(invoice.status)
        if c_status is None:
            raise ValueError(f"invoice {serial_no} is not final (status {invoice.status})")
        excl, tax, _incl = self._totals(invoice)
        content = {
            "c_status": c_status,
            "c_orderno": invoice.order_no,
            "c_fpqqlsh": invoice.serial_no,
            "c_fphm": invoice.number,
            "c_fpdm": "",
            "allElectronicInvoiceNumber": invoice.number,
            "c_kprq": str(int(invoice.issued_at.timestamp() * 1000)) if invoice.issued_at else "",
            "c_url": self._file_url(invoice, "pdf") if c_status == "1" else "",
            "c_ofd_url": self._file_url(invoice, "ofd") if c_status == "1" else "",
            # c_hjje vs c_bhsje: both 0.01 in the only real sample; we send the amount without tax in both.
            "c_hjje": format(excl, "f"), "c_bhsje": format(excl, "f"), "c_hjse": format(tax, "f"),
            "c_invoice_line": invoice.order.get("invoiceLine", ""),
            "c_saletaxnum": invoice.order.get("salerTaxNum", ""),
            "c_salerName": self.seller_name,
            "buyername": invoice.order.get("buyerName", ""),
            "c_errorMessage": invoice.fail_cause,
            "qrCode": self._qr_code(invoice, excl) if invoice.number else "",
            "invoiceItems": [{"itemName": d.get("goodsName"), "itemCode": d.get("goodsCode"),
                              "itemTaxRate": d.get("taxRate"), "itemSumAmount": d.get("taxIncludedAmount"),
                              "itemTaxAmount": d.get("tax")} for d in invoice.order.get("invoiceDetail", [])],
        }
        return {"operater": "callback", "orderno": invoice.order_no, "content": serialize_body(content)}

    def invoice_xml(self, serial_no: str) -> bytes:
        invoice = self.invoices[serial_no]
        if invoice.status != "2":
            raise ValueError("only an issued invoice has an XML")
        return render_einvoice_xml(self._document(invoice))

    # -- handlers ----------------------------------------------------------------------------------------------

    def _request_billing(self, payload: Mapping) -> dict:
        order = payload.get("order")
        if not isinstance(order, Mapping):
            raise PlatformError(BAD_PARAMETERS, "必填项输入参数空: order")
        order_no = _text(order.get("orderNo"))
        if order_no in self._by_order:
            raise PlatformError(DUPLICATE_ORDER, "订单编号或流水号不能重复")
        problems = validate_billing_order(order, name_check=self.name_check)
        if problems:
            raise PlatformError(VALIDATION_FAILED, "；".join(problems))
        invoice = self._new_invoice(order_no, json.loads(json.dumps(order)))
        return envelope(describe="开票提交成功", result={"invoiceSerialNum": invoice.serial_no})

    def _query_invoice(self, payload: Mapping) -> dict:
        serials, orders = payload.get("serialNos") or [], payload.get("orderNos") or []
        if serials:  # serial numbers take priority (nuonuo.md#query)
            found = [self.invoices[s] for s in serials if s in self.invoices]
        else:
            found = [self.invoices[self._by_order[o]] for o in orders if o in self._by_order]
        if not found:
            raise PlatformError(INVOICE_NOT_FOUND, "发票不存在")
        details = _text(payload.get("isOfferInvoiceDetail")) == "1"
        return envelope(describe="查询成功", result=[self._query_entry(i, details) for i in found])

    def _reinvoice(self, payload: Mapping) -> dict:
        serial, order_no = _text(payload.get("fpqqlsh")), _text(payload.get("orderno"))
        invoice = self.invoices.get(serial)
        if invoice is None or invoice.order_no != order_no:
            raise PlatformError(INVOICE_NOT_FOUND, "发票不存在")
        # The real codes of these two refusals are UNCONFIRMED; their wording comes from the reInvoice page.
        if invoice.status == "2":
            raise PlatformError(VALIDATION_FAILED, "发票已生成，无需再重试开票")
        if invoice.status in ("20", "21"):
            raise PlatformError(VALIDATION_FAILED, "开票中（重试中），请耐心等待开票结果")
        today = self.clock().astimezone(CHINA_TZ).date()
        if invoice.retries.get(today, 0) >= REINVOICE_DAILY_LIMIT:
            raise PlatformError(RETRY_LIMIT, "同一流水号(订单号)单日最多重试20次")
        invoice.retries[today] = invoice.retries.get(today, 0) + 1
        invoice.status = "21" if invoice.status == "24" else "20"
        invoice.fail_cause = ""
        return envelope(describe="重试成功")

    def _save_red_confirm(self, payload: Mapping) -> dict:
        bill_id = _text(payload.get("billId")) or f"B{self._serials + 1:019d}"
        if bill_id in self.red_forms:
            raise PlatformError(DUPLICATE_ORDER, "红字确认单申请号不能重复")  # code UNCONFIRMED
        if _text(payload.get("applySource")) != "0":
            raise PlatformError(VALIDATION_FAILED, "沙箱仅支持销方申请")
        blue = self._invoice_by_number(_text(payload.get("blueElecInvoiceNumber")))
        if blue.is_red or blue.status != "2":
            raise PlatformError(VALIDATION_FAILED, "蓝票状态不可冲红")
        if blue.fully_reversed:
            raise PlatformError(VALIDATION_FAILED, "蓝票已全额冲红")
        try:
            RedReason.from_nuonuo(payload.get("redReason"))
        except ValueError:
            raise PlatformError(VALIDATION_FAILED, "冲红原因须为1-4") from None
        partial = bool(payload.get("detail"))
        if partial and not blue.booked_by_buyer:
            raise PlatformError(VALIDATION_FAILED, "购方未确认用途的蓝票只能全额冲红")
        red_order_no = _text(payload.get("orderNo"))
        if red_order_no in self._by_order:
            raise PlatformError(DUPLICATE_ORDER, "订单编号或流水号不能重复")
        self._serials += 1
        created = self.clock()
        form = SandboxRedForm(
            bill_id=bill_id,
            bill_no=f"{blue.number[:2]}{self.region_code}{_seeded(self.seed, 'bill' + bill_id, 10 ** 12):012d}",
            bill_uuid=hashlib.sha256(f"{self.seed}|{bill_id}".encode()).hexdigest()[:32],
            payload=json.loads(json.dumps(payload)),
            blue=blue,
            # einvoice.md#red-letter-invoices: unbooked blue (always for consumers) → 01, red issued directly; booked →
            # buyer must confirm.
            bill_status="02" if blue.booked_by_buyer else "01",
            created_at=created,
        )
        self.red_forms[bill_id] = form
        if form.bill_status == "01":
            self._issue_red_invoice(form)
        return envelope(describe="申请成功", result=bill_id)

    def _query_red_confirm(self, payload: Mapping) -> dict:
        keys = {k: _text(payload.get(k)) for k in ("billId", "billNo", "billUuid") if _text(payload.get(k))}
        forms = [f for f in self.red_forms.values()
                 if all(getattr(f, {"billId": "bill_id", "billNo": "bill_no", "billUuid": "bill_uuid"}[k]) == v
                        for k, v in keys.items())]
        if _text(payload.get("billStatus")):
            forms = [f for f in forms if f.bill_status == _text(payload.get("billStatus"))]
        page_no = int(_text(payload.get("pageNo")) or 1)
        page_size = min(int(_text(payload.get("pageSize")) or 10), 50)
        page = forms[(page_no - 1) * page_size: page_no * page_size]
        return envelope(describe="查询成功", result={"total": str(len(forms)),
                                                   "list": [self._form_entry(f) for f in page]})

    def _confirm_red_form(self, payload: Mapping) -> dict:
        form = self._form(_text(payload.get("billId")))
        if form.bill_status != "03":  # we only raise forms as seller; a seller confirms buyer-raised ones
            raise PlatformError(VALIDATION_FAILED, "确认单当前状态不可确认")
        form.bill_status = "04" if _text(payload.get("confirmAgreement")) == "1" else "06"
        if form.bill_status == "04":
            self._issue_red_invoice(form)
        return envelope(describe="操作成功")

    def _cancel_red_form(self, payload: Mapping) -> dict:
        form = self._form(_text(payload.get("billId")))
        if form.bill_status not in ("02", "03"):
            raise PlatformError(VALIDATION_FAILED, "确认单当前状态不可撤销")
        form.bill_status = "08"
        return envelope(describe="撤销成功")

    def _fast_invoice_red(self, payload: Mapping) -> dict:
        forms = [f for f in self.red_forms.values()
                 if f.bill_no == _text(payload.get("billNo")) or f.bill_uuid == _text(payload.get("billUuid"))]
        if not forms or not forms[0].red_serial_no:
            raise PlatformError(INVOICE_NOT_FOUND, "未找到已自动开具的红票")
        return envelope(describe="成功", result={"invoiceSerialNum": forms[0].red_serial_no})

    # -- helpers -----------------------------------------------------------------------------------------------

    def _new_invoice(self, order_no: str, order: dict, **extra) -> SandboxInvoice:
        self._serials += 1
        created = self.clock()
        invoice = SandboxInvoice(serial_number(self.seed, self._serials, created), order_no, order, created, **extra)
        self.invoices[invoice.serial_no] = invoice
        self._by_order[order_no] = invoice.serial_no
        return invoice

    def _assign_number(self, invoice: SandboxInvoice):
        if not invoice.number:
            self._numbers += 1
            invoice.issued_at = self.clock()
            invoice.number = invoice_number(self.seed, self._numbers, invoice.issued_at.astimezone(CHINA_TZ).date(),
                                            region_code=self.region_code, channel=self.channel)

    def _take_injected(self, status: str) -> str | None:
        for index, (kind, cause) in enumerate(self._injected):
            if kind == status:
                del self._injected[index]
                return cause
        return None

    def _invoice_by_number(self, number: str) -> SandboxInvoice:
        for invoice in self.invoices.values():
            if invoice.number and invoice.number == number:
                return invoice
        raise PlatformError(INVOICE_NOT_FOUND, "蓝票不存在")

    def _form(self, bill_id: str) -> SandboxRedForm:
        if bill_id not in self.red_forms:
            raise PlatformError(INVOICE_NOT_FOUND, "红字确认单不存在")
        return self.red_forms[bill_id]

    def _issue_red_invoice(self, form: SandboxRedForm):
        """01/04 make the bureau issue the red e-invoice itself (einvoice.md#red-letter-invoices): negative copy of the
        blue lines (or of the form's partial lines). It starts at 20, like any invoice, so polling is exercised."""
        blue = form.blue
        lines = []
        if form.payload.get("detail"):
            for item in form.payload["detail"]:
                source = blue.order["invoiceDetail"][int(item["blueDetailIndex"]) - 1]
                excl, tax = Decimal(item["taxExcludedAmount"]), Decimal(item["taxAmount"])
                lines.append(_red_copy(source, excl, tax, item.get("num")))
        else:
            blue.fully_reversed = True
            for source in blue.order["invoiceDetail"]:
                num = format(-Decimal(source["num"]), "f") if source.get("num") else None
                lines.append(_red_copy(source, -Decimal(source["taxExcludedAmount"]), -Decimal(source["tax"]), num))
        order_no = _text(form.payload.get("orderNo")) or f"R{form.bill_id}"[:20]
        red_order = {**blue.order, "orderNo": order_no, "invoiceType": "2", "invoiceDetail": lines,
                     "remark": blue.order.get("remark", "")}
        red = self._new_invoice(order_no, red_order, original_number=blue.number,
                                red_reason=_text(form.payload.get("redReason")), red_form_number=form.bill_no)
        form.red_serial_no = red.serial_no

    def _totals(self, invoice: SandboxInvoice) -> tuple[Decimal, Decimal, Decimal]:
        lines = invoice.order.get("invoiceDetail", [])
        return tuple(sum((Decimal(d[key]) for d in lines), Decimal("0.00"))
                     for key in ("taxExcludedAmount", "tax", "taxIncludedAmount"))

    def _file_url(self, invoice: SandboxInvoice, kind: str) -> str:
        return f"{self.file_base_url}/{invoice.number}.{kind}"

    def _qr_code(self, invoice: SandboxInvoice, excl: Decimal) -> str:
        """``01,<type>,,<number>,<amount excl. tax>,<yyyymmdd>,,<check>`` as seen on a 数电 普票
        (einvoice.md#invoice-number). Type 32 for 普票 matches the sample; 31 for 专票 and the check field's meaning are
        UNCONFIRMED."""
        kind = "31" if invoice.order.get("invoiceLine") == "bs" else "32"
        check = hashlib.sha256(invoice.number.encode()).hexdigest()[:4].upper()
        return f"01,{kind},,{invoice.number},{format(excl, 'f')},{invoice.issued_at:%Y%m%d},,{check}"

    def _query_entry(self, invoice: SandboxInvoice, details: bool) -> dict:
        excl, tax, incl = self._totals(invoice)
        issued = invoice.status in ("2", "21", "24")
        entry = {
            "serialNo": invoice.serial_no,
            "orderNo": invoice.order_no,
            "status": invoice.status,
            "statusMsg": STATUS_MESSAGES.get(invoice.status, ""),
            "failCause": invoice.fail_cause,
            "invoiceType": "2" if invoice.is_red else "1",
            "invoiceLine": invoice.order.get("invoiceLine", ""),
            "invoiceCode": "",
            "invoiceNo": invoice.number if issued else "",
            "allElectronicInvoiceNumber": invoice.number if issued else "",
            "invoiceTime": int(invoice.issued_at.timestamp() * 1000) if issued and invoice.issued_at else None,
            "pdfUrl": self._file_url(invoice, "pdf") if invoice.status == "2" else "",
            "ofdUrl": self._file_url(invoice, "ofd") if invoice.status == "2" else "",
            "xmlUrl": self._file_url(invoice, "xml") if invoice.status == "2" else "",
            "pictureUrl": "",
            "qrCode": self._qr_code(invoice, excl) if invoice.status == "2" else "",
            "exTaxAmount": format(excl, "f"),
            "taxAmount": format(tax, "f"),
            "orderAmount": format(incl, "f"),
            "payerName": invoice.order.get("buyerName", ""),
            "payerTaxNo": invoice.order.get("buyerTaxNum", ""),
            "salerTaxNum": invoice.order.get("salerTaxNum", ""),
            "saleName": self.seller_name,
            "oldEleInvoiceNumber": invoice.original_number,
            "redReason": invoice.red_reason,
        }
        if details:
            entry["invoiceItems"] = invoice.order.get("invoiceDetail", [])
        return entry

    def _form_entry(self, form: SandboxRedForm) -> dict:
        red = self.invoices.get(form.red_serial_no)
        lines = red.order["invoiceDetail"] if red else []
        issued = bool(red and red.status == "2")
        return {
            "billId": form.bill_id, "billNo": form.bill_no, "billUuid": form.bill_uuid,
            "billStatus": form.bill_status, "billMessage": BILL_STATUS_LABELS.get(form.bill_status, ""),
            "requestStatus": "", "openStatus": "1" if issued else "0", "applySource": "0",
            "invoiceSerialNum": form.red_serial_no, "orderNo": red.order_no if red else "",
            "blueInvoiceLine": form.blue.order.get("invoiceLine", ""),
            "blueInvoiceNumber": form.blue.number, "blueElecInvoiceNumber": form.blue.number,
            "billTime": form.created_at.astimezone(CHINA_TZ).strftime(_DATE_TIME),
            "sellerTaxNo": form.payload.get("sellerTaxNo", ""), "sellerName": form.payload.get("sellerName", ""),
            "buyerTaxNo": form.payload.get("buyerTaxNo", ""), "buyerName": form.payload.get("buyerName", ""),
            "taxExcludedAmount": format(sum((Decimal(d["taxExcludedAmount"]) for d in lines), Decimal("0.00")), "f"),
            "taxAmount": format(sum((Decimal(d["tax"]) for d in lines), Decimal("0.00")), "f"),
            "redReason": form.payload.get("redReason", ""),
        }

    def _document(self, invoice: SandboxInvoice) -> EInvoiceDocument:
        order = invoice.order
        items = []
        for line in order.get("invoiceDetail", []):
            rate = TaxRate.from_policy_flag(line["taxRate"], line.get("favouredPolicyFlag"))
            excl, quantity = Decimal(line["taxExcludedAmount"]), _text(line.get("num"))
            short = self.short_names.get(line.get("goodsCode", ""))
            items.append(XmlItem(
                name=f"*{short}*{line['goodsName']}" if short else line["goodsName"],
                amount=excl, tax_rate=rate, tax=Decimal(line["tax"]),
                amount_incl=Decimal(line["taxIncludedAmount"]), code=line.get("goodsCode", ""),
                spec=line.get("specType", ""), unit=line.get("unit", ""),
                quantity=Decimal(quantity) if quantity else None,
                unit_price=(excl / Decimal(quantity)).quantize(Decimal("0.00000001"), ROUND_HALF_UP)
                if quantity else None,
            ))
        return EInvoiceDocument(
            number=invoice.number,
            issued_at=invoice.issued_at,
            special=order.get("invoiceLine") == "bs",
            seller=XmlParty(order.get("salerTaxNum", ""), self.seller_name, order.get("salerAddress", ""),
                            order.get("salerTel", ""), *_split_bank(order.get("salerAccount", ""))),
            buyer=XmlParty(order.get("buyerTaxNum", ""), order.get("buyerName", ""), order.get("buyerAddress", ""),
                           order.get("buyerTel", ""), *_split_bank(order.get("buyerAccount", ""))),
            drawer=order.get("clerk", ""),
            items=tuple(items),
            remark=order.get("remark", ""),
            original_number=invoice.original_number,
            red_form_number=invoice.red_form_number,
        )
