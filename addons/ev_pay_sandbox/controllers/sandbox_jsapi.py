"""HTTP face of the simulated WeChat of the in-app payment: the official account's OAuth and the payment sheet.

Served under /ev_pay/sandbox/wechat/, which stands for both open.weixin.qq.com and api.weixin.qq.com when a
WeChat Pay provider is in test state (payment.provider._ev_wechat_oauth_hosts). The simulation itself is in
models/ev_pay_sandbox_order_jsapi.py.
"""
import json
import secrets

from odoo import http
from odoo.http import request

from ..models.ev_pay_sandbox_order import _Refused
from ..models.ev_pay_sandbox_order_jsapi import USER_COOKIE
from ..models.payment_provider_jsapi import JSAPI_SHEET_PATH, WECHAT_OAUTH_SANDBOX_PREFIX
from ..protocols import wechatpay

USER_COOKIE_MAX_AGE = 365 * 24 * 3600


class EvPaySandboxJsapiController(http.Controller):

    @http.route(WECHAT_OAUTH_SANDBOX_PREFIX + wechatpay.OAUTH_AUTHORIZE_PATH, type="http", auth="public",
                methods=["GET"], csrf=False, save_session=False, sitemap=False)
    def oauth_authorize(self, **params):
        """The silent authorisation (snsapi_base): straight back to redirect_uri with a code, or an error page."""
        user_key = request.httprequest.cookies.get(USER_COOKIE) or secrets.token_urlsafe(16)
        try:
            url = request.env["ev.pay.sandbox.order"].sudo()._ev_wechat_oauth_authorize(params, user_key)
        except _Refused as refused:
            return request.make_response("%s %s" % (refused.code, refused.message), status=400,
                                         headers=[("Content-Type", "text/plain; charset=utf-8")])
        response = request.redirect(url, code=302, local=False)
        response.set_cookie(USER_COOKIE, user_key, max_age=USER_COOKIE_MAX_AGE, httponly=True, samesite="Lax")
        return response

    @http.route(WECHAT_OAUTH_SANDBOX_PREFIX + wechatpay.OAUTH_ACCESS_TOKEN_PATH, type="http", auth="public",
                methods=["GET"], csrf=False, save_session=False, sitemap=False)
    def oauth_access_token(self, **_params):
        environ = request.httprequest.environ
        path = request.httprequest.path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        status, headers, body = request.env["ev.pay.sandbox.order"].sudo()._ev_wechat_oauth_dispatch("GET", path)
        return request.make_response(body, headers=list(headers.items()), status=status)

    @http.route(JSAPI_SHEET_PATH, type="http", auth="public", methods=["POST"], csrf=False, save_session=False,
                sitemap=False)
    def jsapi_sheet_pay(self, **_kwargs):
        """The buyer confirms WeChat's payment sheet. Answers like the sheet (err_msg) plus, as the simulated
        wallet does, the queued callback for the page to relay at once."""
        try:
            params = json.loads(request.httprequest.get_data() or b"{}")
        except ValueError:
            params = {}
        try:
            notification = request.env["ev.pay.sandbox.order"].sudo()._ev_jsapi_sheet_pay(
                params, request.httprequest.cookies.get(USER_COOKIE))
        except _Refused as refused:
            return request.make_json_response({"err_msg": wechatpay.JSAPI_RESULT_FAIL, "code": refused.code,
                                               "error": refused.message}, status=409)
        relay = notification._relay_payload() if notification and notification.state == "pending" else None
        return request.make_json_response({"err_msg": wechatpay.JSAPI_RESULT_OK, "notification": relay})
