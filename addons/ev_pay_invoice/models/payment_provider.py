"""WeChat Pay (API v3) and Alipay (open platform) as providers of Odoo's payment framework.

The wire protocols (signing, verification, AES-GCM, request builders) live in ``protocols/``; this model only
holds the credentials, sends the prepared requests and turns protocol errors into user errors. In state
'test' (sandbox) the API base URL points to the simulators served by this same Odoo (controllers/sandbox.py).
"""
import json
import logging
import secrets
from urllib.parse import urlencode, urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.http import request as http_request

from ..protocols import alipay, keys, wechatpay
from ..protocols.transport import request_may_have_arrived

_logger = logging.getLogger(__name__)

EV_PROVIDER_CODES = ("wechatpay", "alipay")
SANDBOX_PREFIX = "/ev_pay/sandbox"
REQUEST_TIMEOUT = 10


class EvPayAnswerLost(UserError):
    """The request was sent but its answer never arrived (time-out, connection reset): the outcome is unknown.

    Callers that can keep a record of the call (a pay-code payment, a refund) keep it pending as 查询中 and
    query it by its order number at once; the others let it fall as any UserError ("try again")."""


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(
        selection_add=[("wechatpay", "WeChat Pay"), ("alipay", "Alipay")],
        ondelete={"wechatpay": "set default", "alipay": "set default"},
    )

    # WeChat Pay API v3 -------------------------------------------------------------------------------------
    wechatpay_mode = fields.Selection(
        [("partner", "Service provider (sp_mchid + sub_mchid)"), ("direct", "Direct merchant")],
        string="WeChat Pay Mode", default="partner",
        help="Service provider mode: the service provider's merchant number signs and the dealer is the "
        "sub-merchant. Direct mode: the dealer's own merchant number.",
    )
    wechatpay_appid = fields.Char(string="AppID", help="sp_appid in service-provider mode, appid in direct mode.")
    wechatpay_mchid = fields.Char(string="Merchant ID", help="sp_mchid in service-provider mode, mchid in direct mode.")
    wechatpay_sub_mchid = fields.Char(string="Sub-merchant ID", help="The dealer's sub_mchid (service-provider mode).")
    wechatpay_sub_appid = fields.Char(string="Sub-merchant AppID")
    wechatpay_serial_no = fields.Char(string="Merchant Certificate Serial",
                                      help="Serial number of the merchant API certificate (apiclient_cert.pem).")
    wechatpay_private_key = fields.Text(string="Merchant Private Key", groups="base.group_system",
                                        help="apiclient_key.pem: signs every request.")
    wechatpay_api_v3_key = fields.Char(string="API v3 Key", groups="base.group_system",
                                       help="32 characters set in the merchant platform; decrypts callbacks.")
    wechatpay_verify_mode = fields.Selection(
        [("public_key", "WeChat Pay public key"), ("certificate", "Platform certificate")],
        string="Signature Check", default="public_key",
        help="How answers and callbacks of WeChat Pay are verified. During a migration fill both: the key "
        "is chosen by the Wechatpay-Serial header.",
    )
    wechatpay_public_key_id = fields.Char(string="Public Key ID", help="PUB_KEY_ID_… of the WeChat Pay public key.")
    wechatpay_public_key = fields.Text(string="WeChat Pay Public Key", groups="base.group_system")
    wechatpay_platform_certificate = fields.Text(
        string="Platform Certificate", groups="base.group_system",
        help="Certificate mode: the WeChat Pay platform certificate(s), PEM; several during a rotation. Kept up to "
        "date by \"Download Platform Certificates\" and a daily job.")

    # Alipay -----------------------------------------------------------------------------------------------
    alipay_app_id = fields.Char(string="Alipay App ID")
    alipay_private_key = fields.Text(string="App Private Key", groups="base.group_system")
    alipay_public_key = fields.Text(string="Alipay Public Key", groups="base.group_system")
    alipay_app_auth_token = fields.Char(
        string="App Auth Token", groups="base.group_system",
        help="ISV mode: the token the dealer granted to our application (app_auth_token).",
    )
    alipay_auth_app_id = fields.Char(
        string="Dealer App ID", help="ISV mode: the dealer's app id, checked against auth_app_id in notifications.",
    )
    alipay_seller_id = fields.Char(string="Seller ID", help="Optional: the dealer's Alipay PID (seller_id).")

    # Both -------------------------------------------------------------------------------------------------
    ev_api_base_url = fields.Char(
        string="API Base URL", help="Leave empty: the official gateway when enabled, this server's simulator "
        "in test mode.",
    )
    ev_qr_timeout_minutes = fields.Integer(string="QR Validity (minutes)", default=15,
                                           help="The collection QR expires and the order is closed after this.")

    # Simulator side of the sandbox (what WeChat Pay / Alipay would know about us) -------------------------
    ev_sandbox_platform_private_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_merchant_public_key = fields.Text(groups="base.group_system", copy=False)
    ev_sandbox_api_v3_key = fields.Char(groups="base.group_system", copy=False)

    # === COMPUTE / CRUD === #

    def _compute_feature_support_fields(self):
        """Override of `payment`: both channels refund partially."""
        super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code in EV_PROVIDER_CODES).update({"support_refund": "partial"})

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

    @api.constrains("state", "code", "wechatpay_api_v3_key")
    def _ev_check_api_v3_key(self):
        for provider in self.sudo():
            key = provider.wechatpay_api_v3_key
            if provider.code == "wechatpay" and key and len(key.encode()) != 32:
                raise ValidationError(_("The WeChat Pay API v3 key of %(provider)s must be 32 characters, "
                                        "it has %(length)s.", provider=provider.name, length=len(key)))

    @api.constrains("state", "code")
    def _ev_check_credentials_when_enabled(self):
        for provider in self.sudo().filtered(lambda p: p.state == "enabled" and p.code in EV_PROVIDER_CODES):
            missing = provider._ev_missing_credentials()
            if missing:
                raise ValidationError(_("%(provider)s cannot be enabled, these fields are empty: %(fields)s",
                                        provider=provider.name, fields=", ".join(missing)))

    def _ev_missing_credentials(self):
        self.ensure_one()
        if self.code == "wechatpay":
            names = ["wechatpay_appid", "wechatpay_mchid", "wechatpay_serial_no", "wechatpay_private_key",
                     "wechatpay_api_v3_key"]
            if self.wechatpay_mode == "partner":
                names.append("wechatpay_sub_mchid")
            if self.wechatpay_verify_mode == "public_key":
                names += ["wechatpay_public_key_id", "wechatpay_public_key"]
            else:
                names.append("wechatpay_platform_certificate")
        else:
            names = ["alipay_app_id", "alipay_private_key", "alipay_public_key"]
        return [self._fields[name].get_description(self.env)["string"] for name in names if not self[name]]

    # === BUSINESS METHODS - PAYMENT FLOW === #

    def _get_supported_currencies(self):
        """Override of `payment`: the QR products settle in CNY only."""
        currencies = super()._get_supported_currencies()
        if self.code in EV_PROVIDER_CODES:
            currencies = currencies.filtered(lambda c: c.name == "CNY")
        return currencies

    def _get_default_payment_method_codes(self):
        """Override of `payment`: WeChat Pay and Alipay payment methods exist in `payment` already."""
        codes = super()._get_default_payment_method_codes()
        if self.code == "wechatpay":
            return {"wechat_pay"}
        if self.code == "alipay":
            return {"alipay"}
        return codes

    def _ev_payment_method(self):
        self.ensure_one()
        code = "wechat_pay" if self.code == "wechatpay" else "alipay"
        method = self.with_context(active_test=False).payment_method_ids.filtered(lambda m: m.code == code)[:1]
        return method or self.env["payment.method"].with_context(active_test=False).search([("code", "=", code)],
                                                                                             limit=1)

    # === URLs === #

    def _ev_base_url(self):
        return self.get_base_url().rstrip("/")

    def _ev_api_base(self):
        """Where API calls go: the override, the simulator of this server in test mode, else the real gateway."""
        self.ensure_one()
        if self.ev_api_base_url:
            return self.ev_api_base_url.rstrip("/")
        if self.state == "test":
            return "%s%s/%s" % (self._ev_base_url(), SANDBOX_PREFIX, self.code)
        return wechatpay.API_HOST if self.code == "wechatpay" else alipay.GATEWAY_URL

    def _ev_alipay_gateway(self):
        base = self._ev_api_base()
        return base if base.endswith("gateway.do") else base + "/gateway.do"

    def _ev_notify_url(self):
        return "%s/payment/%s/webhook" % (self._ev_base_url(), self.code)

    def _ev_is_sandboxed(self):
        self.ensure_one()
        return self.state == "test" and self._ev_api_base().startswith(self._ev_base_url() + SANDBOX_PREFIX)

    # === Credentials === #

    def _ev_wechatpay_merchant(self):
        self.ensure_one()
        if self.wechatpay_mode == "direct":
            return wechatpay.DirectMerchant(appid=self.wechatpay_appid, mchid=self.wechatpay_mchid)
        return wechatpay.PartnerMerchant(sp_appid=self.wechatpay_appid, sp_mchid=self.wechatpay_mchid,
                                         sub_mchid=self.wechatpay_sub_mchid, sub_appid=self.wechatpay_sub_appid or None)

    def _ev_wechatpay_credentials(self):
        self.ensure_one()
        provider = self.sudo()
        return wechatpay.MerchantCredentials(mchid=provider.wechatpay_mchid, serial_no=provider.wechatpay_serial_no,
                                             private_key_pem=provider.wechatpay_private_key)

    def _ev_wechatpay_verification_keys(self):
        """``{serial or PUB_KEY_ID: PEM}`` of every key WeChat Pay may sign with (both modes during migration)."""
        self.ensure_one()
        provider = self.sudo()
        found = {}
        if provider.wechatpay_public_key_id and provider.wechatpay_public_key:
            found[provider.wechatpay_public_key_id] = provider.wechatpay_public_key
        # One certificate, or several during a rotation (downloaded from /v3/certificates).
        for cert_pem in keys.certificate_bundle(provider.wechatpay_platform_certificate):
            try:
                serial = keys.certificate_serial_hex(cert_pem)
            except ValueError:
                _logger.warning("WeChat Pay provider %s: a platform certificate cannot be read", provider.id)
            else:
                found[serial] = cert_pem
        return found

    def _ev_alipay_app(self):
        self.ensure_one()
        provider = self.sudo()
        return alipay.AlipayApp(app_id=provider.alipay_app_id, private_key_pem=provider.alipay_private_key,
                                alipay_public_key_pem=provider.alipay_public_key)

    def _ev_ensure_sandbox_credentials(self):
        """Give a test-mode provider working credentials and the simulator its own keys, once.

        Like a sandbox account on the real platforms: our merchant key pair and certificate serial, the API v3
        key, and the platform's key pair whose public half we verify with. Nothing here is logged.
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
                if provider.wechatpay_verify_mode == "public_key" and (
                        not provider.wechatpay_public_key or "ev_sandbox_platform_private_key" in values):
                    values.update(wechatpay_public_key=keys.public_key_pem(platform_pem),
                                  wechatpay_public_key_id=provider.wechatpay_public_key_id
                                  or "PUB_KEY_ID_%s" % secrets.randbelow(10 ** 20))
                if provider.wechatpay_verify_mode == "certificate" and (
                        not provider.wechatpay_platform_certificate or "ev_sandbox_platform_private_key" in values):
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
                    values.update(ev_sandbox_platform_private_key=platform_pem, alipay_public_key=platform_public)
                values.setdefault("alipay_app_id", provider.alipay_app_id or "90210%011d" % provider.id)
            values = {name: value for name, value in values.items() if value != provider[name]}
            if values:
                # Written with super() to skip our write() hook and the state handling of `payment`.
                super(PaymentProvider, provider).write(values)
            if provider.code == "wechatpay" and not provider.ev_sandbox_api_v3_key:
                super(PaymentProvider, provider).write({"ev_sandbox_api_v3_key": provider.wechatpay_api_v3_key})

    def action_ev_reset_sandbox_credentials(self):
        """Throw away the sandbox keys and make new ones (test mode only)."""
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

    # === Transport === #

    def _ev_send(self, method, url, headers, body):
        """Send one HTTP request; return (status, headers dict, body bytes).

        Sandbox calls made while this server is answering an HTTP request are served in-process by the same
        simulator code (same signed bytes in and out): calling ourselves over HTTP from inside a request would
        hold one worker waiting for another, and deadlocks a single-worker server (and Odoo's test server). So
        are all sandbox calls under ``ev_sandbox_in_process`` (the demo data, built while no HTTP server runs).
        """
        self.ensure_one()
        if self._ev_is_sandboxed() and (http_request or self.env.context.get("ev_sandbox_in_process")):
            path = url[len(self._ev_base_url()):]
            status, answer_headers, answer_body = self.env["ev.pay.sandbox.order"].sudo()._ev_dispatch(
                method, path, headers, body)
            return status, answer_headers, answer_body
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

    @api.model
    def _ev_http(self, method, url, **kwargs):
        """One outgoing HTTP request. Pending writes are flushed first, so that a sandbox running on this same
        database (and Odoo's test server, which shares the test transaction) sees them."""
        self.env.flush_all()
        try:
            return requests.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs)
        finally:
            if self.env.registry.in_test_mode():
                self.env.invalidate_all()  # the test server wrote in our transaction

    def _ev_wechatpay_call(self, api_request, allowed_errors=()):
        """Sign, send and verify one API v3 call. Returns (status, payload dict or None).

        A non-2xx answer raises a UserError with WeChat's code and message unless its code is in
        ``allowed_errors``; a 2xx answer whose signature does not verify always raises.
        """
        self.ensure_one()
        serial = self.wechatpay_public_key_id if self.wechatpay_verify_mode == "public_key" else None
        prepared = wechatpay.prepare_request(api_request, self._ev_wechatpay_credentials(), host=self._ev_api_base(),
                                             wechatpay_serial=serial)
        status, headers, body = self._ev_send(prepared.method, prepared.url, prepared.headers, prepared.body or None)
        if 200 <= status < 300:
            try:
                wechatpay.verify_response_signature(headers, body, self._ev_wechatpay_verification_keys())
            except wechatpay.WechatPaySignatureError as error:
                _logger.warning("WeChat Pay answer to %s refused: %s", api_request.path.split("?")[0], error.reason)
                raise UserError(_("The answer of WeChat Pay could not be verified (%(reason)s); nothing was "
                                  "recorded.", reason=error.reason)) from error
            return status, (json.loads(body) if body else None)
        error = wechatpay.parse_error_body(body)
        if error["code"] in allowed_errors:
            return status, error
        _logger.info("WeChat Pay %s %s answered %s %s", api_request.method, api_request.path.split("?")[0], status,
                     error["code"])
        raise UserError(_("WeChat Pay refused the request: %(code)s %(message)s",
                          code=error["code"] or status, message=error["message"]))

    def _ev_alipay_call(self, params, allowed_sub_codes=()):
        """POST one signed gateway call; return the verified ``…_response`` dict.

        A failure code raises a UserError unless its ``sub_code`` is in ``allowed_sub_codes``.
        """
        self.ensure_one()
        query, form = alipay.split_for_post(params)
        url = "%s?%s" % (self._ev_alipay_gateway(), urlencode(query))
        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        status, _headers, answer = self._ev_send("POST", url, headers, body)
        try:
            payload = alipay.verify_response(answer.decode(alipay.CHARSET, errors="replace"), params["method"],
                                             self.sudo().alipay_public_key)
        except alipay.AlipaySignatureError as error:
            _logger.warning("Alipay answer to %s refused: %s (HTTP %s)", params["method"], error.reason, status)
            raise UserError(_("The answer of Alipay could not be verified (%(reason)s); nothing was recorded.",
                              reason=error.reason)) from error
        if not alipay.is_success(payload) and payload.get("sub_code") not in allowed_sub_codes:
            raise UserError(_("Alipay refused the request: %(code)s %(message)s",
                              code=payload.get("sub_code") or payload.get("code"),
                              message=payload.get("sub_msg") or payload.get("msg")))
        return payload
