"""WeChat Pay API v3, PLATFORM side — what the local sandbox simulator needs to play WeChat (README.md#simulators
checklist).

It checks the merchant's ``Authorization`` header, signs answers, builds encrypted and signed callbacks and
writes trade / fund-flow bills in the real CSV layout (bills.md#wechat-pay-trade-bill,
bills.md#wechat-pay-fund-flow-bill), so that the merchant-side code in :mod:`wechatpay` (and bills.py) can be exercised
end-to-end without the real gateway. Citations such as ``wechatpay.md#callbacks`` name sections of docs/protocols/.
"""
import base64
import datetime
import gzip
import hashlib
import re
import secrets
import time
from decimal import ROUND_HALF_UP, Decimal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import keys
from .wechatpay import (
    AEAD_ALGORITHM,
    AUTH_SCHEMA,
    HEADER_NONCE,
    HEADER_SERIAL,
    HEADER_SIGNATURE,
    HEADER_SIGNATURE_TYPE,
    HEADER_TIMESTAMP,
    JSAPI_SIGN_TYPE,
    PAID_TRADE_STATES,
    SIGNATURE_TYPE,
    TIMESTAMP_TOLERANCE_SECONDS,
    WechatPaySignatureError,
    aead_encrypt,
    canonical_url,
    jsapi_sign_message,
    new_nonce,
    prepay_id_from_package,
    response_signature_message,
    rfc3339_beijing,
    rsa_oaep_encrypt,
    select_verification_key,
    serialize_body,
)

BEIJING = datetime.timezone(datetime.timedelta(hours=8))

# wechatpay.md#callbacks redelivery schedule after a non-2xx answer, in seconds (about 24 h 4 min in total).
NOTIFY_RETRY_SCHEDULE_SECONDS = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800,
                                 21600, 21600)

# wechatpay.md#query-and-close error table: code → HTTP status, for answers the simulator gives.
ERROR_STATUS = {
    "PARAM_ERROR": 400, "INVALID_REQUEST": 400, "ORDER_CLOSED": 400, "MCH_NOT_EXISTS": 400,
    "SIGN_ERROR": 401,
    "OUT_TRADE_NO_USED": 403, "NO_AUTH": 403, "TRADE_ERROR": 403, "RULELIMIT": 403,
    "ORDER_NOT_EXIST": 404, "RESOURCE_NOT_EXISTS": 404,
    "FREQUENCY_LIMITED": 429,
    "SYSTEM_ERROR": 500,
}

_AUTH_FIELD_RE = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*(?:,|$)')
_AUTH_FIELDS = ("mchid", "nonce_str", "timestamp", "serial_no", "signature")


# --------------------------------------------------------------------------------------------------------------
# Checking the merchant's request (wechatpay.md#signing)
# --------------------------------------------------------------------------------------------------------------

def parse_authorization(header_value):
    """Split ``WECHATPAY2-SHA256-RSA2048 k="v",…`` into a dict; the five items may come in any order
    (wechatpay.md#signing)."""
    if not header_value:
        raise WechatPaySignatureError(WechatPaySignatureError.MISSING_HEADER, "Authorization")
    schema, _, rest = header_value.strip().partition(" ")
    if schema != AUTH_SCHEMA:
        raise WechatPaySignatureError(WechatPaySignatureError.UNSUPPORTED_SIGNATURE_TYPE, schema)
    fields, position = {}, 0
    rest = rest.strip()
    while position < len(rest):
        match = _AUTH_FIELD_RE.match(rest, position)
        if not match:
            raise WechatPaySignatureError(WechatPaySignatureError.MALFORMED_HEADER, "Authorization")
        fields[match.group(1)] = match.group(2)
        position = match.end()
    missing = [name for name in _AUTH_FIELDS if not fields.get(name)]
    if missing:
        raise WechatPaySignatureError(WechatPaySignatureError.MISSING_HEADER, "Authorization " + ",".join(missing))
    if not fields["timestamp"].isdigit():
        raise WechatPaySignatureError(WechatPaySignatureError.MALFORMED_HEADER, "Authorization timestamp")
    return fields


def _request_message_bytes(method, url, timestamp, nonce, body):
    # Bytes, so that a body that is not valid UTF-8 simply fails to verify instead of raising.
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = "%s\n%s\n%s\n%s\n" % (method.upper(), canonical_url(url), timestamp, nonce)
    return head.encode("utf-8") + (body or b"") + b"\n"


def verify_authorization(method, url, body, authorization, merchant_public_keys, now=None,
                         tolerance=TIMESTAMP_TOLERANCE_SECONDS):
    """Verify a merchant request as the gateway would; return the parsed Authorization fields.

    ``url``: the request path with query (a full URL is reduced to it); ``body``: raw bytes received;
    ``merchant_public_keys``: ``{merchant cert serial: public key or certificate PEM}``, or one PEM to
    accept whatever ``serial_no`` is claimed. Failures raise :class:`WechatPaySignatureError`; answer
    them with ``error_answer("SIGN_ERROR", …)`` (401).
    """
    fields = parse_authorization(authorization)
    now = int(time.time()) if now is None else int(now)
    if abs(now - int(fields["timestamp"])) >= tolerance:
        raise WechatPaySignatureError(WechatPaySignatureError.STALE, "timestamp %s" % fields["timestamp"])
    if isinstance(merchant_public_keys, (str, bytes)):
        key_text = merchant_public_keys
    else:
        key_text = select_verification_key(fields["serial_no"], merchant_public_keys)
    if key_text is None:
        raise WechatPaySignatureError(WechatPaySignatureError.UNKNOWN_SERIAL, fields["serial_no"])
    message = _request_message_bytes(method, url, fields["timestamp"], fields["nonce_str"], body)
    if not keys.rsa_sha256_verify(key_text, message, fields["signature"]):
        raise WechatPaySignatureError(WechatPaySignatureError.BAD_SIGNATURE, fields["serial_no"])
    return fields


# --------------------------------------------------------------------------------------------------------------
# Signed answers
# --------------------------------------------------------------------------------------------------------------

def sign_response(body, serial, private_key_pem, timestamp=None, nonce=None):
    """The ``Wechatpay-*`` headers for an answer or callback body (wechatpay.md#verifying), signed with the platform
    key.

    ``serial`` is the platform-certificate serial or the ``PUB_KEY_ID_…`` of the key used.
    ``Signature-Type`` is always sent, since wechatpayv3 refuses messages without it (wechatpay.md#verifying,
    README.md#independent-verifiers).
    """
    timestamp = str(int(time.time()) if timestamp is None else int(timestamp))
    nonce = nonce or new_nonce()
    message = response_signature_message(timestamp, nonce, body)
    return {
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: keys.rsa_sha256_sign(private_key_pem, message),
        HEADER_TIMESTAMP: timestamp,
        HEADER_SERIAL: serial,
        HEADER_SIGNATURE_TYPE: SIGNATURE_TYPE,
    }


def json_answer(payload, serial, private_key_pem, timestamp=None, nonce=None):
    """(body bytes, headers) for a signed JSON answer; pass ``payload=None`` for a signed empty 204 answer."""
    body = b"" if payload is None else serialize_body(payload).encode("utf-8")
    headers = sign_response(body, serial, private_key_pem, timestamp=timestamp, nonce=nonce)
    if body:
        headers["Content-Type"] = "application/json"
    return body, headers


def error_answer(code, message, detail=None):
    """(HTTP status, body bytes) for an APIv3 error: ``{"code","message"[,"detail"]}`` (wechatpay.md#signing,
    wechatpay.md#query-and-close)."""
    payload = {"code": code, "message": message}
    if detail is not None:
        payload["detail"] = detail
    return ERROR_STATUS.get(code, 400), serialize_body(payload).encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# Callbacks (wechatpay.md#callbacks)
# --------------------------------------------------------------------------------------------------------------

def _resource_nonce():
    # 12 characters, as WeChat's callback nonces are (wechatpay.md#callbacks); alphanumeric so it is also 12 bytes.
    return secrets.token_hex(6)


def build_notification(resource, original_type, event_type, summary, api_v3_key, serial, private_key_pem,
                       notification_id=None, create_time=None, resource_nonce=None, timestamp=None, nonce=None):
    """(body bytes, headers) of an encrypted, signed callback carrying ``resource`` (wechatpay.md#callbacks).

    ``associated_data`` is the ``original_type`` (``transaction`` / ``refund``) as in the real envelopes.
    """
    associated_data = original_type
    resource_nonce = resource_nonce or _resource_nonce()
    envelope = {
        "id": notification_id or "EV-%s" % secrets.token_hex(8),
        "create_time": create_time or rfc3339_beijing(),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": AEAD_ALGORITHM,
            "ciphertext": aead_encrypt(api_v3_key, resource_nonce, serialize_body(resource), associated_data),
            "associated_data": associated_data,
            "nonce": resource_nonce,
        },
    }
    body = serialize_body(envelope).encode("utf-8")
    headers = sign_response(body, serial, private_key_pem, timestamp=timestamp, nonce=nonce)
    headers["Content-Type"] = "application/json"
    return body, headers


def build_transaction_notification(transaction, api_v3_key, serial, private_key_pem, **options):
    """A ``TRANSACTION.SUCCESS`` callback for a decrypted-``Transaction``-shaped dict (wechatpay.md#callbacks)."""
    return build_notification(transaction, "transaction", "TRANSACTION.SUCCESS", "支付成功", api_v3_key, serial,
                              private_key_pem, **options)


def build_refund_notification(refund, api_v3_key, serial, private_key_pem, event_type="REFUND.SUCCESS", **options):
    """A ``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED`` callback for a refund dict
    (wechatpay.md#callbacks)."""
    summaries = {"REFUND.SUCCESS": "退款成功", "REFUND.ABNORMAL": "退款异常", "REFUND.CLOSED": "退款关闭"}
    return build_notification(refund, "refund", event_type, summaries.get(event_type, event_type), api_v3_key,
                              serial, private_key_pem, **options)


def build_certificates_answer(certificates, api_v3_key):
    """``GET /v3/certificates`` payload for ``[(serial_no, cert_pem, effective_time, expire_time)]``
    (wechatpay.md#verifying)."""
    data = []
    for serial_no, cert_pem, effective_time, expire_time in certificates:
        nonce = _resource_nonce()
        data.append({
            "serial_no": serial_no,
            "effective_time": effective_time,
            "expire_time": expire_time,
            "encrypt_certificate": {
                "algorithm": AEAD_ALGORITHM,
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": aead_encrypt(api_v3_key, nonce, cert_pem, "certificate"),
            },
        })
    return {"data": data}


# --------------------------------------------------------------------------------------------------------------
# Bills (bills.md#wechat-pay-trade-bill, bills.md#wechat-pay-fund-flow-bill): UTF-8 CSV, header without backticks, every
# value after it prefixed with '`'.
# --------------------------------------------------------------------------------------------------------------

TRADE_BILL_ALL_COLUMNS = (
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型",
    "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
    "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额",
    "费率备注",
)
# bills.md#wechat-pay-trade-bill: the SUCCESS bill drops the refund columns, leaving these 20.
TRADE_BILL_SUCCESS_COLUMNS = TRADE_BILL_ALL_COLUMNS[:14] + ("商品名称", "商户数据包", "手续费", "费率", "订单金额",
                                                            "费率备注")
TRADE_BILL_SUMMARY_COLUMNS = ("总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额",
                              "订单总金额", "申请退款总金额")
FUNDFLOW_BILL_COLUMNS = ("记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型",
                         "收支金额(元)", "账户结余(元)", "资金变更提交申请人", "备注", "业务凭证号")
FUNDFLOW_BILL_SUMMARY_COLUMNS = ("资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额")

# Bill refund status words differ from the refund API's (third-party reading of the format page, UNCONFIRMED).
_BILL_REFUND_STATUS = {"SUCCESS": "SUCCESS", "PROCESSING": "PROCESSING", "ABNORMAL": "CHANGE", "CLOSED": "FAIL"}

_FEN = Decimal("0.01")
_FEE_PLACES = Decimal("0.00001")


def _yuan(fen):
    return str((Decimal(int(fen)) / 100).quantize(_FEN))


def _fee_yuan(fen):
    # bills.md#wechat-pay-trade-bill: 手续费 is written with 5 decimals even though the fee itself is whole fen (e.g.
    # 0.04000).
    return str((Decimal(int(fen)) / 100).quantize(_FEE_PLACES))


def _fee_fen(amount_fen, rate):
    return int((Decimal(amount_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rate_text(rate):
    return "%s%%" % (rate * 100).quantize(_FEN)


def _clean(value):
    """Make a free-text value safe for the unquoted CSV.

    bills.md#wechat-pay-fund-flow-bill: WeChat writes CR/LF inside data literally as ``\\r`` / ``\\n``. Nothing official
    says what it does with commas (the format has no quoting), so we replace them with the full-width '，' —
    UNCONFIRMED.
    """
    text = "" if value is None else str(value)
    return text.replace("\r", "\\r").replace("\n", "\\n").replace(",", "，")


def _row(values):
    return ",".join("`" + _clean(value) for value in values)


def _beijing(rfc3339_text):
    return datetime.datetime.fromisoformat(rfc3339_text).astimezone(BEIJING)


def _bill_time(rfc3339_text):
    return _beijing(rfc3339_text).strftime("%Y-%m-%d %H:%M:%S")


def _as_date(bill_date):
    return bill_date if isinstance(bill_date, datetime.date) else datetime.date.fromisoformat(str(bill_date))


def _identity(transaction):
    """(公众账号ID, 商户号, 特约商户号, 用户标识) for a partner- or direct-mode Transaction dict
    (wechatpay.md#callbacks, bills.md#wechat-pay-trade-bill)."""
    payer = transaction.get("payer") or {}
    if transaction.get("sp_mchid"):
        openid = payer.get("sp_openid") or payer.get("sub_openid") or ""
        return transaction.get("sp_appid", ""), transaction["sp_mchid"], transaction.get("sub_mchid", ""), openid
    # bills.md#wechat-pay-trade-bill: 特约商户号 is 0 for direct-merchant trades.
    return transaction.get("appid", ""), transaction.get("mchid", ""), "0", payer.get("openid", "")


def _trade_columns(transaction):
    appid, mchid, sub_mchid, openid = _identity(transaction)
    return [
        None,  # 交易时间, filled by the caller (payment or refund time)
        appid, mchid, sub_mchid, transaction.get("device_info", ""), transaction["transaction_id"],
        transaction["out_trade_no"], openid, transaction.get("trade_type", "NATIVE"),
    ]


def build_trade_bill(bill_date, transactions, refunds=(), bill_type="ALL", fee_rate="0.006"):
    """The trade bill text of one day (``GET /v3/bill/tradebill`` file), in the real layout of
    bills.md#wechat-pay-trade-bill.

    ``transactions``: Transaction dicts as returned by the query API / callbacks (wechatpay.md#callbacks), optionally
    with the bill-only keys ``description`` (商品名称), ``device_info``, ``fee_fen`` and ``fee_rate`` (fraction, e.g.
    "0.006" = 0.60 %). ``refunds``: Refund dicts (wechatpay.md#refunds). A paid order falls on the day of
    ``success_time``, a refund on the day of its ``create_time`` (acceptance), Beijing time; a refunded order keeps its
    SUCCESS row. Refund rows carry the refunded fee as a negative 手续费 (as real bills do) and
    use the refund acceptance time as 交易时间 (UNCONFIRMED). Only ``ALL`` and ``SUCCESS`` are generated:
    the REFUND layout's column positions are not documented.
    """
    if bill_type not in ("ALL", "SUCCESS"):
        raise ValueError("bill_type %r is not generated (only ALL and SUCCESS)" % bill_type)
    day = _as_date(bill_date)
    default_rate = Decimal(str(fee_rate))
    by_out_trade_no = {txn["out_trade_no"]: txn for txn in transactions}
    by_transaction_id = {txn.get("transaction_id"): txn for txn in transactions if txn.get("transaction_id")}
    rows = []  # (sort time, values, settle, refund, order, refund_applied, fee)

    for txn in transactions:
        if txn.get("trade_state") not in PAID_TRADE_STATES or not txn.get("success_time"):
            continue
        if _beijing(txn["success_time"]).date() != day:
            continue
        rate = Decimal(str(txn.get("fee_rate", default_rate)))
        total = int(txn["amount"]["total"])
        fee = int(txn["fee_fen"]) if txn.get("fee_fen") is not None else _fee_fen(total, rate)
        values = _trade_columns(txn)
        values[0] = _bill_time(txn["success_time"])
        values += ["SUCCESS", txn.get("bank_type", "OTHERS"), txn["amount"].get("currency", "CNY"), _yuan(total),
                   _yuan(0)]
        if bill_type == "ALL":
            values += ["0", "0", _yuan(0), _yuan(0), "", ""]
        values += [txn.get("description", ""), txn.get("attach", ""), _fee_yuan(fee), _rate_text(rate), _yuan(total)]
        if bill_type == "ALL":
            values.append(_yuan(0))
        values.append("")
        rows.append((values[0], values, total, 0, total, 0, fee))

    for refund in refunds if bill_type == "ALL" else ():
        accepted = refund.get("create_time") or refund.get("success_time")
        if not accepted or _beijing(accepted).date() != day:
            continue
        txn = by_out_trade_no.get(refund.get("out_trade_no")) or by_transaction_id.get(refund.get("transaction_id"))
        if txn is None:
            raise ValueError("refund %s: its transaction is not in the list" % refund.get("out_refund_no"))
        rate = Decimal(str(txn.get("fee_rate", default_rate)))
        refund_fen = int(refund["amount"]["refund"])
        fee = -_fee_fen(refund_fen, rate)
        values = _trade_columns(txn)
        values[0] = _bill_time(accepted)
        values += ["REFUND", txn.get("bank_type", "OTHERS"), txn["amount"].get("currency", "CNY"), _yuan(0), _yuan(0),
                   refund["refund_id"], refund["out_refund_no"], _yuan(refund_fen), _yuan(0),
                   refund.get("channel", "ORIGINAL"), _BILL_REFUND_STATUS.get(refund.get("status"), "PROCESSING"),
                   txn.get("description", ""), txn.get("attach", ""), _fee_yuan(fee), _rate_text(rate), _yuan(0),
                   _yuan(refund_fen), ""]
        rows.append((values[0], values, 0, refund_fen, 0, refund_fen, fee))

    rows.sort(key=lambda row: row[0])
    header = TRADE_BILL_ALL_COLUMNS if bill_type == "ALL" else TRADE_BILL_SUCCESS_COLUMNS
    totals = [str(len(rows)),
              _yuan(sum(row[2] for row in rows)),
              _yuan(sum(row[3] for row in rows)),
              _yuan(0),
              _fee_yuan(sum(row[6] for row in rows)),
              _yuan(sum(row[4] for row in rows)),
              _yuan(sum(row[5] for row in rows))]
    lines = [",".join(header)] + [_row(row[1]) for row in rows]
    lines += [",".join(TRADE_BILL_SUMMARY_COLUMNS), _row(totals)]
    # Line feeds, final one included, as in the wechatpay-go downloader test fixture of a v3 bill.
    return "\n".join(lines) + "\n"


def build_fundflow_bill(entries):
    """A fund-flow bill text (bills.md#wechat-pay-fund-flow-bill) from entries of the sandbox's own account book.

    Each entry: ``booked_at`` ("YYYY-MM-DD HH:MM:SS" or datetime), ``business_no`` (微信支付业务单号),
    ``flow_no`` (资金流水单号), ``business_name`` (交易/退款/提现…), ``business_type`` (交易/扣除交易手续费…),
    ``direction`` (收入/支出), ``amount_fen``, ``balance_fen``, optional ``applicant`` (default system),
    ``remark``, ``voucher_no``. The counts in the totals row are written ``20.0`` as in the
    bills.md#wechat-pay-fund-flow-bill sample.
    """
    lines = [",".join(FUNDFLOW_BILL_COLUMNS)]
    income = [entry for entry in entries if entry["direction"] == "收入"]
    expense = [entry for entry in entries if entry["direction"] == "支出"]
    for entry in entries:
        booked_at = entry["booked_at"]
        if isinstance(booked_at, datetime.datetime):
            booked_at = booked_at.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(_row([booked_at, entry["business_no"], entry["flow_no"], entry["business_name"],
                           entry["business_type"], entry["direction"], _yuan(entry["amount_fen"]),
                           _yuan(entry["balance_fen"]), entry.get("applicant", "system"), entry.get("remark", ""),
                           entry.get("voucher_no", "")]))
    lines.append(",".join(FUNDFLOW_BILL_SUMMARY_COLUMNS))
    lines.append(_row(["%d.0" % len(entries), "%d.0" % len(income), _yuan(sum(e["amount_fen"] for e in income)),
                       "%d.0" % len(expense), _yuan(sum(e["amount_fen"] for e in expense))]))
    return "\n".join(lines) + "\n"


def bill_download_answer(bill_text, download_url):
    """``{"hash_type":"SHA1","hash_value","download_url"}`` for a bill; the hash is of the uncompressed file
    (bills.md#wechat-pay-trade-bill)."""
    return {"hash_type": "SHA1", "hash_value": hashlib.sha1(bill_text.encode("utf-8")).hexdigest(),
            "download_url": download_url}


def sub_merchant_bill_answer(files, merchant_public_pem):
    """The answer of ``GET /v3/bill/sub-merchant-fundflowbill`` for ``files`` [(download_url, bill bytes)], one per
    part, and the encrypted bodies to serve at those URLs (bills.md#wechat-pay-sub-merchant-fund-flow-bill).

    Each part has its own AES-256 key, sealed for the merchant with RSA-OAEP (as sensitive fields are); the body is the
    raw AES-GCM ciphertext with its tag, under the part's nonce and no associated data; the hash is the decrypted
    file's SHA1. The key is 32 ASCII characters, so that reading it as bytes or as a UTF-8 string gives the same."""
    items, bodies = [], []
    for sequence, (download_url, data) in enumerate(files, 1):
        key = secrets.token_urlsafe(32)[:32]
        nonce = secrets.token_hex(6)
        bodies.append(AESGCM(key.encode("ascii")).encrypt(nonce.encode("ascii"), bytes(data), b""))
        items.append({"bill_sequence": sequence, "download_url": download_url, "hash_type": "SHA1",
                      "hash_value": hashlib.sha1(data).hexdigest(),
                      "encrypt_key": rsa_oaep_encrypt(key, merchant_public_pem), "nonce": nonce})
    return {"download_bill_count": len(items), "download_bill_list": items}, bodies


def bill_file_bytes(bill_text, tar_type=None):
    """The download body: UTF-8 text, gzip-compressed when ``tar_type == "GZIP"``. It is served unsigned
    (bills.md#wechat-pay-trade-bill)."""
    data = bill_text.encode("utf-8")
    return gzip.compress(data, mtime=0) if tar_type == "GZIP" else data



# --------------------------------------------------------------------------------------------------------------
# JSAPI payment sheet and official-account OAuth, platform side
# --------------------------------------------------------------------------------------------------------------

# The official account's errcodes (网页授权 / 全局返回码) the simulator answers with.
OAUTH_ERRORS = {
    40013: "invalid appid",
    40125: "invalid appsecret",
    40029: "invalid code",
    40163: "code been used",
    40002: "invalid grant_type",
}
JSAPI_PARAM_NAMES = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")


def verify_jsapi_pay_params(params, merchant_public_keys):
    """Check a ``getBrandWCPayRequest`` object as WeChat's payment sheet does; return its prepay_id.

    ``merchant_public_keys``: the merchant certificate or public key PEM (or a list of them): the paySign must be
    SHA256withRSA by the merchant's API key over appId, timeStamp, nonceStr and package. Raises
    :class:`WechatPaySignatureError` (missing_header for a missing field, unsupported_signature_type,
    malformed_header for a package that is not ``prepay_id=…`` or a timestamp that is not seconds,
    bad_signature).
    """
    params = params if isinstance(params, dict) else {}
    for name in JSAPI_PARAM_NAMES:
        if not isinstance(params.get(name), str) or not params[name]:
            raise WechatPaySignatureError(WechatPaySignatureError.MISSING_HEADER, name)
    if params["signType"] != JSAPI_SIGN_TYPE:
        raise WechatPaySignatureError(WechatPaySignatureError.UNSUPPORTED_SIGNATURE_TYPE, params["signType"])
    if not params["timeStamp"].isdigit() or len(params["timeStamp"]) > 10 or len(params["nonceStr"]) > 32:
        raise WechatPaySignatureError(WechatPaySignatureError.MALFORMED_HEADER, "timeStamp/nonceStr")
    prepay_id = prepay_id_from_package(params["package"])
    if not prepay_id:
        raise WechatPaySignatureError(WechatPaySignatureError.MALFORMED_HEADER, "package")
    message = jsapi_sign_message(params["appId"], params["timeStamp"], params["nonceStr"], params["package"])
    candidates = [merchant_public_keys] if isinstance(merchant_public_keys, (str, bytes)) else merchant_public_keys
    if not any(key and keys.rsa_sha256_verify(key, message, params["paySign"]) for key in candidates):
        raise WechatPaySignatureError(WechatPaySignatureError.BAD_SIGNATURE, "paySign")
    return prepay_id


def new_prepay_id(moment=None):
    """A prepay_id shaped like the real ones: ``wx`` + Beijing time to the second + 20 hex digits (36 chars)."""
    moment = (moment or datetime.datetime.now(BEIJING)).astimezone(BEIJING)
    return "wx%s%s" % (moment.strftime("%Y%m%d%H%M%S"), secrets.token_hex(10))


def sandbox_openid(appid, user_key):
    """The openid of one (simulated) WeChat user under one official account: 28 characters starting with 'o',
    stable for the pair and different for every appid, as real openids are."""
    digest = hashlib.sha256(("%s:%s" % (appid, user_key)).encode("utf-8")).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode("ascii")[:27]


def oauth_token_answer(openid, scope="snsapi_base", access_token=None, refresh_token=None):
    """The JSON bytes of a successful ``/sns/oauth2/access_token`` answer (HTTP 200)."""
    return serialize_body({
        "access_token": access_token or secrets.token_urlsafe(48), "expires_in": 7200,
        "refresh_token": refresh_token or secrets.token_urlsafe(48), "openid": openid, "scope": scope,
    }).encode("utf-8")


def oauth_error_answer(errcode, errmsg=None):
    """The JSON bytes of an official-account API error; WeChat answers those with HTTP 200 too."""
    return serialize_body({"errcode": errcode, "errmsg": errmsg or OAUTH_ERRORS.get(errcode, "error")}).encode("utf-8")
