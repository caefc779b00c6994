"""What the channels' webhooks share, and the one-QR landing page.

Each channel's webhook is its own controller (``controllers/<code>.py``): it tells the provider from the
notification (the key serial and sub_mchid, the app ids), so a callback costs the same for one store or a
thousand, and verifies it first; then ``apply_notification`` matches it to the transaction, checks it (merchant,
amount, currency) and applies it once under a row lock. Refusals are logged with their reason (never the keys or
the body) and answered as each protocol expects, so that the platform redelivers.
"""
from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import consteq


def apply_notification(env, provider_code, data, refuse, success):
    """Apply a verified, normalised notification of ``provider_code``; ``success`` or ``refuse(status, reason)``."""
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


class EvPayCollectionController(http.Controller):

    # === One QR for every wallet === #

    @http.route("/ev_pay/collect/<int:order_id>/<string:access_token>", type="http", auth="public", website=False,
                sitemap=False)
    def collection_landing(self, order_id, access_token, **_kwargs):
        """Landing page of the single collection QR: the wallet is told by its User-Agent.

        Alipay opens its https QR and pays. WeChat's browser cannot open the Native ``weixin://`` code: with the
        official account's AppSecret configured it is sent through the account's silent OAuth and pays in place
        (JSAPI, controllers/wechatpay_jsapi.py); without it the page shows the code to press and hold.
        """
        order = landing_order(order_id, access_token)
        if not order:
            return request.not_found()
        state = order.ev_collection_state()
        agent = request.httprequest.user_agent.string or ""
        wanted = request.env["payment.provider"]._ev_wallet_of_browser(agent)
        by_code = {tx["provider_code"]: tx for tx in state["transactions"] if tx["state"] == "pending"}
        chosen = by_code.get(wanted) if wanted else None
        if chosen and not state["paid"]:
            provider = request.env["payment.transaction"].sudo().browse(chosen["id"]).provider_id
            redirect = provider._ev_landing_redirect(order)
            if redirect:
                return request.redirect(redirect, local=False)
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
