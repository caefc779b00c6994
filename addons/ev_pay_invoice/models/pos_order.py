from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES


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

    @api.depends("account_move.access_token")
    def _compute_ev_einvoice_url(self):
        for order in self:
            move = order.account_move.sudo()
            order.ev_einvoice_url = move._ev_einvoice_buyer_link() if move and move.state == "posted" else False

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
        txs._ev_post_process_locked()
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
        sandbox = self.env["ev.pay.sandbox.order"].sudo()
        result = []
        for tx in txs.filtered(lambda t: t.state != "cancel" or t == txs[-1:]):
            provider = tx.provider_id
            wallet_url = False
            if provider._ev_is_sandboxed():
                order = sandbox.search([("provider_id", "=", provider.id), ("out_trade_no", "=", tx.reference)],
                                       limit=1)
                wallet_url = order._wallet_url() if order else False
            result.append({
                "id": tx.id, "reference": tx.reference, "provider_code": provider.code,
                "provider_name": provider.name, "state": tx.state, "codepay": tx.ev_codepay,
                "qr_content": False if tx.ev_codepay else tx.ev_qr_content, "message": tx.state_message or "",
                "sandbox_wallet_url": wallet_url,
            })
        return {"order_id": self.id, "paid": self.state != "draft", "transactions": result}

    def get_and_set_online_payments_data(self, next_online_payment_amount=False):
        """Override of ``pos_online_payment``: the till calls this when the bus pings it; add the verified
        WeChat Pay / Alipay payments to the order first (the webhook leaves post-processing to others)."""
        self._ev_pay_transactions().filtered(lambda t: t.state == "done")._ev_post_process_locked()
        return super().get_and_set_online_payments_data(next_online_payment_amount)
