"""Alipay open-platform gateway protocol (RSA2, public-key mode), merchant side.

The rules are written up in docs/protocols/alipay.md (cited as e.g. ``alipay.md#notifications``); where the note is
silent or UNCONFIRMED we follow the official SDKs (alipay-sdk-java-all ``AlipaySignature``, alipay-sdk-python)
and say so. Pure Python: stdlib + ``cryptography`` via :mod:`keys`; no Odoo imports, no network I/O.

Typical use from a model::

    app = AlipayApp(app_id, private_key_pem=app_key, alipay_public_key_pem=alipay_key)
    params = precreate_params(app, out_trade_no="SO042", total_amount="2599.00", subject="电动自行车",
                              notify_url=url, app_auth_token=dealer_token)
    query, form = split_for_post(params)        # POST GATEWAY_URL?<query>, form-encoded <form>
    result = verify_response(resp.text, params["method"], app.alipay_public_key_pem)

Amounts are yuan strings with two decimals (alipay.md#precreate).
"""
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from . import keys

GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
TEST_GATEWAY_URL = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"

SIGN_TYPE = "RSA2"
CHARSET = "utf-8"
SUCCESS_CODE = "10000"
# alipay.trade.pay answers 10003 while the payer still has to confirm on the phone (alipay.md#payment-code);
# the trade must then be polled with alipay.trade.query.
WAIT_USER_PAY_CODE = "10003"
# alipay.md#notifications: the only answer that stops redelivery, exactly these 7 characters.
NOTIFY_SUCCESS_ANSWER = "success"
NOTIFY_FAILURE_ANSWER = "fail"

PAID_TRADE_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})  # alipay.md#notifications business checks

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
_MIN_AMOUNT = Decimal("0.01")
_MAX_AMOUNT = Decimal("100000000")


class AlipayError(Exception):
    """Base class for protocol errors raised by this module."""


class AlipaySignatureError(AlipayError):
    """A signature could not be accepted. ``reason`` is one of the class constants below (machine-readable)."""

    MISSING_SIGN = "missing_sign"
    UNSUPPORTED_SIGN_TYPE = "unsupported_sign_type"
    RESPONSE_NOT_FOUND = "response_not_found"
    BAD_SIGNATURE = "bad_signature"

    def __init__(self, reason, detail=""):
        super().__init__("%s: %s" % (reason, detail) if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class AlipayApp:
    """Our application on the open platform. In ISV mode this is the ISV app; the dealer is ``app_auth_token``."""

    app_id: str
    private_key_pem: str = field(repr=False)
    alipay_public_key_pem: str = field(default=None, repr=False)


# --------------------------------------------------------------------------------------------------------------
# Signing (alipay.md#signing)
# --------------------------------------------------------------------------------------------------------------

def _is_empty(value):
    # Java StringUtils.isEmpty: null or "" only — a blank " " IS signed.
    return value is None or value == ""


def sign_content(params, exclude=("sign",)):
    """The string to sign: non-empty params except ``exclude``, sorted by key, ``k=v`` joined by '&'
    (alipay.md#signing).

    Values are used raw (not URL-encoded); keys or values that are None/"" are dropped, as
    ``AlipaySignature.getSignContent`` does with ``StringUtils.areNotEmpty(key, value)``.
    """
    pairs = sorted((key, str(value)) for key, value in params.items()
                   if key not in exclude and not _is_empty(key) and not _is_empty(value))
    return "&".join("%s=%s" % pair for pair in pairs)


def rsa2_sign(content, private_key_pem):
    """SHA256withRSA over the UTF-8 bytes of ``content``, Base64 (alipay.md#signing step 4)."""
    return keys.rsa_sha256_sign(private_key_pem, content)


def rsa2_verify(content, signature_b64, public_key_pem):
    """True when ``signature_b64`` is the RSA2 signature of ``content`` under ``public_key_pem``."""
    return keys.rsa_sha256_verify(public_key_pem, content, signature_b64)


def serialize_biz_content(biz_content):
    """``biz_content`` JSON text. Compact and UTF-8: the signed text must be the text sent."""
    return json.dumps(biz_content, ensure_ascii=False, separators=(",", ":"))


def beijing_timestamp(moment=None):
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time whatever the server's time zone (alipay.md#gateway,
    README.md#independent-verifiers)."""
    moment = moment or datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def format_yuan(amount):
    """A yuan amount as the gateway wants it: two decimals, within [0.01, 100000000] (alipay.md#precreate).

    Accepts Decimal, str or int/float yuan; refuses fractions of a fen instead of silently rounding them.
    """
    try:
        value = Decimal(str(amount))
        quantized = value.quantize(_MIN_AMOUNT)
    except InvalidOperation as exc:
        raise ValueError("not an amount: %r" % (amount,)) from exc
    if quantized != value:
        raise ValueError("amount %r has fractions of a fen" % (amount,))
    if not _MIN_AMOUNT <= quantized <= _MAX_AMOUNT:
        raise ValueError("amount %s outside [0.01, 100000000]" % quantized)
    return str(quantized)


def build_request_params(app, method, biz_content, notify_url=None, app_auth_token=None, timestamp=None,
                         extra_params=None):
    """All gateway parameters for one call, ``sign`` included (alipay.md#gateway, alipay.md#signing).

    ``app_auth_token`` switches to ISV mode (alipay.md#isv-mode): every call for that dealer — precreate, query, close,
    refund, bill — must carry the same token. ``timestamp`` (str or datetime) is injectable for tests.
    """
    params = {
        "app_id": app.app_id,
        "method": method,
        "format": "JSON",
        "charset": CHARSET,
        "sign_type": SIGN_TYPE,
        "timestamp": timestamp if isinstance(timestamp, str) else beijing_timestamp(timestamp),
        "version": "1.0",
    }
    if notify_url:
        params["notify_url"] = notify_url
    if app_auth_token:
        params["app_auth_token"] = app_auth_token
    params.update(extra_params or {})
    params["biz_content"] = serialize_biz_content(biz_content)
    params["sign"] = rsa2_sign(sign_content(params), app.private_key_pem)
    return params


def split_for_post(params):
    """(query params, form params) the way the official SDK sends a call (alipay.md#gateway).

    Common parameters go in the URL query, ``biz_content`` in the ``application/x-www-form-urlencoded;
    charset=utf-8`` body. Encoding happens only here, after signing (alipay.md#signing step 5).
    """
    query = {key: value for key, value in params.items() if key != "biz_content"}
    form = {"biz_content": params["biz_content"]} if "biz_content" in params else {}
    return query, form


def gateway_url(params, gateway=GATEWAY_URL):
    """``gateway?<common params URL-encoded>`` for :func:`split_for_post`'s query part."""
    query, _ = split_for_post(params)
    return "%s?%s" % (gateway, urlencode(query))


# --------------------------------------------------------------------------------------------------------------
# Request builders: each returns the full signed parameter dict
# --------------------------------------------------------------------------------------------------------------

def _trade_reference(out_trade_no, trade_no):
    if not out_trade_no and not trade_no:
        raise ValueError("give out_trade_no or trade_no")
    biz = {}
    if out_trade_no:
        biz["out_trade_no"] = out_trade_no
    if trade_no:
        biz["trade_no"] = trade_no
    return biz


# alipay.md#subject-limit: ``subject`` is String(256), counted in characters (a Chinese character is one).
SUBJECT_MAX_CHARS = 256


def fit_subject(text):
    """``text`` cut to Alipay's subject limit (256 characters, whatever their script)."""
    return " ".join((text or "").split())[:SUBJECT_MAX_CHARS]


def precreate_params(app, out_trade_no, total_amount, subject, notify_url=None, app_auth_token=None,
                     timeout_express=None, qr_code_timeout_express=None, store_id=None, extra=None, timestamp=None):
    """``alipay.trade.precreate`` — the merchant-shown QR (alipay.md#precreate). Answer: ``qr_code``.

    Beware: the trade only exists once the customer scans; until then query/close say ACQ.TRADE_NOT_EXIST.
    ``extra`` merges further documented fields (body, operator_id, terminal_id, goods_detail,
    extend_params{sys_service_provider_id}…).
    """
    biz = {"out_trade_no": out_trade_no, "total_amount": format_yuan(total_amount), "subject": fit_subject(subject),
           "product_code": "FACE_TO_FACE_PAYMENT"}
    for name, value in (("timeout_express", timeout_express), ("qr_code_timeout_express", qr_code_timeout_express),
                        ("store_id", store_id)):
        if value:
            biz[name] = value
    biz.update(extra or {})
    return build_request_params(app, "alipay.trade.precreate", biz, notify_url=notify_url,
                                app_auth_token=app_auth_token, timestamp=timestamp)


def pay_params(app, out_trade_no, total_amount, subject, auth_code, notify_url=None, app_auth_token=None,
               store_id=None, extra=None, timestamp=None):
    """``alipay.trade.pay`` — 付款码: the cashier scans the payer's code (``scene=bar_code``).

    See alipay.md#payment-code; fields from the official trade.pay page (out_trade_no, scene, auth_code, subject,
    total_amount, product_code=FACE_TO_FACE_PAYMENT). Code 10000 = paid; 10003 = waiting for the payer: poll
    :func:`query_params`, and :func:`cancel_params` if it stays unclear.
    """
    if not auth_code:
        raise ValueError("auth_code (the scanned payment code) is required")
    biz = {"out_trade_no": out_trade_no, "scene": "bar_code", "auth_code": auth_code,
           "product_code": "FACE_TO_FACE_PAYMENT", "subject": fit_subject(subject),
           "total_amount": format_yuan(total_amount)}
    if store_id:
        biz["store_id"] = store_id
    biz.update(extra or {})
    return build_request_params(app, "alipay.trade.pay", biz, notify_url=notify_url, app_auth_token=app_auth_token,
                                timestamp=timestamp)


def query_params(app, out_trade_no=None, trade_no=None, app_auth_token=None, query_options=None, timestamp=None):
    """``alipay.trade.query`` (alipay.md#query-refund-and-close); ``trade_status`` in the answer,
    TRADE_SUCCESS/TRADE_FINISHED = paid."""
    biz = _trade_reference(out_trade_no, trade_no)
    if query_options:
        biz["query_options"] = list(query_options)
    return build_request_params(app, "alipay.trade.query", biz, app_auth_token=app_auth_token, timestamp=timestamp)


def close_params(app, out_trade_no=None, trade_no=None, app_auth_token=None, operator_id=None, timestamp=None):
    """``alipay.trade.close`` for an unpaid trade (alipay.md#query-refund-and-close)."""
    biz = _trade_reference(out_trade_no, trade_no)
    if operator_id:
        biz["operator_id"] = operator_id
    return build_request_params(app, "alipay.trade.close", biz, app_auth_token=app_auth_token, timestamp=timestamp)


def cancel_params(app, out_trade_no=None, trade_no=None, app_auth_token=None, timestamp=None):
    """``alipay.trade.cancel`` — undo a 付款码 trade whose outcome is unclear (alipay.md#payment-code)."""
    biz = _trade_reference(out_trade_no, trade_no)
    return build_request_params(app, "alipay.trade.cancel", biz, app_auth_token=app_auth_token, timestamp=timestamp)


def refund_params(app, refund_amount, out_request_no, out_trade_no=None, trade_no=None, refund_reason=None,
                  app_auth_token=None, operator_id=None, timestamp=None):
    """``alipay.trade.refund`` (alipay.md#query-refund-and-close). ``out_request_no`` identifies one refund: repeating
    it is idempotent, and the answer's ``fund_change=N`` then means nothing new moved."""
    if not out_request_no:
        raise ValueError("out_request_no is required (idempotency key of the refund)")
    biz = _trade_reference(out_trade_no, trade_no)
    biz.update({"refund_amount": format_yuan(refund_amount), "out_request_no": out_request_no})
    if refund_reason:
        biz["refund_reason"] = refund_reason
    if operator_id:
        biz["operator_id"] = operator_id
    return build_request_params(app, "alipay.trade.refund", biz, app_auth_token=app_auth_token, timestamp=timestamp)


def refund_query_params(app, out_request_no, out_trade_no=None, trade_no=None, app_auth_token=None, timestamp=None):
    """``alipay.trade.fastpay.refund.query`` for one refund request (alipay.md#query-refund-and-close)."""
    biz = _trade_reference(out_trade_no, trade_no)
    biz["out_request_no"] = out_request_no
    return build_request_params(app, "alipay.trade.fastpay.refund.query", biz, app_auth_token=app_auth_token,
                                timestamp=timestamp)


def bill_download_url_params(app, bill_date, bill_type="trade", app_auth_token=None, smid=None, timestamp=None):
    """``alipay.data.dataservice.bill.downloadurl.query`` (bills.md#alipay-bills). ``bill_date``: yyyy-MM-dd (day) or
    yyyy-MM.

    ``bill_type`` ``trade`` (acquiring detail) or ``signcustomer`` (account movements). The answer's
    ``bill_download_url`` lives 30 s and gives a zip of GBK CSVs.
    """
    if bill_type not in ("trade", "signcustomer"):
        raise ValueError("bill_type must be 'trade' or 'signcustomer'")
    if isinstance(bill_date, datetime.date):
        bill_date = bill_date.strftime("%Y-%m-%d")
    biz = {"bill_type": bill_type, "bill_date": bill_date}
    if smid:
        biz["smid"] = smid
    return build_request_params(app, "alipay.data.dataservice.bill.downloadurl.query", biz,
                                app_auth_token=app_auth_token, timestamp=timestamp)


# --------------------------------------------------------------------------------------------------------------
# Synchronous answers (alipay.md#responses)
# --------------------------------------------------------------------------------------------------------------

def response_key(method):
    """``alipay.trade.query`` → ``alipay_trade_query_response``."""
    return method.replace(".", "_") + "_response"


def _matching_brace_end(text, start):
    """Index just after the '}' closing the object that opens at ``text[start] == '{'``.

    Braces inside JSON strings (with backslash escapes) are skipped: the signed part is a whole JSON
    object, and a naive counter would cut it short at a ``"}"`` inside a message text.
    """
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def extract_signed_content(raw_text, method):
    """(signed substring, node name) of a raw gateway answer: the exact text of the ``…_response`` object.

    Found by brace matching in the raw text, never re-serialised (alipay.md#responses;
    ``AlipaySignature.extractSignContent``, python-alipay-sdk ``_get_string_to_be_signed``). Falls back to
    ``error_response`` for gateway errors.
    """
    for node in (response_key(method), "error_response"):
        marker = '"%s"' % node
        position = raw_text.find(marker)
        if position < 0:
            continue
        start = raw_text.find("{", position + len(marker))
        between = raw_text[position + len(marker):start] if start >= 0 else ""
        if start < 0 or between.strip() != ":":
            raise AlipaySignatureError(AlipaySignatureError.RESPONSE_NOT_FOUND, node)
        end = _matching_brace_end(raw_text, start)
        if end < 0:
            raise AlipaySignatureError(AlipaySignatureError.RESPONSE_NOT_FOUND, node)
        return raw_text[start:end], node
    raise AlipaySignatureError(AlipaySignatureError.RESPONSE_NOT_FOUND, response_key(method))


def verify_response(raw_text, method, alipay_public_key_pem):
    """Verify a synchronous answer and return its ``…_response`` object as a dict.

    ``raw_text``: the body decoded as the call's charset (utf-8). The signature is checked over the exact
    substring (alipay.md#responses). An answer without ``sign`` is accepted only as a failure (code other than
    10000/10003): the gateway cannot sign some errors, and an unsigned error cannot make us believe a payment happened.
    Raises :class:`AlipaySignatureError`.
    """
    if isinstance(raw_text, bytes):
        raw_text = raw_text.decode(CHARSET)
    content, _node = extract_signed_content(raw_text, method)
    try:
        document = json.loads(raw_text)
        payload = json.loads(content)
    except ValueError as exc:
        raise AlipaySignatureError(AlipaySignatureError.RESPONSE_NOT_FOUND, "not JSON") from exc
    signature = document.get("sign") if isinstance(document, dict) else None
    if not signature:
        if str(payload.get("code")) in (SUCCESS_CODE, WAIT_USER_PAY_CODE):
            raise AlipaySignatureError(AlipaySignatureError.MISSING_SIGN, "successful answer without sign")
        return payload
    if not rsa2_verify(content, signature, alipay_public_key_pem):
        raise AlipaySignatureError(AlipaySignatureError.BAD_SIGNATURE, method)
    return payload


def is_success(payload):
    """True for ``code == "10000"``; anything else is a failure to read with ``sub_code`` (alipay.md#responses)."""
    return str(payload.get("code")) == SUCCESS_CODE


# --------------------------------------------------------------------------------------------------------------
# Asynchronous notifications (alipay.md#notifications)
# --------------------------------------------------------------------------------------------------------------

def notification_sign_content(form):
    """rsaCheckV1 string: drop ``sign`` AND ``sign_type``, drop empty values, sort, join (alipay.md#notifications).

    ``form`` values must already be URL-decoded (as any web framework's form dict is). Dropping empty values
    is what the Java SDK does; python-alipay-sdk does not and fails on notifications with an empty field.
    """
    return sign_content(form, exclude=("sign", "sign_type"))


def verify_notification(form, alipay_public_key_pem):
    """Verify an async notification form dict; return a plain ``dict`` copy of it. Answer ``success`` after.

    Raises :class:`AlipaySignatureError`. Afterwards still check app_id (ISV: auth_app_id), out_trade_no,
    total_amount and seller_id against the order (:func:`notification_mismatches`), and treat it only as a
    hint to re-query (README.md#principles).
    """
    data = {key: (value[0] if isinstance(value, (list, tuple)) else value) for key, value in form.items()}
    signature = data.get("sign")
    if not signature:
        raise AlipaySignatureError(AlipaySignatureError.MISSING_SIGN)
    sign_type = data.get("sign_type") or SIGN_TYPE
    if sign_type != SIGN_TYPE:
        # "RSA" is SHA1withRSA, legacy (alipay.md#signing); our apps are configured for RSA2 only.
        raise AlipaySignatureError(AlipaySignatureError.UNSUPPORTED_SIGN_TYPE, sign_type)
    if not rsa2_verify(notification_sign_content(data), signature, alipay_public_key_pem):
        raise AlipaySignatureError(AlipaySignatureError.BAD_SIGNATURE, data.get("notify_id", ""))
    return data


def notification_mismatches(notification, app_id, out_trade_no, total_amount, seller_id=None, isv=False):
    """Names of the fields that do not match our order (alipay.md#notifications business checks); empty list =
    consistent.

    In ISV mode the dealer's app is ``auth_app_id`` and ``app_id`` is ours; give the dealer's app id.
    """
    expected = {"auth_app_id" if isv else "app_id": app_id, "out_trade_no": out_trade_no,
                "total_amount": format_yuan(total_amount)}
    if seller_id:
        expected["seller_id"] = seller_id
    mismatches = []
    for name, value in expected.items():
        actual = notification.get(name)
        if name == "total_amount":
            try:
                actual = format_yuan(actual)
            except (ValueError, TypeError):
                actual = None
        if actual != value:
            mismatches.append(name)
    return mismatches


def is_paid(trade_status):
    """TRADE_SUCCESS and TRADE_FINISHED both mean the money was taken (alipay.md#notifications)."""
    return trade_status in PAID_TRADE_STATUSES
