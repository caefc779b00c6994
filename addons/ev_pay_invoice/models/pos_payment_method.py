from odoo import api, fields, models

from .payment_provider import EV_PROVIDER_CODES


class PosPaymentMethod(models.Model):
    """WeChat Pay / Alipay in the Point of Sale, on the server half of ``pos_online_payment``.

    Design choice (of the two Odoo patterns): the POS method is an *online payment method*
    (``is_online_payment``, providers WeChat Pay and/or Alipay), not a payment terminal
    (``use_payment_terminal``, the ``pos_viva_wallet`` pattern). Why:

    - one accounting path, no double booking: the paid ``payment.transaction`` creates the one
      ``account.payment`` (on the provider's journal, the account the T+1 settlement import reconciles), and
      ``pos_online_payment`` links it to the POS payment (``online_account_payment_id``); at session closing
      the POS books only a receivable split line reconciled with that payment, and no bank payment of its own.
      A terminal method would book the amount again at closing through its own journal, and every transaction
      made from the POS would have to be kept from creating its ``account.payment``;
    - the transaction is the same object as for a backend collection: same QR, callbacks, query cron, refunds
      (``payment.refund.wizard``), settlement matching on ``provider_reference``;
    - the POS side already exists: the order is saved as draft before payment, the server adds the payment
      once the transaction is verified, the bus pings the till (``ONLINE_PAYMENTS_NOTIFICATION``) and the till
      reads the result back by RPC — nothing trusted comes from the bus or the browser.

    What this addon changes: the QR shown is the provider's own (WeChat ``code_url`` / Alipay ``qr_code``)
    instead of Odoo's ``/pos/pay`` web page, the popup can also scan the buyer's pay code (付款码), and it
    polls the server as a fallback for the bus (see ``pos.order.ev_pos_*``).
    """

    _inherit = "pos.payment.method"

    ev_pay_qr = fields.Boolean(
        string="WeChat Pay / Alipay QR", compute="_compute_ev_pay_qr",
        help="An online payment method with WeChat Pay or Alipay providers: the Point of Sale shows their QR "
        "codes and can scan the buyer's pay code.")

    @api.depends("is_online_payment", "online_payment_provider_ids")
    def _compute_ev_pay_qr(self):
        for method in self:
            method.ev_pay_qr = bool(method.is_online_payment and method._ev_pay_providers())

    def _ev_pay_providers(self):
        """The WeChat Pay / Alipay providers this method collects with (WeChat Pay first)."""
        self.ensure_one()
        if not self.is_online_payment:
            return self.env["payment.provider"]
        providers = self._get_online_payment_providers(error_if_invalid=False)
        return providers.filtered(lambda p: p.code in EV_PROVIDER_CODES and p.state in ("enabled", "test")).sorted(
            lambda p: (EV_PROVIDER_CODES.index(p.code), p.id))

    @api.model
    def _load_pos_data_fields(self, config_id):
        return super()._load_pos_data_fields(config_id) + ["ev_pay_qr"]
