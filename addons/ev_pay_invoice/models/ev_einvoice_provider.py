import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests
from psycopg2 import errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocols import nuonuo
from ..protocols.uscc import validate_taxpayer_id

_logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_LOCK_WAIT = 15  # seconds a request waits for another one asking for the token
TOKEN_LOCK_POLL = 0.2


class EInvoiceUnavailable(Exception):
    """The provider could not be reached or answered with an HTTP error: nothing is known about the request's fate,
    so the caller keeps its order number and queries before anything else on the next attempt. ``answer_lost``: the
    request may have been sent and its answer never came (timeout, broken connection), rather than refused."""

    def __init__(self, message, answer_lost=False):
        super().__init__(message)
        self.answer_lost = answer_lost


class EvEinvoiceProvider(models.Model):
    """An e-invoice (数电票) provider account of one company on Nuonuo's open platform. Where its calls go is one
    transport hook (``_ev_services_url``, ``_ev_token_url``, ``_ev_request``): Nuonuo's official endpoints, or the
    API base URL an administrator set (a proxy, a private gateway, a test double)."""

    _name = "ev.einvoice.provider"
    _description = "E-invoice Provider"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, ondelete="cascade",
    )
    kind = fields.Selection(
        [("nuonuo", "Nuonuo open platform (诺诺)")], required=True, default="nuonuo", tracking=True,
    )
    state = fields.Selection(
        [("disabled", "Disabled"), ("test", "Test"), ("enabled", "Enabled")],
        string="Status", required=True, default="test", tracking=True,
        help="Test: Nuonuo's test environment. Enabled: live invoices.",
    )
    api_base_url = fields.Char(
        string="API Base URL", tracking=True,
        help="Leave empty for Nuonuo's official endpoints. Set it to go through a proxy or a private gateway.",
    )
    app_key = fields.Char(string="App Key", groups="base.group_system")
    app_secret = fields.Char(string="App Secret", groups="base.group_system")
    access_token = fields.Char(groups="base.group_system", copy=False)
    access_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    seller_tax_id = fields.Char(
        string="Seller Taxpayer ID", required=True, tracking=True,
        help="The company's unified social credit code (销方税号), as registered with the tax bureau.",
    )
    drawer = fields.Char(
        string="Drawer (开票员)", required=True, tracking=True,
        help="The drawer bound to the company's fully digital e-invoice login account; Nuonuo refuses others.",
    )
    extension_number = fields.Char(string="Extension Number (分机号)")
    invoice_line = fields.Selection(
        [("pc", "数电普票 (general e-invoice)"), ("bs", "数电专票 (special VAT e-invoice)")],
        string="Default Invoice Type", required=True, default="pc",
        help="Individual buyers always get a general e-invoice; company buyers get this type unless the invoice "
             "says otherwise.",
    )
    timeout = fields.Integer(string="Timeout (s)", default=15, help="Seconds to wait for the provider's answer.")
    invoice_count = fields.Integer(compute="_compute_invoice_count")

    @api.constrains("seller_tax_id", "kind", "state")
    def _check_seller_tax_id(self):
        for provider in self:
            tax_id = (provider.seller_tax_id or "").strip().upper()
            if tax_id == nuonuo.TEST_SELLER_TAX_NUM:
                continue
            check = validate_taxpayer_id(tax_id, organisation=True)
            if not check:
                raise ValidationError(_(
                    "The seller taxpayer ID %(tax_id)s is not valid: %(detail)s",
                    tax_id=tax_id, detail=check.detail,
                ))

    @api.constrains("company_id", "state")
    def _check_one_active_per_company(self):
        for provider in self.filtered(lambda p: p.state != "disabled"):
            others = self.search_count([
                ("company_id", "=", provider.company_id.id), ("state", "!=", "disabled"), ("id", "!=", provider.id),
            ])
            if others:
                raise ValidationError(_(
                    "The company %(company)s already has an active e-invoice provider; disable it first.",
                    company=provider.company_id.name,
                ))

    @api.constrains("state", "api_base_url")
    def _check_live_endpoint(self):
        """A live provider sends real 数电票: over HTTPS, to a platform that is not this server (what this server
        answers itself can only be a simulator)."""
        for provider in self.filtered(lambda p: p.state == "enabled"):
            url = provider._ev_services_url()
            if urlsplit(url).scheme != "https" or urlsplit(url).netloc == urlsplit(provider.get_base_url()).netloc:
                raise ValidationError(_(
                    "The e-invoice provider %(name)s cannot be enabled: its API base URL %(url)s is not a platform "
                    "reached over HTTPS. Clear it to use Nuonuo's official endpoints.", name=provider.name, url=url,
                ))

    @api.constrains("state", "app_key", "app_secret")
    def _check_credentials_when_enabled(self):
        for provider in self.sudo().filtered(lambda p: p.state == "enabled"):
            if not (provider.app_key and provider.app_secret):
                raise ValidationError(_(
                    "The e-invoice provider %(name)s cannot be enabled: enter the App Key and App Secret Nuonuo gave "
                    "you first.", name=provider.name))

    def _compute_invoice_count(self):
        groups = self.env["ev.einvoice.submission"]._read_group(
            [("provider_id", "in", self.ids)], ["provider_id"], ["__count"],
        )
        counts = {provider.id: count for provider, count in groups}
        for provider in self:
            provider.invoice_count = counts.get(provider.id, 0)

    @api.model
    def _get_for_company(self, company):
        """The active provider of ``company`` (or of its root company), if any."""
        return self.sudo().search([
            ("company_id", "in", [company.id, company.root_id.id]), ("state", "!=", "disabled"),
        ], limit=1)

    # ------------------------------------------------------------------------------------------------------------
    # Endpoints
    # ------------------------------------------------------------------------------------------------------------

    def _ev_base_url(self):
        self.ensure_one()
        return self.get_base_url().rstrip("/")

    def _ev_services_url(self):
        """Transport hook: the URL of the signed services calls."""
        self.ensure_one()
        if self.api_base_url:
            return self.api_base_url.rstrip("/") + nuonuo.SERVICES_PATH
        return nuonuo.TEST_URL if self.state == "test" else nuonuo.PRODUCTION_URL

    def _ev_token_url(self):
        """Transport hook: the URL of the access-token call."""
        self.ensure_one()
        if self.api_base_url:
            return self.api_base_url.rstrip("/") + "/accessToken"
        return nuonuo.TOKEN_URL

    def _ev_poll_delay(self):
        """Seconds to wait before asking for the result of an accepted submission."""
        return 5.0

    def _ev_callback_url(self):
        self.ensure_one()
        return self._ev_base_url() + "/ev_pay/einvoice/nuonuo/callback"

    # ------------------------------------------------------------------------------------------------------------
    # Transport
    # ------------------------------------------------------------------------------------------------------------

    def _ev_request(self, method, url, params=None, data=None, headers=None):
        """Transport hook: one HTTP call to the platform."""
        return requests.request(method, url, params=params, data=data, headers=headers, timeout=self.timeout or 15)

    def write(self, vals):
        # A token belongs to the platform and the application that issued it: switching either starts afresh.
        if {"state", "api_base_url", "app_key", "app_secret"} & set(vals):
            vals = dict(vals, access_token=False, access_token_expires_at=False)
        return super().write(vals)

    def _ev_app_credentials(self):
        """``(app key, app secret)`` in use: every token request and signed call reads them here. Hook: another
        environment (a test platform) answers with its own, so switching modes never overwrites the fields."""
        self.ensure_one()
        return self.sudo().app_key, self.sudo().app_secret

    def _ev_get_token(self, force=False):
        """The access token for the services calls. ``force``: the one this transaction holds was refused."""
        self.ensure_one()
        provider = self.sudo()
        if not force and self._ev_token_is_fresh(provider.access_token, provider.access_token_expires_at):
            return provider.access_token
        if not self.env["account.move"]._can_commit():  # tests and the demo history: one transaction
            token, expires_at = self._ev_fetch_token()
            provider.write({"access_token": token, "access_token_expires_at": expires_at})
            return token
        return self._ev_get_token_once(refused=provider.access_token if force else None)

    @api.model
    def _ev_token_is_fresh(self, token, expires_at):
        return bool(token and expires_at and expires_at - TOKEN_REFRESH_MARGIN > fields.Datetime.now())

    def _ev_get_token_once(self, refused=None):
        """One token request at a time per provider, kept even if the caller's transaction rolls back: Nuonuo
        limits token requests (070306), and the queue's threads and the other jobs that need a token at the same
        moment (a new server, the day the token expires) would each ask for one and then fail to serialise as they
        store it. The first locks the provider's row and asks; the others wait for its token."""
        deadline = time.monotonic() + TOKEN_LOCK_WAIT
        with self.pool.cursor() as cr:
            while True:
                try:
                    cr.execute("""SELECT access_token, access_token_expires_at FROM ev_einvoice_provider
                                   WHERE id = %s FOR UPDATE NOWAIT""", [self.id], log_exceptions=False)
                    break
                except (errors.LockNotAvailable, errors.SerializationFailure):
                    cr.rollback()  # another request is asking for one: read what it stored, from a new snapshot
                if time.monotonic() > deadline:
                    raise EInvoiceUnavailable(_("The e-invoice platform's access token is being renewed: try again."))
                time.sleep(TOKEN_LOCK_POLL)
            token, expires_at = cr.fetchone()
            if not self._ev_token_is_fresh(token, expires_at) or token == refused:
                token, expires_at = self._ev_fetch_token()
                cr.execute("""UPDATE ev_einvoice_provider SET access_token = %s, access_token_expires_at = %s,
                                     write_date = now() AT TIME ZONE 'UTC' WHERE id = %s""",
                           [token, expires_at, self.id])
        self.invalidate_recordset(["access_token", "access_token_expires_at"])
        return token

    def _ev_fetch_token(self):
        """Ask the platform for a new access token → ``(token, expires_at)``."""
        app_key, app_secret = self._ev_app_credentials()
        if not app_key or not app_secret:
            raise UserError(_("The e-invoice provider %(name)s has no App Key or App Secret.", name=self.name))
        token_request = nuonuo.token_request_self_use(app_key, app_secret)
        try:
            response = self._ev_request("POST", self._ev_token_url(), data=token_request.body,
                                        headers=dict(token_request.headers))
        except requests.RequestException as error:
            raise EInvoiceUnavailable(_("The e-invoice platform cannot be reached: %(error)s", error=error)) from None
        if response.status_code >= 500:
            raise EInvoiceUnavailable(_("The e-invoice platform answered HTTP %(status)s.",
                                        status=response.status_code))
        token = nuonuo.parse_token_response(response.content, obtained_at=datetime.now(UTC))
        return token.access_token, fields.Datetime.now() + timedelta(seconds=token.expires_in or 3600)

    def _ev_call(self, api_method, payload):
        """One signed services call → ``NuonuoResponse``. Network and HTTP errors raise ``EInvoiceUnavailable``;
        an invalid token is refreshed once."""
        self.ensure_one()
        # A platform double on this database reads it from another transaction: let it see what we changed.
        self.env.flush_all()
        for attempt in (1, 2):
            credentials = nuonuo.Credentials(
                *self._ev_app_credentials(), self._ev_get_token(force=attempt == 2),
                user_tax=(self.seller_tax_id or "").strip().upper(),
            )
            prepared = nuonuo.build_request(api_method, payload, credentials, url=self._ev_services_url())
            started = time.monotonic()
            try:
                response = self._ev_request("POST", prepared.url, params=dict(prepared.params), data=prepared.body,
                                            headers=dict(prepared.headers))
            except requests.RequestException as error:
                _logger.warning("E-invoice provider %s: %s failed: %s", self.id, api_method, error)
                raise EInvoiceUnavailable(
                    _("The e-invoice platform cannot be reached: %(error)s", error=error), answer_lost=True) from None
            _logger.info("E-invoice provider %s: %s → HTTP %s in %.0f ms", self.id, api_method,
                         response.status_code, (time.monotonic() - started) * 1000)
            if response.status_code >= 500 or response.status_code in (404, 429):
                raise EInvoiceUnavailable(_("The e-invoice platform answered HTTP %(status)s.",
                                            status=response.status_code))
            try:
                answer = nuonuo.parse_response(response.content)
            except nuonuo.NuonuoProtocolError as error:
                raise EInvoiceUnavailable(
                    _("The e-invoice platform sent an unreadable answer: %(error)s", error=error)) from None
            if answer.outcome is nuonuo.Outcome.TOKEN_INVALID and attempt == 1:
                continue
            return answer
        return answer

    def _ev_download(self, url):
        self.ensure_one()
        try:
            response = self._ev_request("GET", url)
        except requests.RequestException as error:
            raise EInvoiceUnavailable(_("The e-invoice file cannot be downloaded: %(error)s", error=error)) from None
        if response.status_code != 200:
            raise EInvoiceUnavailable(_("The e-invoice file answered HTTP %(status)s.", status=response.status_code))
        return response.content

    # ------------------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------------------

    def action_ev_test_connection(self):
        self.ensure_one()
        try:
            self._ev_get_token(force=True)
            answer = self._ev_call(nuonuo.ApiMethod.QUERY_INVOICE, nuonuo.build_query_payload(order_nos=["PING"]))
        except EInvoiceUnavailable as error:
            raise UserError(str(error)) from None
        except nuonuo.NuonuoError as error:
            raise UserError(_("The platform refused the credentials: %(error)s", error=error)) from None
        if answer.outcome not in (nuonuo.Outcome.OK, nuonuo.Outcome.NOT_FOUND):
            raise UserError(_("The platform answered %(code)s: %(describe)s", code=answer.code,
                              describe=answer.describe))
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"type": "success", "message": _("Connection to the e-invoice platform works.")},
        }

    def action_ev_open_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.action_ev_order_invoices")
        action["domain"] = [("ev_einvoice_submission_ids.provider_id", "=", self.id)]
        return action
