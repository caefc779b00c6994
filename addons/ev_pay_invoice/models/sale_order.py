import ipaddress
from urllib.parse import urlencode, urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ev_collection_tx_ids = fields.Many2many(
        "payment.transaction", string="QR Collections", compute="_compute_ev_collection_tx_ids",
        compute_sudo=True,
    )

    @api.depends("transaction_ids")
    def _compute_ev_collection_tx_ids(self):
        for order in self:
            order.ev_collection_tx_ids = order.transaction_ids.filtered(
                lambda tx: tx.provider_code in EV_PROVIDER_CODES and tx.operation != "refund")

    def _send_order_notification_mail(self, mail_template):
        """Override of `sale`: order e-mails caused by a QR payment go through Odoo's asynchronous order-mail
        queue (sale_async_emails) instead of rendering a PDF inside the payment's post-processing."""
        if self.env.context.get("ev_pay_async_mail") and not self.partner_id.email:
            # A walk-in buyer without an e-mail address: the mail could reach nobody, and rendering it (the order's
            # PDF by wkhtmltopdf) held a cron worker for seconds per sale. The buyer gets the 数电票 instead.
            return
        cron = self.env.ref("sale_async_emails.cron", raise_if_not_found=False)
        if (self.env.context.get("ev_pay_async_mail") and cron and "pending_email_template_id" in self._fields
                and not self.env.context.get("is_async_email")):
            self.pending_email_template_id = mail_template
            cron._trigger()
            return
        super()._send_order_notification_mail(mail_template)

    # === COLLECTION === #

    def _ev_collection_providers(self):
        self.ensure_one()
        return self.env["payment.provider"].sudo().search([
            ("code", "in", EV_PROVIDER_CODES), ("state", "!=", "disabled"),
            ("company_id", "=", self.company_id.id),
        ], order="code desc")  # WeChat Pay first, as on the dealers' stickers

    def _ev_amount_to_collect(self):
        """What the buyer's QR collects: the order total (a trade-in collects less: its subsidy is paid apart)."""
        self.ensure_one()
        return self.amount_total

    def _ev_check_collectable(self, amount=None):
        self.ensure_one()
        # A bundle sale is confirmed (its serials delivered) before it is paid: an unpaid, uninvoiced confirmed
        # order is collected too.
        unpaid_confirmed = self.state == "sale" and not self.sudo().ev_collection_tx_ids.filtered(
            lambda tx: tx.state == "done") and not self.invoice_ids.filtered(lambda move: move.state == "posted")
        if self.state not in ("draft", "sent") and not unpaid_confirmed:
            raise UserError(_("%(order)s cannot be collected: it is %(state)s. Only quotations and unpaid orders "
                              "are collected.",
                              order=self.name, state=dict(self._fields["state"].selection).get(self.state)))
        if self.currency_id.compare_amounts(self.amount_total, 0) <= 0:
            raise UserError(_("%(order)s cannot be collected: its total is %(amount)s; the amount to collect must "
                              "be more than zero.", order=self.name, amount=self.amount_total))
        to_collect = self._ev_amount_to_collect()
        if self.currency_id.compare_amounts(to_collect, 0) <= 0:
            raise UserError(_("%(order)s cannot be collected: the buyer's part of its total is %(amount)s; the "
                              "amount to collect must be more than zero.", order=self.name, amount=to_collect))
        if amount is not None and self.currency_id.compare_amounts(amount, to_collect) != 0:
            raise UserError(_("The amount to collect (%(amount)s) differs from the total of %(order)s "
                              "(%(total)s). Change the order, or collect its total.",
                              amount=amount, order=self.name, total=to_collect))
        if self.currency_id.name != "CNY":
            raise UserError(_("%(order)s is in %(currency)s; WeChat Pay and Alipay collect in CNY only.",
                              order=self.name, currency=self.currency_id.name))

    def action_ev_collect(self, amount=None):
        """Collect the order total with one QR per wallet (WeChat Pay, Alipay) and open the collection screen.

        ``amount``: the sale amount the cashier typed; refused when it differs from the order total. Calling
        it again (retry) closes the previous QRs first. Returns the client action of the collection screen.
        """
        self.ensure_one()
        self.check_access("write")
        self._ev_check_collectable(amount)
        providers = self._ev_collection_providers()
        if not providers:
            raise UserError(_("No WeChat Pay or Alipay provider is enabled for %(company)s. A store manager can "
                              "enable one in E-bike Store → Configuration → Payment Providers.",
                              company=self.company_id.name))
        open_txs = self.sudo().ev_collection_tx_ids.filtered(lambda tx: tx.state in ("draft", "pending"))
        open_txs._ev_cancel_collection()
        errors, created = [], self.env["payment.transaction"]
        Transaction = self.env["payment.transaction"].sudo().with_company(self.company_id)
        for provider in providers:
            try:
                with self.env.cr.savepoint():
                    created |= Transaction._ev_create_qr_transaction(
                        provider, self._ev_amount_to_collect(), self.currency_id, self.partner_invoice_id, self.name,
                        sale_order_ids=[(6, 0, self.ids)],
                    )
            except UserError as error:
                errors.append(str(error.args[0]))
        if not created:
            raise UserError(_("No QR code could be made: %(errors)s", errors="; ".join(errors)))
        return {
            "type": "ir.actions.client",
            "tag": "ev_pay_invoice.collection_screen",
            "name": _("Collect %(order)s", order=self.name),
            "params": {"order_id": self.id, "warnings": errors},
            "target": "current",
        }

    def action_ev_cancel_collection(self):
        """Close the open QR orders at the providers (cancel on the collection screen)."""
        self.check_access("write")
        self.sudo().ev_collection_tx_ids._ev_cancel_collection()
        return self.ev_collection_state()

    def ev_collection_state(self):
        """What the collection screen shows; post-processes a paid transaction (polling fallback of the bus)."""
        self.ensure_one()
        self.check_access("read")
        order = self.sudo()
        txs = order.ev_collection_tx_ids
        # The QR codes shown are the latest of each wallet; payments made in WeChat's browser (JSAPI, no QR) are
        # polled too, so that the screen post-processes them as well.
        in_app = txs.filtered("ev_jsapi_openid")
        latest = (txs - in_app).sorted("id", reverse=True)
        shown = self.env["payment.transaction"].sudo()  # salespeople have no access to the payment engine
        for code in EV_PROVIDER_CODES:
            shown |= latest.filtered(lambda tx, c=code: tx.provider_code == c)[:1]
        (shown | in_app)._ev_poll()
        order.invalidate_recordset()
        paid = txs.filtered(lambda tx: tx.state == "done")
        invoices = order.invoice_ids.filtered(lambda move: move.state == "posted")
        base_url = order.get_base_url()
        return {
            "order_id": order.id,
            "order_name": order.name,
            "order_state": order.state,
            "amount": order._ev_amount_to_collect(),
            "currency_symbol": order.currency_id.symbol,
            "partner_name": order.partner_id.display_name,
            "paid": bool(paid),
            "paid_with": paid[:1].provider_id.name or "",
            "invoice_names": invoices.mapped("name"),
            "public_url": self._ev_public_landing_url(base_url),
            "transactions": [
                {
                    "id": tx.id,
                    "reference": tx.reference,
                    "provider_code": tx.provider_code,
                    "provider_name": tx.provider_id.name,
                    "qr_content": tx.ev_qr_content or "",
                    "qr_image_url": "/report/barcode/?%s" % urlencode({
                        "barcode_type": "QR", "value": tx.ev_qr_content or "", "width": 240, "height": 240}),
                    "expires_at": fields.Datetime.to_string(tx.ev_expires_at) if tx.ev_expires_at else False,
                    "state": tx.state,
                    "state_message": tx.state_message or "",
                }
                for tx in shown
            ],
        }

    def _ev_public_landing_url(self, base_url):
        """One QR for both wallets when the base URL is reachable from the internet (HTTPS, public host)."""
        self.ensure_one()
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        if parts.scheme != "https" or host in ("localhost",) or host.endswith((".local", ".lan", ".internal")):
            return False
        try:
            if not ipaddress.ip_address(host).is_global:
                return False
        except ValueError:
            pass  # a host name: assume it is public
        return "%s/ev_pay/collect/%s/%s" % (base_url.rstrip("/"), self.id, self._portal_ensure_token())
