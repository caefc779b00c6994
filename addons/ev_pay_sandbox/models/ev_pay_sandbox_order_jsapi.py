"""The sandbox platforms, WeChat in-app side: JSAPI orders, the official account's web OAuth, the payment sheet.

- ``POST …/transactions/jsapi`` is checked as the real API does (merchant fields, required fields, a payer openid
  issued under the order's appid, amount > 0, an out_trade_no never used before) and answers a ``prepay_id``.
- The OAuth authorisation page (``…/connect/oauth2/authorize``) silently redirects back with a code, and the token
  endpoint (``…/sns/oauth2/access_token``) answers the openid of that code once, as WeChat does.
- A normal browser has no WeixinJSBridge, so the landing page offers the simulated payment sheet: it checks the
  paySign with the merchant's registered certificate, as WeChat would, then pays the order exactly like the
  simulated wallet of Native orders (signed, encrypted callback queued to our webhook).

The simulated WeChat user is a random key in a cookie of the buyer's browser: the openid is derived from it and
the appid, so each official account sees its own openid, and only the buyer the order was opened for can pay.
"""
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from odoo import api, fields, models
from odoo.tools import consteq

from ..protocols import wechatpay, wechatpay_platform
from .ev_pay_sandbox_order import _Refused
from .payment_provider_jsapi import WECHAT_OAUTH_SANDBOX_PREFIX

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
USER_COOKIE = "ev_sandbox_wechat_user"  # who the simulated WeChat user of this browser is
# Which appid an openid of the payer object belongs to.
_PAYER_APPID_FIELD = {"sub_openid": "sub_appid", "sp_openid": "sp_appid", "openid": "appid"}


class EvPaySandboxOrder(models.Model):
    _inherit = "ev.pay.sandbox.order"

    ev_jsapi_prepay_id = fields.Char(string="Prepay ID", index=True, copy=False,
                                     help="Opened by the JSAPI order API (paid in WeChat's browser).")
    ev_jsapi_payer = fields.Json(string="Payer", help="The payer object of the JSAPI order (openid field).")

    # === pay API === #

    def _ev_wechatpay_route(self, provider, method, url, body):
        path = urlsplit(url).path
        if method == "POST" and path.endswith("/transactions/jsapi"):
            return 200, self._ev_wechatpay_jsapi(provider, json.loads(body) if body else {})
        if method == "POST" and path.endswith("/transactions/native"):
            data = json.loads(body) if body else {}
            if data.get("out_trade_no") and self.search_count([
                    ("provider_id", "=", provider.id), ("out_trade_no", "=", data["out_trade_no"]),
                    ("ev_jsapi_prepay_id", "!=", False)]):
                raise _Refused("OUT_TRADE_NO_USED", "商户订单号重复")  # used by another trade type
        return super()._ev_wechatpay_route(provider, method, url, body)

    def _ev_wechatpay_jsapi(self, provider, data):
        self._ev_check_identity(provider, data)
        partner = provider.wechatpay_mode == "partner"
        appids = {"sp_appid": provider.wechatpay_appid, "sub_appid": provider.wechatpay_sub_appid} if partner \
            else {"appid": provider.wechatpay_appid}
        for name, expected in appids.items():
            if (name != "sub_appid" or data.get(name)) and data.get(name) != expected:
                raise _Refused("PARAM_ERROR", "%s 与商户号不匹配" % name)
        for name in ("description", "out_trade_no", "notify_url"):
            if not data.get(name):
                raise _Refused("PARAM_ERROR", "输入源“/body/%s”映射到值字段必填性规则校验失败" % name)
        amount = (data.get("amount") or {}).get("total")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise _Refused("PARAM_ERROR", "amount.total 必须为大于0的整数")
        payer = data.get("payer") if isinstance(data.get("payer"), dict) else {}
        allowed = ("sp_openid", "sub_openid") if partner else ("openid",)
        given = {name: payer[name] for name in allowed if payer.get(name)}
        if len(given) != 1:
            raise _Refused("PARAM_ERROR", "payer 须填写且只填写 %s 之一" % " / ".join(allowed))
        (field, openid), = given.items()
        payer_appid = data.get(_PAYER_APPID_FIELD[field])
        if not payer_appid:
            raise _Refused("PARAM_ERROR", "%s 需要同时传入 %s" % (field, _PAYER_APPID_FIELD[field]))
        if not self.env["ev.pay.sandbox.oauth.code"].sudo().search_count(
                [("appid", "=", payer_appid), ("openid", "=", openid)], limit=1):
            raise _Refused("PARAM_ERROR", "appid和openid不匹配")
        existing = self.search([("provider_id", "=", provider.id), ("out_trade_no", "=", data["out_trade_no"])])
        if existing:
            # The same order sent again (a lost answer) gets the same prepay_id; anything else is a reuse.
            if (existing.ev_jsapi_prepay_id and existing.state == "open" and existing.amount_fen == amount
                    and existing.ev_jsapi_payer == given):
                return {"prepay_id": existing.ev_jsapi_prepay_id}
            raise _Refused("OUT_TRADE_NO_USED", "商户订单号重复")
        order = self.create({
            **self._ev_wechatpay_order_values(provider, data, amount), "scanned": True,
            "ev_jsapi_prepay_id": wechatpay_platform.new_prepay_id(), "ev_jsapi_payer": given,
        })
        return {"prepay_id": order.ev_jsapi_prepay_id}

    def _ev_wechatpay_transaction(self):
        transaction = super()._ev_wechatpay_transaction()
        if self.ev_jsapi_prepay_id:
            transaction["trade_type"] = "JSAPI"
            if self.state == "paid":
                transaction["payer"] = dict(self.ev_jsapi_payer or {})
        return transaction

    # === official account web OAuth === #

    @api.model
    def _ev_wechat_oauth_providers(self, appid):
        """Test-state WeChat Pay providers whose official account (for OAuth) is ``appid``."""
        if not appid:
            return self.env["payment.provider"]
        providers = self.env["payment.provider"].sudo().search([
            ("code", "=", "wechatpay"), ("state", "=", "test"),
            "|", ("wechatpay_appid", "=", appid), ("wechatpay_sub_appid", "=", appid)])
        return providers.filtered(lambda p: p._ev_wechat_oauth_appid() == appid)

    @api.model
    def _ev_wechat_oauth_authorize(self, params, user_key):
        """The authorisation page (snsapi_base, no consent screen): the URL to send the browser back to, with a
        fresh code for the openid of ``user_key`` under ``appid``. Raises _Refused for what WeChat shows as an
        error page."""
        appid = params.get("appid") or ""
        providers = self._ev_wechat_oauth_providers(appid)
        if not providers:
            raise _Refused("40013", "appid参数错误")
        if params.get("response_type") != "code":
            raise _Refused("10004", "response_type参数错误")
        if params.get("scope") not in wechatpay.OAUTH_SCOPES:
            raise _Refused("10005", "scope参数错误或没有scope权限")
        redirect_uri = params.get("redirect_uri") or ""
        target = urlsplit(redirect_uri)
        # The official account's web authorisation domain is this server (the sandbox stands for it).
        if target.scheme not in ("http", "https") or target.hostname != urlsplit(providers[0]._ev_base_url()).hostname:
            raise _Refused("10003", "redirect_uri域名与后台配置不一致")
        code = self.env["ev.pay.sandbox.oauth.code"].sudo().create({
            "provider_id": providers[0].id, "appid": appid,
            "openid": wechatpay_platform.sandbox_openid(appid, user_key),
        })
        query = [("code", code.code)] + ([("state", params["state"])] if params.get("state") else [])
        return "%s%s%s" % (redirect_uri, "&" if target.query else "?", urlencode(query))

    @api.model
    def _ev_wechat_oauth_dispatch(self, method, path_and_query):
        """Answer one official-account API call (status, headers, body); used by the HTTP route and in-process."""
        parts = urlsplit(path_and_query)
        if method != "GET" or parts.path != WECHAT_OAUTH_SANDBOX_PREFIX + wechatpay.OAUTH_ACCESS_TOKEN_PATH:
            return 404, {"Content-Type": "text/plain"}, b"unknown sandbox"
        return 200, JSON_HEADERS, self._ev_wechat_oauth_token(dict(parse_qsl(parts.query)))

    @api.model
    def _ev_wechat_oauth_token(self, query):
        """``/sns/oauth2/access_token``: a code of this appid, given to the right AppSecret, good once."""
        if query.get("grant_type") != "authorization_code":
            return wechatpay_platform.oauth_error_answer(40002)
        providers = self._ev_wechat_oauth_providers(query.get("appid"))
        if not providers:
            return wechatpay_platform.oauth_error_answer(40013)
        secret = query.get("secret") or ""
        if not any(p.ev_sandbox_app_secret and consteq(p.ev_sandbox_app_secret, secret) for p in providers):
            return wechatpay_platform.oauth_error_answer(40125)
        Code = self.env["ev.pay.sandbox.oauth.code"].sudo()
        code = Code.search([("code", "=", query.get("code") or "-"), ("appid", "=", query["appid"])], limit=1)
        if not code:
            return wechatpay_platform.oauth_error_answer(40029)
        self.env.cr.execute("SELECT id FROM ev_pay_sandbox_oauth_code WHERE id = %s FOR UPDATE", [code.id])
        code.invalidate_recordset()
        if code.used:
            return wechatpay_platform.oauth_error_answer(40163)
        if code.expires_at < fields.Datetime.now():
            return wechatpay_platform.oauth_error_answer(40029)
        code.used = True
        return wechatpay_platform.oauth_token_answer(code.openid)

    # === the simulated payment sheet === #

    @api.model
    def _ev_jsapi_sheet_pay(self, params, user_key):
        """``getBrandWCPayRequest`` in the simulated WeChat: verify the sheet as WeChat does, then pay.

        Returns the queued callback (as the simulated wallet does); raises _Refused when WeChat would refuse.
        """
        params = params if isinstance(params, dict) else {}
        prepay_id = wechatpay.prepay_id_from_package(params.get("package"))
        order = self.sudo().search([("ev_jsapi_prepay_id", "=", prepay_id)], limit=1) if prepay_id else self
        if not order or order.provider_id.state != "test":
            raise _Refused("PARAM_ERROR", "prepay_id 不存在")
        provider = order.provider_id.sudo()
        try:
            wechatpay_platform.verify_jsapi_pay_params(params, provider.ev_sandbox_merchant_public_key)
        except wechatpay.WechatPaySignatureError as error:
            raise _Refused("SIGN_ERROR", "支付验证签名失败 (%s)" % error.reason) from None
        (field, openid), = (order.ev_jsapi_payer or {"openid": ""}).items()
        payer_appid = (order.identity or {}).get(_PAYER_APPID_FIELD[field])
        if params["appId"] != payer_appid:
            raise _Refused("PARAM_ERROR", "appId 与下单用户的公众号不一致")
        if not user_key or wechatpay_platform.sandbox_openid(payer_appid, user_key) != openid:
            raise _Refused("NO_AUTH", "当前微信用户不是下单用户")
        if order.state == "paid":
            raise _Refused("ORDERPAID", "该订单已支付")
        return order._ev_wallet_pay()
