"""Transactions started from the Point of Sale (``pos_order_id``, from ``pos_online_payment``) and pay-code
payments (付款码: the cashier scans the buyer's code; WeChat Pay codepay, Alipay ``alipay.trade.pay``).

A pay-code transaction is created like a QR one (``_ev_create_qr_transaction`` with the code in the context),
so the checks, the reference and the state machine are the same; only the provider call differs (the channel hook
``_ev_charge_pay_code``; which wallet made a code is the provider hook ``_ev_pay_code_channel``). It usually
answers "waiting for the buyer" (USERPAYING / 10003) while the buyer types the wallet password: the POS then
polls ``pos.order.ev_pos_poll``, which queries the provider. A paid POS transaction is post-processed by
``pos_online_payment`` (one ``account.payment``, linked to the POS payment).
"""
import datetime
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES, EvPayAnswerLost

_logger = logging.getLogger(__name__)

# How often the POS poll may query the provider: a pay code every 3 s (no callback), a QR every 15 s (the
# callback and the bus come first; the query only completes a lost callback).
CODEPAY_QUERY_SECONDS, QR_QUERY_SECONDS = 3, 15
# How long a pay-code payment waiting for the buyer (or of unknown outcome) is queried before it is cancelled at
# the provider: WeChat Pay asks to poll for 30 s, then reverse (it revokes by itself after 45 s); Alipay asks to
# query, then alipay.trade.cancel when there is still no definite result (docs/protocols/unknown-outcomes.md).
CODEPAY_WINDOW_SECONDS = 30


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
        wanted = providers._ev_pay_code_channel(code)
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
            data, unknown = self._ev_charge_pay_code(auth_code)
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

    def _ev_charge_pay_code(self, auth_code):
        """Channel hook: charge the buyer's pay code. ``(normalised outcome or None, unknown)``: no outcome and
        not unknown means the buyer is typing the wallet password. Raises EvPayAnswerLost when the answer never
        arrived, a UserError with the platform's words when the code is refused."""
        self.ensure_one()
        raise UserError(_("%(provider)s is not a WeChat Pay or Alipay provider.", provider=self.provider_id.name))

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
