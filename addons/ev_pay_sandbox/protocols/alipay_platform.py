"""Alipay gateway, PLATFORM side — what the local sandbox simulator needs to play Alipay (README.md#simulators
checklist).

Checks our request signature with the app public key, writes signed gateway answers and signed async
notifications, and generates the ``trade`` bill CSV in the real layout (bills.md#alipay-bills: GBK, ``#`` preamble and
footer, identifier fields with a trailing tab). Citations such as ``alipay.md#notifications`` name sections of
docs/protocols/.
"""
import datetime
import io
import json
import secrets
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from .alipay import (
    BEIJING,
    CHARSET,
    SIGN_TYPE,
    SUCCESS_CODE,
    AlipaySignatureError,
    beijing_timestamp,
    notification_sign_content,
    response_key,
    rsa2_sign,
    rsa2_verify,
    sign_content,
)

# Standard ``msg`` texts that go with the gateway codes of alipay.md#responses.
CODE_MESSAGES = {
    "10000": "Success",
    "20000": "Service Currently Unavailable",
    "20001": "Insufficient Token Permissions",
    "40001": "Missing Required Arguments",
    "40002": "Invalid Arguments",
    "40004": "Business Failed",
    "40006": "Insufficient Permissions",
}


# --------------------------------------------------------------------------------------------------------------
# Requests and answers (alipay.md#signing, alipay.md#responses)
# --------------------------------------------------------------------------------------------------------------

def verify_request(params, app_public_key_pem):
    """Check a gateway call's ``sign`` with the app public key; return ``biz_content`` parsed (or {}).

    ``params``: query and form parameters merged, URL-decoded. Everything but ``sign`` is signed — unlike
    notifications, ``sign_type`` is included (alipay.md#signing step 1). Raises :class:`AlipaySignatureError`.
    """
    data = {key: (value[0] if isinstance(value, (list, tuple)) else value) for key, value in params.items()}
    if not data.get("sign"):
        raise AlipaySignatureError(AlipaySignatureError.MISSING_SIGN)
    if data.get("sign_type") != SIGN_TYPE:
        raise AlipaySignatureError(AlipaySignatureError.UNSUPPORTED_SIGN_TYPE, str(data.get("sign_type")))
    if not rsa2_verify(sign_content(data), data["sign"], app_public_key_pem):
        raise AlipaySignatureError(AlipaySignatureError.BAD_SIGNATURE, str(data.get("method")))
    return json.loads(data["biz_content"]) if data.get("biz_content") else {}


def result_payload(code=SUCCESS_CODE, sub_code=None, sub_msg=None, **fields):
    """The inner object of an answer: ``code``/``msg`` (+ ``sub_code``/``sub_msg`` on failure) then ``fields``."""
    payload = {"code": code, "msg": CODE_MESSAGES.get(code, "Business Failed")}
    if sub_code:
        payload["sub_code"] = sub_code
        payload["sub_msg"] = sub_msg or sub_code
    payload.update(fields)
    return payload


def build_response_text(method, payload, private_key_pem):
    """``{"<method>_response":{…},"sign":"…"}`` with ``sign`` over the exact inner JSON text (alipay.md#responses)."""
    inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    signature = rsa2_sign(inner, private_key_pem)
    return '{"%s":%s,"sign":"%s"}' % (response_key(method), inner, signature)


# --------------------------------------------------------------------------------------------------------------
# Asynchronous notifications (alipay.md#notifications)
# --------------------------------------------------------------------------------------------------------------

def build_notification_form(fields, app_id, private_key_pem, notify_id=None, notify_time=None):
    """A signed ``trade_status_sync`` form (dict of str) to POST to ``notify_url`` (alipay.md#notifications).

    ``fields``: the business parameters (trade_no, out_trade_no, trade_status, total_amount, …; ISV mode:
    add ``auth_app_id``). Non-string values such as ``fund_bill_list`` are sent as JSON text. The signature
    excludes ``sign`` and ``sign_type`` (rsaCheckV1). Redeliver until the answer is exactly ``success``.
    """
    form = {
        "notify_time": notify_time or beijing_timestamp(),
        "notify_type": "trade_status_sync",
        "notify_id": notify_id or secrets.token_hex(16),
        "app_id": app_id,
        "charset": CHARSET,
        "version": "1.0",
        "sign_type": SIGN_TYPE,
    }
    for key, value in fields.items():
        if value is None:
            continue
        form[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                    separators=(",", ":"))
    form["sign"] = rsa2_sign(notification_sign_content(form), private_key_pem)
    return form


# --------------------------------------------------------------------------------------------------------------
# Bills (bills.md#alipay-bills)
# --------------------------------------------------------------------------------------------------------------

TRADE_BILL_COLUMNS = (
    "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员",
    "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）",
    "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号",
    "服务费（元）", "分润（元）", "备注",
)
# Columns written with a trailing tab, exactly as in the bills.md#alipay-bills sample rows (Alipay's way of keeping long
# numbers as text in Excel). 商家红包消费金额 carries one too in the sample, odd as it looks.
_TAB_COLUMNS = frozenset({0, 1, 2, 6, 7, 8, 9, 10, 19, 21})
_LIST_START = "#-----------------------------------------业务明细列表----------------------------------------"
_LIST_END = "#-----------------------------------------业务明细列表结束------------------------------------"
_FEN = Decimal("0.01")


def _yuan(value):
    return str(Decimal(str(value)).quantize(_FEN))


def _neg(text):
    value = -Decimal(text)
    return _yuan(value) if value else "0.00"


def _fee(amount_text, rate):
    return (Decimal(amount_text) * rate).quantize(_FEN, rounding=ROUND_HALF_UP)


def _chinese_time(moment):
    return moment.strftime("%Y年%m月%d日 %H:%M:%S")


def _clean(value):
    # The file has no quoting; a comma or line break inside a value would shift columns. How Alipay escapes
    # them is not documented, so replace them (UNCONFIRMED).
    text = "" if value is None else str(value)
    return text.replace(",", "，").replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _line(values):
    cells = []
    for index, value in enumerate(values):
        cell = _clean(value)
        cells.append(cell + "\t" if index in _TAB_COLUMNS else cell)
    return ",".join(cells)


def _as_date(bill_date):
    return bill_date if isinstance(bill_date, datetime.date) else datetime.date.fromisoformat(str(bill_date))


def _detail_row(trade, business_type, finished_at, order_amount, received, refund_request_no, fee):
    return [
        trade["trade_no"], trade["out_trade_no"], business_type, trade.get("subject", ""), trade.get("gmt_create", ""),
        finished_at, trade.get("store_id", ""), trade.get("store_name", ""), trade.get("operator_id", ""),
        trade.get("terminal_id", ""), trade.get("buyer_logon_id", ""), order_amount, received, "0.00", "0.00", "0.00",
        "0.00", "0.00", "", "0.00", "0.00", refund_request_no, fee, "0.00", trade.get("body", ""),
    ]


def build_trade_bill(account_pid, bill_date, trades, refunds=(), fee_rate="0.006", export_time=None):
    """The ``trade`` detail CSV text of one day (``…_业务明细.csv``), layout of bills.md#alipay-bills.

    ``trades``: dicts shaped like alipay.trade.query answers (trade_no, out_trade_no, total_amount,
    receipt_amount, buyer_logon_id, store_id, terminal_id) plus subject, gmt_create, gmt_payment, and
    optionally store_name, operator_id, body (备注), fee_rate. A trade is listed on its ``gmt_payment`` day.
    ``refunds``: dicts with trade_no or out_trade_no, out_request_no, refund_amount, gmt_refund; listed on the
    ``gmt_refund`` day with negative amounts. 服务费 is negative when charged (bills.md#alipay-bills); refund rows give
    the proportional fee back as a positive amount (our assumption). ``account_pid`` is the 16-digit PID; the
    header shows it followed by ``0156``. Encode with :func:`encode_bill`.
    """
    day = _as_date(bill_date)
    default_rate = Decimal(str(fee_rate))
    by_trade_no = {trade["trade_no"]: trade for trade in trades}
    by_out_trade_no = {trade["out_trade_no"]: trade for trade in trades}
    payments, returns = [], []

    for trade in trades:
        paid_at = trade.get("gmt_payment")
        if not paid_at or paid_at[:10] != day.isoformat():
            continue
        total = _yuan(trade["total_amount"])
        received = _yuan(trade.get("receipt_amount") or total)
        fee = _fee(received, Decimal(str(trade.get("fee_rate", default_rate))))
        payments.append((paid_at, received, _detail_row(trade, "交易", paid_at, total, received, "", _neg(str(fee)))))

    for refund in refunds:
        refunded_at = refund.get("gmt_refund") or refund.get("gmt_refund_pay")
        if not refunded_at or refunded_at[:10] != day.isoformat():
            continue
        trade = by_trade_no.get(refund.get("trade_no")) or by_out_trade_no.get(refund.get("out_trade_no"))
        if trade is None:
            raise ValueError("refund %s: its trade is not in the list" % refund.get("out_request_no"))
        amount = _yuan(refund["refund_amount"])
        fee_back = _fee(amount, Decimal(str(trade.get("fee_rate", default_rate))))
        returns.append((refunded_at, amount, _detail_row(trade, "退款", refunded_at, _neg(amount), _neg(amount),
                                                         refund["out_request_no"], _yuan(fee_back))))

    rows = sorted(payments + returns, key=lambda row: row[0])
    start = datetime.datetime.combine(day, datetime.time())
    export_time = (export_time or datetime.datetime.now(BEIJING)).replace(tzinfo=None)
    received_total = sum((Decimal(row[1]) for row in payments), Decimal(0))
    refunded_total = sum((Decimal(row[1]) for row in returns), Decimal(0))
    lines = [
        "#支付宝业务明细查询",
        "#账号：[%s0156]" % account_pid,
        "#起始日期：[%s]   终止日期：[%s]" % (_chinese_time(start),
                                             _chinese_time(start + datetime.timedelta(days=1))),
        _LIST_START,
        ",".join(TRADE_BILL_COLUMNS),
    ]
    lines += [_line(row[2]) for row in rows]
    lines += [
        _LIST_END,
        "#交易合计：%d笔，商家实收共%s元，商家优惠共0.00元" % (len(payments), _yuan(received_total)),
        "#退款合计：%d笔，商家实收退款共%s元，商家优惠退款共0.00元" % (len(returns), _neg(str(refunded_total))),
        "#导出时间：[%s]" % _chinese_time(export_time),
    ]
    # Line feeds as in the public test fixture the bills.md#alipay-bills sample comes from.
    return "\n".join(lines) + "\n"


def encode_bill(bill_text):
    """GBK bytes of a bill (bills.md#alipay-bills). Characters GBK lacks (emoji…) become '?' rather than failing the
    download."""
    return bill_text.encode("gbk", errors="replace")


def build_bill_zip(account_pid, bill_date, detail_text):
    """The downloaded archive: ``<PID>0156_<yyyyMMdd>_业务明细.csv`` in GBK (bills.md#alipay-bills).

    Python's zipfile stores the non-ASCII name as UTF-8 (flagged), while Alipay's own archives use GBK
    names; parsers should therefore pick the member by suffix rather than by exact name. The
    ``(汇总)`` summary member is not generated: its layout is not documented (bills.md#alipay-bills).
    """
    day = _as_date(bill_date)
    name = "%s0156_%s_业务明细.csv" % (account_pid, day.strftime("%Y%m%d"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, encode_bill(detail_text))
    return buffer.getvalue()
