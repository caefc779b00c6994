"""Alipay transactions: the precreated QR trade, its query and closing, refunds, and the pay code (付款码).

Each method overrides a channel hook of the common QR transaction (``payment_transaction.py``,
``payment_transaction_pos.py``) for Alipay only. A notification form and a query answer are turned into the same
normalised dict by ``_ev_normalise_alipay``.
"""
from odoo import _, api, models
from odoo.tools import float_repr

from ..protocols import alipay
from .payment_provider import EvPayAnswerLost
from .payment_transaction import CLOSED, PAID, REFUND_UNKNOWN, WAITING

TRADE_STATUS = {"TRADE_SUCCESS": PAID, "TRADE_FINISHED": PAID, "WAIT_BUYER_PAY": WAITING, "TRADE_CLOSED": CLOSED}
# Pay-code answers that say nothing definite: 10003 (waiting for the buyer) carries no sub_code; 20000
# isp.unknow-error is unknown.
CODEPAY_UNKNOWN = (None, "ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.unknow-error")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    @api.model
    def _ev_normalise_alipay(self, provider, data):
        """Notification form or alipay.trade.query answer → normalised dict (refund fields → refund kind)."""
        total = data.get("total_amount")
        amount_fen = None
        if total not in (None, ""):
            try:
                amount_fen = int(round(float(alipay.format_yuan(total)) * 100))
            except ValueError:
                amount_fen = -1
        if data.get("out_biz_no") and data.get("refund_fee"):
            return {"kind": "refund", "provider_id": provider.id, "reference": data["out_biz_no"], "status": PAID,
                    "amount_fen": None, "provider_reference": data.get("trade_no")}
        return {
            "kind": "payment", "provider_id": provider.id, "reference": data.get("out_trade_no"),
            "status": TRADE_STATUS.get(data.get("trade_status"), WAITING), "amount_fen": amount_fen,
            "currency": "CNY", "provider_reference": data.get("trade_no"),
        }

    def _ev_amount_yuan(self, amount=None):
        return alipay.format_yuan(float_repr(abs(self.amount if amount is None else amount), 2))

    # === QR trade === #

    def _ev_open_qr_order(self, expires_at, minutes):
        """Override: precreate the trade; its ``qr_code`` is the QR content."""
        if self.provider_code != "alipay":
            return super()._ev_open_qr_order(expires_at, minutes)
        provider = self.provider_id.sudo()
        params = alipay.precreate_params(
            provider._ev_alipay_app(), out_trade_no=self.reference, total_amount=self._ev_amount_yuan(),
            subject=self._ev_description(), notify_url=provider._ev_notify_url(),
            app_auth_token=provider._ev_alipay_auth_token(), timeout_express="%dm" % minutes,
        )
        return provider._ev_alipay_call(params).get("qr_code")

    def _ev_query_order(self):
        if self.provider_code != "alipay":
            return super()._ev_query_order()
        provider = self.provider_id.sudo()
        payload = provider._ev_alipay_call(
            alipay.query_params(provider._ev_alipay_app(), out_trade_no=self.reference,
                                app_auth_token=provider._ev_alipay_auth_token()),
            allowed_sub_codes=("ACQ.TRADE_NOT_EXIST",))
        # Precreated but never scanned: the trade does not exist yet (alipay.md#precreate), i.e. still waiting.
        return self._ev_normalise_alipay(provider, payload) if alipay.is_success(payload) else None

    def _ev_close_order(self):
        """Override: close the trade (a pay code is cancelled instead); a trade paid meanwhile is queried and
        recorded, not cancelled."""
        if self.provider_code != "alipay":
            return super()._ev_close_order()
        if self.ev_codepay:
            self._ev_alipay_cancel_codepay()
            return False
        provider = self.provider_id.sudo()
        payload = provider._ev_alipay_call(
            alipay.close_params(provider._ev_alipay_app(), out_trade_no=self.reference,
                                app_auth_token=provider._ev_alipay_auth_token()),
            allowed_sub_codes=("ACQ.TRADE_NOT_EXIST", "ACQ.TRADE_HAS_CLOSE", "ACQ.TRADE_HAS_SUCCESS",
                               "ACQ.TRADE_STATUS_ERROR"))
        if payload.get("sub_code") in ("ACQ.TRADE_HAS_SUCCESS", "ACQ.TRADE_STATUS_ERROR"):
            self._ev_query_provider()
            return False
        return True

    # === refunds === #

    def _ev_send_refund(self):
        if self.provider_code != "alipay":
            return super()._ev_send_refund()
        provider = self.provider_id.sudo()
        params = alipay.refund_params(
            provider._ev_alipay_app(), refund_amount=self._ev_amount_yuan(), out_request_no=self.reference,
            out_trade_no=self.source_transaction_id.reference, app_auth_token=provider._ev_alipay_auth_token())
        payload = provider._ev_alipay_call(params, allowed_sub_codes=REFUND_UNKNOWN)
        if not alipay.is_success(payload):
            raise EvPayAnswerLost(payload.get("sub_msg") or payload.get("sub_code"))
        return {"kind": "refund", "status": PAID, "amount_fen": None, "provider_reference": payload.get("trade_no")}

    def _ev_query_refund_order(self):
        """Override: ``alipay.trade.fastpay.refund.query``, whose answer with data and an empty or
        ``REFUND_SUCCESS`` status means refunded."""
        if self.provider_code != "alipay":
            return super()._ev_query_refund_order()
        provider = self.provider_id.sudo()
        payload = provider._ev_alipay_call(
            alipay.refund_query_params(provider._ev_alipay_app(), out_request_no=self.reference,
                                       out_trade_no=self.source_transaction_id.reference,
                                       app_auth_token=provider._ev_alipay_auth_token()),
            allowed_sub_codes=("ACQ.TRADE_NOT_EXIST",))
        if payload.get("out_request_no") == self.reference and payload.get("refund_status") in (
                None, "", "REFUND_SUCCESS"):
            return {"kind": "refund", "status": PAID, "amount_fen": None,
                    "provider_reference": payload.get("trade_no")}, False
        return None, True

    # === pay code (付款码) === #

    def _ev_charge_pay_code(self, auth_code):
        """Override: ``alipay.trade.pay``; code 10003 means the buyer is typing the wallet password."""
        if self.provider_code != "alipay":
            return super()._ev_charge_pay_code(auth_code)
        provider = self.provider_id.sudo()
        payload = provider._ev_alipay_call(
            alipay.pay_params(
                provider._ev_alipay_app(), out_trade_no=self.reference, total_amount=self._ev_amount_yuan(),
                subject=self._ev_description(), auth_code=auth_code, notify_url=provider._ev_notify_url(),
                app_auth_token=provider._ev_alipay_auth_token()),
            allowed_sub_codes=CODEPAY_UNKNOWN)
        if alipay.is_success(payload):
            return self._ev_normalise_alipay(provider, {**payload, "trade_status": "TRADE_SUCCESS"}), False
        return None, payload.get("code") != alipay.WAIT_USER_PAY_CODE

    def _ev_alipay_cancel_codepay(self):
        """``alipay.trade.cancel``: closes the unpaid trade, or refunds it if the buyer paid meanwhile."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        try:
            payload = provider._ev_alipay_call(
                alipay.cancel_params(provider._ev_alipay_app(), out_trade_no=self.reference,
                                     app_auth_token=provider._ev_alipay_auth_token()),
                allowed_sub_codes=("ACQ.TRADE_NOT_EXIST",))
        except EvPayAnswerLost:
            return  # stays pending: the next poll or cron cancels again (the same trade, so never twice)
        if payload.get("retry_flag") == "Y":
            return
        if payload.get("action") == "refund":
            message = _("The buyer paid too late: Alipay cancelled the payment and returned the money to the buyer. "
                        "Collect again.")
        else:
            message = _("Pay code payment cancelled; the order was cancelled at %(provider)s.", provider=provider.name)
        self._set_canceled(message)
        self._ev_notify_change()
