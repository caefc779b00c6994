"""WeChat Pay transactions: the Native QR order, its query and closing, refunds, and the pay code (付款码).

Each method overrides a channel hook of the common QR transaction (``payment_transaction.py``,
``payment_transaction_pos.py``) for WeChat Pay only. A callback resource and a query answer are turned into the
same normalised dict by ``_ev_normalise_wechatpay``. In-app payment (JSAPI) is in
``payment_transaction_wechatpay_jsapi.py``.
"""
import datetime

from odoo import _, api, models
from odoo.exceptions import ValidationError

from ..protocols import wechatpay
from ..protocols.wechatpay import rfc3339_beijing
from .payment_provider import EvPayAnswerLost
from .payment_transaction import CLOSED, FAILED, PAID, REFUND_UNKNOWN, WAITING

TRADE_STATUS = {"SUCCESS": PAID, "REFUND": PAID, "NOTPAY": WAITING, "USERPAYING": WAITING,
                "CLOSED": CLOSED, "REVOKED": CLOSED, "PAYERROR": FAILED}
REFUND_STATUS = {"SUCCESS": PAID, "PROCESSING": WAITING, "CLOSED": FAILED, "ABNORMAL": FAILED}
ORDER_UNKNOWN = ("ORDER_NOT_EXIST", "ORDERNOTEXIST")
# Pay-code answers that say nothing definite: the buyer may have paid, so query (never a failure).
CODEPAY_UNKNOWN = ("USERPAYING", "SYSTEM_ERROR", "SYSTEMERROR", "BANKERROR")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    @api.model
    def _ev_normalise_wechatpay(self, provider, resource, event_type=None):
        """Transaction or Refund object (callback resource or query answer) → normalised dict."""
        if "out_refund_no" in resource:
            status = resource.get("refund_status") or resource.get("status")
            amount = resource.get("amount") or {}
            return {
                "kind": "refund", "provider_id": provider.id, "reference": resource.get("out_refund_no"),
                "status": REFUND_STATUS.get(status, WAITING), "amount_fen": amount.get("refund"),
                "currency": amount.get("currency") or "CNY", "provider_reference": resource.get("refund_id"),
                "message": status,
            }
        merchant_fields = ("sp_mchid", "sub_mchid") if provider.wechatpay_mode == "partner" else ("mchid",)
        for name in merchant_fields:
            expected = provider.wechatpay_mchid if name in ("sp_mchid", "mchid") else provider.wechatpay_sub_mchid
            if resource.get(name) and resource[name] != expected:
                raise ValidationError(_("WeChat Pay: the notification is for merchant %(received)s, not %(expected)s.",
                                        received=resource[name], expected=expected))
        amount = resource.get("amount") or {}
        return {
            "kind": "payment", "provider_id": provider.id, "reference": resource.get("out_trade_no"),
            "status": TRADE_STATUS.get(resource.get("trade_state"), WAITING), "amount_fen": amount.get("total"),
            "currency": amount.get("currency") or "CNY", "provider_reference": resource.get("transaction_id"),
            "message": resource.get("trade_state_desc"),
        }

    # === QR order === #

    def _ev_open_qr_order(self, expires_at, minutes):
        """Override: open the Native order; its ``code_url`` is the QR content."""
        if self.provider_code != "wechatpay":
            return super()._ev_open_qr_order(expires_at, minutes)
        provider = self.provider_id.sudo()
        api_request = wechatpay.native_order_request(
            provider._ev_wechatpay_merchant(), out_trade_no=self.reference,
            description=self._ev_description(), total_fen=self._ev_amount_fen(),
            notify_url=provider._ev_notify_url(),
            time_expire=rfc3339_beijing(expires_at.replace(tzinfo=datetime.UTC)),
        )
        _status, payload = provider._ev_wechatpay_call(api_request)
        return (payload or {}).get("code_url")

    def _ev_query_order(self):
        if self.provider_code != "wechatpay":
            return super()._ev_query_order()
        provider = self.provider_id.sudo()
        status, payload = provider._ev_wechatpay_call(
            wechatpay.query_by_out_trade_no_request(provider._ev_wechatpay_merchant(), self.reference),
            allowed_errors=(*ORDER_UNKNOWN, "RESOURCE_NOT_EXISTS"))
        return self._ev_normalise_wechatpay(provider, payload) if status < 300 else None

    def _ev_close_order(self):
        """Override: close the Native order (a pay code is reversed instead), then query it, as WeChat closes a
        paid order without complaint on some paths."""
        if self.provider_code != "wechatpay":
            return super()._ev_close_order()
        if self.ev_codepay:
            self._ev_wechatpay_reverse_codepay()
            return False
        provider = self.provider_id.sudo()
        provider._ev_wechatpay_call(
            wechatpay.close_order_request(provider._ev_wechatpay_merchant(), self.reference),
            allowed_errors=(*ORDER_UNKNOWN, "ORDER_CLOSED", "TRADE_ERROR", "ORDERPAID"))
        self._ev_query_provider()
        return True

    # === refunds === #

    def _ev_send_refund(self):
        if self.provider_code != "wechatpay":
            return super()._ev_send_refund()
        source = self.source_transaction_id
        provider = self.provider_id.sudo()
        api_request = wechatpay.refund_request(
            provider._ev_wechatpay_merchant(), out_refund_no=self.reference,
            total_fen=source._ev_amount_fen(), refund_fen=self._ev_amount_fen(),
            out_trade_no=source.reference, notify_url=provider._ev_notify_url())
        status, payload = provider._ev_wechatpay_call(api_request, allowed_errors=REFUND_UNKNOWN)
        if status >= 300:
            raise EvPayAnswerLost(payload.get("message") or payload.get("code"))
        return self._ev_normalise_wechatpay(provider, payload or {})

    def _ev_query_refund_order(self):
        """Override: ``GET /v3/refund/domestic/refunds/{out_refund_no}``."""
        if self.provider_code != "wechatpay":
            return super()._ev_query_refund_order()
        provider = self.provider_id.sudo()
        status, payload = provider._ev_wechatpay_call(
            wechatpay.refund_query_request(provider._ev_wechatpay_merchant(), self.reference),
            allowed_errors=("RESOURCE_NOT_EXISTS",))
        if status < 300:
            return self._ev_normalise_wechatpay(provider, payload or {}), False
        return None, True

    # === pay code (付款码) === #

    def _ev_charge_pay_code(self, auth_code):
        """Override: codepay; USERPAYING means the buyer is typing the wallet password."""
        if self.provider_code != "wechatpay":
            return super()._ev_charge_pay_code(auth_code)
        provider = self.provider_id.sudo()
        status, payload = provider._ev_wechatpay_call(
            wechatpay.codepay_request(
                provider._ev_wechatpay_merchant(), out_trade_no=self.reference,
                description=self._ev_description(), total_fen=self._ev_amount_fen(), auth_code=auth_code,
                store_out_id=str(self.company_id.id)),
            allowed_errors=CODEPAY_UNKNOWN)
        if status < 300 and payload and payload.get("out_trade_no"):
            return self._ev_normalise_wechatpay(provider, payload), False
        return None, (payload or {}).get("code") != "USERPAYING"

    def _ev_wechatpay_reverse_codepay(self):
        """Reverse (撤销) an unpaid pay-code order, which is how codepay is cancelled."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        try:
            status, answer = provider._ev_wechatpay_call(
                wechatpay.reverse_request(provider._ev_wechatpay_merchant(), self.reference),
                allowed_errors=(*ORDER_UNKNOWN, "TRADE_ERROR", "USERPAYING", "SYSTEM_ERROR", "SYSTEMERROR"))
        except EvPayAnswerLost:
            return  # the reverse may not have happened: stays pending, the next poll or cron retries
        if status >= 300 and (answer or {}).get("code") in ("USERPAYING", "SYSTEM_ERROR", "SYSTEMERROR"):
            self._ev_query_provider()  # not reversed (yet): the buyer is paying right now, or WeChat is unsure
            return
        self._ev_query_provider()  # paid just before the reverse: recorded, not lost
        if self.state in ("draft", "pending"):
            self._set_canceled(_("Pay code payment cancelled; the order was reversed at %(provider)s.",
                                 provider=provider.name))
            self._ev_notify_change()

