"""WeChat Pay API v3, merchant side: request signing, response/callback verification, AES-GCM, request builders.

The rules are written up in docs/protocols/wechatpay.md; citations such as ``wechatpay.md#callbacks`` name a section
of docs/protocols/. Where the note marks something UNCONFIRMED we follow the official Go SDK
(wechatpay-apiv3/wechatpay-go) and say so. Pure Python: stdlib + ``cryptography`` (3.4.8 API); no Odoo imports, no
network I/O.

Typical use from a model::

    creds = MerchantCredentials(mchid=sp_mchid, serial_no=cert_serial, private_key_pem=key_pem)
    api_request = native_order_request(PartnerMerchant(sp_appid, sp_mchid, sub_mchid), out_trade_no="SO042",
                                       description="电动自行车", total_fen=259900, notify_url=url)
    prepared = prepare_request(api_request, creds, wechatpay_serial=pub_key_id)
    # send prepared.method / prepared.url / prepared.headers / prepared.body, then:
    verify_response_signature(resp.headers, resp.content, {pub_key_id: pub_key_pem})

Amounts are integers in fen everywhere in APIv3 (wechatpay.md), only the bills use yuan.
"""
import base64
import datetime
import hashlib
import json
import re
import secrets
import time
from collections import namedtuple
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import keys

API_HOST = "https://api.mch.weixin.qq.com"
API_BACKUP_HOST = "https://api2.mch.weixin.qq.com"

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
SIGNATURE_TYPE = AUTH_SCHEMA
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"
# wechatpay.md#verifying: the official SDK refuses |now - Wechatpay-Timestamp| >= 300 s (consts.FiveMinute).
TIMESTAMP_TOLERANCE_SECONDS = 300

HEADER_SERIAL = "Wechatpay-Serial"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE_TYPE = "Wechatpay-Signature-Type"

# wechatpay.md#callbacks answering a callback: the HTTP status decides. 200/204 = received; any 4xx/5xx = redeliver
# later.
NOTIFY_SUCCESS_STATUSES = frozenset({200, 204})
NOTIFY_SUCCESS_STATUS = 204
NOTIFY_FAILURE_STATUS = 500

PAID_TRADE_STATES = frozenset({"SUCCESS", "REFUND"})

_OUT_TRADE_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")  # wechatpay.md#native-order
_OUT_REFUND_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")  # wechatpay.md#refunds


class WechatPayError(Exception):
    """Base class for protocol errors raised by this module."""


class WechatPaySignatureError(WechatPayError):
    """A signature could not be accepted. ``reason`` is one of the class constants below (machine-readable)."""

    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    UNSUPPORTED_SIGNATURE_TYPE = "unsupported_signature_type"
    STALE = "stale"
    UNKNOWN_SERIAL = "unknown_serial"
    BAD_SIGNATURE = "bad_signature"

    def __init__(self, reason, detail=""):
        super().__init__("%s: %s" % (reason, detail) if detail else reason)
        self.reason = reason
        self.detail = detail


class WechatPayDecryptError(WechatPayError):
    """AEAD_AES_256_GCM decryption failed: wrong APIv3 key, nonce or associated data, or tampered ciphertext."""


class WechatPayNotificationError(WechatPayError):
    """The callback body is not a well-formed notification envelope (wechatpay.md#callbacks)."""


# --------------------------------------------------------------------------------------------------------------
# Credentials and merchant identities
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MerchantCredentials:
    """What signs our requests: the merchant number in ``Authorization`` and the API-certificate key.

    In partner mode ``mchid`` is the service provider's sp_mchid (wechatpay.md#signing). The key is kept out of ``repr``
    so that logging the object never leaks it.
    """

    mchid: str
    serial_no: str
    private_key_pem: str = field(repr=False)


@dataclass(frozen=True)
class PartnerMerchant:
    """Service-provider (服务商) mode: we act for the sub-merchant ``sub_mchid`` (wechatpay.md#native-order)."""

    sp_appid: str
    sp_mchid: str
    sub_mchid: str
    sub_appid: str = None

    path_prefix = "/v3/pay/partner/transactions"

    def order_identity(self):
        identity = {"sp_appid": self.sp_appid, "sp_mchid": self.sp_mchid}
        if self.sub_appid:
            identity["sub_appid"] = self.sub_appid
        identity["sub_mchid"] = self.sub_mchid
        return identity

    def query_params(self):
        return [("sp_mchid", self.sp_mchid), ("sub_mchid", self.sub_mchid)]

    def close_body(self):
        return {"sp_mchid": self.sp_mchid, "sub_mchid": self.sub_mchid}

    def reverse_body(self):
        return {"sp_appid": self.sp_appid, "sp_mchid": self.sp_mchid, "sub_mchid": self.sub_mchid}

    def refund_identity(self):
        return {"sub_mchid": self.sub_mchid}

    def oauth_appid(self):
        """The official account the buyer's openid is taken from: the dealer's own (sub_appid) when it is bound,
        else the service provider's (sp_appid)."""
        return self.sub_appid or self.sp_appid

    def jsapi_payer(self, openid):
        # An openid is per official account: sub_openid belongs to sub_appid, sp_openid to sp_appid.
        return {"sub_openid": openid} if self.sub_appid else {"sp_openid": openid}


@dataclass(frozen=True)
class DirectMerchant:
    """Direct (普通商户) mode: ``appid`` + ``mchid`` replace the sp_/sub_ pair (wechatpay.md#modes-and-hosts)."""

    appid: str
    mchid: str

    path_prefix = "/v3/pay/transactions"

    def order_identity(self):
        return {"appid": self.appid, "mchid": self.mchid}

    def query_params(self):
        return [("mchid", self.mchid)]

    def close_body(self):
        return {"mchid": self.mchid}

    def reverse_body(self):
        return {"appid": self.appid, "mchid": self.mchid}

    def refund_identity(self):
        return {}

    def oauth_appid(self):
        return self.appid

    def jsapi_payer(self, openid):
        return {"openid": openid}


# --------------------------------------------------------------------------------------------------------------
# Request signing (wechatpay.md#signing)
# --------------------------------------------------------------------------------------------------------------

ApiRequest = namedtuple("ApiRequest", "method path body")
ApiRequest.__doc__ = """A request to send: ``path`` = canonical URL (path + '?' + query), ``body`` = dict or None."""

PreparedRequest = namedtuple("PreparedRequest", "method url headers body")
PreparedRequest.__doc__ = """Ready to send as is: ``body`` is the exact bytes that were signed (b"" for GET)."""


def new_nonce():
    """A 32-character random nonce (upper-case hex, like the official examples)."""
    return secrets.token_hex(16).upper()


def canonical_url(url):
    """Path plus '?query' with scheme and host removed, exactly as sent (wechatpay.md#signing line 2). Accepts a full
    URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return "%s?%s" % (path, parts.query) if parts.query else path


def serialize_body(body):
    """The JSON text we send and sign. Compact and UTF-8: what is signed must be byte-identical to what is sent."""
    if body is None:
        return ""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _as_text(body):
    if body is None:
        return ""
    return body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body


def request_signature_message(method, url, timestamp, nonce, body=""):
    """The five-line string to sign (wechatpay.md#signing): METHOD, canonical URL, timestamp, nonce, body; each ends
    with '\\n'.

    Same layout as the Go SDK's ``SignatureMessageFormat = "%s\\n%s\\n%d\\n%s\\n%s\\n"``. ``body`` is the
    exact text sent: "" for GET, the ``meta`` JSON for media uploads.
    """
    return "%s\n%s\n%d\n%s\n%s\n" % (method.upper(), canonical_url(url), int(timestamp), nonce, _as_text(body))


def build_authorization(method, url, body, mchid, serial_no, private_key_pem, timestamp=None, nonce=None):
    """The ``Authorization`` header value for one request (wechatpay.md#signing), signed with the merchant
    API-certificate key.

    ``timestamp`` (Unix seconds) and ``nonce`` are injectable for tests; by default: now and a random nonce.
    Field order follows the Go SDK's ``HeaderAuthorizationFormat`` (the gateway accepts any order).
    """
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    nonce = nonce or new_nonce()
    message = request_signature_message(method, url, timestamp, nonce, body)
    signature = keys.rsa_sha256_sign(private_key_pem, message)
    return '%s mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"' % (
        AUTH_SCHEMA, mchid, nonce, timestamp, serial_no, signature)


def prepare_request(api_request, credentials, host=API_HOST, wechatpay_serial=None, timestamp=None, nonce=None):
    """Serialise, sign and add headers to an :class:`ApiRequest`; returns a :class:`PreparedRequest`.

    ``wechatpay_serial``: in public-key mode pass the ``PUB_KEY_ID_…`` on every request so responses are
    signed with that key (wechatpay.md#verifying); in certificate mode pass the platform-certificate serial when a
    request carries encrypted fields (wechatpay.md#onboarding), else leave None.
    """
    body_text = serialize_body(api_request.body)
    headers = {
        "Authorization": build_authorization(api_request.method, api_request.path, body_text, credentials.mchid,
                                             credentials.serial_no, credentials.private_key_pem,
                                             timestamp=timestamp, nonce=nonce),
        "Accept": "application/json",
        # APIv3 asks callers to identify themselves; any non-empty User-Agent is accepted.
        "User-Agent": "ev-pay-invoice-wechatpay/1.0",
    }
    if api_request.body is not None:
        headers["Content-Type"] = "application/json"
    if wechatpay_serial:
        headers[HEADER_SERIAL] = wechatpay_serial
    return PreparedRequest(api_request.method, host.rstrip("/") + api_request.path, headers,
                           body_text.encode("utf-8"))


# --------------------------------------------------------------------------------------------------------------
# Verifying responses and callbacks (wechatpay.md#verifying)
# --------------------------------------------------------------------------------------------------------------

def response_signature_message(timestamp, nonce, body):
    """The three-line string WeChat signs: timestamp, nonce, raw body bytes; each ends with '\\n'
    (wechatpay.md#verifying).

    Built from bytes so the body is used exactly as received (never re-serialised); an empty body (204)
    leaves the last line as just '\\n'.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    return b"%s\n%s\n%s\n" % (str(timestamp).encode("ascii"), str(nonce).encode("utf-8"), body or b"")


def _lower_headers(headers):
    # HTTP header names are case-insensitive; werkzeug/requests objects and plain dicts all have items().
    return {str(name).lower(): value for name, value in headers.items()}


def normalise_serial(serial):
    """A certificate serial as compared: hexadecimal, upper-case, without leading zeros. WeChat Pay writes
    serials as 40 hex digits (``0F3A…``) while a certificate's integer serial prints without them (``F3A…``);
    a ``PUB_KEY_ID_…`` is kept as it is."""
    text = (serial or "").strip()
    if text.startswith(PUBLIC_KEY_ID_PREFIX):
        return text
    return text.upper().lstrip("0") or "0"


def select_verification_key(serial, public_keys):
    """Pick the key for a ``Wechatpay-Serial`` from ``{serial or PUB_KEY_ID_…: public-key or certificate PEM}``.

    Choosing strictly by serial is what the Go SDK's combined verifier does, and it is what the
    certificate → public-key migration needs, when callbacks arrive signed with either key (wechatpay.md#verifying).
    Hex certificate serials are compared case-insensitively and without leading zeros (:func:`normalise_serial`).
    """
    if serial in public_keys:
        return public_keys[serial]
    wanted = normalise_serial(serial)
    for known_serial, key_text in public_keys.items():
        if normalise_serial(known_serial) == wanted:
            return key_text
    return None


def verify_signature_headers(headers, body, public_keys, now=None, tolerance=TIMESTAMP_TOLERANCE_SECONDS):
    """Check the ``Wechatpay-*`` signature of a response or callback; return the serial that verified.

    ``headers``: any mapping of the HTTP headers; ``body``: the raw body bytes as received;
    ``public_keys``: ``{serial_or_PUB_KEY_ID: PEM}`` (public key or certificate). Raises
    :class:`WechatPaySignatureError` with ``reason`` in missing_header, malformed_header,
    unsupported_signature_type, stale, unknown_serial, bad_signature — checked in that order, as the
    Go SDK does (freshness before the key lookup).
    """
    found = _lower_headers(headers)
    values = {}
    for name in (HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_NONCE):
        value = found.get(name.lower())
        if not value:
            raise WechatPaySignatureError(WechatPaySignatureError.MISSING_HEADER, name)
        values[name] = str(value).strip()
    # UNCONFIRMED whether the gateway always sends it (wechatpay.md#verifying table); like the official Go SDK we treat
    # a missing Signature-Type as the default algorithm instead of refusing (wechatpayv3 refuses).
    signature_type = str(found.get(HEADER_SIGNATURE_TYPE.lower()) or SIGNATURE_TYPE).strip()
    if signature_type != SIGNATURE_TYPE:
        raise WechatPaySignatureError(WechatPaySignatureError.UNSUPPORTED_SIGNATURE_TYPE, signature_type)
    timestamp_text = values[HEADER_TIMESTAMP]
    if not timestamp_text.isdigit():
        raise WechatPaySignatureError(WechatPaySignatureError.MALFORMED_HEADER, HEADER_TIMESTAMP)
    now = int(time.time()) if now is None else int(now)
    if abs(now - int(timestamp_text)) >= tolerance:
        raise WechatPaySignatureError(WechatPaySignatureError.STALE, "timestamp %s, now %d" % (timestamp_text, now))
    serial = values[HEADER_SERIAL]
    key_text = select_verification_key(serial, public_keys)
    if key_text is None:
        raise WechatPaySignatureError(WechatPaySignatureError.UNKNOWN_SERIAL, serial)
    message = response_signature_message(timestamp_text, values[HEADER_NONCE], body)
    if not keys.rsa_sha256_verify(key_text, message, values[HEADER_SIGNATURE]):
        raise WechatPaySignatureError(WechatPaySignatureError.BAD_SIGNATURE, serial)
    return serial


# Same check for both directions; the names say which one the caller means.
verify_response_signature = verify_signature_headers
verify_notification_signature = verify_signature_headers


# --------------------------------------------------------------------------------------------------------------
# AEAD_AES_256_GCM (wechatpay.md#callbacks) and platform certificates (wechatpay.md#verifying)
# --------------------------------------------------------------------------------------------------------------

def _api_v3_key_bytes(api_v3_key):
    key = api_v3_key.encode("utf-8") if isinstance(api_v3_key, str) else bytes(api_v3_key)
    if len(key) != 32:
        # The APIv3 key is 32 ASCII characters set in the merchant platform (wechatpay.md#callbacks).
        raise WechatPayDecryptError("the APIv3 key must be 32 bytes, got %d" % len(key))
    return key


def _utf8(value):
    if value is None:
        return b""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def aead_decrypt(api_v3_key, nonce, ciphertext_b64, associated_data=""):
    """Decrypt Base64(ciphertext || 16-byte tag) with AES-256-GCM; the nonce and AAD are the given strings."""
    try:
        data = base64.b64decode(ciphertext_b64, validate=True)
        return AESGCM(_api_v3_key_bytes(api_v3_key)).decrypt(_utf8(nonce), data, _utf8(associated_data))
    except (InvalidTag, ValueError, TypeError) as exc:
        raise WechatPayDecryptError("AEAD_AES_256_GCM decryption failed") from exc


def aead_encrypt(api_v3_key, nonce, plaintext, associated_data=""):
    """The inverse of :func:`aead_decrypt`: Base64 of ciphertext with the tag appended (used by platform doubles)."""
    sealed = AESGCM(_api_v3_key_bytes(api_v3_key)).encrypt(_utf8(nonce), _utf8(plaintext), _utf8(associated_data))
    return base64.b64encode(sealed).decode("ascii")


def decrypt_resource(api_v3_key, resource):
    """Decrypt a notification ``resource`` or ``encrypt_certificate`` object; returns the plaintext str."""
    algorithm = resource.get("algorithm")
    if algorithm != AEAD_ALGORITHM:
        raise WechatPayDecryptError("unsupported algorithm %r" % algorithm)
    plaintext = aead_decrypt(api_v3_key, resource.get("nonce", ""), resource.get("ciphertext", ""),
                             resource.get("associated_data", ""))
    return plaintext.decode("utf-8")


def decrypt_certificates(api_v3_key, certificates_response):
    """``GET /v3/certificates`` body (dict or raw JSON) → ``{serial_no: certificate PEM}`` (wechatpay.md#verifying).

    Each PEM's own serial must equal the announced ``serial_no``; a mismatch means the list cannot be
    trusted, so it raises instead of silently filing a key under the wrong serial.
    """
    if isinstance(certificates_response, (bytes, str)):
        certificates_response = json.loads(certificates_response)
    certificates = {}
    for entry in certificates_response.get("data", []):
        cert_pem = decrypt_resource(api_v3_key, entry["encrypt_certificate"])
        actual_serial = keys.certificate_serial_hex(cert_pem)
        if normalise_serial(actual_serial) != normalise_serial(entry["serial_no"]):
            raise WechatPayDecryptError("certificate serial %s announced as %s" % (actual_serial, entry["serial_no"]))
        certificates[entry["serial_no"]] = cert_pem
    return certificates


def rsa_oaep_encrypt(plaintext, public_key_or_cert_pem):
    """Encrypt a sensitive request field (onboarding names, ID numbers…): RSA-OAEP, SHA-1/MGF1-SHA-1, Base64.

    wechatpay.md#verifying last bullet; the request must then carry ``Wechatpay-Serial`` of the key used.
    """
    public_key = keys.load_public_key(public_key_or_cert_pem)
    sealed = public_key.encrypt(_utf8(plaintext), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()),
                                                               algorithm=hashes.SHA1(), label=None))
    return base64.b64encode(sealed).decode("ascii")


# --------------------------------------------------------------------------------------------------------------
# Notifications (wechatpay.md#callbacks)
# --------------------------------------------------------------------------------------------------------------

def parse_notification(body, api_v3_key):
    """Decode a callback envelope and decrypt its resource. Does NOT check the signature (see below).

    Returns ``{"id", "create_time", "event_type", "resource_type", "summary", "original_type", "resource"}``
    where ``resource`` is the decrypted object (a Transaction or a Refund, wechatpay.md#callbacks).
    """
    try:
        envelope = json.loads(_as_text(body)) if isinstance(body, (bytes, bytearray, str)) else body
        resource = envelope["resource"]
    except (ValueError, KeyError, TypeError) as exc:
        raise WechatPayNotificationError("not a notification envelope") from exc
    try:
        decrypted = json.loads(decrypt_resource(api_v3_key, resource))
    except ValueError as exc:
        raise WechatPayNotificationError("decrypted resource is not JSON") from exc
    return {
        "id": envelope.get("id"),
        "create_time": envelope.get("create_time"),
        "event_type": envelope.get("event_type"),
        "resource_type": envelope.get("resource_type"),
        "summary": envelope.get("summary"),
        "original_type": resource.get("original_type"),
        "resource": decrypted,
    }


def verify_and_parse_notification(headers, body, public_keys, api_v3_key, now=None):
    """What a callback controller calls: signature first (over the raw bytes), then decryption.

    Raises :class:`WechatPaySignatureError`, :class:`WechatPayDecryptError` or
    :class:`WechatPayNotificationError`; answer those with :func:`notification_failure_answer`. Treat the
    result only as a hint and re-query the order before acting on it (README.md#principles).
    """
    verify_signature_headers(headers, body, public_keys, now=now)
    return parse_notification(body, api_v3_key)


def notification_success_answer():
    """(status, body) for a processed — or already processed — callback: 204, no body (wechatpay.md#callbacks)."""
    return NOTIFY_SUCCESS_STATUS, b""


def notification_failure_answer(message="失败"):
    """(status, body) asking WeChat to redeliver: HTTP 500 with ``{"code":"FAIL","message":…}``
    (wechatpay.md#callbacks)."""
    return NOTIFY_FAILURE_STATUS, serialize_body({"code": "FAIL", "message": message}).encode("utf-8")


def parse_error_body(body):
    """``{"code", "message", "detail"}`` of a non-2xx APIv3 answer (wechatpay.md#signing), tolerant of an empty or odd
    body."""
    try:
        data = json.loads(_as_text(body) or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {"code": data.get("code", ""), "message": data.get("message", ""), "detail": data.get("detail")}


# --------------------------------------------------------------------------------------------------------------
# Request builders (pure: they only return an ApiRequest)
# --------------------------------------------------------------------------------------------------------------

def _check_out_trade_no(out_trade_no):
    if not _OUT_TRADE_NO_RE.match(out_trade_no or ""):
        raise ValueError("out_trade_no must be 6-32 chars of [0-9A-Za-z_-|*] (wechatpay.md#native-order): %r" %
        out_trade_no)


def _check_fen(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("%s must be a positive integer number of fen, got %r" % (name, value))


def _check_notify_url(notify_url):
    # wechatpay.md#native-order: at most 255 chars and no query string (WeChat drops it; the callback would lose its
    # context).
    if not notify_url or len(notify_url) > 255 or "?" in notify_url:
        raise ValueError("notify_url must be set, <= 255 chars, without a query string (wechatpay.md#native-order)")


def _path_segment(value):
    # '|' and '*' are allowed in order numbers but not URL-safe; quote them ourselves so that the signed
    # canonical URL is exactly the one the HTTP client sends.
    return quote(value, safe="")


def _with_query(path, params):
    params = [(name, value) for name, value in params if value not in (None, "")]
    return "%s?%s" % (path, urlencode(params)) if params else path


def _amount(total_fen):
    return {"total": total_fen, "currency": "CNY"}


def _optional(body, **values):
    body.update({name: value for name, value in values.items() if value not in (None, "")})
    return body


# wechatpay.md#description-limit: ``description`` is string[1,127], counted in bytes of its UTF-8 form (a Chinese
# character is 3 bytes: 42 of them fit), not in characters.
DESCRIPTION_MAX_BYTES = 127


def fit_description(text):
    """``text`` cut to WeChat Pay's description limit (127 UTF-8 bytes), never inside a character."""
    text = " ".join((text or "").split())
    encoded = text.encode("utf-8")
    if len(encoded) <= DESCRIPTION_MAX_BYTES:
        return text
    return encoded[:DESCRIPTION_MAX_BYTES].decode("utf-8", "ignore")


def native_order_request(merchant, out_trade_no, description, total_fen, notify_url, time_expire=None,
                         attach=None, extra=None):
    """Native (merchant-shown QR) order: ``POST …/transactions/native`` → 200 ``{"code_url"}``
    (wechatpay.md#native-order).

    ``time_expire`` is RFC3339 ``yyyy-MM-DDTHH:mm:ss+08:00``; without it the order stays payable 7 days.
    ``extra`` merges further documented fields (goods_tag, scene_info, settle_info, detail…).
    """
    _check_out_trade_no(out_trade_no)
    _check_fen("total_fen", total_fen)
    _check_notify_url(notify_url)
    body = merchant.order_identity()
    body.update({"description": fit_description(description), "out_trade_no": out_trade_no})
    _optional(body, time_expire=time_expire, attach=attach)
    body.update({"notify_url": notify_url, "amount": _amount(total_fen)})
    body.update(extra or {})
    return ApiRequest("POST", merchant.path_prefix + "/native", body)


def codepay_request(merchant, out_trade_no, description, total_fen, auth_code, store_out_id, device_ip=None,
                    device_id=None, attach=None, extra=None):
    """付款码 (merchant scans the payer's code): ``POST …/transactions/codepay``, APIv3 JSON.

    See wechatpay.md#payment-code; this follows the official API pages
    (pay.weixin.qq.com/docs/partner/apis/partner-code-payment-v3/partner/partner-code-pay.html and the
    direct-merchant twin), released in 2024 — so the XML/MD5 v2 ``/pay/micropay`` is not needed.
    Body fields beyond the top level (payer.auth_code, scene_info.store_info.out_id, device_ip) come from the
    generated wechatpay-php interface: UNCONFIRMED against the official field tables.
    The answer may be ``trade_state=USERPAYING``: then poll the query API (v2 doc advises 10 s steps for up to
    45 s) and :func:`reverse_request` if it stays unclear.
    """
    _check_out_trade_no(out_trade_no)
    _check_fen("total_fen", total_fen)
    if not auth_code:
        raise ValueError("auth_code (the scanned payment code) is required")
    body = merchant.order_identity()
    body.update({"description": fit_description(description), "out_trade_no": out_trade_no})
    _optional(body, attach=attach)
    scene_info = _optional({}, device_id=device_id, device_ip=device_ip)
    scene_info["store_info"] = {"out_id": store_out_id}
    body.update({"payer": {"auth_code": auth_code}, "amount": _amount(total_fen), "scene_info": scene_info})
    body.update(extra or {})
    return ApiRequest("POST", merchant.path_prefix + "/codepay", body)


def reverse_request(merchant, out_trade_no):
    """Reverse (撤销) a 付款码 order: ``POST …/out-trade-no/{no}/reverse``.

    Path from the official partner-reverse page; the body (sp_appid/sp_mchid/sub_mchid, or appid/mchid)
    is from a third-party SDK (yansongda/pay): UNCONFIRMED.
    """
    _check_out_trade_no(out_trade_no)
    path = "%s/out-trade-no/%s/reverse" % (merchant.path_prefix, _path_segment(out_trade_no))
    return ApiRequest("POST", path, merchant.reverse_body())


def query_by_out_trade_no_request(merchant, out_trade_no):
    """``GET …/transactions/out-trade-no/{no}?sp_mchid=&sub_mchid=`` (partner) or ``?mchid=`` (direct)
    (wechatpay.md#query-and-close)."""
    _check_out_trade_no(out_trade_no)
    path = "%s/out-trade-no/%s" % (merchant.path_prefix, _path_segment(out_trade_no))
    return ApiRequest("GET", _with_query(path, merchant.query_params()), None)


def query_by_transaction_id_request(merchant, transaction_id):
    """``GET …/transactions/id/{transaction_id}?…`` (wechatpay.md#query-and-close). Unpaid orders have no id: query by
    out_trade_no."""
    path = "%s/id/%s" % (merchant.path_prefix, _path_segment(transaction_id))
    return ApiRequest("GET", _with_query(path, merchant.query_params()), None)


def close_order_request(merchant, out_trade_no):
    """``POST …/out-trade-no/{no}/close``; success is 204 without body (wechatpay.md#query-and-close)."""
    _check_out_trade_no(out_trade_no)
    path = "%s/out-trade-no/%s/close" % (merchant.path_prefix, _path_segment(out_trade_no))
    return ApiRequest("POST", path, merchant.close_body())


def refund_request(merchant, out_refund_no, total_fen, refund_fen, out_trade_no=None, transaction_id=None,
                   reason=None, notify_url=None, funds_account=None, extra=None):
    """``POST /v3/refund/domestic/refunds`` (wechatpay.md#refunds). ``out_refund_no`` is the idempotency key: one refund
    per number."""
    if bool(out_trade_no) == bool(transaction_id):
        raise ValueError("give exactly one of out_trade_no and transaction_id")
    if not _OUT_REFUND_NO_RE.match(out_refund_no or ""):
        raise ValueError("out_refund_no must be 1-64 chars of [0-9A-Za-z_-|*@] (wechatpay.md#refunds): %r" %
        out_refund_no)
    _check_fen("total_fen", total_fen)
    _check_fen("refund_fen", refund_fen)
    if refund_fen > total_fen:
        raise ValueError("refund_fen exceeds total_fen")
    if notify_url is not None:
        _check_notify_url(notify_url)
    body = merchant.refund_identity()
    _optional(body, transaction_id=transaction_id, out_trade_no=out_trade_no)
    body["out_refund_no"] = out_refund_no
    _optional(body, reason=reason, notify_url=notify_url, funds_account=funds_account)
    body["amount"] = {"refund": refund_fen, "total": total_fen, "currency": "CNY"}
    body.update(extra or {})
    return ApiRequest("POST", "/v3/refund/domestic/refunds", body)


def refund_query_request(merchant, out_refund_no):
    """``GET /v3/refund/domestic/refunds/{out_refund_no}?sub_mchid=…`` (wechatpay.md#refunds; no query in direct
    mode)."""
    path = "/v3/refund/domestic/refunds/%s" % _path_segment(out_refund_no)
    return ApiRequest("GET", _with_query(path, list(merchant.refund_identity().items())), None)


def _bill_date(bill_date):
    return bill_date.strftime("%Y-%m-%d") if isinstance(bill_date, datetime.date) else str(bill_date)


def trade_bill_request(bill_date, sub_mchid=None, bill_type="ALL", tar_type=None):
    """``GET /v3/bill/tradebill?bill_date=&sub_mchid=&bill_type=&tar_type=`` (bills.md#wechat-pay-trade-bill).

    In partner mode leaving ``sub_mchid`` out returns all sub-merchants (小微 merchants only appear there).
    The answer is ``{hash_type, hash_value, download_url}``; fetch it with :func:`bill_download_request`.
    """
    params = [("bill_date", _bill_date(bill_date)), ("sub_mchid", sub_mchid), ("bill_type", bill_type),
              ("tar_type", tar_type)]
    return ApiRequest("GET", _with_query("/v3/bill/tradebill", params), None)


def fundflow_bill_request(bill_date, account_type="BASIC", tar_type=None):
    """Our own account's fund-flow bill: ``GET /v3/bill/fundflowbill?…`` (bills.md#wechat-pay-fund-flow-bill)."""
    params = [("bill_date", _bill_date(bill_date)), ("account_type", account_type), ("tar_type", tar_type)]
    return ApiRequest("GET", _with_query("/v3/bill/fundflowbill", params), None)


def sub_merchant_fundflow_bill_request(sub_mchid, bill_date, account_type="BASIC", algorithm=AEAD_ALGORITHM,
                                       tar_type=None):
    """A sub-merchant's fund-flow bill (encrypted files; needs a product permission, UNCONFIRMED)
    (bills.md#wechat-pay-fund-flow-bill)."""
    params = [("sub_mchid", sub_mchid), ("bill_date", _bill_date(bill_date)), ("account_type", account_type),
              ("algorithm", algorithm), ("tar_type", tar_type)]
    return ApiRequest("GET", _with_query("/v3/bill/sub-merchant-fundflowbill", params), None)


def bill_download_request(download_url):
    """Download a bill: sign ``path?token=…`` of ``download_url`` like any GET. The answer is NOT signed
    (bills.md#wechat-pay-trade-bill)."""
    return ApiRequest("GET", canonical_url(download_url), None)


def certificates_request():
    """``GET /v3/certificates`` (certificate mode only); decrypt the answer with :func:`decrypt_certificates`."""
    return ApiRequest("GET", "/v3/certificates", None)


# --------------------------------------------------------------------------------------------------------------
# Bill download helpers (bills.md#wechat-pay-trade-bill, bills.md#wechat-pay-fund-flow-bill). Parsing the CSV belongs to
# bills.py.
# --------------------------------------------------------------------------------------------------------------

def verify_bill_hash(uncompressed_bytes, hash_type, hash_value):
    """True when the *uncompressed* bill matches the announced hash (SHA1 in practice,
    bills.md#wechat-pay-trade-bill)."""
    algorithm = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SM3": None}.get((hash_type or "").upper())
    if algorithm is None:
        raise WechatPayError("unsupported bill hash_type %r" % hash_type)
    return secrets.compare_digest(algorithm(uncompressed_bytes).hexdigest(), (hash_value or "").lower())


def decrypt_sub_merchant_bill(encrypted_bytes, encrypt_key_b64, nonce, private_key_pem):
    """Decrypt one downloaded sub-merchant fund-bill file (bills.md#wechat-pay-fund-flow-bill).

    ``encrypt_key`` is RSA-OAEP-encrypted with our merchant key (the Go SDK uses SHA-1 OAEP, as for sensitive
    fields); the file itself is raw binary AES-GCM ciphertext+tag with the given ``nonce`` and an empty AAD.
    """
    private_key = keys.load_private_key(private_key_pem)
    try:
        aes_key = private_key.decrypt(base64.b64decode(encrypt_key_b64),
                                      padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(),
                                                   label=None))
    except ValueError as exc:  # sealed for another merchant key, or damaged
        raise WechatPayDecryptError("sub-merchant bill key cannot be opened with our merchant key") from exc
    try:
        return AESGCM(aes_key).decrypt(_utf8(nonce), bytes(encrypted_bytes), b"")
    except (InvalidTag, ValueError) as exc:
        raise WechatPayDecryptError("sub-merchant bill decryption failed") from exc



SubMerchantBillPart = namedtuple("SubMerchantBillPart",
                                 "sequence download_url encrypt_key nonce hash_type hash_value")


def sub_merchant_bill_parts(answer):
    """The files of a ``/v3/bill/sub-merchant-fundflowbill`` answer, in ``bill_sequence`` order (1, 2, …)
    (bills.md#wechat-pay-sub-merchant-fund-flow-bill). Raises WechatPayError when the list is empty or incomplete:
    a bill missing a part would settle the day on half its movements."""
    items = (answer or {}).get("download_bill_list") or []
    try:
        parts = sorted((SubMerchantBillPart(int(item["bill_sequence"]), item["download_url"], item["encrypt_key"],
                                            item["nonce"], item.get("hash_type") or "SHA1", item.get("hash_value"))
                        for item in items), key=lambda part: part.sequence)
    except (KeyError, TypeError, ValueError) as error:
        raise WechatPayError("malformed sub-merchant bill list", repr(error)) from None
    count = (answer or {}).get("download_bill_count", len(parts))
    if not parts or count != len(parts) or [part.sequence for part in parts] != list(range(1, len(parts) + 1)):
        raise WechatPayError("incomplete sub-merchant bill list",
                             "%s of %s parts: %s" % (len(parts), count, [part.sequence for part in parts]))
    return parts


def open_sub_merchant_bill_part(encrypted_bytes, part, private_key_pem):
    """One downloaded part, decrypted with our merchant key and checked against its hash (taken over the decrypted
    file, as for the plain bills' uncompressed file; UNCONFIRMED, bills.md#wechat-pay-sub-merchant-fund-flow-bill)."""
    plain = decrypt_sub_merchant_bill(encrypted_bytes, part.encrypt_key, part.nonce, private_key_pem)
    if part.hash_value and not verify_bill_hash(plain, part.hash_type, part.hash_value):
        raise WechatPayError("sub-merchant bill hash mismatch", "part %s" % part.sequence)
    return plain

# --------------------------------------------------------------------------------------------------------------
# JSAPI: paying inside WeChat's own browser (公众号支付), and the official-account OAuth that yields the openid
# --------------------------------------------------------------------------------------------------------------
# See wechatpay.md#jsapi; from the official pages "JSAPI下单" (POST …/transactions/jsapi, answer {"prepay_id"}),
# "JSAPI调起支付" (WeixinJSBridge getBrandWCPayRequest, paySign over four lines, signType RSA) and the official
# account's "网页授权" (open.weixin.qq.com/connect/oauth2/authorize, api.weixin.qq.com/sns/oauth2/access_token).

OAUTH_HOST = "https://open.weixin.qq.com"
SNS_API_HOST = "https://api.weixin.qq.com"
OAUTH_AUTHORIZE_PATH = "/connect/oauth2/authorize"
OAUTH_ACCESS_TOKEN_PATH = "/sns/oauth2/access_token"
OAUTH_SCOPES = ("snsapi_base", "snsapi_userinfo")
JSAPI_SIGN_TYPE = "RSA"
JSAPI_RESULT_OK = "get_brand_wcpay_request:ok"
JSAPI_RESULT_CANCEL = "get_brand_wcpay_request:cancel"
JSAPI_RESULT_FAIL = "get_brand_wcpay_request:fail"
# The authorize page passes state back untouched only when it is [a-zA-Z0-9], 128 bytes at most.
_OAUTH_STATE_RE = re.compile(r"^[0-9A-Za-z]{1,128}$")
_PREPAY_PACKAGE_PREFIX = "prepay_id="


class WechatOAuthError(WechatPayError):
    """The official-account OAuth answered an error (``errcode``/``errmsg``) or an unusable identity."""

    SNAPSHOT_USER = "snapshot_user"  # the page was opened as a Moments snapshot: the openid is a placeholder

    def __init__(self, errcode, errmsg=""):
        super().__init__("%s %s" % (errcode, errmsg) if errmsg else str(errcode))
        self.errcode = errcode
        self.errmsg = errmsg


def jsapi_order_request(merchant, out_trade_no, description, total_fen, notify_url, openid, time_expire=None,
                        attach=None, extra=None):
    """JSAPI (in-WeChat web page) order: ``POST …/transactions/jsapi`` → 200 ``{"prepay_id"}``.

    Same body as the Native order plus ``payer``: ``{"openid"}`` in direct mode; in partner mode
    ``{"sub_openid"}`` when the merchant has a ``sub_appid`` (the openid was taken from the dealer's official
    account), else ``{"sp_openid"}``. The openid must belong to :meth:`oauth_appid` of the same merchant.
    """
    _check_out_trade_no(out_trade_no)
    _check_fen("total_fen", total_fen)
    _check_notify_url(notify_url)
    if not openid or not isinstance(openid, str):
        raise ValueError("openid of the payer is required for a JSAPI order")
    body = merchant.order_identity()
    body.update({"description": fit_description(description), "out_trade_no": out_trade_no})
    _optional(body, time_expire=time_expire, attach=attach)
    body.update({"notify_url": notify_url, "amount": _amount(total_fen), "payer": merchant.jsapi_payer(openid)})
    body.update(extra or {})
    return ApiRequest("POST", merchant.path_prefix + "/jsapi", body)


def jsapi_package(prepay_id):
    """The ``package`` of the payment sheet: ``prepay_id=…``."""
    if not prepay_id:
        raise ValueError("prepay_id is required")
    return _PREPAY_PACKAGE_PREFIX + prepay_id


def prepay_id_from_package(package):
    """The prepay_id inside a ``package`` value, or None when it is not of the form ``prepay_id=…``."""
    if not isinstance(package, str) or not package.startswith(_PREPAY_PACKAGE_PREFIX):
        return None
    return package[len(_PREPAY_PACKAGE_PREFIX):] or None


def jsapi_sign_message(app_id, timestamp, nonce, package):
    """The four lines signed into ``paySign``: appId, timeStamp, nonceStr, package; each ends with '\\n'."""
    return "%s\n%s\n%s\n%s\n" % (app_id, timestamp, nonce, package)


def jsapi_pay_params(app_id, prepay_id, private_key_pem, timestamp=None, nonce=None):
    """The object for ``WeixinJSBridge.invoke('getBrandWCPayRequest', …)``, signed with the merchant key.

    ``app_id`` is the official account the payer's openid came from (sub_appid, or sp_appid / appid).
    Every value is a string, as the bridge wants; ``signType`` is not part of the signed text. SHA256withRSA
    with PKCS#1 v1.5 is deterministic: the same inputs always give the same ``paySign``.
    """
    timestamp = str(int(time.time()) if timestamp is None else int(timestamp))
    nonce = nonce or new_nonce()
    package = jsapi_package(prepay_id)
    return {
        "appId": app_id,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": JSAPI_SIGN_TYPE,
        "paySign": keys.rsa_sha256_sign(private_key_pem, jsapi_sign_message(app_id, timestamp, nonce, package)),
    }


def oauth_authorize_url(appid, redirect_uri, state, scope="snsapi_base", host=OAUTH_HOST):
    """Where to send the buyer's WeChat browser for the official account's web authorisation.

    ``snsapi_base`` is silent (no consent screen) and yields only the openid. WeChat redirects to
    ``redirect_uri?code=…&state=…``; ``redirect_uri`` must be on the account's OAuth domain (网页授权域名).
    The ``#wechat_redirect`` fragment is required by WeChat.
    """
    if not appid:
        raise ValueError("appid is required")
    if scope not in OAUTH_SCOPES:
        raise ValueError("scope must be one of %s" % ", ".join(OAUTH_SCOPES))
    if not _OAUTH_STATE_RE.match(state or ""):
        raise ValueError("state must be 1-128 characters of [a-zA-Z0-9]")
    parts = urlsplit(redirect_uri or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("redirect_uri must be an absolute http(s) URL")
    query = urlencode([("appid", appid), ("redirect_uri", redirect_uri), ("response_type", "code"),
                       ("scope", scope), ("state", state)])
    return "%s%s?%s#wechat_redirect" % (host.rstrip("/"), OAUTH_AUTHORIZE_PATH, query)


def oauth_access_token_url(appid, secret, code, host=SNS_API_HOST):
    """``GET`` URL exchanging the authorisation ``code`` (single use, 5 minutes) for the openid.

    It carries the AppSecret: never log it.
    """
    if not (appid and secret and code):
        raise ValueError("appid, secret and code are required")
    query = urlencode([("appid", appid), ("secret", secret), ("code", code), ("grant_type", "authorization_code")])
    return "%s%s?%s" % (host.rstrip("/"), OAUTH_ACCESS_TOKEN_PATH, query)


def parse_oauth_access_token(body):
    """The answer of :func:`oauth_access_token_url` → ``{"openid", "scope", …}``.

    WeChat answers HTTP 200 either way; an ``errcode`` (40029 invalid code, 40163 code already used, 40125 bad
    AppSecret…) raises :class:`WechatOAuthError`, and so does a snapshot-page visitor (``is_snapshotuser`` = 1),
    whose openid is a placeholder that cannot pay.
    """
    try:
        data = json.loads(_as_text(body) or "{}")
    except ValueError as exc:
        raise WechatOAuthError("invalid_answer", "not JSON") from exc
    if not isinstance(data, dict):
        raise WechatOAuthError("invalid_answer", "not an object")
    if data.get("errcode"):
        raise WechatOAuthError(data["errcode"], data.get("errmsg") or "")
    if data.get("is_snapshotuser") == 1:
        raise WechatOAuthError(WechatOAuthError.SNAPSHOT_USER, "opened as a snapshot page")
    if not data.get("openid"):
        raise WechatOAuthError("invalid_answer", "no openid")
    return data


_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def rfc3339_beijing(moment=None):
    """``2015-05-20T13:29:35+08:00``, the time format of APIv3 payloads."""
    moment = moment or datetime.datetime.now(_BEIJING)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(_BEIJING).replace(microsecond=0).isoformat()
