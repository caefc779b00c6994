"""The simulated WeChat Pay and Alipay reached through the providers' transport hook.

A provider in state 'test' without an API base URL of its own talks to the simulators of this server
(controllers/sandbox.py) with the simulator's keys, kept in this addon's ``ev_sandbox_*`` fields: like a sandbox
account on the real platforms, apart from the provider's own (live) credential fields, which the sandbox never
writes. Switching a provider between test and enabled therefore never overwrites either set, and a provider
pointing at the simulator cannot be enabled.
"""
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.http import request as http_request

from odoo.addons.ev_pay_invoice.models.payment_provider import EV_PROVIDER_CODES
from odoo.addons.ev_pay_invoice.protocols import alipay, keys, wechatpay

SANDBOX_PREFIX = "/ev_pay/sandbox"
# The simulator's keys a callback is verified and decrypted with (its public key is that of its private key).
SANDBOX_PLATFORM_KEY_FIELDS = ("ev_sandbox_platform_private_key", "ev_sandbox_public_key_id",
                               "ev_sandbox_trusted_certificates", "ev_sandbox_api_v3_key")


def _modulus(text, private=False):
    """The RSA modulus of a PEM key or certificate (None when empty or unreadable): what tells two keys apart."""
    if not text:
        return None
    try:
        key = keys.load_private_key(text).public_key() if private else keys.load_public_key(text)
    except ValueError:
        return None
    return key.public_numbers().n


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # Simulator side of the sandbox (what WeChat Pay / Alipay would know about us) -------------------------
    ev_sandbox_platform_private_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_merchant_public_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_api_v3_key = fields.Char(groups="base.group_system", copy=False)
    # Merchant side of the sandbox: the keys a test-state provider signs, verifies and decrypts with instead of
    # its own credential fields (see ``_ev_wechatpay_keys`` / ``_ev_alipay_app``).
    ev_sandbox_merchant_private_key = fields.Text(string="Sandbox Merchant Private Key",
                                                  groups="base.group_system", copy=False)
    ev_sandbox_merchant_serial = fields.Char(string="Sandbox Merchant Certificate Serial",
                                             groups="base.group_system", copy=False)
    ev_sandbox_public_key_id = fields.Char(string="Sandbox Public Key ID", groups="base.group_system", copy=False)
    ev_sandbox_trusted_certificates = fields.Text(string="Sandbox Trusted Platform Certificates",
                                                  groups="base.group_system", copy=False)
    ev_sandbox_trusted_serial = fields.Char(string="Sandbox Platform Certificate Serial", store=True,
                                            compute="_compute_ev_sandbox_trusted_serial", index="btree_not_null")

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

    @api.depends("ev_sandbox_trusted_certificates")
    def _compute_ev_sandbox_trusted_serial(self):
        """As ``wechatpay_platform_serial``, of the certificates trusted in the sandbox: callbacks are found by it."""
        for provider in self:
            serials = []
            for certificate in keys.certificate_bundle(provider.sudo().ev_sandbox_trusted_certificates):
                try:
                    serials.append(wechatpay.normalise_serial(keys.certificate_serial_hex(certificate)))
                except ValueError:
                    continue
            provider.ev_sandbox_trusted_serial = " ".join(serials) or False

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

    def _ev_uses_sandbox_keys(self):
        """Whether this provider signs with the simulator's keys: test state without an API base URL (the same
        condition as the transport hook), or with one ending in the simulator's path (a proxy in front of it)."""
        self.ensure_one()
        if self.state != "test" or self.code not in EV_PROVIDER_CODES:
            return False
        base = (self.ev_api_base_url or "").rstrip("/")
        return not base or base.endswith("%s/%s" % (SANDBOX_PREFIX, self.code))

    def _ev_wechatpay_keys(self):
        """Override: a provider talking to the simulator uses the simulator's keys, never its own fields."""
        self.ensure_one()
        if not self._ev_uses_sandbox_keys():
            return super()._ev_wechatpay_keys()
        provider = self.sudo()
        if not (provider.ev_sandbox_merchant_private_key and provider.ev_sandbox_trusted_certificates):
            provider._ev_ensure_sandbox_credentials()
        platform_pem = provider.ev_sandbox_platform_private_key
        # As on the platform: a public key (and its id) in public-key mode, certificates in certificate mode.
        public_key_mode = provider.wechatpay_verify_mode == "public_key"
        return {
            "wechatpay_serial_no": provider.ev_sandbox_merchant_serial,
            "wechatpay_private_key": provider.ev_sandbox_merchant_private_key,
            "wechatpay_api_v3_key": provider.ev_sandbox_api_v3_key,
            "wechatpay_public_key_id": public_key_mode and provider.ev_sandbox_public_key_id,
            "wechatpay_public_key": public_key_mode and platform_pem and keys.public_key_pem(platform_pem),
            "wechatpay_platform_certificate": not public_key_mode and provider.ev_sandbox_trusted_certificates,
            "wechatpay_app_secret": provider.ev_sandbox_merchant_app_secret,
        }

    def _ev_alipay_app(self):
        """Override: a provider talking to the simulator signs and verifies with the simulator's keys."""
        self.ensure_one()
        if not self._ev_uses_sandbox_keys():
            return super()._ev_alipay_app()
        provider = self.sudo()
        if not provider.ev_sandbox_merchant_private_key:
            provider._ev_ensure_sandbox_credentials()
        return alipay.AlipayApp(app_id=provider.alipay_app_id, private_key_pem=provider.ev_sandbox_merchant_private_key,
                                alipay_public_key_pem=keys.public_key_pem(provider.ev_sandbox_platform_private_key))

    def _ev_wechatpay_trust_certificates(self, bundle):
        """Override: the simulator's platform certificates are trusted in the sandbox's field."""
        if not self._ev_uses_sandbox_keys():
            return super()._ev_wechatpay_trust_certificates(bundle)
        self.sudo().ev_sandbox_trusted_certificates = bundle

    @api.model
    def _ev_wechatpay_candidates_of_serial(self, serial):
        """Override: the providers using the simulator's keys are found by the simulator's serials, in the same
        indexed way; those using their own fields by their own."""
        found = super()._ev_wechatpay_candidates_of_serial(serial).filtered(
            lambda provider: not provider._ev_uses_sandbox_keys())
        normalised = wechatpay.normalise_serial(serial)
        found |= self.sudo().search([
            ("code", "=", "wechatpay"), ("state", "=", "test"), ("ev_sandbox_api_v3_key", "!=", False),
            "|", ("ev_api_base_url", "=", False), ("ev_api_base_url", "=like", "%" + SANDBOX_PREFIX + "/wechatpay%"),
            "|", "|", "|", ("ev_sandbox_public_key_id", "=", serial), ("ev_sandbox_trusted_serial", "=", normalised),
            ("ev_sandbox_trusted_serial", "=like", normalised + " %"),
            ("ev_sandbox_trusted_serial", "=like", "% " + normalised),
        ], order="id").filtered(lambda provider: provider._ev_uses_sandbox_keys())
        return found.sorted("id")

    def _ev_wechatpay_signers(self):
        """Override: the providers using the simulator's keys, one per distinct set of them."""
        sandboxed = self.filtered(lambda provider: provider._ev_uses_sandbox_keys())
        return (super(PaymentProvider, self - sandboxed)._ev_wechatpay_signers()
                | sandboxed._ev_distinct_by(SANDBOX_PLATFORM_KEY_FIELDS))

    def _ev_wechatpay_sharing_keys(self, signer):
        """Override: the simulator's keys are compared with the simulator's keys only."""
        sandboxed = self.filtered(lambda provider: provider._ev_uses_sandbox_keys())
        if not signer._ev_uses_sandbox_keys():
            return super(PaymentProvider, self - sandboxed)._ev_wechatpay_sharing_keys(signer)
        return self.search([("id", "in", sandboxed.ids)] + [(name, "=", signer.sudo()[name])
                                                            for name in SANDBOX_PLATFORM_KEY_FIELDS])

    @api.constrains("state", "code", "ev_api_base_url", "wechatpay_private_key", "wechatpay_public_key",
                    "wechatpay_platform_certificate", "alipay_private_key", "alipay_public_key")
    def _ev_check_no_simulator_when_enabled(self):
        """Databases made before the keys were kept apart hold simulator keys in the provider's own fields: such
        a provider cannot be enabled either."""
        for provider in self.sudo().filtered(lambda p: p.state == "enabled" and p.code in EV_PROVIDER_CODES):
            if provider._ev_has_simulator_credentials():
                raise ValidationError(_(
                    "%(provider)s cannot be enabled: it still holds the keys of the simulated platform. Enter the "
                    "credentials the platform gave you first.", provider=provider.name))

    def _ev_has_simulator_credentials(self):
        """True when a key the simulator made is one this provider's own fields sign or verify with."""
        self.ensure_one()
        provider = self.sudo()
        modulus = _modulus
        made = {modulus(provider.ev_sandbox_platform_private_key, private=True)
                if provider.ev_sandbox_platform_private_key else None,
                modulus(provider.ev_sandbox_merchant_private_key, private=True)
                if provider.ev_sandbox_merchant_private_key else None,
                modulus(provider.ev_sandbox_merchant_public_key) if provider.ev_sandbox_merchant_public_key else None}
        used = {modulus(provider[name], private=True) for name in ("wechatpay_private_key", "alipay_private_key")
                if provider[name]}
        used |= {modulus(provider[name]) for name in ("wechatpay_public_key", "wechatpay_platform_certificate",
                                                      "alipay_public_key") if provider[name]}
        made.discard(None)
        return bool(made & used)

    def _ev_move_simulator_keys_to_the_sandbox(self):
        """Databases made before the keys were kept apart: the simulator's keys found in a provider's own fields
        go to its sandbox account and leave those fields (keys the simulator did not make, live ones, stay)."""
        for provider in self.sudo().filtered(lambda p: p.code in EV_PROVIDER_CODES):
            platform = _modulus(provider.ev_sandbox_platform_private_key, private=True)
            merchant = _modulus(provider.ev_sandbox_merchant_public_key)
            moved, cleared = {}, {}
            if provider.code == "wechatpay":
                if merchant and _modulus(provider.wechatpay_private_key, private=True) == merchant:
                    moved.update(ev_sandbox_merchant_private_key=provider.wechatpay_private_key,
                                 ev_sandbox_merchant_serial=provider.wechatpay_serial_no)
                    cleared.update(wechatpay_private_key=False, wechatpay_serial_no=False)
                if platform and _modulus(provider.wechatpay_public_key) == platform:
                    moved["ev_sandbox_public_key_id"] = provider.wechatpay_public_key_id
                    cleared.update(wechatpay_public_key=False, wechatpay_public_key_id=False)
                if platform and _modulus(provider.wechatpay_platform_certificate) == platform:
                    moved["ev_sandbox_trusted_certificates"] = provider.wechatpay_platform_certificate
                    cleared["wechatpay_platform_certificate"] = False
                if provider.wechatpay_api_v3_key and provider.wechatpay_api_v3_key == provider.ev_sandbox_api_v3_key:
                    cleared["wechatpay_api_v3_key"] = False
                if provider.wechatpay_app_secret and provider.wechatpay_app_secret == provider.ev_sandbox_app_secret:
                    moved["ev_sandbox_merchant_app_secret"] = provider.wechatpay_app_secret
                    cleared["wechatpay_app_secret"] = False
            else:
                if merchant and _modulus(provider.alipay_private_key, private=True) == merchant:
                    moved["ev_sandbox_merchant_private_key"] = provider.alipay_private_key
                    cleared["alipay_private_key"] = False
                if platform and _modulus(provider.alipay_public_key) == platform:
                    cleared["alipay_public_key"] = False
            if moved or cleared:
                super(PaymentProvider, provider).write(dict(moved, **cleared))

    def _ev_ensure_sandbox_credentials(self):
        """Give a test-mode provider a sandbox account: the simulator's keys, made once into this addon's own
        fields (the provider's credential fields are never written).

        Like a sandbox account on the real platforms: our merchant key pair and certificate serial, the API v3
        key, the platform's key pair with its public key id and certificate. The merchant's numbers (AppID,
        merchant ID, Alipay App ID) are not secrets: empty ones are given simulated values, filled ones are used
        as they are. "Make new sandbox keys" replaces the simulator's keys. Nothing here is logged.
        """
        for provider in self.sudo():
            if provider.state != "test" or provider.code not in EV_PROVIDER_CODES:
                continue
            values = {}
            platform_pem = provider.ev_sandbox_platform_private_key
            if not platform_pem:
                platform_pem, _platform_public = keys.generate_rsa_keypair()
                values["ev_sandbox_platform_private_key"] = platform_pem
            if not provider.ev_sandbox_merchant_private_key:
                merchant_pem, merchant_public = keys.generate_rsa_keypair()
                values["ev_sandbox_merchant_private_key"] = merchant_pem
                if provider.code == "wechatpay":
                    cert_pem, serial = keys.generate_self_signed_certificate(merchant_pem, "EV sandbox merchant")
                    values.update(ev_sandbox_merchant_public_key=cert_pem, ev_sandbox_merchant_serial=serial)
                else:
                    values["ev_sandbox_merchant_public_key"] = merchant_public
            if provider.code == "wechatpay":
                if not provider.ev_sandbox_api_v3_key:
                    values["ev_sandbox_api_v3_key"] = secrets.token_hex(16)
                if not provider.ev_sandbox_public_key_id:
                    values["ev_sandbox_public_key_id"] = "PUB_KEY_ID_%s" % secrets.randbelow(10 ** 20)
                if not provider.ev_sandbox_trusted_certificates:
                    cert_pem, _serial = keys.generate_self_signed_certificate(platform_pem, "EV sandbox WeChat Pay")
                    values["ev_sandbox_trusted_certificates"] = cert_pem
                ids = {"wechatpay_appid": "wx%016d" % provider.id, "wechatpay_mchid": str(1900000000 + provider.id)}
                if provider.wechatpay_mode == "partner":
                    ids["wechatpay_sub_mchid"] = str(1600000000 + provider.id)
            else:
                ids = {"alipay_app_id": "90210%011d" % provider.id}
            values.update({name: value for name, value in ids.items() if not provider[name]})
            if values:
                # Written with super() to skip our write() hook and the state handling of `payment`.
                super(PaymentProvider, provider).write(values)

    def action_ev_reset_sandbox_credentials(self):
        """Throw away the simulator's keys and make new ones (test mode only; the provider's own are kept)."""
        for provider in self:
            if provider.state != "test":
                raise UserError(_("%(provider)s is not in test mode: its credentials come from the platform.",
                                  provider=provider.name))
        self.sudo().write({
            "ev_sandbox_platform_private_key": False, "ev_sandbox_merchant_public_key": False,
            "ev_sandbox_api_v3_key": False, "ev_sandbox_merchant_private_key": False,
            "ev_sandbox_merchant_serial": False, "ev_sandbox_public_key_id": False,
            "ev_sandbox_trusted_certificates": False,
        })
        self._ev_ensure_sandbox_credentials()

    @api.depends("code", "wechatpay_verify_mode", "wechatpay_platform_certificate", "state", "ev_api_base_url",
                 "ev_sandbox_trusted_certificates")
    def _compute_ev_wechatpay_key_expiry(self):
        """Override: in the sandbox, the expiry of the certificates trusted there."""
        return super()._compute_ev_wechatpay_key_expiry()
