"""Nuonuo open platform (诺诺 / 诺税通 SaaS), client side, without any network I/O.

Everything here builds what is sent or interprets what came back; the Odoo models own HTTP, storage and retries.
docs/protocols/nuonuo.md and einvoice.md are the reference (cited as e.g. ``nuonuo.md#query``); field tables not in
them come from copies of Nuonuo's official pages (noted as [3P]).

Flow (README.md#principles, nuonuo.md#issuing to #callback): ``requestBillingNew`` only *accepts* an invoice and
returns an ``invoiceSerialNum``; the result arrives later through ``queryInvoiceResult`` or the (unsigned) callback.
``orderNo`` (≤ 20 characters) is the idempotency key: a resubmission is answered with ``E9106`` and must be followed
by a query, never by a new orderNo. 数电票 cannot be voided: corrections go through a red confirmation form
(红字确认单, einvoice.md#red-letter-invoices, nuonuo.md#red-confirmation-forms).

Secrets: ``Credentials``, ``PreparedRequest`` and ``AccessToken`` keep the app secret, the access token and the
signature out of their ``repr`` so that logging a request never leaks them.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum, StrEnum
from urllib.parse import parse_qs, urlencode, urlsplit

from . import einvoice_rules as rules
from .einvoice_rules import LineAmounts, TaxRate
from .uscc import TaxpayerIdKind, normalize_cn_mobile, validate_taxpayer_id

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

PRODUCTION_URL = "https://sdk.nuonuo.com/open/v1/services"
# support for 100607 in Nuonuo's test environment is UNCONFIRMED (nuonuo.md#transport-and-signature)
TEST_URL = "https://sandbox.nuonuocs.cn/open/v1/services"
SERVICES_PATH = "/open/v1/services"
TOKEN_URL = "https://open.nuonuo.com/accessToken"
AUTHORIZE_URL = "https://open.nuonuo.com/authorize"
# einvoice.md#taxpayer-id/nuonuo.md#transport-and-signature: used as salerTaxNum and userTax in the test
# environment; it is not a valid USCC, so its check is skipped.
TEST_SELLER_TAX_NUM = "339902999999789113"


class ApiMethod:
    """Values of the ``method`` header (nuonuo.md#issuing to #red-confirmation-forms)."""

    REQUEST_BILLING = "nuonuo.OpeMplatform.requestBillingNew"
    QUERY_INVOICE = "nuonuo.OpeMplatform.queryInvoiceResult"
    REINVOICE = "nuonuo.OpeMplatform.reInvoice"
    SAVE_RED_CONFIRM = "nuonuo.OpeMplatform.saveInvoiceRedConfirm"
    QUERY_RED_CONFIRM = "nuonuo.OpeMplatform.queryInvoiceRedConfirm"
    REFRESH_RED_CONFIRM = "nuonuo.OpeMplatform.refreshInvoiceRedConfirm"
    CONFIRM_RED_CONFIRM = "nuonuo.OpeMplatform.confirm"
    CANCEL_RED_CONFIRM = "nuonuo.OpeMplatform.confirmInfoCancel"
    FAST_INVOICE_RED = "nuonuo.OpeMplatform.fastInvoiceRed"


SUCCESS = "E0000"
# The red-form query page documents "0000" as its success code; accept both.
SUCCESS_CODES = frozenset({SUCCESS, "0000"})
DUPLICATE_ORDER = "E9106"  # 订单编号或流水号不能重复 → query instead
VALIDATION_FAILED = "E9105"
INVOICE_NOT_FOUND = "E9500"
RETRY_LIMIT = "E9613"  # 同一流水号(订单号)单日最多重试20次 (reInvoice)

ORDER_NO_MAX = 20
RED_BILL_ID_MAX = 32
MAX_QUERY_NUMBERS = 50  # [3P] "最多 50 个" per query; not stated in nuonuo.md
RED_FORM_PAGE_MAX = 50
RED_FORM_WINDOW_DAYS = 90
CALLBACK_ACK = {"status": "0000", "message": "同步成功"}  # nuonuo.md#callback, as used by integrators


# ---------------------------------------------------------------------------------------------------------------
# Errors and outcomes
# ---------------------------------------------------------------------------------------------------------------

class Outcome(StrEnum):
    """What the caller should do about a response code (or an invoice's failure cause)."""

    OK = "ok"
    DUPLICATE_ORDER = "duplicate_order"  # E9106: already submitted; query by orderNo instead of resubmitting
    NOT_FOUND = "not_found"  # E9500: no such invoice (right after submitting: not yet visible, keep waiting)
    RETRY_LIMIT = "retry_limit"  # E9613: reInvoice retries for today are used up; try again tomorrow
    TOKEN_INVALID = "token_invalid"  # get or refresh the access token, then retry once (token calls are limited)
    TAX_LOGIN_REQUIRED = "tax_login_required"  # drawer's tax-bureau session expired: pause the queue, re-login
    RATE_LIMITED = "rate_limited"  # token-call or API quota exhausted: stop calling, retry later
    CREDENTIALS = "credentials"  # appKey/appSecret/userTax/API permission/signature wrong: alert an administrator
    VALIDATION = "validation"  # the request data is wrong (E9105 …): fix the data, same orderNo
    TRANSIENT = "transient"  # platform or bureau hiccup: retry later with the same orderNo
    UNKNOWN = "unknown"  # anything else: keep the current state and alert


# Gateway codes (nuonuo.md#transport-and-signature plus [3P] copy of the open platform's 公共异常码 table).
_CODE_OUTCOMES = {
    DUPLICATE_ORDER: Outcome.DUPLICATE_ORDER,
    INVOICE_NOT_FOUND: Outcome.NOT_FOUND,
    RETRY_LIMIT: Outcome.RETRY_LIMIT,
    VALIDATION_FAILED: Outcome.VALIDATION,
    # 070301 = "accessToken不匹配/或appKey不匹配". Whether an *expired* token also answers 070301 is UNCONFIRMED;
    # the message heuristics below catch other wordings.
    "070301": Outcome.TOKEN_INVALID,
    "0701": Outcome.CREDENTIALS,
    "070101": Outcome.CREDENTIALS,  # 获取app密钥失败或appkey无效
    "070102": Outcome.CREDENTIALS,
    "070103": Outcome.CREDENTIALS,
    "070302": Outcome.CREDENTIALS,  # APP未申请该资源 (API not granted)
    "070304": Outcome.CREDENTIALS,  # nuonuo.md#transport-and-signature gateway credential errors
    "070305": Outcome.CREDENTIALS,
    "070307": Outcome.CREDENTIALS,
    "070401": Outcome.CREDENTIALS,  # 调用用户身份不匹配: userTax does not match the token
    "070501": Outcome.CREDENTIALS,  # 请求的API不存在
    "070601": Outcome.CREDENTIALS,  # 签名不匹配 / 验签失败 (also a server clock far from Beijing time)
    "070306": Outcome.RATE_LIMITED,  # nuonuo.md#transport-and-signature: token-call limit reached
    "070201": Outcome.RATE_LIMITED,  # API daily quota
    "070204": Outcome.RATE_LIMITED,
    "0200": Outcome.TRANSIENT,
    "0202": Outcome.TRANSIENT,
    "0203": Outcome.TRANSIENT,
    "040102": Outcome.TRANSIENT,
    "0201": Outcome.VALIDATION,  # 必填项输入参数空 / 输入参数格式有误
}
# The bureau login codes are not documented; Nuonuo passes the bureau's words through, so match on them
# ("需要重新登录" etc., nuonuo.md#issuing "A logged-out drawer makes issuance fail").
_TAX_LOGIN_HINTS = ("重新登录", "未登录", "登录失效", "登录已失效", "登录过期", "登录已过期", "登录超时",
                    "刷脸", "扫脸", "人脸", "身份认证", "实人认证")
_TOKEN_HINT = re.compile(r"(access_?token|令牌).*(过期|失效|无效|不匹配|不存在)", re.IGNORECASE)
_TRANSIENT_HINTS = ("繁忙", "稍后", "超时", "系统异常", "网络异常")


def classify(code, describe: str = "") -> Outcome:
    """Map a Nuonuo ``code`` (+ its ``describe`` text) to an ``Outcome``."""
    code = str(code or "").strip()
    text = describe or ""
    if code in SUCCESS_CODES:
        return Outcome.OK
    if code in _CODE_OUTCOMES:
        return _CODE_OUTCOMES[code]
    if any(hint in text for hint in _TAX_LOGIN_HINTS):
        return Outcome.TAX_LOGIN_REQUIRED
    if _TOKEN_HINT.search(text):
        return Outcome.TOKEN_INVALID
    if code.startswith("E9"):
        return Outcome.VALIDATION
    if any(hint in text for hint in _TRANSIENT_HINTS):
        return Outcome.TRANSIENT
    return Outcome.UNKNOWN


def classify_failure(message: str) -> Outcome:
    """Classify an issued-and-failed invoice's ``failCause`` / callback error: login, transient or data problem."""
    if any(hint in (message or "") for hint in _TAX_LOGIN_HINTS):
        return Outcome.TAX_LOGIN_REQUIRED
    if any(hint in (message or "") for hint in _TRANSIENT_HINTS):
        return Outcome.TRANSIENT
    return Outcome.VALIDATION


class NuonuoError(Exception):
    """A non-success answer (or an unusable one). ``outcome`` tells the caller what to do."""

    def __init__(self, code: str, describe: str, outcome: Outcome | None = None):
        self.code = code
        self.describe = describe
        self.outcome = outcome or classify(code, describe)
        super().__init__(f"Nuonuo {code}: {describe}")


class NuonuoProtocolError(NuonuoError):
    """The answer is not what the protocol promises (not JSON, no code, wrong shape)."""

    def __init__(self, describe: str):
        super().__init__("protocol", describe, Outcome.UNKNOWN)


class InvoiceDataError(ValueError):
    """Our own data breaks a documented rule; ``problems`` lists all of them so the user can fix them at once."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class NuonuoResponse:
    """The business envelope ``{"code", "describe", "result"}`` (nuonuo.md#transport-and-signature)."""

    code: str
    describe: str
    result: object
    outcome: Outcome
    raw: Mapping = field(repr=False, compare=False, default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def raise_for_outcome(self) -> "NuonuoResponse":
        if not self.ok:
            raise NuonuoError(self.code, self.describe, self.outcome)
        return self


def _json_object(raw, what: str) -> Mapping:
    if isinstance(raw, Mapping):
        return raw
    try:
        data = json.loads(raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw)
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        raise NuonuoProtocolError(f"{what} is not JSON") from None
    if not isinstance(data, Mapping):
        raise NuonuoProtocolError(f"{what} is not a JSON object")
    return data


def parse_response(raw) -> NuonuoResponse:
    """Parse a services response (bytes, text or an already decoded dict)."""
    data = _json_object(raw, "Nuonuo response")
    if not isinstance(data.get("code"), (str, int)):
        raise NuonuoProtocolError("Nuonuo response has no code")
    code, describe = str(data["code"]), str(data.get("describe") or "")
    return NuonuoResponse(code, describe, data.get("result"), classify(code, describe), data)


# ---------------------------------------------------------------------------------------------------------------
# Transport: signature, request, tokens
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    """One app (+ authorised merchant). ``user_tax`` is mandatory for third-party (ISV) apps
    (nuonuo.md#transport-and-signature)."""

    app_key: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False, default="")
    user_tax: str = ""


def _path_parts(path: str) -> tuple[str, str, str]:
    """p, l, a = the path's last three segments (``/open/v1/services``). A gateway mounted under a prefix (a proxy, a
    private gateway or a test double at ``/<prefix>/open/v1/services``) signs the same three segments."""
    parts = [part for part in path.split("/") if part]
    if len(parts) < 3:
        raise ValueError(f"expected a /<p>/<l>/<a> services path, got {path!r}")
    return parts[-3], parts[-2], parts[-1]


def signing_string(app_key: str, senid: str, nonce: str, timestamp: str, body: str,
                   path: str = SERVICES_PATH) -> str:
    """The exact text signed (nuonuo.md#transport-and-signature): ``a=services&l=v1&p=open&k=…&i=…&n=…&t=…&f=<exact
    body>``.

    a, l and p are the services path's segments (``/open/v1/services``), as the official SDKs derive them.
    """
    p, l, a = _path_parts(path)  # noqa: E741 (the protocol's own letters)
    return f"a={a}&l={l}&p={p}&k={app_key}&i={senid}&n={nonce}&t={timestamp}&f={body}"


def sign(app_secret: str, app_key: str, senid: str, nonce: str, timestamp: str, body: str | bytes,
         path: str = SERVICES_PATH) -> str:
    """``X-Nuonuo-Sign`` = Base64(HMAC-SHA1(appSecret, signing string)), all UTF-8
    (nuonuo.md#transport-and-signature)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    message = signing_string(app_key, senid, str(nonce), str(timestamp), body, path)
    digest = hmac.new(app_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def new_senid() -> str:
    """32 alphanumerics, unique per request (nuonuo.md#transport-and-signature)."""
    return uuid.uuid4().hex


def new_nonce() -> str:
    """An 8-digit positive integer (nuonuo.md#transport-and-signature)."""
    return str(10_000_000 + secrets.randbelow(90_000_000))


def _json_default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def serialize_body(payload: Mapping) -> str:
    """Compact UTF-8 JSON. This exact text is both signed and sent (the signature covers the body verbatim)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default)


@dataclass(frozen=True)
class PreparedRequest:
    """POST ``url`` with query ``params``, ``headers`` and the raw ``body`` bytes exactly as signed."""

    url: str
    params: Mapping[str, str]
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    api_method: str = ""

    def redacted_headers(self) -> dict:
        """Headers safe to log: token and signature masked."""
        return {k: ("***" if k in ("accessToken", "X-Nuonuo-Sign") else v) for k, v in self.headers.items()}


_SENID = re.compile(r"[0-9A-Za-z]{32}")
_NONCE = re.compile(r"[1-9]\d{7}")


def build_request(api_method: str, payload: Mapping, credentials: Credentials, *, url: str = PRODUCTION_URL,
                  senid: str | None = None, nonce: str | None = None, timestamp: int | str | None = None
                  ) -> PreparedRequest:
    """Sign and package one services call. ``senid``/``nonce``/``timestamp`` are generated unless given (tests)."""
    if not credentials.access_token:
        raise ValueError("an access token is required; obtain one with a token request first")
    senid = senid or new_senid()
    nonce = str(nonce or new_nonce())
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    if not _SENID.fullmatch(senid):
        raise ValueError("senid must be 32 letters or digits")
    if not _NONCE.fullmatch(nonce):
        raise ValueError("nonce must be an 8-digit positive integer")
    body = serialize_body(payload)
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "X-Nuonuo-Sign": sign(credentials.app_secret, credentials.app_key, senid, nonce, timestamp, body,
                              urlsplit(url).path),
        "accessToken": credentials.access_token,
        "method": api_method,
    }
    if credentials.user_tax:
        headers["userTax"] = credentials.user_tax
    params = {"senid": senid, "nonce": nonce, "timestamp": timestamp, "appkey": credentials.app_key}
    return PreparedRequest(url, params, headers, body.encode("utf-8"), api_method)


@dataclass(frozen=True)
class TokenRequest:
    """``POST url`` as ``application/x-www-form-urlencoded`` (nuonuo.md#transport-and-signature)."""

    url: str
    form: Mapping[str, str] = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=lambda: {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})

    @property
    def body(self) -> bytes:
        return urlencode(self.form).encode("utf-8")


def token_request_self_use(app_key: str, app_secret: str) -> TokenRequest:
    """Self-use (自用型) app: client credentials. Token calls are limited (070306), so cache and share the token.

    Lifetime is UNCONFIRMED (nuonuo.md#transport-and-signature); a [3P] copy of Nuonuo's app page says 24 h by
    default and 50 token calls per 30 days, so use ``expires_in`` from the answer and never fetch a token per request.
    """
    return TokenRequest(TOKEN_URL, {"client_id": app_key, "client_secret": app_secret,
                                    "grant_type": "client_credentials"})


def authorize_url(app_key: str, redirect_uri: str, state: str) -> str:
    """Where a merchant authorises an ISV app; Nuonuo redirects back with ``code`` (and the merchant's taxnum)."""
    return AUTHORIZE_URL + "?" + urlencode({"appKey": app_key, "response_type": "code",
                                            "redirect_uri": redirect_uri, "state": state})


def token_request_isv(app_key: str, app_secret: str, code: str, tax_num: str, redirect_uri: str) -> TokenRequest:
    return TokenRequest(TOKEN_URL, {"client_id": app_key, "client_secret": app_secret, "code": code,
                                    "taxNum": tax_num, "redirect_uri": redirect_uri,
                                    "grant_type": "authorization_code"})


def token_request_refresh(refresh_token: str, user_id: str, app_secret: str) -> TokenRequest:
    """ISV refresh: ``client_id`` is the authorised merchant's ``userId``, *not* the appKey
    (nuonuo.md#transport-and-signature)."""
    return TokenRequest(TOKEN_URL, {"client_id": user_id, "client_secret": app_secret,
                                    "refresh_token": refresh_token, "grant_type": "refresh_token"})


@dataclass(frozen=True)
class AccessToken:
    access_token: str = field(repr=False)
    expires_in: int | None = None  # seconds, when the answer says
    refresh_token: str = field(repr=False, default="")
    user_id: str = ""  # ISV: needed to refresh
    obtained_at: datetime | None = None

    @property
    def expires_at(self) -> datetime | None:
        if self.expires_in is None or self.obtained_at is None:
            return None
        return self.obtained_at + timedelta(seconds=self.expires_in)


def parse_token_response(raw, *, obtained_at: datetime | None = None) -> AccessToken:
    """``{"access_token", "expires_in", "refresh_token"?, "userId"?}``; anything else raises ``NuonuoError``."""
    data = _json_object(raw, "token response")
    token = data.get("access_token")
    if not isinstance(token, str) or not token.strip():
        code = str(data.get("error") or data.get("code") or "token")
        describe = str(data.get("error_description") or data.get("describe") or data.get("msg") or "no access_token")
        raise NuonuoError(code, describe)
    expires_in = data.get("expires_in")
    return AccessToken(
        access_token=token,
        expires_in=int(expires_in) if str(expires_in or "").isdigit() else None,
        refresh_token=str(data.get("refresh_token") or ""),
        user_id=str(data.get("userId") or ""),
        obtained_at=obtained_at,
    )


# ---------------------------------------------------------------------------------------------------------------
# Blue invoice: requestBillingNew (einvoice.md#content-and-amounts, nuonuo.md#issuing)
# ---------------------------------------------------------------------------------------------------------------

class InvoiceLine(StrEnum):
    """Nuonuo ``invoiceLine`` / ``blueInvoiceLine`` of the two 数电 e-invoice types (einvoice.md#invoice-number)."""

    GENERAL = "pc"  # 电子发票（普通发票）: what consumers buying an e-bike get
    SPECIAL = "bs"  # 电子发票（增值税专用发票）


@dataclass(frozen=True)
class Seller:
    tax_num: str
    tel: str = ""  # salerTel / salerAddress: required unless configured in Nuonuo's workbench
    address: str = ""
    bank_account: str = ""  # "开户行 账号"; printed only with show_bank_account_type 1 or 3


@dataclass(frozen=True)
class Buyer:
    """Invoice title (发票抬头). A company needs its taxpayer id; an individual may give an ID number."""

    name: str
    tax_num: str = ""
    is_company: bool = False
    tel: str = ""
    address: str = ""
    bank_account: str = ""
    phone: str = ""  # buyerPhone, only for SMS delivery (push_mode 1/2)
    email: str = ""  # only for e-mail delivery (push_mode 0/2)


@dataclass(frozen=True)
class BillingLine:
    """One invoiceDetail line, priced tax-inclusive (``withTaxFlag=1``) as consumer prices are.

    ``amounts`` may carry a split computed elsewhere (e.g. by Odoo's tax engine); it is checked, not trusted.
    Nuonuo/the bureau print the name as ``*<tax-code short name>*<goods_name>``, so pass the plain name.
    """

    goods_name: str
    goods_code: str
    tax_rate: TaxRate | str
    amount_incl: Decimal | str
    quantity: Decimal | str | None = None
    unit: str = ""
    spec_type: str = ""  # 规格型号 ≤ 40: e.g. the model, or a vehicle code
    favoured_policy_flag: str | None = None  # None: "03" for 免税, empty otherwise
    amounts: LineAmounts | None = None


@dataclass(frozen=True)
class BlueInvoice:
    order_no: str
    invoice_date: datetime  # timezone-aware; sent as Beijing time
    clerk: str  # must be the drawer bound to the 数电 login account (einvoice.md#content-and-amounts)
    seller: Seller
    buyer: Buyer
    lines: Sequence[BillingLine]
    invoice_line: InvoiceLine = InvoiceLine.GENERAL
    remark: str = ""
    callback_url: str = ""
    extension_number: str = ""  # 分机号 of the 数电 account
    push_mode: str = "-1"  # -1 none (Odoo sends the PDF), 0 e-mail, 1 SMS, 2 both
    survey_answer_type: str = ""  # small-scale taxpayers: why 3 % / 1 % (1, 2 or 3; einvoice.md#content-and-amounts)
    show_bank_account_type: str = ""


# Field limits: orderNo, buyerName, goodsName, remark, line count from einvoice.md#content-and-amounts; the
# others from the [3P] transcription of Nuonuo's field table. Lengths are counted in characters (bytes vs characters is
# UNCONFIRMED).
_LIMITS = {"buyerName": 100, "goodsName": 90, "remark": 200, "clerk": 20, "specType": 40, "unit": 20,
           "buyerTelAddress": 100, "buyerAccount": 100, "salerAccount": 100, "email": 50}
MAX_LINES = 2000
# Our own restriction (Nuonuo only says ≤ 20 and unique per company): ASCII keeps the key safe in URLs and logs.
_ORDER_NO = re.compile(r"[0-9A-Za-z_-]{1,20}")
_PRICE_QUANTUM = Decimal("0.00000001")  # price/num carry 8 decimals (einvoice.md#content-and-amounts)


def beijing_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time. Naive datetimes are refused: Odoo's are UTC, Nuonuo's are not."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvoiceDataError("invoice date must be timezone-aware (Odoo datetimes are naive UTC)")
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _too_long(problems: list[str], what: str, value: str, limit: int):
    if len(value) > limit:
        problems.append(f"{what} has {len(value)} characters, at most {limit} allowed")


def _check_order_no(problems: list[str], order_no: str, what: str = "orderNo"):
    if not _ORDER_NO.fullmatch(order_no or ""):
        problems.append(f"{what} {order_no!r} must be 1-20 letters, digits, '-' or '_'")


def _billing_line(problems: list[str], index: int, line: BillingLine) -> dict:
    where = f"line {index}"
    try:
        rate = TaxRate.parse(line.tax_rate)
        amounts = line.amounts or rules.split_tax_inclusive(line.amount_incl, rate)
        if line.amounts is not None:
            rules.check_line(amounts.excl, amounts.tax, amounts.incl, rate)
            if amounts.incl != rules.money(line.amount_incl):
                raise rules.AmountError(f"amounts are for {amounts.incl}, the line says {line.amount_incl}")
    except rules.AmountError as error:
        problems.extend(f"{where}: {p}" for p in error.problems)
        return {}
    if amounts.incl <= 0:
        problems.append(f"{where}: a blue invoice line has a positive amount, got {amounts.incl}")
    if not (line.goods_name or "").strip():
        problems.append(f"{where}: goods name is required")
    _too_long(problems, f"{where} goods name", line.goods_name or "", _LIMITS["goodsName"])
    _too_long(problems, f"{where} spec/model", line.spec_type, _LIMITS["specType"])
    _too_long(problems, f"{where} unit", line.unit, _LIMITS["unit"])
    code = rules.validate_tax_classification_code(line.goods_code)
    if not code:
        problems.append(f"{where}: tax classification code: {code.detail}")
    detail = {
        "goodsName": line.goods_name,
        "goodsCode": code.value,
        "withTaxFlag": "1",
        "taxRate": rate.nuonuo_value,
        "taxExcludedAmount": format(amounts.excl, "f"),
        "tax": format(amounts.tax, "f"),
        "taxIncludedAmount": format(amounts.incl, "f"),
        "invoiceLineProperty": "0",  # 0 normal line; we never send discount lines
    }
    if line.quantity is not None:
        try:
            quantity = rules.to_decimal(line.quantity, "quantity")
        except rules.AmountError as error:
            problems.extend(f"{where}: {p}" for p in error.problems)
            return detail
        if quantity <= 0 or quantity != quantity.quantize(_PRICE_QUANTUM):
            problems.append(f"{where}: quantity must be positive with at most 8 decimals, got {quantity}")
        else:
            # price and num go together (einvoice.md#content-and-amounts); with withTaxFlag=1 the price is
            # tax-inclusive.
            detail["num"] = rules.plain_decimal(quantity)
            detail["price"] = rules.plain_decimal((amounts.incl / quantity).quantize(_PRICE_QUANTUM, ROUND_HALF_UP))
    if line.unit:
        detail["unit"] = line.unit
    if line.spec_type:
        detail["specType"] = line.spec_type
    policy = rate.favoured_policy_flag if line.favoured_policy_flag is None else line.favoured_policy_flag
    if policy:
        detail["favouredPolicyFlag"] = policy
    return detail


def _buyer_fields(problems: list[str], buyer: Buyer, invoice_line: InvoiceLine) -> dict:
    fields = {"buyerName": (buyer.name or "").strip()}
    if not fields["buyerName"]:
        problems.append("buyer name (invoice title) is required")
    _too_long(problems, "buyer name", fields["buyerName"], _LIMITS["buyerName"])
    _too_long(problems, "buyer address + phone", buyer.address + buyer.tel, _LIMITS["buyerTelAddress"])
    _too_long(problems, "buyer bank account", buyer.bank_account, _LIMITS["buyerAccount"])
    if invoice_line is InvoiceLine.SPECIAL and not buyer.is_company:
        problems.append("a special VAT invoice (专票) is only for a company buyer")
    if buyer.is_company or buyer.tax_num:
        check = validate_taxpayer_id(buyer.tax_num, organisation=buyer.is_company)
        if not check:
            problems.append(f"buyer taxpayer id: {check.detail}")
        fields["buyerTaxNum"] = check.value
        # naturalPersonFlag=1 files the invoice in the person's own 票夹 under name + ID number
        # (einvoice.md#content-and-amounts); only for 数电普票.
        natural = not buyer.is_company and check.kind is TaxpayerIdKind.ID_CARD
        fields["naturalPersonFlag"] = "1" if natural and invoice_line is InvoiceLine.GENERAL else "0"
    else:
        fields["naturalPersonFlag"] = "0"
        # A consumer without an ID number: with the company-level name check on, Nuonuo blocks non-natural-person
        # 普票 whose title has ≤ 4 characters (einvoice.md#content-and-amounts) — i.e. most Chinese personal names.
        # Switch it off for this invoice rather than have every cash sale to a person fail.
        fields["naturalPersonVerifyFlag"] = "0"
    for key, value in (("buyerTel", buyer.tel), ("buyerAddress", buyer.address), ("buyerAccount", buyer.bank_account)):
        if value:
            fields[key] = value
    return fields


def _delivery_fields(problems: list[str], invoice: BlueInvoice) -> dict:
    mode = invoice.push_mode
    if mode not in ("-1", "0", "1", "2"):
        problems.append(f"push mode {mode!r} is not -1, 0, 1 or 2")
        return {}
    fields = {"pushMode": mode}
    if mode in ("1", "2"):
        phone = normalize_cn_mobile(invoice.buyer.phone)
        if not phone:
            problems.append(f"SMS delivery needs the buyer's mobile number: {phone.detail}")
        fields["buyerPhone"] = phone.value
    if mode in ("0", "2"):
        if "@" not in (invoice.buyer.email or ""):
            problems.append("e-mail delivery needs the buyer's e-mail address")
        _too_long(problems, "buyer e-mail", invoice.buyer.email, _LIMITS["email"])
        fields["email"] = invoice.buyer.email
    return fields


def build_billing_payload(invoice: BlueInvoice) -> dict:
    """The ``requestBillingNew`` body ``{"order": {…}}`` for a blue 数电 e-invoice; raises ``InvoiceDataError``.

    All three amounts are sent on every line because Nuonuo recomputes missing ones with different rounding
    (einvoice.md#content-and-amounts).
    """
    problems: list[str] = []
    _check_order_no(problems, invoice.order_no)
    try:
        invoice_date = beijing_time(invoice.invoice_date)
    except InvoiceDataError as error:
        problems.extend(error.problems)
        invoice_date = ""
    if not (invoice.clerk or "").strip():
        problems.append("clerk (the drawer bound to the 数电 account) is required")
    _too_long(problems, "clerk", invoice.clerk or "", _LIMITS["clerk"])
    _too_long(problems, "remark", invoice.remark, _LIMITS["remark"])
    _too_long(problems, "seller bank account", invoice.seller.bank_account, _LIMITS["salerAccount"])
    if invoice.extension_number and not (invoice.extension_number.isdigit() and len(invoice.extension_number) <= 5):
        problems.append("extension number (分机号) has at most 5 digits")
    seller_tax = (invoice.seller.tax_num or "").strip().upper()
    if seller_tax != TEST_SELLER_TAX_NUM:
        check = validate_taxpayer_id(seller_tax, organisation=True)
        if not check:
            problems.append(f"seller taxpayer id: {check.detail}")
    if not invoice.lines:
        problems.append("an invoice has at least one line")
    if len(invoice.lines) > MAX_LINES:
        problems.append(f"an invoice has at most {MAX_LINES} lines")

    try:
        invoice_line = InvoiceLine(invoice.invoice_line)
    except ValueError:
        raise InvoiceDataError(f"invoice line {invoice.invoice_line!r} is not pc or bs") from None
    order = {
        "orderNo": invoice.order_no,
        "invoiceDate": invoice_date,
        # blue; 数电 red goes through the red-form APIs, never through this call (einvoice.md#content-and-amounts)
        "invoiceType": "1",
        "invoiceLine": invoice_line.value,
        "clerk": invoice.clerk,
        "salerTaxNum": seller_tax,
        **_buyer_fields(problems, invoice.buyer, invoice_line),
        **_delivery_fields(problems, invoice),
    }
    for key, value in (("salerTel", invoice.seller.tel), ("salerAddress", invoice.seller.address),
                       ("salerAccount", invoice.seller.bank_account), ("remark", invoice.remark),
                       ("callBackUrl", invoice.callback_url), ("extensionNumber", invoice.extension_number),
                       ("surveyAnswerType", invoice.survey_answer_type),
                       ("showBankAccountType", invoice.show_bank_account_type)):
        if value:
            order[key] = value
    order["invoiceDetail"] = [_billing_line(problems, i, line) for i, line in enumerate(invoice.lines, 1)]
    if problems:
        raise InvoiceDataError(problems)
    return {"order": order}


# ---------------------------------------------------------------------------------------------------------------
# Query and result (nuonuo.md#query), reInvoice
# ---------------------------------------------------------------------------------------------------------------

class InvoiceState(StrEnum):
    ISSUING = "issuing"  # 20 开票中 / 21 开票成功签章中
    ISSUED = "issued"  # 2 开票完成 (final)
    FAILED = "failed"  # 22 开票失败 (final; see fail_cause / failure)
    SIGN_FAILED = "sign_failed"  # 24 开票成功签章失败 (final; retry with reInvoice, same serial and orderNo)
    VOIDED = "voided"  # 3 / 31: paper invoices only; unexpected for pc/bs
    UNKNOWN = "unknown"


QUERY_STATUS_STATES = {"2": InvoiceState.ISSUED, "20": InvoiceState.ISSUING, "21": InvoiceState.ISSUING,
                       "22": InvoiceState.FAILED, "24": InvoiceState.SIGN_FAILED,
                       "3": InvoiceState.VOIDED, "31": InvoiceState.VOIDED}
FINAL_STATES = frozenset({InvoiceState.ISSUED, InvoiceState.FAILED, InvoiceState.SIGN_FAILED, InvoiceState.VOIDED})


def build_query_payload(*, serial_nos: Sequence[str] = (), order_nos: Sequence[str] = (),
                        with_details: bool = False) -> dict:
    """``queryInvoiceResult`` body. Serial numbers take priority over order numbers when both are given
    (nuonuo.md#query)."""
    if not serial_nos and not order_nos:
        raise InvoiceDataError("query by serial numbers or by order numbers")
    payload: dict = {}
    for key, values in (("serialNos", serial_nos), ("orderNos", order_nos)):
        if len(values) > MAX_QUERY_NUMBERS:
            raise InvoiceDataError(f"at most {MAX_QUERY_NUMBERS} {key} per query")
        if values:
            payload[key] = list(values)
    payload["isOfferInvoiceDetail"] = "1" if with_details else "0"
    return payload


def build_reinvoice_payload(serial_no: str, order_no: str) -> dict:
    """``reInvoice``: retry a failed (22) or sign-failed (24) invoice with its own serial and orderNo (≤ 20/day)."""
    return {"fpqqlsh": serial_no, "orderno": order_no}


def from_epoch_ms(value) -> datetime | None:
    """Nuonuo's epoch-millisecond timestamps → aware Beijing time."""
    text = str(value or "").strip()
    if not text.lstrip("-").isdigit():
        return None
    return datetime.fromtimestamp(int(text) / 1000, CHINA_TZ)


def _decimal_or_none(value) -> Decimal | None:
    try:
        return rules.to_decimal(value) if value not in (None, "") else None
    except rules.AmountError:
        return None


def _einvoice_number(data: Mapping) -> str | None:
    # allElectronicInvoiceNumber in most sources; one client spells it allElectronicInvoiceNumbe
    # (nuonuo.md#open-questions).
    for key in ("allElectronicInvoiceNumber", "allElectronicInvoiceNumbe", "c_fphm", "invoiceNo"):
        value = str(data.get(key) or "").strip()
        if rules.validate_einvoice_number(value):
            return value
    return None


@dataclass(frozen=True)
class InvoiceResult:
    """One ``queryInvoiceResult`` entry, normalised."""

    serial_no: str
    order_no: str
    state: InvoiceState
    status: str
    status_message: str = ""
    fail_cause: str = ""
    failure: Outcome | None = None  # for FAILED / SIGN_FAILED: what to do about it
    invoice_number: str | None = None
    issued_at: datetime | None = None
    pdf_url: str = ""
    ofd_url: str = ""
    xml_url: str = ""  # field name xmlUrl is UNCONFIRMED; empty when absent
    picture_url: str = ""
    qr_code: str = ""
    amount_excl: Decimal | None = None
    tax_amount: Decimal | None = None
    amount_incl: Decimal | None = None
    buyer_name: str = ""
    buyer_tax_num: str = ""
    original_invoice_number: str = ""  # for a red invoice: the blue one (oldEleInvoiceNumber)
    red_reason: str = ""
    raw: Mapping = field(repr=False, compare=False, default_factory=dict)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_red(self) -> bool:
        return bool(self.original_invoice_number) or (self.amount_incl is not None and self.amount_incl < 0)


def parse_invoice_result(data: Mapping) -> InvoiceResult:
    status = str(data.get("status") or "").strip()
    state = QUERY_STATUS_STATES.get(status, InvoiceState.UNKNOWN)
    fail_cause = str(data.get("failCause") or "")
    failure = None
    if state is InvoiceState.FAILED:
        failure = classify_failure(fail_cause or str(data.get("statusMsg") or ""))
    elif state is InvoiceState.SIGN_FAILED:
        failure = Outcome.TRANSIENT  # the invoice exists unsigned: reInvoice, never a new orderNo
    return InvoiceResult(
        serial_no=str(data.get("serialNo") or ""),
        order_no=str(data.get("orderNo") or ""),
        state=state,
        status=status,
        status_message=str(data.get("statusMsg") or ""),
        fail_cause=fail_cause,
        failure=failure,
        invoice_number=_einvoice_number(data),
        issued_at=from_epoch_ms(data.get("invoiceTime")),
        pdf_url=str(data.get("pdfUrl") or ""),
        ofd_url=str(data.get("ofdUrl") or ""),
        xml_url=str(data.get("xmlUrl") or ""),
        picture_url=str(data.get("pictureUrl") or ""),
        qr_code=str(data.get("qrCode") or ""),
        amount_excl=_decimal_or_none(data.get("exTaxAmount")),
        tax_amount=_decimal_or_none(data.get("taxAmount")),
        amount_incl=_decimal_or_none(data.get("orderAmount")),
        buyer_name=str(data.get("payerName") or ""),
        buyer_tax_num=str(data.get("payerTaxNo") or ""),
        original_invoice_number=str(data.get("oldEleInvoiceNumber") or ""),
        red_reason=str(data.get("redReason") or ""),
        raw=data,
    )


def parse_invoice_results(response: NuonuoResponse) -> list[InvoiceResult]:
    """Entries of a ``queryInvoiceResult`` answer; ``[]`` for E9500 (not found). Other errors raise."""
    if response.outcome is Outcome.NOT_FOUND:
        return []
    response.raise_for_outcome()
    result = response.result
    if isinstance(result, Mapping):
        result = [result]
    if not isinstance(result, list) or not all(isinstance(entry, Mapping) for entry in result):
        raise NuonuoProtocolError("queryInvoiceResult result is not a list of invoices")
    return [parse_invoice_result(entry) for entry in result]


def parse_billing_response(response: NuonuoResponse) -> str:
    """The ``invoiceSerialNum`` of an accepted ``requestBillingNew``. Raises ``NuonuoError`` otherwise.

    On ``Outcome.DUPLICATE_ORDER`` (E9106) the invoice was already submitted: query it by orderNo.
    """
    response.raise_for_outcome()
    serial = (response.result or {}).get("invoiceSerialNum") if isinstance(response.result, Mapping) else None
    if not serial:
        raise NuonuoProtocolError("requestBillingNew accepted the invoice but returned no invoiceSerialNum")
    return str(serial)


# ---------------------------------------------------------------------------------------------------------------
# Red letter (红字) through confirmation forms (einvoice.md#red-letter-invoices, nuonuo.md#red-confirmation-forms)
# ---------------------------------------------------------------------------------------------------------------

class RedReason(Enum):
    """Red reasons; Nuonuo's ``redReason`` codes differ from the bureau-style ones other providers use
    (einvoice.md#red-letter-invoices)."""

    SALES_RETURN = ("1", "02", "销货退回")
    INVOICING_ERROR = ("2", "01", "开票有误")
    SERVICE_TERMINATION = ("3", "03", "服务中止")
    SALES_ALLOWANCE = ("4", "04", "销售折让")

    def __init__(self, nuonuo_code: str, bureau_code: str, label: str):
        self.nuonuo_code = nuonuo_code
        self.bureau_code = bureau_code
        self.label = label

    @classmethod
    def from_nuonuo(cls, code) -> "RedReason":
        for reason in cls:
            if reason.nuonuo_code == str(code).strip():
                return reason
        raise ValueError(f"unknown Nuonuo redReason {code!r}")

    @classmethod
    def from_bureau(cls, code) -> "RedReason":
        for reason in cls:
            if reason.bureau_code == str(code).strip():
                return reason
        raise ValueError(f"unknown bureau red reason {code!r}")


class RedFormState(StrEnum):
    """Normalised ``billStatus`` of a 红字确认单."""

    NO_CONFIRMATION_NEEDED = "no_confirmation_needed"  # 01: red invoice issued automatically for pc/bs
    AWAITING_BUYER = "awaiting_buyer"  # 02: seller raised it, buyer must confirm within 72 h
    AWAITING_SELLER = "awaiting_seller"  # 03: buyer raised it, we must confirm within 72 h
    CONFIRMED = "confirmed"  # 04: both confirmed; red invoice issued automatically for pc/bs
    CANCELLED = "cancelled"  # 05–09: denied, lapsed after 72 h, or revoked
    APPLYING = "applying"  # 15: Nuonuo-internal
    APPLY_FAILED = "apply_failed"  # 16: Nuonuo-internal; see message
    UNKNOWN = "unknown"

    @property
    def red_invoice_due(self) -> bool:
        """01 and 04 make the bureau issue the red 数电 e-invoice by itself (einvoice.md#red-letter-invoices)."""
        return self in (RedFormState.NO_CONFIRMATION_NEEDED, RedFormState.CONFIRMED)


BILL_STATUS_LABELS = {
    "01": "无需确认", "02": "销方录入待购方确认", "03": "购方录入待销方确认", "04": "购销双方已确认",
    "05": "作废（销方录入购方否认）", "06": "作废（购方录入销方否认）", "07": "作废（超72小时未确认）",
    "08": "作废（发起方已撤销）", "09": "作废（确认后撤销）", "15": "申请中", "16": "申请失败",
}
_BILL_STATUS_STATES = {"01": RedFormState.NO_CONFIRMATION_NEEDED, "02": RedFormState.AWAITING_BUYER,
                       "03": RedFormState.AWAITING_SELLER, "04": RedFormState.CONFIRMED,
                       **dict.fromkeys(("05", "06", "07", "08", "09"), RedFormState.CANCELLED),
                       "15": RedFormState.APPLYING, "16": RedFormState.APPLY_FAILED}
SELLER_IDENTITY, BUYER_IDENTITY = "0", "1"  # identity / applySource


@dataclass(frozen=True)
class RedLine:
    """One line of a *partial* red form; amounts and quantity negative, index in the blue invoice's line order
    (discount lines skipped)."""

    blue_detail_index: int
    goods_name: str
    goods_code: str
    tax_rate: TaxRate | str
    amount_excl: Decimal | str
    tax: Decimal | str
    quantity: Decimal | str | None = None
    unit_price_excl: Decimal | str | None = None
    unit: str = ""
    spec_type: str = ""


@dataclass(frozen=True)
class RedConfirmRequest:
    bill_id: str  # our unique application id (≤ 32): lets us find the form again after a timeout
    blue_invoice_number: str
    blue_invoice_line: InvoiceLine
    seller_tax_num: str
    seller_name: str
    buyer_name: str
    reason: RedReason
    buyer_tax_num: str = ""
    order_no: str = ""  # orderNo of the auto-issued red invoice; give one so it can be queried by orderNo
    callback_url: str = ""
    extension_number: str = ""
    # True when the buyer has confirmed use of / booked the blue invoice (never for consumers): only then may the
    # correction be partial, and the buyer must then confirm the form within 72 hours (einvoice.md#red-letter-invoices).
    buyer_has_booked: bool = False
    lines: Sequence[RedLine] = ()  # empty = full red


def _red_line(problems: list[str], line: RedLine) -> dict:
    where = f"red line for blue line {line.blue_detail_index}"
    if not isinstance(line.blue_detail_index, int) or line.blue_detail_index < 1:
        problems.append(f"{where}: the blue line index starts at 1")
    try:
        rate = TaxRate.parse(line.tax_rate)
        excl, tax = rules.money(line.amount_excl, "amount without tax"), rules.money(line.tax, "tax")
    except rules.AmountError as error:
        problems.extend(f"{where}: {p}" for p in error.problems)
        return {}
    if excl >= 0 or tax > 0:
        problems.append(f"{where}: red amounts are negative")
    problems.extend(f"{where}: {p}" for p in rules.line_problems(excl, tax, excl + tax, rate))
    code = rules.validate_tax_classification_code(line.goods_code)
    if not code:
        problems.append(f"{where}: tax classification code: {code.detail}")
    detail = {"blueDetailIndex": str(line.blue_detail_index), "goodsName": line.goods_name,
              "goodsCode": code.value, "taxRate": rate.nuonuo_value,
              "taxExcludedAmount": format(excl, "f"), "taxAmount": format(tax, "f")}
    try:
        if line.quantity is not None:
            quantity = rules.to_decimal(line.quantity, "quantity")
            if quantity >= 0:
                problems.append(f"{where}: red quantity is negative")
            detail["num"] = rules.plain_decimal(quantity)
        if line.unit_price_excl is not None:
            detail["taxExcludedPrice"] = rules.plain_decimal(rules.to_decimal(line.unit_price_excl, "unit price"))
    except rules.AmountError as error:
        problems.extend(f"{where}: {p}" for p in error.problems)
    if rate.favoured_policy_flag:
        detail["favouredPolicyFlag"] = rate.favoured_policy_flag
    for key, value in (("unit", line.unit), ("specType", line.spec_type)):
        if value:
            detail[key] = value
    return detail


def build_red_confirm_payload(request: RedConfirmRequest) -> dict:
    """``saveInvoiceRedConfirm`` body, raised by the seller (applySource 0), enforcing einvoice.md#red-letter-invoices:

    * full red unless the buyer has booked the invoice; partial only for 销货退回 / 销售折让;
    * 开票有误 is always a full red (so is a 换开: full red + new blue invoice with a new orderNo).
    """
    problems: list[str] = []
    if not request.bill_id or len(request.bill_id) > RED_BILL_ID_MAX:
        problems.append(f"billId is required, at most {RED_BILL_ID_MAX} characters")
    number = rules.validate_einvoice_number(request.blue_invoice_number)
    if not number:
        problems.append(f"blue invoice number: {number.detail}")
    if request.order_no:
        _check_order_no(problems, request.order_no, "red orderNo")
    for what, value in (("seller tax number", request.seller_tax_num), ("seller name", request.seller_name),
                        ("buyer name", request.buyer_name)):
        if not (value or "").strip():
            problems.append(f"{what} is required")
    if request.lines:
        if not request.buyer_has_booked:
            problems.append("a partial red is only allowed after the buyer booked the blue invoice; "
                            "otherwise only a full red is possible")
        if request.reason not in (RedReason.SALES_RETURN, RedReason.SALES_ALLOWANCE):
            problems.append(f"a partial red is only for 销货退回 or 销售折让, not {request.reason.label}")
    payload = {
        "billId": request.bill_id,
        "blueInvoiceLine": InvoiceLine(request.blue_invoice_line).value,
        "applySource": SELLER_IDENTITY,
        "blueElecInvoiceNumber": number.value,
        "sellerTaxNo": request.seller_tax_num,
        "sellerName": request.seller_name,
        "buyerName": request.buyer_name,
        "redReason": request.reason.nuonuo_code,
    }
    for key, value in (("buyerTaxNo", request.buyer_tax_num), ("orderNo", request.order_no),
                       ("callbackUrl", request.callback_url), ("extensionNumber", request.extension_number)):
        if value:
            payload[key] = value
    if request.lines:
        payload["detail"] = [_red_line(problems, line) for line in request.lines]
    if problems:
        raise InvoiceDataError(problems)
    return payload


def parse_red_confirm_saved(response: NuonuoResponse) -> str:
    """The form's application number returned by ``saveInvoiceRedConfirm``."""
    response.raise_for_outcome()
    if isinstance(response.result, Mapping):
        return str(response.result.get("billId") or "")
    return str(response.result or "")


def _form_keys(bill_id: str | None, bill_no: str | None, bill_uuid: str | None) -> dict:
    return {key: value for key, value in (("billId", bill_id), ("billNo", bill_no), ("billUuid", bill_uuid)) if value}


def build_red_confirm_query(*, identity: str = SELLER_IDENTITY, bill_id: str | None = None,
                            bill_no: str | None = None, bill_uuid: str | None = None,
                            date_from: date | None = None, date_to: date | None = None,
                            bill_status: str | None = None, page_no: int = 1,
                            page_size: int = RED_FORM_PAGE_MAX) -> dict:
    """``queryInvoiceRedConfirm``: by id, or by a date range of at most 90 days; pages of at most 50."""
    payload = {"identity": identity, **_form_keys(bill_id, bill_no, bill_uuid)}
    if len(payload) == 1:
        if not (date_from and date_to):
            raise InvoiceDataError("query a red form by billId/billNo/billUuid or by a date range")
        if date_to < date_from or (date_to - date_from).days > RED_FORM_WINDOW_DAYS:
            raise InvoiceDataError(f"the date range is at most {RED_FORM_WINDOW_DAYS} days")
    if date_from and date_to:
        payload["billTimeStart"], payload["billTimeEnd"] = date_from.isoformat(), date_to.isoformat()
    if bill_status:
        payload["billStatus"] = bill_status
    if not 1 <= page_size <= RED_FORM_PAGE_MAX or page_no < 1:
        raise InvoiceDataError(f"page size is 1-{RED_FORM_PAGE_MAX}, page number from 1")
    payload["pageNo"], payload["pageSize"] = str(page_no), str(page_size)
    return payload


def build_red_confirm_refresh(*, identity: str = SELLER_IDENTITY, bill_uuid: str | None = None,
                              date_from: date | None = None, date_to: date | None = None,
                              extension_number: str = "") -> dict:
    """``refreshInvoiceRedConfirm``: pull the bureau's latest form state into Nuonuo before querying forms the
    other party acts on. Field names beyond ``identity`` follow a [3P] integration (UNCONFIRMED)."""
    payload: dict = {"identity": identity}
    if bill_uuid:
        payload["billUuid"] = bill_uuid
    elif date_from and date_to:
        payload["startTime"], payload["endTime"] = date_from.isoformat(), date_to.isoformat()
    else:
        raise InvoiceDataError("refresh one form by billUuid or a date range")
    if extension_number:
        payload["extensionNumber"] = extension_number
    return payload


def build_red_confirm_decision(*, agree: bool, identity: str = SELLER_IDENTITY, bill_id: str | None = None,
                               bill_no: str | None = None, bill_uuid: str | None = None, reason: str = "",
                               extension_number: str = "") -> dict:
    """``confirm``: the counterpart agrees (``confirmAgreement`` 1) or refuses (0)."""
    keys = _form_keys(bill_id, bill_no, bill_uuid)
    if not keys:
        raise InvoiceDataError("name the form by billId, billNo or billUuid")
    payload = {"identity": identity, **keys, "confirmAgreement": "1" if agree else "0"}
    if reason:
        payload["confirmReason"] = reason
    if extension_number:
        payload["extensionNumber"] = extension_number
    return payload


def build_red_confirm_cancel(*, identity: str = SELLER_IDENTITY, bill_id: str | None = None,
                             bill_no: str | None = None, bill_uuid: str | None = None,
                             extension_number: str = "") -> dict:
    """``confirmInfoCancel``: revoke a form we raised."""
    keys = _form_keys(bill_id, bill_no, bill_uuid)
    if not keys:
        raise InvoiceDataError("name the form by billId, billNo or billUuid")
    payload = {"identity": identity, **keys}
    if extension_number:
        payload["extensionNumber"] = extension_number
    return payload


def build_fast_invoice_red(*, order_no: str, tax_num: str, blue_invoice_number: str, invoice_line: InvoiceLine,
                           bill_no: str = "", bill_uuid: str = "", callback_url: str = "") -> dict:
    """``fastInvoiceRed``: for e-invoices it fetches the red invoice the bureau already auto-issued
    (nuonuo.md#red-confirmation-forms)."""
    problems: list[str] = []
    _check_order_no(problems, order_no)
    number = rules.validate_einvoice_number(blue_invoice_number)
    if not number:
        problems.append(f"blue invoice number: {number.detail}")
    if not (bill_no or bill_uuid):
        problems.append("a 数电 red needs the form's billNo or billUuid")
    if problems:
        raise InvoiceDataError(problems)
    payload = {"orderNo": order_no, "taxNum": tax_num, "elecInvoiceNumber": number.value,
               "invoiceLine": InvoiceLine(invoice_line).value, **_form_keys(None, bill_no, bill_uuid)}
    if callback_url:
        payload["callBackUrl"] = callback_url
    return payload


@dataclass(frozen=True)
class RedConfirmForm:
    bill_id: str
    bill_no: str
    bill_uuid: str
    bill_status: str
    state: RedFormState
    status_label: str
    message: str = ""
    request_status: str = ""  # 01 撤销中 02 撤销失败 03 确认中 04 确认失败
    red_invoice_issued: bool = False  # openStatus 1
    invoice_serial_num: str = ""  # of the red invoice, once issued: query it with queryInvoiceResult
    order_no: str = ""
    blue_invoice_number: str = ""
    red_invoice_number: str = ""  # redInvoiceNumber: [3P] field, UNCONFIRMED; prefer queryInvoiceResult
    amount_excl: Decimal | None = None
    tax_amount: Decimal | None = None
    reason: RedReason | None = None
    apply_source: str = ""
    raw: Mapping = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class RedConfirmPage:
    total: int
    forms: list[RedConfirmForm]


def parse_red_confirm_form(data: Mapping) -> RedConfirmForm:
    status = str(data.get("billStatus") or "").strip()
    try:
        reason = RedReason.from_nuonuo(data.get("redReason")) if data.get("redReason") else None
    except ValueError:
        reason = None
    return RedConfirmForm(
        bill_id=str(data.get("billId") or ""),
        bill_no=str(data.get("billNo") or ""),
        bill_uuid=str(data.get("billUuid") or ""),
        bill_status=status,
        state=_BILL_STATUS_STATES.get(status, RedFormState.UNKNOWN),
        status_label=BILL_STATUS_LABELS.get(status, ""),
        message=str(data.get("billMessage") or ""),
        request_status=str(data.get("requestStatus") or ""),
        red_invoice_issued=str(data.get("openStatus") or "") == "1",
        invoice_serial_num=str(data.get("invoiceSerialNum") or ""),
        order_no=str(data.get("orderNo") or ""),
        blue_invoice_number=str(data.get("blueElecInvoiceNumber") or data.get("blueInvoiceNumber") or ""),
        red_invoice_number=str(data.get("redInvoiceNumber") or ""),
        amount_excl=_decimal_or_none(data.get("taxExcludedAmount")),
        tax_amount=_decimal_or_none(data.get("taxAmount")),
        reason=reason,
        apply_source=str(data.get("applySource") if data.get("applySource") is not None else ""),
        raw=data,
    )


def parse_red_confirm_query(response: NuonuoResponse) -> RedConfirmPage:
    """``queryInvoiceRedConfirm`` → forms. ``total``/``list`` sit in ``result`` per the clients; the doc page lists
    them beside ``code``, so both places are read."""
    response.raise_for_outcome()
    container = response.result if isinstance(response.result, Mapping) else response.raw
    forms = container.get("list") or []
    if not isinstance(forms, list) or not all(isinstance(form, Mapping) for form in forms):
        raise NuonuoProtocolError("queryInvoiceRedConfirm list is not a list of forms")
    total = str(container.get("total") or len(forms))
    return RedConfirmPage(int(total) if total.isdigit() else len(forms), [parse_red_confirm_form(f) for f in forms])


# ---------------------------------------------------------------------------------------------------------------
# Callback (开票结果回传, nuonuo.md#callback)
# ---------------------------------------------------------------------------------------------------------------

CALLBACK_STATES = {"1": InvoiceState.ISSUED, "2": InvoiceState.FAILED, "3": InvoiceState.SIGN_FAILED}


@dataclass(frozen=True)
class InvoiceCallback:
    """A result callback. It is **not signed** (UNCONFIRMED either way): treat it only as a trigger to re-query."""

    order_no: str
    serial_no: str
    state: InvoiceState
    invoice_number: str | None
    issued_at: datetime | None
    pdf_url: str = ""
    ofd_url: str = ""
    error_message: str = ""
    failure: Outcome | None = None
    raw: Mapping = field(repr=False, compare=False, default_factory=dict)


def _form_value(form: Mapping, key: str) -> str:
    value = form.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "")


def parse_invoice_callback(form) -> InvoiceCallback:
    """Parse the form POST ``operater=callback&orderno=…&content=<JSON>`` (raw body or a decoded mapping).

    ``c_status`` uses its own codes (1 完成, 2 失败, 3 签章失败), different from the query statuses.
    Answer the POST with ``CALLBACK_ACK``.
    """
    if isinstance(form, (bytes, bytearray)):
        form = form.decode("utf-8")
    if isinstance(form, str):
        form = parse_qs(form, keep_blank_values=True)
    if _form_value(form, "operater") != "callback":
        raise NuonuoProtocolError("not a Nuonuo invoice callback (operater is not 'callback')")
    content = _json_object(_form_value(form, "content"), "callback content")
    order_no = _form_value(form, "orderno") or str(content.get("c_orderno") or "")
    if content.get("c_orderno") and str(content["c_orderno"]) != order_no:
        raise NuonuoProtocolError("callback orderno and content c_orderno differ")
    status = str(content.get("c_status") or "").strip()
    state = CALLBACK_STATES.get(status, InvoiceState.UNKNOWN)
    error = str(content.get("c_errorMessage") or content.get("c_resultmsg") or "")
    failure = classify_failure(error) if state is InvoiceState.FAILED else None
    return InvoiceCallback(
        order_no=order_no,
        serial_no=str(content.get("c_fpqqlsh") or ""),
        state=state,
        invoice_number=_einvoice_number(content),
        issued_at=from_epoch_ms(content.get("c_kprq")),
        pdf_url=str(content.get("c_url") or ""),
        ofd_url=str(content.get("c_ofd_url") or ""),
        error_message=error,
        failure=failure,
        raw=content,
    )
