"""The sandbox platforms, pay-code side: WeChat Pay codepay (+ reverse) and ``alipay.trade.pay``.

A scanned pay code always opens an order waiting for the buyer (USERPAYING / 10003), as a real wallet does when
it asks for the payment password; the buyer "confirms" on the order's simulated wallet page (the POS shows a
sandbox button for it), and the POS learns it by querying, as it would in production.
"""
import json
from urllib.parse import unquote, urlsplit

from odoo import fields, models

from .ev_pay_sandbox_order import _Refused


class EvPaySandboxOrder(models.Model):
    _inherit = "ev.pay.sandbox.order"

    ev_codepay = fields.Boolean(string="Pay Code", help="Opened by scanning the buyer's pay code (付款码).")

    def _ev_wechatpay_route(self, provider, method, url, body):
        path = urlsplit(url).path
        segments = [unquote(s) for s in path.split("/") if s]
        if method == "POST" and path.endswith("/transactions/codepay"):
            self._ev_wechatpay_codepay(provider, json.loads(body) if body else {})
        if method == "POST" and "out-trade-no" in segments and segments[-1] == "reverse":
            order = self._ev_find(provider, segments[segments.index("out-trade-no") + 1])
            self._ev_check_identity(provider, json.loads(body) if body else {})
            if order.state == "open":
                order.state = "closed"
            return 200, {"recall": "N"}
        return super()._ev_wechatpay_route(provider, method, url, body)

    def _ev_wechatpay_codepay(self, provider, data):
        self._ev_check_identity(provider, data)
        amount = (data.get("amount") or {}).get("total")
        auth_code = (data.get("payer") or {}).get("auth_code") or ""
        if not isinstance(amount, int) or amount <= 0 or not data.get("out_trade_no") or not auth_code.isdigit():
            raise _Refused("PARAM_ERROR", "参数错误")
        if self.search_count([("provider_id", "=", provider.id), ("out_trade_no", "=", data["out_trade_no"])]):
            raise _Refused("OUT_TRADE_NO_USED", "商户订单号重复")
        identity = {k: data[k] for k in ("sp_appid", "sp_mchid", "sub_mchid", "sub_appid", "appid", "mchid")
                    if data.get(k)}
        self.create({
            "provider_id": provider.id, "channel": "wechatpay", "out_trade_no": data["out_trade_no"],
            "description": data.get("description"), "amount_fen": amount, "identity": identity,
            "ev_codepay": True, "scanned": True,
        })
        raise _Refused("USERPAYING", "需要用户输入支付密码")

    def _ev_alipay_route(self, provider, method, biz, params):
        if method != "alipay.trade.pay":
            return super()._ev_alipay_route(provider, method, biz, params)
        amount_fen = int(round(float(biz.get("total_amount") or 0) * 100))
        if amount_fen <= 0 or not biz.get("out_trade_no") or not (biz.get("auth_code") or "").isdigit():
            raise _Refused("ACQ.INVALID_PARAMETER", "参数无效")
        if self.search_count([("provider_id", "=", provider.id), ("out_trade_no", "=", biz["out_trade_no"])]):
            raise _Refused("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        order = self.create({
            "provider_id": provider.id, "channel": "alipay", "out_trade_no": biz["out_trade_no"],
            "description": biz.get("subject"), "amount_fen": amount_fen, "notify_url": params.get("notify_url"),
            "identity": {"app_id": params.get("app_id"), "app_auth_token": params.get("app_auth_token")},
            "ev_codepay": True, "scanned": True,
        })
        return {"code": "10003", "out_trade_no": order.out_trade_no, "total_amount": order._amount_yuan()}

    def _ev_wechatpay_transaction(self):
        transaction = super()._ev_wechatpay_transaction()
        if self.ev_codepay:
            transaction["trade_type"] = "MICROPAY"
            if self.state == "open":
                transaction.update(trade_state="USERPAYING", trade_state_desc="需要用户输入支付密码")
        return transaction

    def _ev_wallet_pay(self):
        """The buyer confirms with the wallet password. WeChat sends no callback for pay-code orders."""
        return super(EvPaySandboxOrder, self.with_context(
            ev_sandbox_no_callback=self.ev_codepay and self.channel == "wechatpay"))._ev_wallet_pay()

    def _ev_queue_notification(self, url, headers, body):
        if self.env.context.get("ev_sandbox_no_callback") or not url:
            return self.env["ev.pay.sandbox.notification"]
        return super()._ev_queue_notification(url, headers, body)
