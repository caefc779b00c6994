"""WeChat JSAPI transactions: the buyer pays the collection inside WeChat's browser (one-QR landing page).

WeChat refuses an ``out_trade_no`` already used with another trade type, so paying in WeChat's browser is a
transaction of its own next to the Native QR one: same sale order(s), provider and amount, a new reference,
created by ``_ev_create_qr_transaction`` like every collection and opened with ``POST …/transactions/jsapi``.
From then on it is an ordinary WeChat Pay transaction: the callback, the query cron, closing and refunds go by its
reference, and the sibling rule of ``_post_process`` closes the other open orders once one of them is paid.
One open JSAPI transaction per buyer (openid) and collection is reused when the buyer opens the page again.
"""
import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import wechatpay
from ..protocols.wechatpay import rfc3339_beijing

_logger = logging.getLogger(__name__)

# A reused JSAPI order must stay payable a little longer than the buyer needs to confirm it.
REUSE_MARGIN = datetime.timedelta(minutes=1)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    ev_jsapi_openid = fields.Char(string="Payer OpenID", readonly=True, copy=False,
                                  help="WeChat in-app (JSAPI) payment: the buyer's openid under the official "
                                  "account of the payer AppID.")
    ev_jsapi_appid = fields.Char(string="Payer AppID", readonly=True, copy=False)
    ev_jsapi_prepay_id = fields.Char(string="Prepay ID", readonly=True, copy=False)

    # === creation === #

    @api.model
    def _ev_jsapi_transaction(self, native_tx, openid):
        """The open JSAPI transaction of ``openid`` for the collection of ``native_tx``, made when missing.

        ``native_tx``: the open Native (QR) WeChat Pay transaction of the collection; it gives the order(s),
        provider, amount and buyer. Raises UserError when the collection cannot be paid any more.
        """
        native_tx = native_tx.sudo()
        native_tx.ensure_one()
        orders = native_tx.sale_order_ids
        # One buyer opening the page twice at once must not open two orders at WeChat.
        self.env.cr.execute("SELECT id FROM sale_order WHERE id IN %s FOR UPDATE", [tuple(orders.ids or [0])])
        self.env.invalidate_all()  # what a concurrent visit or callback committed before we had the lock
        paid = orders.transaction_ids.filtered(lambda tx: tx.state == "done" and tx.operation != "refund")
        if paid or native_tx.provider_code != "wechatpay" or native_tx.ev_jsapi_openid or native_tx.state != "pending":
            raise UserError(_("This collection is closed or already paid. Ask the cashier for a new code."))
        now = fields.Datetime.now()
        reusable = orders.transaction_ids.filtered(
            lambda tx: tx.provider_id == native_tx.provider_id and tx.ev_jsapi_openid == openid
            and tx.state == "pending" and tx.ev_jsapi_prepay_id and tx.amount == native_tx.amount
            and (not tx.ev_expires_at or tx.ev_expires_at > now + REUSE_MARGIN))
        if reusable:
            return reusable.sorted("id", reverse=True)[:1]
        provider = native_tx.provider_id
        # Created as the cashier who opened the collection, so that the bus tells that cashier's screen.
        Transaction = self.env["payment.transaction"].with_user(native_tx.create_uid).sudo().with_company(
            native_tx.company_id)
        return Transaction._ev_create_qr_transaction(
            provider, native_tx.amount, native_tx.currency_id, native_tx.partner_id,
            orders[:1].name or native_tx.reference.split("-")[0],
            sale_order_ids=[(6, 0, orders.ids)], ev_jsapi_openid=openid,
            ev_jsapi_appid=provider._ev_wechat_oauth_appid(),
        )

    def _ev_request_qr(self):
        """Override: a JSAPI transaction opens a JSAPI order (prepay_id) instead of a Native one (code_url)."""
        if not self.ev_jsapi_openid:
            return super()._ev_request_qr()
        self.ensure_one()
        provider = self.provider_id.sudo()
        minutes = provider.ev_qr_timeout_minutes or 15
        expires_at = fields.Datetime.now() + datetime.timedelta(minutes=minutes)
        api_request = wechatpay.jsapi_order_request(
            provider._ev_wechatpay_merchant(), out_trade_no=self.reference, description=self._ev_description(),
            total_fen=self._ev_amount_fen(), notify_url=provider._ev_notify_url(), openid=self.ev_jsapi_openid,
            time_expire=rfc3339_beijing(expires_at.replace(tzinfo=datetime.UTC)),
        )
        _status, payload = provider._ev_wechatpay_call(api_request)
        prepay_id = (payload or {}).get("prepay_id")
        if not prepay_id:
            raise UserError(_("%(provider)s answered without a prepay_id.", provider=provider.name))
        self.write({"ev_jsapi_prepay_id": prepay_id, "ev_expires_at": expires_at})
        self._set_pending()
        self._log_sent_message()

    def _get_specific_processing_values(self, processing_values):
        """Override: a JSAPI transaction hands out its payment-sheet parameters, not a QR."""
        if not self.ev_jsapi_openid:
            return super()._get_specific_processing_values(processing_values)
        if not self.ev_jsapi_prepay_id:
            self._ev_request_qr()
        return {"reference": self.reference, "provider_code": self.provider_code, "state": self.state,
                "amount": self.amount, "jsapi": self._ev_jsapi_pay_params()}

    # === the payment sheet === #

    def _ev_jsapi_pay_params(self):
        """The object for ``WeixinJSBridge.invoke('getBrandWCPayRequest', …)``, freshly signed."""
        self.ensure_one()
        if not self.ev_jsapi_prepay_id:
            raise UserError(_("%(reference)s is not a WeChat in-app payment.", reference=self.reference))
        return wechatpay.jsapi_pay_params(self.ev_jsapi_appid, self.ev_jsapi_prepay_id,
                                          self.provider_id._ev_wechatpay_credentials().private_key_pem)
