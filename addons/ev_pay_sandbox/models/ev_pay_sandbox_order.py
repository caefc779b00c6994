"""The sandbox platforms: WeChat Pay API v3 and the Alipay gateway, simulated inside the addon.

They speak the real protocols through ``protocols/*_platform.py``: our request signatures are checked with the
merchant key registered when the sandbox credentials were made, answers and callbacks are signed with the
simulator's own key, WeChat callbacks are AES-GCM encrypted with the API v3 key. A simulated order is paid on
the wallet page (controllers/sandbox.py); its callback is queued (ev.pay.sandbox.notification) and POSTed to our
real webhook after the paying request has finished.
"""
import datetime
import json
import logging
import secrets
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from odoo import _, api, fields, models

from ..protocols import alipay, alipay_platform, keys, wechatpay, wechatpay_platform

_logger = logging.getLogger(__name__)

WECHAT_PREFIX = "/ev_pay/sandbox/wechatpay"
ALIPAY_PREFIX = "/ev_pay/sandbox/alipay"
ALIPAY_BILL_PATH = ALIPAY_PREFIX + "/downloadBillFile.resource"
BILL_ATTACHMENT = "ev_pay_sandbox_bill_%s"  # name of a bill file kept for download, by download token
SUB_MERCHANT_BILL_ATTACHMENT = "ev_pay_sandbox_sub_bill_%s"  # an encrypted sub-merchant bill, by download token
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
SANDBOX_FEE_RATE = Decimal("0.006")  # the simulated settlement rule (0.6 %), as the bill generators default to
WITHDRAWAL_TIME = datetime.time(8)  # the T+1 automatic withdrawal of the previous day's net, Beijing time


def _fee_fen(amount_fen):
    """Fee of one payment or refund, rounded to the fen per line as the trade bills do."""
    return int((Decimal(int(amount_fen)) * SANDBOX_FEE_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _bill_published(day):
    """As the platforms: a day's bill exists once the day is over (Beijing time). The real ones publish it from
    about 10:00 the next morning; the simulator right after midnight, so that a demo day can be settled at once."""
    return day < datetime.datetime.now(BEIJING).date()


class _Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class EvPaySandboxOrder(models.Model):
    _name = "ev.pay.sandbox.order"
    _description = "Sandbox Payment Order"
    _order = "id desc"
    _rec_name = "out_trade_no"

    provider_id = fields.Many2one("payment.provider", string="Payment Provider", required=True, ondelete="cascade",
                                  index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    channel = fields.Selection([("wechatpay", "WeChat Pay"), ("alipay", "Alipay")], string="Payment Channel",
                               required=True)
    out_trade_no = fields.Char(required=True, index=True)
    platform_trade_no = fields.Char(string="Platform Trade No", index=True)
    description = fields.Char()
    amount_fen = fields.Integer(required=True)
    refunded_fen = fields.Integer()
    state = fields.Selection([("open", "Waiting for payment"), ("paid", "Paid"), ("closed", "Closed")],
                             string="Status", default="open", required=True)
    scanned = fields.Boolean(help="Alipay: the trade exists only once the buyer has scanned the QR.")
    notify_url = fields.Char()
    identity = fields.Json(help="Merchant fields of the order (sp_mchid, sub_mchid… / app_id, app_auth_token).")
    refunds = fields.Json(default=list)
    expires_at = fields.Datetime()
    paid_at = fields.Datetime()
    access_token = fields.Char(required=True, default=lambda self: secrets.token_urlsafe(16), copy=False)

    _sql_constraints = [
        ("out_trade_no_unique", "unique(provider_id, out_trade_no)", "An order number is used once per merchant."),
    ]

    # === helpers === #

    def _wallet_url(self):
        self.ensure_one()
        return "%s/ev_pay/sandbox/wallet/%s" % (self.provider_id._ev_base_url(), self.access_token)

    def _amount_yuan(self, fen=None):
        return str((Decimal(self.amount_fen if fen is None else fen) / 100).quantize(Decimal("0.01")))

    def _paid_day(self):
        """Beijing day of the payment."""
        self.ensure_one()
        return self.paid_at.replace(tzinfo=datetime.UTC).astimezone(BEIJING).date() if self.paid_at else None

    @staticmethod
    def _refund_moment(refund):
        """Beijing time of a recorded refund (its acceptance)."""
        return datetime.datetime.fromisoformat(refund["created"]).astimezone(BEIJING)

    def _is_expired(self):
        return bool(self.expires_at and self.expires_at < fields.Datetime.now())

    @api.model
    def _beijing(self, moment):
        return wechatpay_platform.rfc3339_beijing(moment.replace(tzinfo=datetime.UTC)) if moment else None

    # === dispatch === #

    @api.model
    def _ev_dispatch(self, method, path_and_query, headers, body):
        """Answer one platform API call: (status, headers, body bytes). Used by the HTTP controller and by the
        in-process loopback of ``payment.provider._ev_send``."""
        body = body or b""
        if path_and_query.startswith(WECHAT_PREFIX + "/"):
            return self._ev_wechatpay_dispatch(method, path_and_query[len(WECHAT_PREFIX):], headers, body)
        if path_and_query.startswith(ALIPAY_PREFIX + "/"):
            return self._ev_alipay_dispatch(path_and_query, body)
        return 404, {"Content-Type": "text/plain"}, b"unknown sandbox"

    @api.model
    def _ev_bill_file(self, path_and_query):
        """(status, headers, body) of a bill download link of the simulator (unsigned, as the platforms' links
        are), or None for another path. Served by the HTTP controller, and in-process during a request."""
        parts = urlsplit(path_and_query)
        token = dict(parse_qsl(parts.query)).get("token", "-")
        if parts.path == WECHAT_PREFIX + "/v3/billdownload/file":
            encrypted = self._ev_sub_merchant_bill_file(token)
            if encrypted:
                return encrypted
            data = self._ev_bill_attachment(token)
            text = data.decode("utf-8") if data else None
            if not text:
                return 404, {"Content-Type": "text/plain"}, b"no such bill"
            gzipped = dict(parse_qsl(parts.query)).get("tar_type") == "GZIP"
            return 200, {"Content-Type": "application/x-gzip" if gzipped else "text/plain; charset=utf-8"}, \
                wechatpay_platform.bill_file_bytes(text, "GZIP" if gzipped else None)
        if parts.path == ALIPAY_BILL_PATH:
            data = self._ev_bill_attachment(token)
            if not data:
                return 404, {"Content-Type": "text/plain"}, b"no such bill"
            return 200, {"Content-Type": "application/zip",
                         "Content-Disposition": "attachment; filename=bill.csv.zip"}, data
        return None

    @api.model
    def _ev_keep_bill(self, provider, content, mimetype, token=None, name=BILL_ATTACHMENT):
        """Keep a bill file for download, as an attachment of the provider; returns its download token."""
        token = token or secrets.token_urlsafe(12)
        self.env["ir.attachment"].sudo().create({
            "name": name % token, "raw": content, "mimetype": mimetype,
            "res_model": "payment.provider", "res_id": provider.id, "company_id": provider.company_id.id,
        })
        return token

    @api.model
    def _ev_bill_attachment(self, token, name=BILL_ATTACHMENT):
        """The bytes of the bill file kept under ``token``, or None."""
        found = self.env["ir.attachment"].sudo().search(
            [("name", "=", name % token), ("res_model", "=", "payment.provider")], limit=1)
        return found.raw if found else None

    # === WeChat Pay === #

    def _ev_wechatpay_dispatch(self, method, url, headers, body):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        try:
            fields_ = wechatpay_platform.parse_authorization(lowered.get("authorization"))
        except wechatpay.WechatPaySignatureError as error:
            return self._ev_wechatpay_error("SIGN_ERROR", "签名错误: %s" % error.reason)
        providers = self.env["payment.provider"].sudo().search([
            ("code", "=", "wechatpay"), ("state", "=", "test"), ("wechatpay_mchid", "=", fields_["mchid"])])
        # A service provider's stores share its merchant number and keys: the sub-merchant the request names first.
        sub_mchid = self._ev_requested_sub_mchid(url, body)
        providers = providers.sorted(lambda candidate: candidate.wechatpay_sub_mchid != sub_mchid)
        provider, last_error = None, "unknown merchant"
        for candidate in providers:
            registered = candidate.ev_sandbox_merchant_public_key
            if not registered:
                continue
            try:
                wechatpay_platform.verify_authorization(
                    method, url, body, lowered.get("authorization"),
                    {keys.certificate_serial_hex(registered): registered})
            except wechatpay.WechatPaySignatureError as error:
                last_error = error.reason
                continue
            provider = candidate
            break
        if provider is None:
            _logger.info("WeChat Pay sandbox refused a request for %s: %s", fields_["mchid"], last_error)
            return self._ev_wechatpay_error("SIGN_ERROR", "签名错误: %s" % last_error)
        try:
            status, payload = self._ev_wechatpay_route(provider, method, url, body)
        except _Refused as refused:
            return self._ev_wechatpay_error(refused.code, refused.message)
        answer, answer_headers = wechatpay_platform.json_answer(payload, *self._ev_wechatpay_signer(provider))
        return status, answer_headers, answer

    @api.model
    def _ev_wechatpay_signer(self, provider):
        """(serial, private key) the simulated platform signs with: the public-key id, or the certificate serial."""
        provider = provider.sudo()
        in_use = provider._ev_wechatpay_keys()
        if provider.wechatpay_verify_mode == "certificate" and in_use["wechatpay_platform_certificate"]:
            serial = keys.certificate_serial_hex(keys.certificate_bundle(in_use["wechatpay_platform_certificate"])[0])
        else:
            serial = in_use["wechatpay_public_key_id"]
        return serial, provider.ev_sandbox_platform_private_key

    @api.model
    def _ev_wechatpay_error(self, code, message):
        status, body = wechatpay_platform.error_answer(code, message)
        return status, {"Content-Type": "application/json"}, body

    def _ev_wechatpay_route(self, provider, method, url, body):
        parts = urlsplit(url)
        path, query = parts.path, dict(parse_qsl(parts.query))
        data = json.loads(body) if body else {}
        segments = [unquote(s) for s in path.split("/") if s]
        if method == "POST" and path.endswith("/transactions/native"):
            return 200, self._ev_wechatpay_native(provider, data)
        if "out-trade-no" in segments:
            out_trade_no = segments[segments.index("out-trade-no") + 1]
            order = self._ev_find(provider, out_trade_no)
            if method == "GET":
                self._ev_check_identity(provider, query)
                return 200, order._ev_wechatpay_transaction()
            if method == "POST" and segments[-1] == "close":
                self._ev_check_identity(provider, data)
                if order.state == "paid":
                    raise _Refused("TRADE_ERROR", "订单已支付")
                order.state = "closed"
                return 204, None
        if segments[:4] == ["v3", "refund", "domestic", "refunds"]:
            if method == "POST" and len(segments) == 4:
                return 200, self._ev_wechatpay_refund(provider, data)
            if method == "GET" and len(segments) == 5:
                for order in self.search([("provider_id", "=", provider.id), ("state", "=", "paid")]):
                    for refund in order.refunds or []:
                        if refund["out_refund_no"] == segments[4]:
                            return 200, order._ev_wechatpay_refund_object(refund)
                raise _Refused("RESOURCE_NOT_EXISTS", "退款单不存在")
        if method == "GET" and segments[:3] == ["v3", "bill", "tradebill"]:
            return 200, self._ev_wechatpay_tradebill(provider, query)
        if method == "GET" and segments[:3] == ["v3", "bill", "fundflowbill"]:
            return 200, self._ev_wechatpay_fundflowbill(provider, query)
        if method == "GET" and segments[:3] == ["v3", "bill", "sub-merchant-fundflowbill"]:
            return 200, self._ev_wechatpay_sub_merchant_fundflowbill(provider, query)
        raise _Refused("PARAM_ERROR", "不支持的接口 %s %s" % (method, path))

    @api.model
    def _ev_requested_sub_mchid(self, url, body):
        """The ``sub_mchid`` a request names (in its JSON body or its query), or None."""
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        named = data.get("sub_mchid") if isinstance(data, dict) else None
        return named or dict(parse_qsl(urlsplit(url).query)).get("sub_mchid")

    def _ev_check_identity(self, provider, data):
        if provider.wechatpay_mode == "partner":
            expected = {"sp_mchid": provider.wechatpay_mchid, "sub_mchid": provider.wechatpay_sub_mchid}
        else:
            expected = {"mchid": provider.wechatpay_mchid}
        for name, value in expected.items():
            if data.get(name) != value:
                raise _Refused("PARAM_ERROR", "%s 与商户号不匹配" % name)

    def _ev_find(self, provider, out_trade_no):
        order = self.search([("provider_id", "=", provider.id), ("out_trade_no", "=", out_trade_no)], limit=1)
        if not order:
            if provider.code == "alipay":
                raise _Refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
            raise _Refused("ORDER_NOT_EXIST", "订单不存在")
        return order

    def _ev_wechatpay_native(self, provider, data):
        self._ev_check_identity(provider, data)
        amount = (data.get("amount") or {}).get("total")
        if not isinstance(amount, int) or amount <= 0 or not data.get("out_trade_no") or not data.get("notify_url"):
            raise _Refused("PARAM_ERROR", "参数错误")
        existing = self.search([("provider_id", "=", provider.id), ("out_trade_no", "=", data["out_trade_no"])])
        if existing:
            if existing.amount_fen != amount or existing.state != "open":
                raise _Refused("OUT_TRADE_NO_USED", "商户订单号重复")
            return {"code_url": existing._wallet_url()}
        order = self.create(self._ev_wechatpay_order_values(provider, data, amount))
        return {"code_url": order._wallet_url()}

    @api.model
    def _ev_wechatpay_order_values(self, provider, data, amount):
        """Create values of a WeChat Pay order (Native or JSAPI) from the checked request body ``data``."""
        expires_at = None
        if data.get("time_expire"):
            expires_at = datetime.datetime.fromisoformat(data["time_expire"]).astimezone(datetime.UTC).replace(
                tzinfo=None)
        return {
            "provider_id": provider.id, "channel": "wechatpay", "out_trade_no": data["out_trade_no"],
            "description": data.get("description"), "amount_fen": amount, "notify_url": data["notify_url"],
            "identity": {k: data[k] for k in ("sp_appid", "sp_mchid", "sub_mchid", "sub_appid", "appid", "mchid")
                         if data.get(k)},
            "expires_at": expires_at,
        }

    def _ev_wechatpay_transaction(self):
        self.ensure_one()
        trade_state = {"open": "NOTPAY", "closed": "CLOSED"}.get(self.state, "SUCCESS")
        if self.state == "paid" and self.refunded_fen:
            trade_state = "REFUND"
        transaction = dict(self.identity or {})
        transaction.update({
            "out_trade_no": self.out_trade_no, "trade_type": "NATIVE", "trade_state": trade_state,
            "trade_state_desc": {"NOTPAY": "未支付", "CLOSED": "已关闭", "SUCCESS": "支付成功",
                                 "REFUND": "转入退款"}[trade_state],
            "amount": {"total": self.amount_fen, "currency": "CNY"},
        })
        if self.state == "paid":
            transaction.update({
                "transaction_id": self.platform_trade_no, "bank_type": "OTHERS", "attach": "",
                "success_time": self._beijing(self.paid_at),
                "payer": {"sp_openid" if "sp_mchid" in transaction else "openid": "oSandboxPayer"},
            })
            transaction["amount"].update(payer_total=self.amount_fen, payer_currency="CNY")
        return transaction

    def _ev_wechatpay_refund_object(self, refund):
        self.ensure_one()
        return {
            "refund_id": refund["refund_id"], "out_refund_no": refund["out_refund_no"],
            "transaction_id": self.platform_trade_no, "out_trade_no": self.out_trade_no, "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱", "success_time": refund["created"],
            "create_time": refund["created"], "status": "SUCCESS", "funds_account": "AVAILABLE",
            "amount": {"total": self.amount_fen, "refund": refund["refund_fen"], "payer_total": self.amount_fen,
                       "payer_refund": refund["refund_fen"], "currency": "CNY"},
        }

    def _ev_register_refund(self, out_refund_no, refund_fen):
        """Record one refund (idempotent on its number); returns (refund dict, created?)."""
        self.ensure_one()
        for refund in self.refunds or []:
            if refund["out_refund_no"] == out_refund_no:
                if refund["refund_fen"] != refund_fen:
                    raise _Refused("INVALID_REQUEST", "退款单号已使用")
                return refund, False
        if self.state != "paid":
            raise _Refused("TRADE_ERROR", "订单未支付")
        if refund_fen <= 0 or self.refunded_fen + refund_fen > self.amount_fen:
            raise _Refused("INVALID_REQUEST", "退款金额超过可退金额")
        refund = {"out_refund_no": out_refund_no, "refund_fen": refund_fen,
                  "refund_id": "50%s" % secrets.randbelow(10 ** 26),
                  "created": self._beijing(fields.Datetime.now())}
        self.write({"refunds": (self.refunds or []) + [refund], "refunded_fen": self.refunded_fen + refund_fen})
        return refund, True

    def _ev_wechatpay_refund(self, provider, data):
        if provider.wechatpay_mode == "partner" and data.get("sub_mchid") != provider.wechatpay_sub_mchid:
            raise _Refused("PARAM_ERROR", "sub_mchid 与商户号不匹配")
        order = self._ev_find(provider, data.get("out_trade_no") or "")
        amount = data.get("amount") or {}
        if amount.get("total") != order.amount_fen:
            raise _Refused("INVALID_REQUEST", "订单金额不符")
        refund, created = order._ev_register_refund(data.get("out_refund_no"), amount.get("refund"))
        answer = order._ev_wechatpay_refund_object(refund)
        if created and data.get("notify_url"):
            resource = dict(answer, refund_status="SUCCESS")
            resource.update({k: v for k, v in (order.identity or {}).items()
                             if k in ("sp_mchid", "sub_mchid", "mchid")})
            serial, private_key = self._ev_wechatpay_signer(provider)
            body, headers = wechatpay_platform.build_refund_notification(
                resource, provider.ev_sandbox_api_v3_key, serial, private_key)
            order._ev_queue_notification(data["notify_url"], headers, body)
        return answer

    @staticmethod
    def _ev_bill_date(query):
        text = query.get("bill_date") or fields.Date.to_string(fields.Date.today())
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise _Refused("PARAM_ERROR", "bill_date 格式错误: %s" % text) from None
        if not _bill_published(day):
            raise _Refused("STATEMENT_CREATING", "账单生成中，请稍后再试")
        return day

    def _ev_wechatpay_tradebill(self, provider, query):
        bill_date = self._ev_bill_date(query)
        orders = self.search([("provider_id", "=", provider.id), ("state", "=", "paid")])
        transactions = [dict(order._ev_wechatpay_transaction(), description=order.description) for order in orders]
        refunds = [order._ev_wechatpay_refund_object(refund) for order in orders for refund in order.refunds or []]
        text = wechatpay_platform.build_trade_bill(bill_date, transactions, refunds, bill_type=query.get("bill_type")
                                                   if query.get("bill_type") in ("ALL", "SUCCESS") else "ALL")
        return self._ev_wechatpay_bill_answer(provider, text, query)

    def _ev_wechatpay_bill_answer(self, provider, text, query):
        """Keep the bill for download and answer {hash_type, hash_value, download_url}
        (bills.md#wechat-pay-trade-bill)."""
        token = self._ev_keep_bill(provider, text.encode("utf-8"), "text/plain")
        url = "%s%s/v3/billdownload/file?token=%s" % (provider._ev_base_url(), WECHAT_PREFIX, token)
        if query.get("tar_type") == "GZIP":
            url += "&tar_type=GZIP"
        return wechatpay_platform.bill_download_answer(text, url)

    def _ev_wechatpay_fundflowbill(self, provider, query):
        """The BASIC account's fund-flow bill of a day (bills.md#wechat-pay-fund-flow-bill), from the simulated orders
        and refunds."""
        if (query.get("account_type") or "BASIC") != "BASIC":
            raise _Refused("NO_STATEMENT_EXIST", "该账户类型无资金账单")
        bill_date = self._ev_bill_date(query)
        orders = self.search([("provider_id", "=", provider.id), ("state", "=", "paid")])
        return self._ev_wechatpay_bill_answer(
            provider, wechatpay_platform.build_fundflow_bill(orders._ev_fund_flow_entries(provider, bill_date)),
            query)

    def _ev_wechatpay_sub_merchant_fundflowbill(self, provider, query):
        """Service-provider mode: the sub-merchant's BASIC fund-flow bill of a day, as encrypted files
        (bills.md#wechat-pay-sub-merchant-fund-flow-bill): the AES key of each is sealed with the merchant's
        registered public key, the file kept encrypted for its download link."""
        if provider.wechatpay_mode != "partner" or query.get("sub_mchid") != provider.wechatpay_sub_mchid:
            raise _Refused("PARAM_ERROR", "sub_mchid 不是该服务商的特约商户")
        if (query.get("account_type") or "BASIC") != "BASIC":
            raise _Refused("NO_STATEMENT_EXIST", "该账户类型无资金账单")
        bill_date = self._ev_bill_date(query)
        orders = self.search([("provider_id", "=", provider.id), ("state", "=", "paid")])
        text = wechatpay_platform.build_fundflow_bill(orders._ev_fund_flow_entries(provider, bill_date))
        token = secrets.token_urlsafe(12)
        url = "%s%s/v3/billdownload/file?token=%s" % (provider._ev_base_url(), WECHAT_PREFIX, token)
        answer, [body] = wechatpay_platform.sub_merchant_bill_answer(
            [(url, text.encode("utf-8"))], provider.ev_sandbox_merchant_public_key)
        self._ev_keep_bill(provider, body, "application/octet-stream", token=token, name=SUB_MERCHANT_BILL_ATTACHMENT)
        return answer

    @api.model
    def _ev_sub_merchant_bill_file(self, token):
        """(status, headers, encrypted body) of a sub-merchant bill link, or None for another token."""
        data = self._ev_bill_attachment(token, name=SUB_MERCHANT_BILL_ATTACHMENT)
        if not data:
            return None
        return 200, {"Content-Type": "application/octet-stream"}, data

    def _ev_fund_movements(self, day):
        """[(Beijing datetime, business no, business name, business type, signed fen)] of these paid orders on
        ``day``: each payment and its fee, each refund and the fee given back. Flow numbers derive from them,
        so the same day downloaded twice gives the same file."""
        movements = []
        for order in self:
            if order._paid_day() == day:
                moment = order.paid_at.replace(tzinfo=datetime.UTC).astimezone(BEIJING)
                movements.append((moment, order.platform_trade_no, "交易", "交易", order.amount_fen))
                movements.append((moment, order.platform_trade_no, "交易", "扣除交易手续费",
                                  -_fee_fen(order.amount_fen)))
            for refund in order.refunds or []:
                moment = self._refund_moment(refund)
                if moment.date() == day:
                    movements.append((moment, refund["refund_id"], "退款", "退款", -refund["refund_fen"]))
                    movements.append((moment, refund["refund_id"], "退款", "退还交易手续费",
                                      _fee_fen(refund["refund_fen"])))
        return movements

    def _ev_fund_flow_entries(self, provider, day):
        """Entries of the fund-flow bill of ``day``: the day's movements, and the T+1 automatic withdrawal of the
        previous day's net (payments - refunds - fees) at 08:00, with the account balance running on."""
        previous_net = sum(movement[4] for movement in self._ev_fund_movements(day - datetime.timedelta(days=1)))
        movements = self._ev_fund_movements(day)
        if previous_net > 0:
            merchant = provider.wechatpay_sub_mchid or provider.wechatpay_mchid or ""
            movements.append((datetime.datetime.combine(day, WITHDRAWAL_TIME, tzinfo=BEIJING),
                              "WD%s%s" % (merchant, day.strftime("%Y%m%d")), "提现", "提现", -previous_net))
        movements.sort(key=lambda movement: (movement[0], movement[1], movement[3]))
        balance, entries = max(previous_net, 0), []
        for moment, business_no, name, kind, fen in movements:
            balance += fen
            entries.append({
                "booked_at": moment.replace(tzinfo=None), "business_no": business_no,
                "flow_no": "%s%s" % (business_no, {"交易": "01", "扣除交易手续费": "02", "退款": "03",
                                                   "退还交易手续费": "04", "提现": "05"}[kind]),
                "business_name": name, "business_type": kind, "direction": "收入" if fen > 0 else "支出",
                "amount_fen": abs(fen), "balance_fen": balance,
                "remark": "T+1 自动提现" if kind == "提现" else "", "voucher_no": business_no if kind == "提现" else "",
            })
        return entries

    # === Alipay === #

    def _ev_alipay_dispatch(self, path_and_query, body):
        parts = urlsplit(path_and_query)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(parse_qsl(body.decode(alipay.CHARSET, errors="replace"), keep_blank_values=True))
        method = params.get("method") or ""
        provider = self.env["payment.provider"].sudo().search([
            ("code", "=", "alipay"), ("state", "=", "test"), ("alipay_app_id", "=", params.get("app_id"))], limit=1)
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if not provider or not provider.ev_sandbox_merchant_public_key:
            text = json.dumps({alipay.response_key(method): alipay_platform.result_payload(
                "40002", "isv.invalid-app-id", "无效的AppID参数")}, ensure_ascii=False)
            return 200, headers, text.encode()
        try:
            biz = alipay_platform.verify_request(params, provider.ev_sandbox_merchant_public_key)
        except alipay.AlipaySignatureError as error:
            _logger.info("Alipay sandbox refused a request for %s: %s", params.get("app_id"), error.reason)
            text = json.dumps({alipay.response_key(method): alipay_platform.result_payload(
                "40002", "isv.invalid-signature", "验签出错")}, ensure_ascii=False)
            return 200, headers, text.encode()
        token = params.get("app_auth_token")
        if (provider.sudo().alipay_app_auth_token or None) != (token or None):
            payload = alipay_platform.result_payload("20001", "aop.invalid-app-auth-token", "无效的应用授权令牌")
        else:
            try:
                payload = alipay_platform.result_payload(**self._ev_alipay_route(provider, method, biz, params))
            except _Refused as refused:
                payload = alipay_platform.result_payload("40004", refused.code, refused.message)
        text = alipay_platform.build_response_text(method, payload, provider.sudo().ev_sandbox_platform_private_key)
        return 200, headers, text.encode()

    def _ev_alipay_route(self, provider, method, biz, params):
        if method == "alipay.trade.precreate":
            existing = self.search([("provider_id", "=", provider.id), ("out_trade_no", "=", biz.get("out_trade_no"))])
            amount_fen = int(Decimal(biz.get("total_amount") or "0") * 100)
            if existing:
                if existing.amount_fen != amount_fen or existing.state != "open":
                    raise _Refused("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                return {"out_trade_no": existing.out_trade_no, "qr_code": existing._wallet_url()}
            if amount_fen <= 0 or not biz.get("out_trade_no") or not biz.get("subject"):
                raise _Refused("ACQ.INVALID_PARAMETER", "参数无效")
            minutes = int((biz.get("timeout_express") or "120m").rstrip("m") or 120)
            order = self.create({
                "provider_id": provider.id, "channel": "alipay", "out_trade_no": biz["out_trade_no"],
                "description": biz["subject"], "amount_fen": amount_fen, "notify_url": params.get("notify_url"),
                "identity": {"app_id": params.get("app_id"), "app_auth_token": params.get("app_auth_token")},
                "expires_at": fields.Datetime.now() + datetime.timedelta(minutes=minutes),
            })
            return {"out_trade_no": order.out_trade_no, "qr_code": order._wallet_url()}
        if method == "alipay.data.dataservice.bill.downloadurl.query":
            return self._ev_alipay_bill_url(provider, biz)
        order = self._ev_find(provider, biz.get("out_trade_no") or "")
        if method == "alipay.trade.query":
            if not order.scanned and order.state != "paid":
                raise _Refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
            return order._ev_alipay_trade()
        if method == "alipay.trade.close":
            if order.state == "paid":
                raise _Refused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            was_scanned = order.scanned
            order.state = "closed"
            if not was_scanned:
                raise _Refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
            return {"trade_no": order.platform_trade_no or "", "out_trade_no": order.out_trade_no}
        if method == "alipay.trade.refund":
            refund_fen = int(Decimal(biz.get("refund_amount") or "0") * 100)
            refund, created = order._ev_register_refund(biz.get("out_request_no"), refund_fen)
            if created and order.notify_url:
                order._ev_alipay_queue({
                    "out_biz_no": refund["out_refund_no"], "refund_fee": order._amount_yuan(order.refunded_fen),
                    "gmt_refund": alipay.beijing_timestamp(),
                    "trade_status": "TRADE_CLOSED" if order.refunded_fen == order.amount_fen else "TRADE_SUCCESS",
                })
            return {"trade_no": order.platform_trade_no, "out_trade_no": order.out_trade_no,
                    "buyer_logon_id": "sandbox***@example.com", "fund_change": "Y" if created else "N",
                    "refund_fee": order._amount_yuan(order.refunded_fen), "gmt_refund_pay": alipay.beijing_timestamp()}
        if method == "alipay.trade.fastpay.refund.query":
            for refund in order.refunds or []:
                if refund["out_refund_no"] == biz.get("out_request_no"):
                    return {"out_trade_no": order.out_trade_no, "out_request_no": refund["out_refund_no"],
                            "refund_amount": order._amount_yuan(refund["refund_fen"]),
                            "refund_status": "REFUND_SUCCESS"}
            return {"out_trade_no": order.out_trade_no}
        raise _Refused("ACQ.INVALID_PARAMETER", "不支持的接口 %s" % method)

    def _ev_alipay_bill_url(self, provider, biz):
        """``alipay.data.dataservice.bill.downloadurl.query`` (bills.md#alipay-bills): the day's ``trade`` bill, a zip
        of the GBK detail CSV, kept for download; answers its ``bill_download_url``."""
        if biz.get("bill_type") != "trade":
            raise _Refused("isv.invalid-bill-type", "账单类型不支持: %s" % biz.get("bill_type"))
        try:
            day = datetime.date.fromisoformat(biz.get("bill_date") or "")
        except ValueError:
            raise _Refused("isv.invalid-bill-date", "账单时间格式不正确") from None
        if not _bill_published(day):
            raise _Refused("isp.bill_not_exist", "账单不存在")
        orders = self.search([("provider_id", "=", provider.id), ("state", "=", "paid")])
        trades, refunds = [], []
        for order in orders:
            trades.append(dict(
                order._ev_alipay_trade(), subject=order.description or "",
                gmt_create=alipay.beijing_timestamp(order.create_date.replace(tzinfo=datetime.UTC)),
                gmt_payment=alipay.beijing_timestamp(order.paid_at.replace(tzinfo=datetime.UTC))))
            refunds += [{"trade_no": order.platform_trade_no, "out_request_no": refund["out_refund_no"],
                         "refund_amount": order._amount_yuan(refund["refund_fen"]),
                         "gmt_refund": self._refund_moment(refund).strftime("%Y-%m-%d %H:%M:%S")}
                        for refund in order.refunds or []]
        pid = provider.alipay_seller_id or "2088000000000002"
        text = alipay_platform.build_trade_bill(pid, day, trades, refunds, fee_rate=str(SANDBOX_FEE_RATE))
        token = self._ev_keep_bill(provider, alipay_platform.build_bill_zip(pid, day, text), "application/zip")
        url = "%s%s?%s" % (provider._ev_base_url(), ALIPAY_BILL_PATH, urlencode({
            "bizType": "trade", "userId": pid, "fileType": "csv.zip", "bizDates": day.strftime("%Y%m%d"),
            "token": token}))
        return {"bill_download_url": url}

    def _ev_alipay_trade(self):
        self.ensure_one()
        status = {"open": "WAIT_BUYER_PAY", "closed": "TRADE_CLOSED"}.get(self.state, "TRADE_SUCCESS")
        if self.state == "paid" and self.refunded_fen == self.amount_fen:
            status = "TRADE_CLOSED"
        trade = {"out_trade_no": self.out_trade_no, "trade_status": status, "total_amount": self._amount_yuan(),
                 "buyer_logon_id": "sandbox***@example.com"}
        if self.platform_trade_no:
            trade["trade_no"] = self.platform_trade_no
        if self.state == "paid":
            trade.update(receipt_amount=self._amount_yuan(), buyer_pay_amount=self._amount_yuan(),
                         send_pay_date=alipay.beijing_timestamp(self.paid_at.replace(tzinfo=datetime.UTC)))
        return trade

    def _ev_alipay_queue(self, extra):
        self.ensure_one()
        provider = self.provider_id.sudo()
        fields_ = {
            "trade_no": self.platform_trade_no, "out_trade_no": self.out_trade_no, "buyer_id": "2088000000000001",
            "buyer_logon_id": "sandbox***@example.com", "seller_id": provider.alipay_seller_id or "2088000000000002",
            "total_amount": self._amount_yuan(), "receipt_amount": self._amount_yuan(),
            "buyer_pay_amount": self._amount_yuan(), "subject": self.description,
            # an empty value, as real notifications have: it must be left out of the check (alipay.md#notifications)
            "body": "",
            "gmt_create": alipay.beijing_timestamp(self.create_date.replace(tzinfo=datetime.UTC)),
            "gmt_payment": alipay.beijing_timestamp((self.paid_at or fields.Datetime.now()).replace(
                tzinfo=datetime.UTC)),
            "trade_status": "TRADE_SUCCESS",
        }
        if provider.alipay_app_auth_token:
            fields_["auth_app_id"] = provider.alipay_auth_app_id or provider.alipay_app_id
        fields_.update(extra)
        form = alipay_platform.build_notification_form(fields_, provider.alipay_app_id,
                                                       provider.ev_sandbox_platform_private_key)
        body = urlencode(form).encode()
        return self._ev_queue_notification(self.notify_url, {"Content-Type": "application/x-www-form-urlencoded"},
                                           body)

    # === the wallet === #

    def _ev_wallet_pay(self):
        """The buyer confirms in the simulated wallet: the order is paid and its callback queued."""
        self.ensure_one()
        self.env.cr.execute("SELECT id FROM ev_pay_sandbox_order WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_recordset()
        if self.state == "paid":
            return self.env["ev.pay.sandbox.notification"].search([("order_id", "=", self.id)], limit=1)
        if self.state == "closed" or self._is_expired():
            raise _Refused("ORDER_CLOSED", _("This order is closed or expired: ask the cashier for a new QR code."))
        prefix = "4200" if self.channel == "wechatpay" else "2026"
        self.write({"state": "paid", "scanned": True, "paid_at": fields.Datetime.now(),
                    "platform_trade_no": "%s%s" % (prefix, secrets.randbelow(10 ** 24))})
        if self.channel == "alipay":
            return self._ev_alipay_queue({})
        provider = self.provider_id.sudo()
        serial, private_key = self._ev_wechatpay_signer(provider)
        body, headers = wechatpay_platform.build_transaction_notification(
            self._ev_wechatpay_transaction(), provider.ev_sandbox_api_v3_key, serial, private_key)
        return self._ev_queue_notification(self.notify_url, headers, body)

    def _ev_wallet_cancel(self):
        self.ensure_one()
        if self.state == "open":
            self.scanned = True  # the buyer has seen the trade; it stays payable until closed or expired

    def _ev_queue_notification(self, url, headers, body):
        notification = self.env["ev.pay.sandbox.notification"].create({
            "order_id": self.id, "url": url, "headers": dict(headers),
            "body": body.decode() if isinstance(body, bytes) else body,
        })
        cron = self.env.ref("ev_pay_sandbox.ir_cron_ev_sandbox_deliver", raise_if_not_found=False)
        if cron:
            cron._trigger()
        return notification
