"""The simulated tax platform reached through the e-invoice provider's transport hook.

A provider in state 'test' without an API base URL of its own talks to the tax-platform simulator of this server
(controllers/einvoice_sandbox.py), which speaks Nuonuo's protocol and issues watermarked invoices of no legal
value, with an App Key and App Secret of its own (``sandbox_app_key`` / ``sandbox_app_secret``): the provider's
App Key and App Secret are the live ones and the simulator never writes them. An enabled provider never talks to the
simulator: its endpoints are Nuonuo's or a URL the administrator set, and one holding the simulator's credentials
cannot be enabled.
"""
import hashlib
import hmac
import secrets
import time
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import Headers

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.ev_pay_invoice.protocols import nuonuo

SANDBOX_PREFIX = "/ev_pay/sandbox/nuonuo"
SANDBOX_SERVICES_PATH = SANDBOX_PREFIX + nuonuo.SERVICES_PATH
SANDBOX_TOKEN_PATH = SANDBOX_PREFIX + "/accessToken"
SANDBOX_FILES_PATH = SANDBOX_PREFIX + "/files"
SANDBOX_TOKEN_LIFETIME = 24 * 3600
SANDBOX_APP_KEY_PREFIX = "sandbox"


class EvEinvoiceProvider(models.Model):
    _inherit = "ev.einvoice.provider"

    sandbox_base_url = fields.Char(
        string="Simulator URL",
        help="Address of this Odoo as the server reaches it (default: the web.base.url parameter).",
    )
    sandbox_mode = fields.Selection(
        [("normal", "Normal"), ("outage", "Platform down"), ("login_expired", "Drawer's tax-bureau login expired")],
        string="Simulated Condition", default="normal", required=True, tracking=True,
        help="Lets tests and demos see how outages and an expired tax-bureau login are handled.",
    )
    sandbox_latency_ms = fields.Integer(string="Simulated Latency (ms)", default=0)
    sandbox_issue_delay = fields.Float(
        string="Simulated Issuing Time (s)", default=2.0,
        help="How long the simulated bureau takes to issue and sign an invoice once it was accepted.",
    )
    sandbox_seller_name = fields.Char(related="company_id.name", string="Seller Name")
    sandbox_app_key = fields.Char(string="Simulator App Key", groups="base.group_system", copy=False)
    sandbox_app_secret = fields.Char(string="Simulator App Secret", groups="base.group_system", copy=False)
    sandbox_simulated = fields.Boolean(
        string="Simulated Tax Platform", compute="_compute_sandbox_simulated",
        help="Test state without an API base URL: this server's simulated tax platform answers. Its invoices have "
             "no legal value.",
    )

    @api.depends("state", "api_base_url")
    def _compute_sandbox_simulated(self):
        for provider in self:
            provider.sandbox_simulated = provider.state == "test" and not provider.api_base_url

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("sandbox_app_key", SANDBOX_APP_KEY_PREFIX + secrets.token_hex(8))
            vals.setdefault("sandbox_app_secret", secrets.token_hex(16))
        return super().create(vals_list)

    def _ev_app_credentials(self):
        """Override: the simulated tax platform is reached with the simulator's App Key and App Secret."""
        self.ensure_one()
        if not self.sandbox_simulated:
            return super()._ev_app_credentials()
        provider = self.sudo()
        if not (provider.sandbox_app_key and provider.sandbox_app_secret):
            provider.write({"sandbox_app_key": SANDBOX_APP_KEY_PREFIX + secrets.token_hex(8),
                            "sandbox_app_secret": secrets.token_hex(16)})
        return provider.sandbox_app_key, provider.sandbox_app_secret

    @api.constrains("state", "app_key")
    def _check_no_simulator_when_enabled(self):
        """Databases made before the credentials were kept apart hold the simulator's App Key in the provider's
        own field: such a provider cannot be enabled either."""
        for provider in self.sudo().filtered(lambda p: p.state == "enabled"):
            if (provider.app_key or "").startswith(SANDBOX_APP_KEY_PREFIX) or (
                    provider.app_key and provider.app_key == provider.sandbox_app_key):
                raise ValidationError(_(
                    "The e-invoice provider %(name)s cannot be enabled: its App Key is one of the simulated tax "
                    "platform. Enter the App Key and App Secret Nuonuo gave you first.", name=provider.name))

    def _ev_move_simulator_credentials_to_the_sandbox(self):
        """Databases made before the credentials were kept apart: the simulator's App Key and App Secret found in
        a provider's own fields go to its sandbox fields and leave those fields."""
        for provider in self.sudo():
            if (provider.app_key or "").startswith(SANDBOX_APP_KEY_PREFIX):
                provider.write({"sandbox_app_key": provider.app_key, "sandbox_app_secret": provider.app_secret,
                                "app_key": False, "app_secret": False})

    # Transport hook ---------------------------------------------------------------------------------------------

    def _ev_base_url(self):
        self.ensure_one()
        if self.sandbox_simulated and self.sandbox_base_url:
            return self.sandbox_base_url.rstrip("/")
        return super()._ev_base_url()

    def _ev_services_url(self):
        self.ensure_one()
        if self.sandbox_simulated:
            return self._ev_base_url() + SANDBOX_SERVICES_PATH
        return super()._ev_services_url()

    def _ev_token_url(self):
        self.ensure_one()
        if self.sandbox_simulated:
            return self._ev_base_url() + SANDBOX_TOKEN_PATH
        return super()._ev_token_url()

    def _ev_callback_url(self):
        # The simulator pushes nothing: results are queried.
        return "" if self.sandbox_simulated else super()._ev_callback_url()

    def _ev_poll_delay(self):
        return self.sandbox_issue_delay if self.sandbox_simulated else super()._ev_poll_delay()

    def _ev_request(self, method, url, params=None, data=None, headers=None):
        """Override: with ``ev_sandbox_in_process`` in the context (the demo data, built while no HTTP server
        runs), the simulator's own code answers in this transaction, byte for byte what its HTTP face would."""
        if self.sandbox_simulated and self.env.context.get("ev_sandbox_in_process"):
            return self._ev_sandbox_answer(method, url, params or {}, data or b"", headers or {})
        return super()._ev_request(method, url, params=params, data=data, headers=headers)

    def _ev_sandbox_answer(self, method, url, params, body, headers):
        Sandbox = self.env["ev.einvoice.sandbox"].sudo()
        path = urlsplit(url).path
        status, content = 404, b""
        if method == "POST" and path == SANDBOX_TOKEN_PATH:
            status, _type, content = Sandbox._serve_token(dict(parse_qsl(body.decode())))
        elif method == "POST" and path == SANDBOX_SERVICES_PATH:
            status, _type, content = Sandbox._serve_services(params, Headers(headers), body, path)
        elif method == "GET" and path.startswith(SANDBOX_FILES_PATH + "/"):
            account, _sep, filename = path[len(SANDBOX_FILES_PATH) + 1:].partition("/")
            found = Sandbox._serve_file(account, filename)
            status, content = (200, found[0]) if found else (404, b"")
        return SimpleNamespace(status_code=status, content=content)

    # The simulator's side of the same account -------------------------------------------------------------------

    @api.model
    def _ev_sandbox_for_app_key(self, app_key):
        if not app_key:
            return self.browse()
        provider = self.sudo().search([("state", "=", "test"), ("sandbox_app_key", "=", app_key)], limit=1)
        return provider if provider.sandbox_simulated else self.browse()

    def _ev_sandbox_issue_token(self, expires_at=None):
        """A stateless token: ``<expiry>.<HMAC(app secret)>``, so the simulator never writes while answering."""
        self.ensure_one()
        expiry = int(expires_at or time.time() + SANDBOX_TOKEN_LIFETIME)
        provider = self.sudo()
        mac = hmac.new(provider.sandbox_app_secret.encode(), f"token|{provider.sandbox_app_key}|{expiry}".encode(),
                       hashlib.sha256).hexdigest()[:32]
        return f"{expiry}.{mac}"

    def _ev_sandbox_token_valid(self, token):
        self.ensure_one()
        expiry, _sep, _mac = (token or "").partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return False
        return hmac.compare_digest(self._ev_sandbox_issue_token(int(expiry)), token)
