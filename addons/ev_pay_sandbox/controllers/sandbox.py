"""HTTP face of the sandbox platforms (models/ev_pay_sandbox_order.py) and of the simulated wallet."""
import json
from urllib.parse import urlencode

from odoo import http
from odoo.http import request
from odoo.tools import consteq

from ..models.ev_pay_sandbox_order import ALIPAY_BILL_PATH, _Refused


class EvPaySandboxController(http.Controller):

    @staticmethod
    def _raw_path():
        environ = request.httprequest.environ
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            return raw
        full_path = request.httprequest.full_path
        return full_path[:-1] if full_path.endswith("?") else full_path

    @staticmethod
    def _answer(status, headers, body):
        return request.make_response(body, headers=list(headers.items()), status=status)

    @http.route(["/ev_pay/sandbox/wechatpay/<path:_subpath>"], type="http", auth="public", methods=["GET", "POST"],
                csrf=False, save_session=False)
    def wechatpay_api(self, _subpath, **kwargs):
        if _subpath.startswith("v3/billdownload/file"):
            status, headers, body = request.env["ev.pay.sandbox.order"].sudo()._ev_bill_file(self._raw_path())
            return request.not_found() if status == 404 else self._answer(status, headers, body)
        status, headers, body = request.env["ev.pay.sandbox.order"].sudo()._ev_dispatch(
            request.httprequest.method, self._raw_path(), request.httprequest.headers, request.httprequest.get_data())
        return self._answer(status, headers, body)

    @http.route("/ev_pay/sandbox/alipay/gateway.do", type="http", auth="public", methods=["GET", "POST"],
                csrf=False, save_session=False)
    def alipay_gateway(self, **_kwargs):
        # Odoo has already parsed the form body (biz_content): give it back to the simulator as it was sent.
        form = urlencode(list(request.httprequest.form.items(multi=True))).encode()
        status, headers, body = request.env["ev.pay.sandbox.order"].sudo()._ev_dispatch(
            request.httprequest.method, self._raw_path(), request.httprequest.headers, form)
        return self._answer(status, headers, body)

    @http.route(ALIPAY_BILL_PATH, type="http", auth="public", methods=["GET"], csrf=False, save_session=False)
    def alipay_bill_file(self, token="-", **_kwargs):
        """The zip behind a ``bill_download_url`` (unsigned, as Alipay's own download links are)."""
        status, headers, body = request.env["ev.pay.sandbox.order"].sudo()._ev_bill_file(self._raw_path())
        return request.not_found() if status == 404 else self._answer(status, headers, body)

    # === the simulated wallet === #

    @staticmethod
    def _order(token):
        order = request.env["ev.pay.sandbox.order"].sudo().search([("access_token", "=", token)], limit=1)
        return order if order and consteq(order.access_token, token) else None

    @http.route("/ev_pay/sandbox/wallet/<string:token>", type="http", auth="public", methods=["GET"],
                sitemap=False)
    def wallet(self, token, **_kwargs):
        order = self._order(token)
        if not order:
            return request.not_found()
        if order.state == "open" and not order.scanned:
            order.scanned = True  # Alipay: the trade exists from the scan on (alipay.md#precreate)
        return request.render("ev_pay_sandbox.sandbox_wallet_page", {"order": order})

    @http.route("/ev_pay/sandbox/wallet/<string:token>/pay", type="http", auth="public", methods=["POST"],
                csrf=False, sitemap=False)
    def wallet_pay(self, token, **_kwargs):
        """The buyer pays; answers JSON with the queued callback so that the page can relay it at once."""
        order = self._order(token)
        if not order:
            return request.not_found()
        try:
            notification = order._ev_wallet_pay()
        except _Refused as refused:
            return request.make_json_response({"state": order.state, "error": refused.message}, status=409)
        relay = notification._relay_payload() if notification and notification.state == "pending" else None
        return request.make_json_response({"state": order.state, "notification": relay})

    @http.route("/ev_pay/sandbox/wallet/<string:token>/cancel", type="http", auth="public", methods=["POST"],
                csrf=False, sitemap=False)
    def wallet_cancel(self, token, **_kwargs):
        order = self._order(token)
        if not order:
            return request.not_found()
        order._ev_wallet_cancel()
        return request.make_json_response({"state": order.state})

    @http.route("/ev_pay/sandbox/notification/<int:notification_id>/<string:token>/ack", type="http",
                auth="public", methods=["POST"], csrf=False, sitemap=False)
    def notification_ack(self, notification_id, token, **_kwargs):
        """The wallet page reports what our webhook answered to the relayed callback."""
        notification = request.env["ev.pay.sandbox.notification"].sudo().browse(notification_id).exists()
        if not notification or not consteq(notification.access_token, token):
            return request.not_found()
        data = json.loads(request.httprequest.get_data() or b"{}")
        if notification._lock_pending():  # else the delivery cron holds it and records its own answer
            notification._record_answer(int(data.get("status") or 0), str(data.get("text") or ""))
        return request.make_json_response({"state": notification.state})
