"""QR wallet transactions on Odoo's payment engine: what every channel (WeChat Pay, Alipay…) has in common.

One transaction = one order at the provider (our ``reference`` is its ``out_trade_no``; a refund child
transaction's reference is its refund request number). A verified notification and an order query yield the same
normalised dict, so callbacks, the query cron and the collection screen all go through Odoo's state machine: a
second "paid" is a no-op. What differs per channel is a handful of hooks, each overridden in the channel's file
(``payment_transaction_<code>.py``) after checking its own ``provider_code``: ``_ev_open_qr_order``,
``_ev_query_order``, ``_ev_close_order``, ``_ev_send_refund``, ``_ev_query_refund_order`` (and
``_ev_charge_pay_code`` in ``payment_transaction_pos.py``).

Methods meant for other callers (the backend cashier, the bundle sale, a POS payment method):
``_ev_create_qr_transaction`` (amount + reference → transaction with its QR), ``_ev_qr_payload`` (what to show),
``_ev_poll`` (state, post-processing when paid), ``_ev_cancel_collection`` (close at the provider).
"""
import datetime
import logging
import re

import psycopg2

from odoo import SUPERUSER_ID, Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.payment import utils as payment_utils

from .payment_provider import EV_PROVIDER_CODES, EvPayAnswerLost

_logger = logging.getLogger(__name__)

# Normalised statuses of a verified notification or query answer.
PAID, WAITING, CLOSED, FAILED = "paid", "waiting", "closed", "failed"
# Refund answers that say nothing definite (the platforms ask to query, then retry under the same number).
REFUND_UNKNOWN = ("SYSTEM_ERROR", "SYSTEMERROR", "ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.unknow-error")
# Seconds after a payment before Odoo's post-processing cron takes it, if no collection screen has (see
# _ev_handle_verified_notification).
POST_PROCESS_FALLBACK_DELAY = 5
_REFERENCE_UNSAFE = re.compile(r"[^0-9A-Za-z_\-]")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    ev_qr_content = fields.Char(string="QR Content", readonly=True, copy=False,
                                help="WeChat Pay code_url or Alipay qr_code shown to the payer.")
    ev_expires_at = fields.Datetime(string="QR Expires At", readonly=True, copy=False)
    ev_last_query_at = fields.Datetime(string="Last Query", readonly=True, copy=False)

    # === CREATION (for the cashier, the bundle sale and POS) === #

    @api.model
    def _ev_reference(self, prefix, provider):
        """A reference valid as out_trade_no on every platform: [0-9A-Za-z_-], 6 to 32 characters."""
        tag = provider._ev_reference_tag()
        base = _REFERENCE_UNSAFE.sub("_", prefix or "EV")[:22]
        return self._compute_reference(provider.code, prefix="%s-%s" % (base, tag))

    @api.model
    def _ev_create_qr_transaction(self, provider, amount, currency, partner, reference_prefix, **extra_values):
        """Create a transaction for ``amount`` and open its order at the provider; returns it with its QR.

        ``extra_values`` are more create values (``sale_order_ids``, ``invoice_ids``, a POS order link…).
        Raises UserError with the provider's words if the order cannot be opened.
        """
        provider.ensure_one()
        if provider.code not in EV_PROVIDER_CODES or provider.state == "disabled":
            raise UserError(_("%(provider)s cannot collect: it is not an enabled WeChat Pay or Alipay provider.",
                              provider=provider.name))
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(_("The amount to collect must be positive, got %(amount)s.", amount=amount))
        if currency.name != "CNY":
            raise UserError(_("%(provider)s collects in CNY only, not in %(currency)s.",
                              provider=provider.name, currency=currency.name))
        tx = self.sudo().create({
            "provider_id": provider.id,
            "payment_method_id": provider._ev_payment_method().id,
            "reference": self._ev_reference(reference_prefix, provider),
            "amount": amount,
            "currency_id": currency.id,
            "partner_id": partner.id,
            "operation": "online_direct",
            **extra_values,
        })
        tx._ev_request_qr()
        return tx

    def _get_specific_processing_values(self, processing_values):
        """Override of `payment`: open the order at the provider and hand out its QR."""
        res = super()._get_specific_processing_values(processing_values)
        if self.provider_code not in EV_PROVIDER_CODES:
            return res
        if not self.ev_qr_content:
            self._ev_request_qr()
        return {**res, **self._ev_qr_payload()}

    def _ev_qr_payload(self):
        self.ensure_one()
        return {
            "reference": self.reference,
            "provider_code": self.provider_code,
            "qr_content": self.ev_qr_content,
            "expires_at": fields.Datetime.to_string(self.ev_expires_at) if self.ev_expires_at else False,
            "state": self.state,
            "amount": self.amount,
        }

    def _ev_amount_fen(self, amount=None):
        return payment_utils.to_minor_currency_units(abs(self.amount if amount is None else amount), self.currency_id)

    def _ev_description(self):
        orders = self.sale_order_ids
        names = orders.order_line.filtered(lambda line: not line.display_type).mapped("name")
        text = (names[0].split("\n")[0] if names else "") or self.reference
        store = self.company_id.name or ""
        # Each request builder cuts it as its platform counts (WeChat Pay: UTF-8 bytes; Alipay: characters).
        return "%s-%s" % (store, text)

    def _ev_request_qr(self):
        """Open the order at the provider; store the QR; set pending."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        minutes = provider.ev_qr_timeout_minutes or 15
        expires_at = fields.Datetime.now() + datetime.timedelta(minutes=minutes)
        try:
            qr_content = self._ev_open_qr_order(expires_at, minutes)
        except EvPayAnswerLost as error:
            # An order may have been opened, but its QR code never reached anyone: nobody can pay it.
            raise UserError(_("%(provider)s did not answer while opening the QR code. No QR code was shown, so "
                              "nothing can have been paid: try again.", provider=provider.name)) from error
        if not qr_content:
            raise UserError(_("%(provider)s answered without a QR code.", provider=provider.name))
        self.write({"ev_qr_content": qr_content, "ev_expires_at": expires_at})
        self._set_pending()  # no note in the order's chatter (see _log_received_message)

    def _log_received_message(self):
        """Override of `payment`: a QR code shown is no news for the order's chatter. Every sale opens one per
        wallet, and Odoo's notes (initiated, pending) made four of them before anything was paid; the payment,
        the refusal and the closing of the wallet not used are still noted."""
        shown = self.filtered(lambda tx: tx.provider_code in EV_PROVIDER_CODES and tx.state == "pending"
                              and tx.ev_qr_content)
        super(PaymentTransaction, self - shown)._log_received_message()

    # === CHANNEL HOOKS (overridden in payment_transaction_<code>.py) === #

    def _ev_open_qr_order(self, expires_at, minutes):
        """Channel hook: open the order at the provider, payable until ``expires_at`` (``minutes`` from now);
        return the content of its QR code. Raises EvPayAnswerLost when the answer never arrived."""
        self.ensure_one()
        raise UserError(_("%(provider)s cannot collect: it is not an enabled WeChat Pay or Alipay provider.",
                          provider=self.provider_id.name))

    def _ev_query_order(self):
        """Channel hook: the normalised state of the order at the provider, or None when it has no such order
        (yet). Raises EvPayAnswerLost when the answer never arrived."""
        self.ensure_one()
        return None

    def _ev_close_order(self):
        """Channel hook: close the unpaid order at the provider. True when the transaction may now be cancelled;
        False when the channel recorded the outcome itself (paid meanwhile, a pay code reversed)."""
        self.ensure_one()
        return True

    def _ev_send_refund(self):
        """Channel hook: send this refund; its normalised outcome. Raises EvPayAnswerLost when the outcome is
        unknown (no answer, a system error)."""
        self.ensure_one()
        raise UserError(_("%(provider)s is not a WeChat Pay or Alipay provider.", provider=self.provider_id.name))

    def _ev_query_refund_order(self):
        """Channel hook: ``(normalised outcome or None, unknown at the provider)`` of this refund."""
        self.ensure_one()
        return None, False

    # === NOTIFICATIONS === #

    def _get_tx_from_notification_data(self, provider_code, notification_data):
        """Override of `payment`: find the transaction by out_trade_no, or the refund by its request number."""
        tx = super()._get_tx_from_notification_data(provider_code, notification_data)
        if provider_code not in EV_PROVIDER_CODES or len(tx) == 1:
            return tx
        reference = notification_data.get("reference")
        domain = [("reference", "=", reference), ("provider_code", "=", provider_code)]
        if notification_data.get("provider_id"):
            domain.append(("provider_id", "=", notification_data["provider_id"]))
        if notification_data.get("kind") == "refund":
            domain.append(("operation", "=", "refund"))
        tx = self.search(domain, limit=1) if reference else self.browse()
        if not tx:
            raise ValidationError(_("%(provider)s: no transaction found matching reference %(reference)s.",
                                    provider=provider_code, reference=reference))
        return tx

    def _process_notification_data(self, notification_data):
        """Override of `payment`: check the amount and currency, then move along Odoo's state machine.

        ``notification_data`` is the normalised dict of a *verified* notification or query answer
        (``_ev_normalise_*``): kind, reference, status, amount_fen, currency, provider_reference.
        """
        super()._process_notification_data(notification_data)
        if self.provider_code not in EV_PROVIDER_CODES:
            return
        expected_fen = self._ev_amount_fen()
        if notification_data.get("amount_fen") is not None and notification_data["amount_fen"] != expected_fen:
            raise ValidationError(_(
                "%(provider)s: the amount of %(reference)s does not match: %(received)s fen received, "
                "%(expected)s fen expected.", provider=self.provider_code, reference=self.reference,
                received=notification_data["amount_fen"], expected=expected_fen))
        currency = notification_data.get("currency") or "CNY"
        if currency != self.currency_id.name:
            raise ValidationError(_("%(provider)s: %(reference)s was paid in %(received)s, not %(expected)s.",
                                    provider=self.provider_code, reference=self.reference, received=currency,
                                    expected=self.currency_id.name))
        if notification_data.get("provider_reference") and not self.provider_reference:
            self.provider_reference = notification_data["provider_reference"]
        status = notification_data.get("status")
        if status == PAID:
            if self.state == "cancel":
                # Paid at the provider although we had given up (closed too late, or paid just before
                # closing): the money was taken, so record it; the order stays as it is.
                self._set_done(_("Paid after the collection was cancelled: refund the buyer or re-open the "
                                 "order."), extra_allowed_states=("cancel",))
            else:
                self._set_done()
        elif status == WAITING:
            if self.state == "draft":
                self._set_pending()
        elif status == CLOSED:
            self._set_canceled(_("Closed at %(provider)s.", provider=self.provider_id.name))
        elif status == FAILED:
            self._set_error(notification_data.get("message") or _("Refused by %(provider)s.",
                                                                  provider=self.provider_id.name))

    @api.model
    def _ev_handle_verified_notification(self, provider_code, data, tx=None):
        """Process a verified, normalised notification exactly once; returns the transaction.

        The row lock serialises concurrent duplicates: a second delivery waits, then finds the state already
        reached (Odoo's state machine ignores it) — or, under REPEATABLE READ, fails to serialise and is
        retried by Odoo's request retry, with the same outcome. No slow work happens here: post-processing
        (order confirmation, invoice, payment) is left to the post-processing cron and the collection screen.
        ``tx``: the transaction, when the caller has already looked it up.
        """
        # As OdooBot: the chatter messages of the state change need an author with an e-mail address, which a
        # walk-in buyer seldom has (Odoo otherwise signs them with the buyer's name).
        tx = (tx or self._get_tx_from_notification_data(provider_code, data)).with_user(SUPERUSER_ID)
        if tx._ev_notification_already_applied(data):
            _logger.info("%s: duplicate notification of %s, already applied", provider_code, tx.reference)
            return tx
        # A duplicate racing the first delivery waits here; under REPEATABLE READ it then fails to serialise, and
        # Odoo retries the request (logged at INFO), which answers it above. Not logged as a bad query: expected.
        self.env.cr.execute("SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", [tx.id],
                            log_exceptions=False)
        tx.invalidate_recordset()
        previous_state = tx.state
        tx._process_notification_data(data)
        if tx.state != previous_state:
            tx._ev_notify_change()
            # The cashier's collection screen, told at once, post-processes the payment itself; the cron is the
            # fallback for a closed screen, a few seconds later, so that it does not hold a cron worker racing the
            # screen (and delaying the e-invoice queue) for work the screen has done.
            self.env.ref("payment.cron_post_process_payment_tx")._trigger(
                at=fields.Datetime.now() + datetime.timedelta(seconds=POST_PROCESS_FALLBACK_DELAY))
        return tx

    def _ev_notification_already_applied(self, data):
        """True when this verified notification only repeats what the transaction already holds (a platform's
        redelivery or a duplicate): it is answered as a success without taking a lock or writing anything."""
        self.ensure_one()
        return data.get("status") == PAID and self.state == "done" \
            and data.get("amount_fen") in (None, self._ev_amount_fen()) \
            and (data.get("currency") or "CNY") == self.currency_id.name

    def _ev_notify_change(self):
        """Tell the screen of whoever started the collection (bus); the screen also polls as a fallback."""
        for tx in self:
            payload = {"reference": tx.reference, "state": tx.state,
                       "order_ids": (tx.sale_order_ids or tx.source_transaction_id.sale_order_ids).ids}
            self.env["bus.bus"]._sendone(tx.create_uid.partner_id, "ev_pay_invoice/collection", payload)

    # === QUERY / CLOSE === #

    def _ev_checking_message(self):
        return _("Checking with %(provider)s (查询中): the answer did not arrive; the payment is queried by its "
                 "order number. Do not collect again until it is settled.", provider=self.provider_id.name)

    def _ev_query_provider(self):
        """Ask the provider for the state of the order and apply it (completes a lost callback).

        A query whose answer is lost too leaves the transaction as it is (pending, 查询中): the next poll or the
        cron asks again."""
        for tx in self:
            provider = tx.provider_id.sudo()
            try:
                data = tx._ev_query_order()
            except EvPayAnswerLost:
                _logger.info("query of %s: no answer, asked again later", tx.reference)
                continue
            tx.ev_last_query_at = fields.Datetime.now()
            if data:
                data["reference"] = tx.reference
                self._ev_handle_verified_notification(provider.code, data)
            if tx.state == "pending" and tx.state_message == tx._ev_checking_message():
                # A definite answer arrived: no longer "checking".
                tx.state_message = _("Waiting for the buyer to enter the wallet password.") if tx.ev_codepay \
                    else False

    def _ev_close_at_provider(self):
        """Close the unpaid order at the provider and cancel the transaction (a paid one is recorded instead)."""
        for tx in self.filtered(lambda t: t.state in ("draft", "pending")):
            if tx._ev_close_order() and tx.state in ("draft", "pending"):
                tx._set_canceled(_("Collection cancelled; the order was closed at %(provider)s.",
                                   provider=tx.provider_id.name))
                tx._ev_notify_change()

    def _ev_cancel_collection(self):
        """Cancel button of the collection screen (and POS): close every open order at its provider."""
        self._ev_close_at_provider()

    @api.model
    def _cron_ev_query_pending(self, limit=200):
        """Query the pending QR transactions older than N minutes; close the expired ones; post-process.
        Then the pending refunds (`_cron_ev_query_pending_refunds`).

        N is the system parameter ``ev_pay_invoice.query_after_minutes`` (default 2).
        """
        minutes = int(self.env["ir.config_parameter"].sudo().get_param("ev_pay_invoice.query_after_minutes", 2))
        now = fields.Datetime.now()
        txs = self.sudo().search([
            ("provider_id.code", "in", EV_PROVIDER_CODES), ("state", "in", ("draft", "pending")),
            ("operation", "!=", "refund"), ("last_state_change", "<=", now - datetime.timedelta(minutes=minutes)),
        ], limit=limit, order="last_state_change")
        commit = not self.env.registry.in_test_mode()
        for tx in txs:
            try:
                tx._ev_query_provider()
                if tx.state in ("draft", "pending") and tx.ev_expires_at and tx.ev_expires_at <= now:
                    tx._ev_close_at_provider()
                tx._ev_post_process_locked()
                if commit:
                    self.env.cr.commit()
            except (UserError, ValidationError) as error:
                _logger.warning("query of %s failed: %s", tx.reference, error)
                if commit:
                    self.env.cr.rollback()
        self._cron_ev_query_pending_refunds(limit=limit)

    @api.model
    def _cron_ev_query_pending_refunds(self, limit=200):
        """Query the refunds still pending after N minutes (a WeChat ``PROCESSING`` whose callback was lost, an
        answer that never arrived) and settle them through the payment engine. Those still pending after a day
        are listed for the accountant (menu 待核实退款)."""
        minutes = int(self.env["ir.config_parameter"].sudo().get_param("ev_pay_invoice.query_after_minutes", 2))
        refunds = self.sudo().search([
            ("provider_id.code", "in", EV_PROVIDER_CODES), ("state", "in", ("draft", "pending")),
            ("operation", "=", "refund"),
            ("last_state_change", "<=", fields.Datetime.now() - datetime.timedelta(minutes=minutes)),
        ], limit=limit, order="last_state_change")
        commit = not self.env.registry.in_test_mode()
        for refund in refunds:
            try:
                refund._ev_query_refund()
                if commit:
                    self.env.cr.commit()
            except (UserError, ValidationError) as error:
                _logger.warning("query of refund %s failed: %s", refund.reference, error)
                if commit:
                    self.env.cr.rollback()

    # === POST-PROCESSING === #

    def _ev_post_process_locked(self):
        """Post-process (confirm, invoice, pay) the transactions nobody else is post-processing right now."""
        done = self.browse()
        for tx in self.filtered(lambda t: not t.is_post_processed and t.state in ("done", "cancel", "error")):
            # Fails to serialise when the row changed since this transaction began: expected, and retried by the
            # caller (Odoo's request retry, the cron's next run), so not logged as a bad query.
            self.env.cr.execute("SELECT id FROM payment_transaction WHERE id = %s FOR UPDATE SKIP LOCKED", [tx.id],
                                log_exceptions=False)
            if not self.env.cr.fetchone():
                continue
            tx.invalidate_recordset(["is_post_processed", "state"])
            if tx.is_post_processed:
                continue
            tx.with_user(SUPERUSER_ID).with_company(tx.company_id).with_context(ev_pay_async_mail=True)._post_process()
            done |= tx
        return done

    def _cron_post_process(self):
        """Override of `payment`: WeChat Pay and Alipay transactions go through the same row lock as the collection
        screens' polling (`_ev_post_process_locked`), so the cron and a waiting screen never confirm and invoice
        the same payment at the same time; other providers keep Odoo's behaviour."""
        txs = self or self.search([
            ("is_post_processed", "=", False),
            ("last_state_change", ">=", fields.Datetime.now() - datetime.timedelta(days=4)),
        ])
        # A payment of the last few seconds is left to its collection screen: the cron, woken for an older one,
        # took it too, and held its worker for the post-processing the screen does at that very moment.
        left_to_screen = fields.Datetime.now() - datetime.timedelta(seconds=POST_PROCESS_FALLBACK_DELAY)
        ev_txs = txs.filtered(lambda tx: tx.provider_code in EV_PROVIDER_CODES)
        if not self:
            ev_txs = ev_txs.filtered(lambda tx: tx.last_state_change <= left_to_screen)
        commit = self.env["account.move"]._can_commit()  # each payment in its own transaction, except in tests
        for tx in ev_txs:
            try:
                tx._ev_post_process_locked()
                if commit:
                    self.env.cr.commit()
            except psycopg2.OperationalError:
                if not commit:
                    raise
                self.env.cr.rollback()  # a concurrent request holds the order: the next run takes it
            except Exception:
                if not commit:
                    raise
                _logger.exception("post-processing of %s failed", tx.reference)
                self.env.cr.rollback()
        others = txs.filtered(lambda tx: tx.provider_code not in EV_PROVIDER_CODES)
        if others:
            super(PaymentTransaction, others)._cron_post_process()

    def _post_process(self):
        """Override of `payment`: once one wallet is paid, close the other one's order; warn about late payments."""
        super()._post_process()
        for tx in self.filtered(lambda t: t.provider_code in EV_PROVIDER_CODES and t.state == "done"
                                and t.operation != "refund"):
            orders = tx.sale_order_ids
            siblings = orders.transaction_ids.filtered(
                lambda t, paid=tx: t != paid and t.provider_code in EV_PROVIDER_CODES
                and t.state in ("draft", "pending"))
            for sibling in siblings:
                try:
                    sibling._ev_close_at_provider()
                except UserError as error:
                    _logger.warning("could not close %s after %s was paid: %s", sibling.reference, tx.reference,
                                    error)
            for order in orders.filtered(lambda o: o.state == "cancel"):
                order.message_post(body=_("%(reference)s was paid after this order was cancelled: refund the "
                                          "buyer from the payment, or re-open the order.", reference=tx.reference))
            tx._ev_notify_change()

    def _send_invoice(self):
        """Override of `sale`: no PDF e-mail for QR collections; the buyer gets the e-invoice (数电票) issued
        for the posted invoice instead, and rendering a PDF would only slow the post-processing down."""
        others = self.filtered(lambda tx: tx.provider_code not in EV_PROVIDER_CODES)
        if others:
            super(PaymentTransaction, others)._send_invoice()

    # === REFUNDS === #

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Override of `payment`: a refund made from a credit note carries that credit note (reconciliation)."""
        if is_refund and self.env.context.get("ev_refund_invoice_ids"):
            custom_create_values.setdefault("invoice_ids", [Command.set(self.env.context["ev_refund_invoice_ids"])])
        return super()._create_child_transaction(amount, is_refund=is_refund, **custom_create_values)

    def _send_refund_request(self, amount_to_refund=None):
        """Override of `payment`: refund through the provider's refund API, then post the refund payment."""
        refund_tx = super()._send_refund_request(amount_to_refund=amount_to_refund)
        if self.provider_code not in EV_PROVIDER_CODES:
            return refund_tx
        refund_tx._ev_request_refund()
        return refund_tx

    def _ev_request_refund(self, query_when_lost=True):
        """Send the refund (its reference is the idempotency key: sending it again never refunds twice).

        A refund still processing (WeChat ``PROCESSING``) stays pending and is queried by the cron; one whose
        answer never arrived stays pending as 查询中 and is queried at once."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        try:
            data = self._ev_send_refund()
        except EvPayAnswerLost:
            self._set_pending(state_message=self._ev_checking_message())
            if query_when_lost:
                self._ev_query_refund(resend=False)
            return
        data.update(reference=self.reference, provider_id=provider.id, kind="refund")
        self._ev_handle_verified_notification(provider.code, data)
        if self.state == "done":
            self._ev_post_process_locked()

    def _ev_query_refund(self, resend=True):
        """Ask the provider about pending refunds (a lost callback, an answer that never arrived) and settle them.

        A refund the provider does not know was never received: with ``resend`` it is sent again under the same
        number, as the platforms ask."""
        for tx in self.filtered(lambda t: t.operation == "refund" and t.state in ("draft", "pending")):
            provider = tx.provider_id.sudo()
            try:
                data, unknown_at_provider = tx._ev_query_refund_order()
            except EvPayAnswerLost:
                continue  # still 查询中: the cron asks again
            tx.ev_last_query_at = fields.Datetime.now()
            if data:
                data.update(reference=tx.reference, provider_id=provider.id, kind="refund")
                self._ev_handle_verified_notification(provider.code, data)
                if tx.state == "pending" and tx.state_message == tx._ev_checking_message():
                    tx.state_message = _("The refund is being processed by %(provider)s.", provider=provider.name)
            elif unknown_at_provider and resend:
                tx._ev_request_refund(query_when_lost=False)
            if tx.state == "done":
                tx._ev_post_process_locked()

    def action_ev_check_refund(self):
        """Button of the refund transaction: ask the platform now."""
        self.check_access("write")
        self._ev_query_refund()

    # === PUBLIC HELPERS FOR SCREENS === #

    def _ev_poll(self):
        """State of the transactions for a waiting screen; post-process the paid ones (like /payment/status/poll)."""
        self._ev_post_process_locked()
        return [tx._ev_qr_payload() for tx in self]
