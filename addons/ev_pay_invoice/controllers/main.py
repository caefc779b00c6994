"""Webhooks of WeChat Pay and Alipay, and the one-QR landing page.

The provider is told from the notification (models/payment_provider_dispatch.py: the key serial and sub_mchid,
the app ids), so a callback costs the same for one store or a thousand. It is verified first (WeChat: Wechatpay-*
headers over the raw body, 5-minute window, AES-GCM; Alipay: RSA2 over the form), then matched to the transaction
and checked (merchant, amount, currency), then applied once under a row lock. Refusals are logged with their
reason (never the keys or the body) and answered as each protocol expects, so that the platform redelivers:
WeChat a 4xx/5xx with {"code": "FAIL"}, Alipay anything but ``success``.
"""
import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import consteq

from ..models.payment_provider_dispatch import EvNotificationRefused
from ..protocols import alipay, wechatpay

_logger = logging.getLogger(__name__)


class EvPayWebhookController(http.Controller):
    _wechatpay_webhook_url = "/payment/wechatpay/webhook"
    _alipay_webhook_url = "/payment/alipay/webhook"

    # === WeChat Pay === #

    @http.route(_wechatpay_webhook_url, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def wechatpay_webhook(self):
        status, body = self._wechatpay_process(request.env, request.httprequest.headers,
                                               request.httprequest.get_data())
        headers = [("Content-Type", "application/json")] if body else []
        return request.make_response(body, headers=headers, status=status)

    @staticmethod
    def _wechatpay_process(env, headers, body):
        """(HTTP status, body) for one WeChat Pay callback; applies it when it is genuine."""
        try:
            provider, notification = env["payment.provider"].sudo()._ev_wechatpay_notification_provider(headers, body)
            data = env["payment.transaction"].sudo()._ev_normalise_wechatpay(provider, notification["resource"])
        except EvNotificationRefused as refusal:
            return EvPayWebhookController._refuse_wechatpay(refusal.status, refusal.reason)
        except ValidationError:
            return EvPayWebhookController._refuse_wechatpay(400, "merchant mismatch")
        return EvPayWebhookController._apply(env, "wechatpay", data, EvPayWebhookController._refuse_wechatpay,
                                             (wechatpay.NOTIFY_SUCCESS_STATUS, b""))

    @staticmethod
    def _refuse_wechatpay(status, reason):
        _logger.warning("WeChat Pay callback refused (%s): %s", status, reason)
        _status, body = wechatpay.notification_failure_answer()
        return status, body

    # === Alipay === #

    @http.route(_alipay_webhook_url, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def alipay_webhook(self, **_form):  # the form is read raw below; **_form keeps Odoo from warning per call
        status, text = self._alipay_process(request.env, request.httprequest.form.to_dict())
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)

    @staticmethod
    def _alipay_process(env, form):
        """(HTTP status, text) for one Alipay asynchronous notification; applies it when it is genuine."""
        try:
            provider, verified = env["payment.provider"].sudo()._ev_alipay_notification_provider(form)
        except EvNotificationRefused as refusal:
            return EvPayWebhookController._refuse_alipay(refusal.status, refusal.reason)
        data = env["payment.transaction"].sudo()._ev_normalise_alipay(provider, verified)
        return EvPayWebhookController._apply(env, "alipay", data, EvPayWebhookController._refuse_alipay,
                                             (200, alipay.NOTIFY_SUCCESS_ANSWER))

    @staticmethod
    def _refuse_alipay(status, reason):
        _logger.warning("Alipay notification refused (%s): %s", status, reason)
        return status, alipay.NOTIFY_FAILURE_ANSWER

    # === both === #

    @staticmethod
    def _apply(env, provider_code, data, refuse, success):
        Transaction = env["payment.transaction"].sudo()
        try:
            tx = Transaction._get_tx_from_notification_data(provider_code, data)
        except ValidationError:
            return refuse(404, "unknown order %s" % data.get("reference"))
        try:
            with env.cr.savepoint():
                Transaction._ev_handle_verified_notification(provider_code, data, tx=tx)
        except ValidationError as error:
            return refuse(400, str(error.args[0]))
        return success

    # === One QR for both wallets === #

    @http.route("/ev_pay/collect/<int:order_id>/<string:access_token>", type="http", auth="public", website=False,
                sitemap=False)
    def collection_landing(self, order_id, access_token, **_kwargs):
        """Landing page of the single collection QR: the wallet is told by its User-Agent.

        Alipay opens its https QR and pays. WeChat's browser cannot open the Native ``weixin://`` code: with the
        official account's AppSecret configured it is sent through the account's silent OAuth and pays in place
        (JSAPI, controllers/collection_jsapi.py); without it the page shows the code to press and hold.
        """
        order = landing_order(order_id, access_token)
        if not order:
            return request.not_found()
        state = order.ev_collection_state()
        agent = request.httprequest.user_agent.string or ""
        wanted = "wechatpay" if "MicroMessenger" in agent else "alipay" if "AlipayClient" in agent else None
        by_code = {tx["provider_code"]: tx for tx in state["transactions"] if tx["state"] == "pending"}
        chosen = by_code.get(wanted) if wanted else None
        if chosen and not state["paid"]:
            provider = request.env["payment.transaction"].sudo().browse(chosen["id"]).provider_id
            if wanted == "wechatpay" and provider._ev_wechat_jsapi_ready():
                return request.redirect(provider._ev_wechat_oauth_url(order), local=False)
            if chosen["qr_content"].startswith(("http://", "https://")):
                return request.redirect(chosen["qr_content"], local=False)
        return render_landing(state, chosen)


def landing_order(order_id, access_token):
    """The sale order of a landing link, or None when the link's token is not the order's."""
    order = request.env["sale.order"].sudo().browse(order_id).exists()
    if not order or not order.access_token or not consteq(order.access_token, access_token):
        return None
    return order


def render_landing(state, chosen=None, jsapi=None, error=None, retry_url=None, status=200):
    """The landing page: the QR codes, or WeChat's in-app payment (``jsapi``), or an ``error`` with a retry link."""
    return request.render("ev_pay_invoice.collection_landing_page", {
        "state": state, "chosen": chosen, "jsapi": jsapi, "error": error, "retry_url": retry_url}, status=status)
