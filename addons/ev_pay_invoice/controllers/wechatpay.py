"""The WeChat Pay webhook: payments, POS payments and refunds of every store arrive here.

The provider is told from the callback (``_ev_wechatpay_notification_provider``: the key serial, then the
``sp_mchid`` / ``sub_mchid`` of the resource), verified first (Wechatpay-* headers over the raw body, 5-minute
window, AES-GCM), then applied once (``apply_notification``). A refusal is answered with a 4xx and
{"code": "FAIL"}, so that WeChat Pay redelivers.
"""
import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..models.payment_provider import EvNotificationRefused
from ..protocols import wechatpay
from .main import apply_notification

_logger = logging.getLogger(__name__)


class EvWechatPayController(http.Controller):
    _webhook_url = "/payment/wechatpay/webhook"

    @http.route(_webhook_url, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def wechatpay_webhook(self):
        status, body = self._wechatpay_process(request.env, request.httprequest.headers,
                                               request.httprequest.get_data())
        headers = [("Content-Type", "application/json")] if body else []
        return request.make_response(body, headers=headers, status=status)

    @staticmethod
    def _wechatpay_process(env, headers, body):
        """(HTTP status, body) for one WeChat Pay callback; applies it when it is genuine."""
        refuse = EvWechatPayController._refuse_wechatpay
        try:
            provider, notification = env["payment.provider"].sudo()._ev_wechatpay_notification_provider(headers, body)
            data = env["payment.transaction"].sudo()._ev_normalise_wechatpay(provider, notification["resource"])
        except EvNotificationRefused as refusal:
            return refuse(refusal.status, refusal.reason)
        except ValidationError:
            return refuse(400, "merchant mismatch")
        return apply_notification(env, "wechatpay", data, refuse, (wechatpay.NOTIFY_SUCCESS_STATUS, b""))

    @staticmethod
    def _refuse_wechatpay(status, reason):
        _logger.warning("WeChat Pay callback refused (%s): %s", status, reason)
        _status, body = wechatpay.notification_failure_answer()
        return status, body
