import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES

_logger = logging.getLogger(__name__)


class PosOrder(models.Model):
    """RPCs of the POS "Scan to pay" popup for WeChat Pay / Alipay (see ``pos.payment.method`` for the design).

    The till has saved the order as draft and set the amount of the online payment
    (``get_and_set_online_payments_data``); these methods open the provider orders for exactly that amount,
    charge a scanned pay code, poll, and cancel. The payment is added to the order only on the server, when
    its transaction is verified paid (``pos_online_payment``); the till then reads the order back.
    """

    _inherit = "pos.order"

    ev_einvoice_url = fields.Char(
        string="E-invoice Link", compute="_compute_ev_einvoice_url",
        help="The buyer's public link to the fully digital e-invoice of this order's invoice, printed as a QR code "
             "on the receipt; it serves the PDF once the tax platform has issued it.")

    ev_einvoice_state = fields.Selection(related="account_move.ev_einvoice_state", string="E-invoice State")
    ev_einvoice_error = fields.Text(related="account_move.ev_einvoice_error", string="E-invoice Error")
    ev_einvoice_number = fields.Char(related="account_move.ev_einvoice_number", string="E-invoice Number")
    ev_invoice_name = fields.Char(related="account_move.name", string="Invoice Number")
    ev_pos_error = fields.Char(
        string="Not Finished Because", readonly=True, copy=False,
        help="Paid online, but the order could not be finished on the server (for instance the buyer was missing): "
             "the payment is kept on the order, the till shows this reason and finishes the order once corrected.")

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS 'point_of_sale': the order number the receipt shows (tracking_number, from sequence_number) is
        # counted by the server per session, not by each browser (whose count starts again in a new browser or
        # on another device, so that every receipt said "301").
        for vals in vals_list:
            if vals.get("session_id"):
                self.env.cr.execute(
                    "UPDATE pos_session SET sequence_number = COALESCE(sequence_number, 1) + 1 WHERE id = %s "
                    "RETURNING sequence_number - 1", (vals["session_id"],))
                row = self.env.cr.fetchone()
                if row:
                    vals["sequence_number"] = row[0]
        self.env["pos.session"].invalidate_model(["sequence_number"])
        return super().create(vals_list)

    @api.depends("account_move.access_token")
    def _compute_ev_einvoice_url(self):
        for order in self:
            move = order.account_move.sudo()
            order.ev_einvoice_url = move._ev_einvoice_buyer_link() if move and move.state == "posted" else False

    # === finishing an order paid online === #

    def _is_pos_order_paid(self):
        # EXTENDS 'point_of_sale': while pos_online_payment adds a verified payment (``ev_pos_finish_later``),
        # the order is finished afterwards by ``_ev_finish_paid_online``, which can fail without losing the
        # payment, instead of inside the payment's own processing.
        if self.env.context.get("ev_pos_finish_later"):
            return False
        return super()._is_pos_order_paid()

    def _ev_finish_paid_online(self):
        """Finish the draft orders that their verified online payments now pay in full, as the till would.

        The payment is already recorded (its ``account.payment`` and POS payment). If finishing fails (no buyer
        for a bundle or an invoice, a code sold elsewhere…), only the finishing is rolled back: the order stays
        draft with its payment, the reason is kept in ``ev_pos_error`` for the till, which finishes the order
        once the cashier has corrected it — the money is never lost and never collected twice.
        """
        for order in self.filtered(lambda o: o.state == "draft" and o._is_pos_order_paid()):
            try:
                with self.env.cr.savepoint():
                    order._process_saved_order(False)
            except psycopg2.OperationalError:
                raise  # concurrent update: the whole request is retried
            except Exception as error:  # any failure leaves the paid order to finish at the till
                reason = error.args[0] if isinstance(error, UserError) and error.args else str(error)
                _logger.warning("POS order %s paid online could not be finished: %s", order.pos_reference, reason)
                order.ev_pos_error = reason
                order.message_post(body=_(
                    "Paid online, but the order could not be finished: %(reason)s The payment is kept on the order; "
                    "the till finishes it once this is corrected.", reason=reason))
            order.config_id._notify("ONLINE_PAYMENTS_NOTIFICATION", {"id": order.id})

    @api.model
    def _process_order(self, order, existing_order):
        # EXTENDS 'point_of_sale': the online payments of an order are the server's (added when their transaction
        # is paid). What a till sends about them is not applied: its own copy of such a line (it would be booked
        # twice), a change or deletion of a recorded one (the money would be lost from the order), or a line
        # without payment method (a broken copy, refused by the database).
        if order.get("payment_ids"):
            order["payment_ids"] = self._ev_payment_commands_from_till(order["payment_ids"], existing_order)
        return super()._process_order(order, existing_order)

    @api.model
    def _ev_payment_commands_from_till(self, commands, existing_order):
        online_methods = self.env["pos.payment.method"].sudo().search([("is_online_payment", "=", True)])
        recorded = existing_order.payment_ids.filtered("online_account_payment_id") if existing_order else \
            self.env["pos.payment"]
        kept = []
        for command in commands:
            if not isinstance(command, (list, tuple)) or not command:
                continue
            if command[0] == 0:
                vals = command[2] or {}
                method_id = vals.get("payment_method_id")
                if not method_id or method_id in online_methods.ids:
                    _logger.warning("POS order %s: payment line of the till not applied (%s): online payments are "
                                    "the server's", existing_order.pos_reference if existing_order else "-", vals)
                    continue
            elif command[0] in (1, 2, 3) and len(command) > 1 and command[1] in recorded.ids:
                continue
            kept.append(command)
        return kept

    def _process_saved_order(self, draft):
        if not draft and not self.to_invoice and self.partner_id and self.currency_id.compare_amounts(
                self.amount_total, 0) < 0 and self.lines.refunded_orderline_id.order_id.account_move:
            # The refund of an invoiced order gets its credit note (and the red-letter e-invoice from it).
            self.to_invoice = True
        order_id = super()._process_saved_order(draft)
        if not draft and self.state != "draft" and self.ev_pos_error:
            self.ev_pos_error = False
        return order_id

    # === refunds to the wallet === #

    def _ev_pos_refund_transactions(self):
        self.ensure_one()
        return self.env["payment.transaction"].sudo().search(
            [("ev_pos_refund_order_id", "=", self.id), ("operation", "=", "refund")], order="id")

    def ev_pos_refund(self, payment_method_id, amount):
        """Refund ``amount`` of this POS refund order to the WeChat Pay / Alipay wallet that paid the refunded
        order, through the provider's refund API (as a credit note's "Refund to wallet" does).

        Idempotent: what earlier calls already refund (done or still in progress) is not refunded again. Each
        refund that the provider confirms becomes a (negative) online POS payment of this order, with the refund's
        ``account.payment``; once the order is paid back in full it is finished like a sale paid online
        (``_ev_finish_paid_online``: credit note of an invoiced order, codes released).
        """
        self.ensure_one()
        self.check_access("write")
        if self.state != "draft":
            return self.ev_pos_state()
        method = self.env["pos.payment.method"].browse(payment_method_id).exists()
        providers = method._ev_pay_providers() if method else self.env["payment.provider"]
        currency = self.currency_id
        in_progress = self._ev_pos_refund_transactions().filtered(
            lambda t: t.state in ("draft", "pending", "authorized")
            or (t.state == "done" and not t.payment_id.pos_order_id))
        to_refund = -self.get_amount_unpaid() + sum(in_progress.mapped("amount"))
        amount = min(currency.round(amount), currency.round(to_refund))
        origins = self.lines.refunded_orderline_id.order_id
        if currency.compare_amounts(self.amount_total, 0) >= 0 or not origins:
            raise UserError(_("Order %(order)s is not a refund: only the refund of a paid order is paid back to the "
                              "wallet.", order=self.pos_reference or self.name))
        sources = self.env["payment.transaction"].sudo().search([
            ("pos_order_id", "in", origins.ids), ("provider_id", "in", providers.ids), ("state", "=", "done"),
            ("operation", "!=", "refund")], order="id")
        if not sources and currency.compare_amounts(amount, 0) > 0:
            raise UserError(_(
                "Order %(origin)s was not paid with %(method)s: refund it with the way it was paid, or in cash.",
                origin=", ".join(o.pos_reference or o.name for o in origins), method=method.name or "-"))
        for source in sources:
            if currency.compare_amounts(amount, 0) <= 0:
                break
            refunded = -sum(source.child_transaction_ids.filtered(
                lambda t: t.operation == "refund" and t.state in ("draft", "pending", "authorized", "done")
            ).mapped("amount"))
            part = min(amount, currency.round(source.amount - refunded))
            if currency.compare_amounts(part, 0) <= 0:
                continue
            source.with_context(ev_pos_refund_order_id=self.id)._send_refund_request(amount_to_refund=part)
            amount -= part
        if currency.compare_amounts(amount, 0) > 0:
            raise UserError(_("%(amount)s more than what the wallet payment of %(origin)s still holds cannot be "
                              "refunded to the wallet: refund the rest in cash.", amount=amount,
                              origin=", ".join(o.pos_reference or o.name for o in origins)))
        self._ev_pos_add_refunds(method)
        return self.ev_pos_state()

    def _ev_pos_add_refunds(self, method=None):
        """Add the confirmed wallet refunds of this refund order as its (negative) online POS payments."""
        self.ensure_one()
        method = method or self.online_payment_method_id
        for refund_tx in self._ev_pos_refund_transactions().filtered(
                lambda t: t.state == "done" and t.payment_id and not t.payment_id.pos_order_id):
            self.sudo().add_payment({  # as pos_online_payment does from the payment's processing
                "amount": refund_tx.amount, "payment_date": refund_tx.last_state_change,
                "payment_method_id": method.id, "online_account_payment_id": refund_tx.payment_id.id,
                "pos_order_id": self.id,
            })
            refund_tx.payment_id.sudo().update({
                "pos_payment_method_id": method.id, "pos_order_id": self.id, "pos_session_id": self.session_id.id})
        self._ev_finish_paid_online()
        if self.account_move:  # the credit note of an invoiced order shows the refunds that paid it back
            self._ev_pos_refund_transactions().filtered(lambda t: self.account_move not in t.invoice_ids).write(
                {"invoice_ids": [(4, self.account_move.id)]})

    def _generate_pos_order_invoice(self):
        # EXTENDS 'point_of_sale': the invoice gets its access token now, so the receipt can print the buyer's
        # e-invoice link (the e-invoice itself is issued later, once the invoice is paid).
        result = super()._generate_pos_order_invoice()
        for move in self.account_move.sudo():
            move._portal_ensure_token()
        return result

    def _ev_pay_transactions(self):
        self.ensure_one()
        return self.env["payment.transaction"].sudo().search(
            [("pos_order_id", "=", self.id), ("provider_code", "in", EV_PROVIDER_CODES),
             ("operation", "!=", "refund")], order="id")

    def _ev_pay_providers(self):
        self.ensure_one()
        method = self.config_id._get_cashier_online_payment_method()
        providers = method._ev_pay_providers() if method else self.env["payment.provider"]
        if not providers:
            raise UserError(_("%(pos)s has no WeChat Pay or Alipay payment method.", pos=self.config_id.name))
        return providers

    def _ev_amount_to_collect(self, amount):
        """The amount of the online payment line, checked against what the order still owes."""
        self.ensure_one()
        self.check_access("write")
        if self.state != "draft":
            raise UserError(_("Order %(order)s is already paid.", order=self.pos_reference or self.name))
        if self.currency_id.compare_amounts(amount, 0) <= 0 or not self._check_next_online_payment_amount(amount):
            raise UserError(_(
                "Order %(order)s: %(amount)s cannot be collected online, it still owes %(due)s.",
                order=self.pos_reference or self.name, amount=amount, due=self.get_amount_unpaid()))
        return amount

    def _ev_start(self, providers, amount, **context):
        """Close the order's earlier open collections (the cashier started again), then open new ones."""
        amount = self._ev_amount_to_collect(amount)
        earlier = self._ev_pay_transactions()
        earlier.filtered(lambda t: t.state in ("draft", "pending"))._ev_cancel_collection()
        earlier._ev_post_process_locked()
        if self.state != "draft":  # the closing query found an earlier collection paid
            return self.env["payment.transaction"]
        unsettled = earlier.filtered(lambda t: t.ev_codepay and t.state in ("draft", "pending"))
        if unsettled:
            # Its cancellation got no answer: the buyer may have paid it, so a new charge could be a second one.
            raise UserError(_("%(reference)s is still being checked with %(provider)s (查询中): wait a few seconds "
                              "for its outcome before collecting again.", reference=unsettled[0].reference,
                              provider=unsettled[0].provider_id.name))
        Transaction = self.env["payment.transaction"].with_context(**context)
        payer = self.partner_id or self.env.ref("base.public_partner")
        return Transaction.concat(*[Transaction._ev_create_qr_transaction(
            provider, amount, self.currency_id, payer, self.pos_reference or self.name, pos_order_id=self.id,
            ev_codepay=bool(context)) for provider in providers])

    def ev_pos_create_qr(self, amount):
        """Open a WeChat Pay and/or Alipay order for ``amount``: the popup shows their QR codes."""
        self.ensure_one()
        self._ev_start(self._ev_pay_providers(), amount)
        return self.ev_pos_state()

    def ev_pos_codepay(self, auth_code, amount):
        """Charge the buyer's scanned pay code (付款码) for ``amount``; the popup polls until it is settled."""
        self.ensure_one()
        provider, code = self.env["payment.transaction"]._ev_pay_code_provider(self._ev_pay_providers(), auth_code)
        self._ev_start(provider, amount, ev_codepay_auth_code=code)
        return self.ev_pos_poll()

    def ev_pos_poll(self):
        """Fallback of the bus: ask the providers about the open transactions that are due, add the paid ones
        to the order (``pos_online_payment``) and return the state."""
        self.ensure_one()
        self.check_access("read")
        txs = self._ev_pay_transactions()
        txs._ev_pos_query_due()._ev_query_provider()
        txs._ev_close_expired_codepay()
        txs._ev_post_process_locked()
        if self.state == "draft" and self._ev_pos_refund_transactions():
            self._ev_pos_add_refunds()
        return self.ev_pos_state()

    def ev_pos_cancel(self):
        """The cashier closed the popup: close the open orders at the providers (a payment made meanwhile is
        recorded, never lost)."""
        self.ensure_one()
        self.check_access("write")
        txs = self._ev_pay_transactions()
        txs.filtered(lambda t: t.state in ("draft", "pending"))._ev_cancel_collection()
        txs._ev_post_process_locked()
        return self.ev_pos_state()

    def ev_pos_state(self):
        self.ensure_one()
        txs = self._ev_pay_transactions()
        result = []
        for tx in txs.filtered(lambda t: t.state != "cancel" or t == txs[-1:]):
            provider = tx.provider_id
            result.append({
                "id": tx.id, "reference": tx.reference, "provider_code": provider.code,
                "provider_name": provider.name, "state": tx.state, "codepay": tx.ev_codepay,
                "qr_content": False if tx.ev_codepay else tx.ev_qr_content, "message": tx.state_message or "",
                **tx._ev_till_extra_values(),
            })
        covered = self.state == "draft" and bool(self.payment_ids) and \
            self.currency_id.is_zero(self.get_amount_unpaid())
        return {"order_id": self.id, "paid": self.state != "draft", "transactions": result,
                # Paid, but not finished on the server: the till shows why and finishes it once corrected.
                "unfinished": covered and bool(self.ev_pos_error), "error": self.ev_pos_error or ""}

    def get_and_set_online_payments_data(self, next_online_payment_amount=False):
        """Override of ``pos_online_payment``: the till calls this when the bus pings it; add the verified
        WeChat Pay / Alipay payments to the order first (the webhook leaves post-processing to others)."""
        self._ev_pay_transactions().filtered(lambda t: t.state == "done")._ev_post_process_locked()
        result = super().get_and_set_online_payments_data(next_online_payment_amount)
        if self.state == "draft" and self.ev_pos_error:
            result["ev_pos_error"] = self.ev_pos_error
        return result

    def ev_pos_einvoice_status(self):
        """What the receipt prints about the invoice of these orders (read after a bus ping)."""
        self.check_access("read")
        return [{
            "id": order.id, "ev_invoice_name": order.ev_invoice_name or False,
            "ev_einvoice_state": order.ev_einvoice_state or False, "ev_einvoice_url": order.ev_einvoice_url,
            "ev_einvoice_number": order.ev_einvoice_number or False, "ev_einvoice_error": order.ev_einvoice_error,
        } for order in self]
