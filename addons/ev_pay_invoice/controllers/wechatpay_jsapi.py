"""WeChat in-app payment (JSAPI) from the one-QR landing page, and the state the page polls.

The landing page (controllers/main.py) sends WeChat's browser through the official account's silent OAuth; WeChat
comes back here with ``code`` and our signed ``state``. The code gives the buyer's openid, the openid a JSAPI
transaction of the collection (reused when the same buyer comes back), and the page opens WeChat's payment sheet
with the signed parameters, then polls ``…/state`` until the order is paid or the collection closed.
"""
import json

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from .main import landing_order, render_landing


class EvPayCollectionJsapiController(http.Controller):

    @http.route("/ev_pay/collect/<int:order_id>/<string:access_token>/wechat", type="http", auth="public",
                methods=["GET"], sitemap=False, save_session=False)
    def collection_wechat(self, order_id, access_token, code=None, state=None, **_kwargs):
        """Return of the official account's OAuth: open (or reuse) the buyer's JSAPI order and show the sheet."""
        order = landing_order(order_id, access_token)
        if not order:
            return request.not_found()
        landing_url = "/ev_pay/collect/%d/%s" % (order.id, access_token)
        collection = order.ev_collection_state()
        provider = request.env["payment.provider"].sudo()._ev_wechat_provider_from_state(state, order)
        if not provider:
            return render_landing(collection, error=_("This payment link has expired or was changed. Scan the "
                                                      "code again."), retry_url=landing_url, status=400)
        native = next((tx for tx in collection["transactions"] if tx["state"] == "pending"
                       and tx["provider_code"] == "wechatpay"), None)
        native_tx = request.env["payment.transaction"].sudo().browse(native["id"]) if native else None
        if collection["paid"] or not native_tx or native_tx.provider_id != provider:
            return render_landing(collection)  # paid, or closed: the page says so
        if not code:
            return render_landing(collection, native, error=_("WeChat did not say who is paying. Scan the code "
                                                              "again."), retry_url=landing_url, status=400)
        try:
            with request.env.cr.savepoint():
                openid = provider._ev_wechat_oauth_openid(code)
                tx = request.env["payment.transaction"].sudo()._ev_jsapi_transaction(native_tx, openid)
                params = tx._ev_jsapi_pay_params()
        except UserError as error:
            return render_landing(collection, native, error=str(error.args[0]), retry_url=landing_url)
        jsapi = {
            "params_json": json.dumps(params),
            "reference": tx.reference,
            "state_url": "%s/state" % landing_url,
            **provider._ev_jsapi_landing_values(),
        }
        return render_landing(collection, jsapi=jsapi)

    @http.route("/ev_pay/collect/<int:order_id>/<string:access_token>/state", type="http", auth="public",
                methods=["GET"], sitemap=False, save_session=False)
    def collection_state(self, order_id, access_token, tx=None, **_kwargs):
        """What the landing page polls: paid, still open, and the state of its in-app transaction ``tx``."""
        order = landing_order(order_id, access_token)
        if not order:
            return request.not_found()
        collection = order.ev_collection_state()  # post-processes a paid transaction, as the cashier's poll does
        in_app = order.ev_collection_tx_ids.filtered(lambda t: t.reference == tx)[:1] if tx else None
        still_open = any(t["state"] == "pending" for t in collection["transactions"]) or bool(
            in_app and in_app.state == "pending")
        return request.make_json_response({
            "paid": collection["paid"], "open": still_open, "tx_state": in_app.state if in_app else None})
