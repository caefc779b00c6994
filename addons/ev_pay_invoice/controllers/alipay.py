"""The Alipay webhook: asynchronous notifications of payments and refunds of every store arrive here.

The provider is told from the form (``_ev_alipay_notification_provider``: ``app_id``, ``auth_app_id``), the RSA2
signature over the form verified first, then the notification applied once (``apply_notification``). Anything
but ``success`` makes Alipay deliver it again.
"""
import logging

from odoo import http
from odoo.http import request

from ..models.payment_provider import EvNotificationRefused
from ..protocols import alipay
from .main import apply_notification

_logger = logging.getLogger(__name__)


class EvAlipayController(http.Controller):
    _webhook_url = "/payment/alipay/webhook"

    @http.route(_webhook_url, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def alipay_webhook(self, **_form):  # the form is read raw below; **_form keeps Odoo from warning per call
        status, text = self._alipay_process(request.env, request.httprequest.form.to_dict())
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)

    @staticmethod
    def _alipay_process(env, form):
        """(HTTP status, text) for one Alipay asynchronous notification; applies it when it is genuine."""
        refuse = EvAlipayController._refuse_alipay
        try:
            provider, verified = env["payment.provider"].sudo()._ev_alipay_notification_provider(form)
        except EvNotificationRefused as refusal:
            return refuse(refusal.status, refusal.reason)
        data = env["payment.transaction"].sudo()._ev_normalise_alipay(provider, verified)
        return apply_notification(env, "alipay", data, refuse, (200, alipay.NOTIFY_SUCCESS_ANSWER))

    @staticmethod
    def _refuse_alipay(status, reason):
        _logger.warning("Alipay notification refused (%s): %s", status, reason)
        return status, alipay.NOTIFY_FAILURE_ANSWER
