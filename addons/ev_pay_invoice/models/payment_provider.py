"""What WeChat Pay, Alipay (and any further QR wallet channel) have in common as providers of Odoo's payment
framework: the API base URL, the QR validity, the checks before a provider is enabled, the transport, and the
notification dispatch helpers.

Each channel lives in its own files (``payment_provider_<code>*.py``): its ``code`` selection, credential fields,
signed call and notification lookup, and the overrides of the hooks below, each checking its own code first as
Odoo's payment providers do (``if self.code != 'wechatpay': return super()...``). The wire protocols (signing,
verification, AES-GCM, request builders) live in ``protocols/``. Where the calls go and how they travel is one
transport hook (``_ev_api_base`` and ``_ev_send``): the official gateway, or the API base URL an administrator set
(a proxy, a private gateway, a test double).
"""
import logging
from urllib.parse import urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocols.transport import request_may_have_arrived

_logger = logging.getLogger(__name__)

# The QR wallet channels, each implemented in its own files.
EV_PROVIDER_CODES = ("wechatpay", "alipay")
REQUEST_TIMEOUT = 10


class EvPayAnswerLost(UserError):
    """The request was sent but its answer never arrived (time-out, connection reset): the outcome is unknown.

    Callers that can keep a record of the call (a pay-code payment, a refund) keep it pending as 查询中 and
    query it by its order number at once; the others let it fall as any UserError ("try again")."""


class EvNotificationRefused(Exception):
    """A notification that is not ours or not genuine: ``status`` to answer, ``reason`` to log (no secrets)."""

    def __init__(self, status, reason):
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    ev_api_base_url = fields.Char(
        string="API Base URL", help="Leave empty for the official gateway. Set it to go through a proxy or a "
        "private gateway.",
    )
    ev_qr_timeout_minutes = fields.Integer(string="QR Validity (minutes)", default=15,
                                           help="The collection QR expires and the order is closed after this.")

    # === COMPUTE / CRUD === #

    def _compute_feature_support_fields(self):
        """Override of `payment`: the QR channels refund partially."""
        super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code in EV_PROVIDER_CODES).update({"support_refund": "partial"})

    @api.constrains("state", "code", "ev_api_base_url")
    def _ev_check_credentials_when_enabled(self):
        self.sudo()._ev_check_live_endpoint()
        for provider in self.sudo().filtered(lambda p: p.state == "enabled" and p.code in EV_PROVIDER_CODES):
            missing = provider._ev_missing_credentials()
            if missing:
                raise ValidationError(_("%(provider)s cannot be enabled, these fields are empty: %(fields)s",
                                        provider=provider.name, fields=", ".join(missing)))

    def _ev_missing_credentials(self):
        """The labels of the required credential fields left empty."""
        self.ensure_one()
        return [self._fields[name].get_description(self.env)["string"]
                for name in self._ev_required_credential_fields() if not self[name]]

    def _ev_required_credential_fields(self):
        """Channel hook: the names of the fields an enabled provider of this channel cannot do without."""
        self.ensure_one()
        return []

    # === BUSINESS METHODS - PAYMENT FLOW === #

    def _get_supported_currencies(self):
        """Override of `payment`: the QR products settle in CNY only."""
        currencies = super()._get_supported_currencies()
        if self.code in EV_PROVIDER_CODES:
            currencies = currencies.filtered(lambda c: c.name == "CNY")
        return currencies

    def _ev_payment_method(self):
        """The channel's `payment.method` (those of WeChat Pay and Alipay exist in `payment` already)."""
        self.ensure_one()
        codes = self._get_default_payment_method_codes()
        method = self.with_context(active_test=False).payment_method_ids.filtered(lambda m: m.code in codes)[:1]
        return method or self.env["payment.method"].with_context(active_test=False).search(
            [("code", "in", list(codes))], limit=1)

    def _ev_reference_tag(self):
        """Channel hook: the tag of this channel in the references of its transactions (``…-WX-1``)."""
        self.ensure_one()
        return self.code.upper()

    # === URLs === #

    def _ev_base_url(self):
        return self.get_base_url().rstrip("/")

    def _ev_api_base(self):
        """Transport hook: where API calls go. The administrator's override, else the official gateway."""
        self.ensure_one()
        if self.ev_api_base_url:
            return self.ev_api_base_url.rstrip("/")
        return self._ev_official_api_base()

    def _ev_official_api_base(self):
        """Channel hook: the platform's official API base URL."""
        self.ensure_one()
        raise UserError(_("%(provider)s is not a WeChat Pay or Alipay provider.", provider=self.name))

    def _ev_notify_url(self):
        return "%s/payment/%s/webhook" % (self._ev_base_url(), self.code)

    def _ev_check_live_endpoint(self):
        """An enabled provider talks to a real platform: its API base URL must be HTTPS and not this server (what
        this server answers itself can only be a simulator)."""
        for provider in self.filtered(lambda p: p.state == "enabled" and p.code in EV_PROVIDER_CODES):
            base = provider._ev_api_base()
            if urlsplit(base).scheme != "https" or urlsplit(base).netloc == urlsplit(provider._ev_base_url()).netloc:
                raise ValidationError(_("%(provider)s cannot be enabled: its API base URL %(url)s is not a platform "
                                        "reached over HTTPS. Clear it to use the official gateway.",
                                        provider=provider.name, url=base))

    # === Collection landing page (one QR for every wallet) === #

    @api.model
    def _ev_wallet_of_browser(self, user_agent):
        """Channel hook: the code of the channel whose wallet app shows this browser (its User-Agent), or None."""
        return None

    def _ev_landing_redirect(self, order):
        """Channel hook: where the landing page sends the wallet's browser to pay in place, or None (it then opens
        the QR content when it is a web link, else shows the code)."""
        self.ensure_one()
        return None

    # === Point of Sale === #

    @api.model
    def _ev_pay_code_channel(self, code):
        """Channel hook: the code of the channel whose wallet shows this pay code (付款码), or None."""
        return None

    # === Transport === #

    def _ev_send(self, method, url, headers, body):
        """Transport hook: send one HTTP request; return (status, headers dict, body bytes)."""
        self.ensure_one()
        try:
            response = self._ev_http(method, url, headers=headers, data=body)
        except requests.exceptions.RequestException as error:
            if request_may_have_arrived(error):
                _logger.warning("%s: no answer from %s (%s): outcome unknown, to be queried", self.code,
                                urlsplit(url).netloc, type(error).__name__)
                raise EvPayAnswerLost(_(
                    "%(provider)s did not answer (%(host)s): the outcome is being checked, nothing is charged "
                    "twice.", provider=self.name, host=urlsplit(url).netloc)) from error
            _logger.warning("%s: cannot reach %s: %s", self.code, urlsplit(url).netloc, type(error).__name__)
            raise UserError(_("%(provider)s cannot be reached (%(host)s). Try again in a moment.",
                              provider=self.name, host=urlsplit(url).netloc)) from error
        return response.status_code, dict(response.headers), response.content

    def _ev_send_unsigned(self, method, url, headers):
        """Transport hook: GET a bill file over HTTP (the download answers are not signed). Called from the cron,
        never while this server answers a request."""
        self.ensure_one()
        try:
            response = self._ev_http(method, url, headers=headers)
        except requests.exceptions.RequestException as error:
            raise UserError(_("%(provider)s cannot be reached (%(host)s). Try again in a moment.",
                              provider=self.name, host=urlsplit(url).netloc)) from error
        return response.status_code, dict(response.headers), response.content

    @api.model
    def _ev_http(self, method, url, **kwargs):
        """One outgoing HTTP request. Pending writes are flushed first, so that a platform double running on this
        same database (and Odoo's test server, which shares the test transaction) sees them."""
        self.env.flush_all()
        try:
            return requests.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs)
        finally:
            if self.env.registry.in_test_mode():
                self.env.invalidate_all()  # the test server wrote in our transaction

    # === Notification dispatch === #

    def _ev_distinct_by(self, column_names):
        """One provider of ``self`` per distinct value of the given (trusted, internal) columns, smallest id first:
        the keys are compared in the database, so thousands of stores sharing one key cost one comparison."""
        if not self:
            return self
        self.flush_recordset(column_names)
        columns = ", ".join(column_names)
        self.env.cr.execute("SELECT min(id) FROM payment_provider WHERE id IN %%s GROUP BY %s ORDER BY 1" % columns,
                            [tuple(self.ids)])
        return self.browse(row[0] for row in self.env.cr.fetchall())
