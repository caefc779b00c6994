"""Transactions started from the Point of Sale (``pos_order_id``, from ``pos_online_payment``) and pay-code
payments (付款码: the cashier scans the buyer's code; WeChat Pay codepay, Alipay ``alipay.trade.pay``).

A pay-code transaction is created like a QR one (``_ev_create_qr_transaction`` with the code in the context),
so the checks, the reference and the state machine are the same; only the provider call differs. It usually
answers "waiting for the buyer" (USERPAYING / 10003) while the buyer types the wallet password: the POS then
polls ``pos.order.ev_pos_poll``, which queries the provider. A paid POS transaction is post-processed by
``pos_online_payment`` (one ``account.payment``, linked to the POS payment).
"""
import datetime
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import alipay, wechatpay
from .payment_provider import EV_PROVIDER_CODES, EvPayAnswerLost

_logger = logging.getLogger(__name__)

# Pay codes shown by the wallets: WeChat 18 digits starting 10-15; Alipay 16-24 digits starting 25-30.
WECHAT_PAY_CODE = re.compile(r"1[0-5]\d{16}")
ALIPAY_PAY_CODE = re.compile(r"(2[5-9]|30)\d{14,22}")
# How often the POS poll may query the provider: a pay code every 3 s (no callback), a QR every 15 s (the
# callback and the bus come first; the query only completes a lost callback).
CODEPAY_QUERY_SECONDS, QR_QUERY_SECONDS = 3, 15
# How long a pay-code payment waiting for the buyer (or of unknown outcome) is queried before it is cancelled at
# the provider: WeChat Pay asks to poll for 30 s, then reverse (it revokes by itself after 45 s); Alipay asks to
# query, then alipay.trade.cancel when there is still no definite result (docs/protocols/unknown-outcomes.md).
CODEPAY_WINDOW_SECONDS = 30
# Pay-code answers that say nothing definite: the buyer may have paid, so query (never a failure).
WECHATPAY_CODEPAY_UNKNOWN = ("USERPAYING", "SYSTEM_ERROR", "SYSTEMERROR", "BANKERROR")
ALIPAY_CODEPAY_UNKNOWN = (None, "ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.unknow-error")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    ev_codepay = fields.Boolean(
        string="Pay Code", readonly=True, copy=False,
        help="The cashier scanned the buyer's pay code (付款码) instead of showing a QR code.")
    ev_pos_refund_order_id = fields.Many2one(
        "pos.order", string="POS Refund Order", readonly=True, copy=False, index="btree_not_null",
        help="The POS refund order that this refund pays back to the buyer's wallet.")

    # === pay code === #

    @api.model
    def _ev_pay_code_provider(self, providers, raw_code):
        """``(provider, code)``: the provider among ``providers`` whose wallet made this pay code."""
        code = re.sub(r"\s", "", raw_code or "")
        wanted = "wechatpay" if WECHAT_PAY_CODE.fullmatch(code) else "alipay" if ALIPAY_PAY_CODE.fullmatch(code) \
            else None
        if not wanted:
            raise UserError(_(
                "%(code)s is not a WeChat Pay or Alipay pay code: scan the code shown under the barcode in the "
                "buyer's wallet (WeChat: 18 digits starting 10 to 15; Alipay: 16 to 24 digits starting 25 to 30).",
                code=code or "-"))
        provider = providers.filtered(lambda p: p.code == wanted)[:1]
        if not provider:
            raise UserError(_("%(code)s is a %(wallet)s pay code, but this payment method does not collect with "
                              "%(wallet)s.", code=code, wallet=dict(providers._fields["code"].selection)[wanted]))
        return provider, code

    def _ev_request_qr(self):
        """Override: a transaction created for a pay code (``ev_codepay_auth_code`` in the context) charges
        that code instead of opening a QR order."""
        auth_code = self.env.context.get("ev_codepay_auth_code")
        if not auth_code:
            return super()._ev_request_qr()
        return self._ev_request_codepay(auth_code)

    def _ev_request_codepay(self, auth_code):
        """Charge the buyer's pay code; paid at once, or pending while the buyer types the wallet password.

        A refused code (expired, insufficient balance…) raises the provider's message: the request is rolled
        back and no transaction is left behind. An answer that says nothing definite (system error, no answer at
        all) keeps the transaction pending as "checking" and queries it at once: the buyer may have paid.
        """
        self.ensure_one()
        provider = self.provider_id.sudo()
        data, unknown = None, False
        try:
            if provider.code == "wechatpay":
                status, payload = provider._ev_wechatpay_call(
                    wechatpay.codepay_request(
                        provider._ev_wechatpay_merchant(), out_trade_no=self.reference,
                        description=self._ev_description(), total_fen=self._ev_amount_fen(), auth_code=auth_code,
                        store_out_id=str(self.company_id.id)),
                    allowed_errors=WECHATPAY_CODEPAY_UNKNOWN)
                if status < 300 and payload and payload.get("out_trade_no"):
                    data = self._ev_normalise_wechatpay(provider, payload)
                else:
                    unknown = (payload or {}).get("code") != "USERPAYING"
            else:
                payload = provider._ev_alipay_call(
                    alipay.pay_params(
                        provider._ev_alipay_app(), out_trade_no=self.reference, total_amount=self._ev_amount_yuan(),
                        subject=self._ev_description(), auth_code=auth_code, notify_url=provider._ev_notify_url(),
                        app_auth_token=provider.alipay_app_auth_token or None),
                    # 10003 (waiting for the buyer) carries no sub_code; 20000 isp.unknow-error is unknown.
                    allowed_sub_codes=ALIPAY_CODEPAY_UNKNOWN)
                if alipay.is_success(payload):
                    data = self._ev_normalise_alipay(provider, {**payload, "trade_status": "TRADE_SUCCESS"})
                else:
                    unknown = payload.get("code") != alipay.WAIT_USER_PAY_CODE
        except EvPayAnswerLost:
            unknown = True
        now = fields.Datetime.now()
        self.write({"ev_last_query_at": now,
                    "ev_expires_at": now + datetime.timedelta(seconds=CODEPAY_WINDOW_SECONDS)})
        self._set_pending(state_message=self._ev_checking_message() if unknown else _(
            "Waiting for the buyer to enter the wallet password."))
        self._log_sent_message()
        if data:
            data["reference"] = self.reference
            self._ev_handle_verified_notification(provider.code, data)
        elif unknown:
            self._ev_query_provider()

    def _ev_close_expired_codepay(self):
        """Pay-code payments still unpaid after the window: cancel them at the provider (WeChat reverse, Alipay
        cancel), which also returns the money of a payment made at the last moment — never a double charge."""
        now = fields.Datetime.now()
        expired = self.filtered(lambda t: t.ev_codepay and t.state in ("draft", "pending")
                                and t.ev_expires_at and t.ev_expires_at <= now)
        expired._ev_query_provider()
        expired.filtered(lambda t: t.state in ("draft", "pending"))._ev_close_at_provider()

    def _ev_till_extra_values(self):
        """Hook: more values of this transaction for the till (``pos.order.ev_pos_state``)."""
        self.ensure_one()
        return {}

    def _ev_close_at_provider(self):
        """Override: an unpaid WeChat pay-code order is reversed (撤销), which is how codepay is cancelled."""
        wechat_codepay = self.filtered(lambda t: t.ev_codepay and t.provider_code == "wechatpay"
                                       and t.state in ("draft", "pending"))
        for tx in wechat_codepay:
            provider = tx.provider_id.sudo()
            try:
                status, answer = provider._ev_wechatpay_call(
                    wechatpay.reverse_request(provider._ev_wechatpay_merchant(), tx.reference),
                    allowed_errors=("ORDER_NOT_EXIST", "ORDERNOTEXIST", "TRADE_ERROR", "USERPAYING", "SYSTEM_ERROR",
                                    "SYSTEMERROR"))
            except EvPayAnswerLost:
                continue  # the reverse may not have happened: stays pending, the next poll or cron retries
            if status >= 300 and (answer or {}).get("code") in ("USERPAYING", "SYSTEM_ERROR", "SYSTEMERROR"):
                tx._ev_query_provider()  # not reversed (yet): the buyer is paying right now, or WeChat is unsure
                continue
            tx._ev_query_provider()  # paid just before the reverse: recorded, not lost
            if tx.state in ("draft", "pending"):
                tx._set_canceled(_("Pay code payment cancelled; the order was reversed at %(provider)s.",
                                   provider=provider.name))
                tx._ev_notify_change()
        alipay_codepay = self.filtered(lambda t: t.ev_codepay and t.provider_code == "alipay"
                                       and t.state in ("draft", "pending"))
        for tx in alipay_codepay:
            tx._ev_alipay_cancel_codepay()
        return super(PaymentTransaction, self - wechat_codepay - alipay_codepay)._ev_close_at_provider()

    def _ev_alipay_cancel_codepay(self):
        """``alipay.trade.cancel``: closes the unpaid trade, or refunds it if the buyer paid meanwhile."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        try:
            payload = provider._ev_alipay_call(
                alipay.cancel_params(provider._ev_alipay_app(), out_trade_no=self.reference,
                                     app_auth_token=provider.alipay_app_auth_token or None),
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

    # === POS === #

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Override of `payment`: a refund made from a POS refund order is linked to it (pos.order.ev_pos_refund)."""
        if is_refund and self.env.context.get("ev_pos_refund_order_id"):
            custom_create_values.setdefault("ev_pos_refund_order_id", self.env.context["ev_pos_refund_order_id"])
        return super()._create_child_transaction(amount, is_refund=is_refund, **custom_create_values)

    def _ev_pos_query_due(self):
        """The POS-polled transactions whose provider should be asked now (see the query intervals)."""
        now = fields.Datetime.now()

        def due(tx):
            seconds = CODEPAY_QUERY_SECONDS if tx.ev_codepay else QR_QUERY_SECONDS
            last = tx.ev_last_query_at or tx.create_date
            return last <= now - datetime.timedelta(seconds=seconds)
        return self.filtered(lambda t: t.state in ("draft", "pending") and due(t))

    def _ev_notify_change(self):
        """Override: also ping the till that is waiting for this POS order (payload: the order id only)."""
        super()._ev_notify_change()
        for order in self.filtered("pos_order_id").pos_order_id:
            order.config_id._notify("ONLINE_PAYMENTS_NOTIFICATION", {"id": order.id})

    def _process_pos_online_payment(self):
        """Override of ``pos_online_payment``: a second wallet paid for an order already paid (the buyer paid
        both QR codes at the same moment) is not added to the order; it stays a transaction to refund."""
        late = self.filtered(lambda t: t.provider_code in EV_PROVIDER_CODES and t.pos_order_id
                             and t.state == "done" and not t.payment_id.pos_order_id
                             and t.pos_order_id.state != "draft")
        for tx in late:
            tx.pos_order_id.message_post(body=_(
                "%(reference)s was paid after this order was already paid: refund the buyer from the "
                "transaction.", reference=tx.reference))
        # The order is finished after the payment is recorded, apart, so that a failure to finish it (no buyer…)
        # never rolls the recorded payment back (see pos.order._ev_finish_paid_online).
        result = super(PaymentTransaction, (self - late).with_context(ev_pos_finish_later=True)
                       )._process_pos_online_payment()
        (self - late).pos_order_id._ev_finish_paid_online()
        return result

    def _post_process(self):
        """Override: once a POS order is paid by one wallet, close its other open WeChat Pay / Alipay orders."""
        super()._post_process()
        paid = self.filtered(lambda t: t.provider_code in EV_PROVIDER_CODES and t.pos_order_id and t.state == "done"
                             and t.operation != "refund")
        if not paid:
            return
        siblings = self.search([
            ("pos_order_id", "in", paid.pos_order_id.ids), ("provider_code", "in", EV_PROVIDER_CODES),
            ("state", "in", ("draft", "pending")), ("id", "not in", paid.ids)])
        for sibling in siblings:
            try:
                sibling._ev_close_at_provider()
            except UserError as error:
                _logger.warning("could not close %s after its POS order was paid: %s", sibling.reference, error)
