"""WeChat Pay (API v3) and Alipay (open platform) as providers of Odoo's payment framework.

The wire protocols (signing, verification, AES-GCM, request builders) live in ``protocols/``; this model only
holds the credentials, sends the prepared requests and turns protocol errors into user errors. Where the
calls go and how they travel is one transport hook (``_ev_api_base`` and ``_ev_send``): the official gateways, or
the API base URL an administrator set (a proxy, a private gateway, a test double).
"""
import json
import logging
from urllib.parse import urlencode, urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocols import alipay, keys, wechatpay
from ..protocols.transport import request_may_have_arrived

_logger = logging.getLogger(__name__)

EV_PROVIDER_CODES = ("wechatpay", "alipay")
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
        string="API Base URL", help="Leave empty for the official gateway. Set it to go through a proxy or a "
        "private gateway.",
    )
    ev_qr_timeout_minutes = fields.Integer(string="QR Validity (minutes)", default=15,
                                           help="The collection QR expires and the order is closed after this.")

    # === COMPUTE / CRUD === #

    def _compute_feature_support_fields(self):
        """Override of `payment`: both channels refund partially."""
        super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code in EV_PROVIDER_CODES).update({"support_refund": "partial"})

    @api.constrains("state", "code", "wechatpay_api_v3_key")
    def _ev_check_api_v3_key(self):
        for provider in self.sudo():
            key = provider.wechatpay_api_v3_key
            if provider.code == "wechatpay" and key and len(key.encode()) != 32:
                raise ValidationError(_("The WeChat Pay API v3 key of %(provider)s must be 32 characters, "
                                        "it has %(length)s.", provider=provider.name, length=len(key)))

    @api.constrains("state", "code", "ev_api_base_url")
    def _ev_check_credentials_when_enabled(self):
        self.sudo()._ev_check_live_endpoint()
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
        """Transport hook: where API calls go. The administrator's override, else the official gateway."""
        self.ensure_one()
        if self.ev_api_base_url:
            return self.ev_api_base_url.rstrip("/")
        return wechatpay.API_HOST if self.code == "wechatpay" else alipay.GATEWAY_URL

    def _ev_alipay_gateway(self):
        base = self._ev_api_base()
        return base if base.endswith("gateway.do") else base + "/gateway.do"

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
