"""The simulated WeChat Pay and Alipay reached through the providers' transport hook.

A provider in state 'test' without an API base URL of its own talks to the simulators of this server
(controllers/sandbox.py). Its simulator credentials are made once, only into empty fields: switching a provider
between test and enabled never overwrites keys it already has, and a provider holding simulator keys or pointing
at the simulator cannot be enabled.
"""
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.http import request as http_request

from odoo.addons.ev_pay_invoice.models.payment_provider import EV_PROVIDER_CODES
from odoo.addons.ev_pay_invoice.protocols import keys

SANDBOX_PREFIX = "/ev_pay/sandbox"


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # Simulator side of the sandbox (what WeChat Pay / Alipay would know about us) -------------------------
    ev_sandbox_platform_private_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_merchant_public_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_api_v3_key = fields.Char(groups="base.group_system", copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        providers = super().create(vals_list)
        providers.filtered(lambda p: p.state == "test" and p.code in EV_PROVIDER_CODES)._ev_ensure_sandbox_credentials()
        return providers

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") == "test" or {"code", "wechatpay_mode", "wechatpay_verify_mode"} & set(vals):
            self.filtered(lambda p: p.state == "test" and p.code in EV_PROVIDER_CODES)._ev_ensure_sandbox_credentials()
        return res

    # === Transport hook === #

    def _ev_api_base(self):
        """Override: a test-state provider without an API base URL of its own talks to this server's simulator."""
        self.ensure_one()
        if self.state == "test" and not self.ev_api_base_url and self.code in EV_PROVIDER_CODES:
            return "%s%s/%s" % (self._ev_base_url(), SANDBOX_PREFIX, self.code)
        return super()._ev_api_base()

    def _ev_is_sandboxed(self):
        self.ensure_one()
        return self.state == "test" and self._ev_api_base().startswith(self._ev_base_url() + SANDBOX_PREFIX)

    def _ev_sandbox_in_process(self, url):
        """Whether a call to ``url`` is answered by the simulator's code in this transaction.

        While this server answers an HTTP request, calling itself over HTTP would hold one worker waiting for
        another and deadlock a single-worker server (and Odoo's test server); under ``ev_sandbox_in_process``
        (the demo data, built while no HTTP server runs) there is no server to call."""
        return (self._ev_is_sandboxed() and url.startswith(self._ev_base_url() + SANDBOX_PREFIX)
                and bool(http_request or self.env.context.get("ev_sandbox_in_process")))

    def _ev_send(self, method, url, headers, body):
        """Override: the simulator's answer in-process (same signed bytes in and out), see above."""
        self.ensure_one()
        if self._ev_sandbox_in_process(url):
            return self.env["ev.pay.sandbox.order"].sudo()._ev_dispatch(
                method, url[len(self._ev_base_url()):], headers, body)
        return super()._ev_send(method, url, headers, body)

    def _ev_send_unsigned(self, method, url, headers):
        """Override: the simulator's bill files in-process, as ``_ev_send``."""
        self.ensure_one()
        if self._ev_sandbox_in_process(url):
            answer = self.env["ev.pay.sandbox.order"].sudo()._ev_bill_file(url[len(self._ev_base_url()):])
            if answer:
                return answer
        return super()._ev_send_unsigned(method, url, headers)

    # === Credentials kept apart === #

    @api.constrains("state", "code", "ev_api_base_url", "wechatpay_private_key", "wechatpay_public_key",
                    "wechatpay_platform_certificate", "alipay_private_key", "alipay_public_key")
    def _ev_check_no_simulator_when_enabled(self):
        for provider in self.sudo().filtered(lambda p: p.state == "enabled" and p.code in EV_PROVIDER_CODES):
            if provider._ev_has_simulator_credentials():
                raise ValidationError(_(
                    "%(provider)s cannot be enabled: it still holds the keys of the simulated platform. Enter the "
                    "credentials the platform gave you first.", provider=provider.name))

    def _ev_has_simulator_credentials(self):
        """True when a key the simulator made is one this provider signs or verifies with."""
        self.ensure_one()
        provider = self.sudo()
        def modulus(text, private=False):
            try:
                key = keys.load_private_key(text).public_key() if private else keys.load_public_key(text)
            except ValueError:
                return None
            return key.public_numbers().n

        made = {modulus(provider.ev_sandbox_platform_private_key, private=True)
                if provider.ev_sandbox_platform_private_key else None,
                modulus(provider.ev_sandbox_merchant_public_key) if provider.ev_sandbox_merchant_public_key else None}
        used = {modulus(provider[name], private=True) for name in ("wechatpay_private_key", "alipay_private_key")
                if provider[name]}
        used |= {modulus(provider[name]) for name in ("wechatpay_public_key", "wechatpay_platform_certificate",
                                                      "alipay_public_key") if provider[name]}
        made.discard(None)
        return bool(made & used)

    def _ev_ensure_sandbox_credentials(self):
        """Give a test-mode provider working simulator credentials, once, into empty fields only.

        Like a sandbox account on the real platforms: our merchant key pair and certificate serial, the API v3
        key, and the platform's key pair whose public half we verify with. Keys a provider already has (its live
        ones) are never overwritten: "Make new sandbox keys" replaces them on purpose. Nothing here is logged.
        """
        for provider in self.sudo():
            if provider.state != "test":
                continue
            values = {}
            if provider.code == "wechatpay":
                if not (provider.wechatpay_private_key and provider.wechatpay_serial_no):
                    private_pem, _public_pem = keys.generate_rsa_keypair()
                    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "EV sandbox merchant")
                    values.update(wechatpay_private_key=private_pem, wechatpay_serial_no=serial,
                                  ev_sandbox_merchant_public_key=cert_pem)
                if not provider.wechatpay_api_v3_key:
                    values["wechatpay_api_v3_key"] = secrets.token_hex(16)
                platform_pem = provider.ev_sandbox_platform_private_key
                if not platform_pem:
                    platform_pem, _platform_public = keys.generate_rsa_keypair()
                    values["ev_sandbox_platform_private_key"] = platform_pem
                if provider.wechatpay_verify_mode == "public_key" and not provider.wechatpay_public_key:
                    values.update(wechatpay_public_key=keys.public_key_pem(platform_pem),
                                  wechatpay_public_key_id=provider.wechatpay_public_key_id
                                  or "PUB_KEY_ID_%s" % secrets.randbelow(10 ** 20))
                if provider.wechatpay_verify_mode == "certificate" and not provider.wechatpay_platform_certificate:
                    # Also when an existing provider is switched to certificate verification.
                    cert_pem, _serial = keys.generate_self_signed_certificate(platform_pem, "EV sandbox WeChat Pay")
                    values["wechatpay_platform_certificate"] = cert_pem
                values.setdefault("wechatpay_appid", provider.wechatpay_appid or "wx%016d" % provider.id)
                values.setdefault("wechatpay_mchid", provider.wechatpay_mchid or str(1900000000 + provider.id))
                if provider.wechatpay_mode == "partner":
                    values.setdefault("wechatpay_sub_mchid",
                                      provider.wechatpay_sub_mchid or str(1600000000 + provider.id))
            elif provider.code == "alipay":
                if not provider.alipay_private_key:
                    app_pem, app_public = keys.generate_rsa_keypair()
                    values.update(alipay_private_key=app_pem, ev_sandbox_merchant_public_key=app_public)
                if not provider.ev_sandbox_platform_private_key:
                    platform_pem, platform_public = keys.generate_rsa_keypair()
                    values["ev_sandbox_platform_private_key"] = platform_pem
                    if not provider.alipay_public_key:
                        values["alipay_public_key"] = platform_public
                values.setdefault("alipay_app_id", provider.alipay_app_id or "90210%011d" % provider.id)
            values = {name: value for name, value in values.items() if value != provider[name]}
            if values:
                # Written with super() to skip our write() hook and the state handling of `payment`.
                super(PaymentProvider, provider).write(values)
            if provider.code == "wechatpay" and not provider.ev_sandbox_api_v3_key:
                super(PaymentProvider, provider).write({"ev_sandbox_api_v3_key": provider.wechatpay_api_v3_key})

    def action_ev_reset_sandbox_credentials(self):
        """Throw away the keys and make new simulator ones (test mode only)."""
        for provider in self:
            if provider.state != "test":
                raise UserError(_("%(provider)s is not in test mode: its credentials come from the platform.",
                                  provider=provider.name))
        self.sudo().write({
            "wechatpay_private_key": False, "wechatpay_serial_no": False, "wechatpay_api_v3_key": False,
            "wechatpay_public_key": False, "wechatpay_public_key_id": False, "wechatpay_platform_certificate": False,
            "alipay_private_key": False, "alipay_public_key": False, "ev_sandbox_platform_private_key": False,
            "ev_sandbox_merchant_public_key": False, "ev_sandbox_api_v3_key": False,
        })
        self._ev_ensure_sandbox_credentials()
