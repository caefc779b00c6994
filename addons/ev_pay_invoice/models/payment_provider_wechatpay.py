"""WeChat Pay (API v3) as a provider: credentials, the signed call, the callback's provider, the daily bills.

Service-provider mode (服务商): the service provider's merchant number signs and the dealer is the sub-merchant;
direct mode: the dealer's own merchant number. A service provider or a chain hosts one provider per store
company, so a callback is not tried against every provider's key: one indexed search by the key serial it names
finds the candidates, the signature is checked once per distinct platform key (one per merchant account, however
many stores share it), and in service-provider mode the store is told by the ``sp_mchid`` / ``sub_mchid`` of the
resource decrypted with the shared API v3 key. Payments, POS payments and refunds arrive at the same webhook.
The platform certificates are in ``payment_provider_wechatpay_platform_keys.py``, the in-app (JSAPI) payment's
official account in ``payment_provider_wechatpay_jsapi.py``.
"""
import json
import logging
import re
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocols import bills, keys, wechatpay
from .payment_provider import EvNotificationRefused

_logger = logging.getLogger(__name__)

# The pay code (付款码) the wallet shows under its barcode (WeChat: 18 digits starting 10 to 15).
PAY_CODE = re.compile(r"1[0-5]\d{16}")

# A bill not published yet (STATEMENT_CREATING) or a day without trade (NO_STATEMENT_EXIST): nothing to import.
NO_BILL_ERRORS = ("NO_STATEMENT_EXIST", "STATEMENT_CREATING")

# The credential fields whose values differ between a test platform and the live one (see ``_ev_wechatpay_keys``).
WECHATPAY_KEY_FIELDS = ("wechatpay_serial_no", "wechatpay_private_key", "wechatpay_api_v3_key",
                        "wechatpay_public_key_id", "wechatpay_public_key", "wechatpay_platform_certificate",
                        "wechatpay_app_secret")
# Those a callback is verified and decrypted with: providers sharing them share one merchant account's keys.
WECHATPAY_PLATFORM_KEY_FIELDS = ("wechatpay_public_key", "wechatpay_platform_certificate", "wechatpay_api_v3_key")


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(selection_add=[("wechatpay", "WeChat Pay")], ondelete={"wechatpay": "set default"})

    wechatpay_mode = fields.Selection(
        [("partner", "Service provider (sp_mchid + sub_mchid)"), ("direct", "Direct merchant")],
        string="WeChat Pay Mode", default="partner",
        help="Service provider mode: the service provider's merchant number signs and the dealer is the "
        "sub-merchant. Direct mode: the dealer's own merchant number.",
    )
    wechatpay_appid = fields.Char(string="AppID", help="sp_appid in service-provider mode, appid in direct mode.")
    wechatpay_mchid = fields.Char(string="Merchant ID", index="btree_not_null",
                                  help="sp_mchid in service-provider mode, mchid in direct mode.")
    wechatpay_sub_mchid = fields.Char(string="Sub-merchant ID", index="btree_not_null",
                                      help="The dealer's sub_mchid (service-provider mode).")
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
    wechatpay_public_key_id = fields.Char(string="Public Key ID", index="btree_not_null",
                                          help="PUB_KEY_ID_… of the WeChat Pay public key.")
    wechatpay_public_key = fields.Text(string="WeChat Pay Public Key", groups="base.group_system")
    wechatpay_platform_certificate = fields.Text(
        string="Platform Certificate", groups="base.group_system",
        help="Certificate mode: the WeChat Pay platform certificate(s), PEM; several during a rotation. Kept up to "
        "date by \"Download Platform Certificates\" and a daily job.")
    wechatpay_platform_serial = fields.Char(
        string="Platform Certificate Serial", compute="_compute_wechatpay_platform_serial", store=True,
        index="btree_not_null", help="Serial of the platform certificate: callbacks name it in Wechatpay-Serial.")

    # === COMPUTE / CONSTRAINTS === #

    @api.depends("wechatpay_platform_certificate")
    def _compute_wechatpay_platform_serial(self):
        """The serials of the trusted certificates (several during a rotation), without leading zeros, space-
        separated: callbacks are found by the serial they name, whichever certificate signed them."""
        for provider in self:
            serials = []
            for certificate in keys.certificate_bundle(provider.sudo().wechatpay_platform_certificate):
                try:
                    serials.append(wechatpay.normalise_serial(keys.certificate_serial_hex(certificate)))
                except ValueError:
                    continue
            provider.wechatpay_platform_serial = " ".join(serials) or False

    @api.constrains("state", "code", "wechatpay_api_v3_key")
    def _ev_check_api_v3_key(self):
        for provider in self.sudo():
            key = provider.wechatpay_api_v3_key
            if provider.code == "wechatpay" and key and len(key.encode()) != 32:
                raise ValidationError(_("The WeChat Pay API v3 key of %(provider)s must be 32 characters, "
                                        "it has %(length)s.", provider=provider.name, length=len(key)))

    # === CHANNEL HOOKS === #

    def _ev_required_credential_fields(self):
        """Override: the merchant's ids and key, the sub-merchant in partner mode, and the platform's key."""
        if self.code != "wechatpay":
            return super()._ev_required_credential_fields()
        names = ["wechatpay_appid", "wechatpay_mchid", "wechatpay_serial_no", "wechatpay_private_key",
                 "wechatpay_api_v3_key"]
        if self.wechatpay_mode == "partner":
            names.append("wechatpay_sub_mchid")
        if self.wechatpay_verify_mode == "public_key":
            names += ["wechatpay_public_key_id", "wechatpay_public_key"]
        else:
            names.append("wechatpay_platform_certificate")
        return names

    def _get_default_payment_method_codes(self):
        """Override of `payment`: WeChat Pay's payment method exists in `payment` already."""
        if self.code != "wechatpay":
            return super()._get_default_payment_method_codes()
        return {"wechat_pay"}

    def _ev_reference_tag(self):
        if self.code != "wechatpay":
            return super()._ev_reference_tag()
        return "WX"

    def _ev_official_api_base(self):
        if self.code != "wechatpay":
            return super()._ev_official_api_base()
        return wechatpay.API_HOST

    @api.model
    def _ev_wallet_of_browser(self, user_agent):
        """Override: WeChat's own browser."""
        return "wechatpay" if "MicroMessenger" in user_agent else super()._ev_wallet_of_browser(user_agent)

    @api.model
    def _ev_pay_code_channel(self, code):
        return "wechatpay" if PAY_CODE.fullmatch(code) else super()._ev_pay_code_channel(code)

    # === CREDENTIALS === #

    def _ev_wechatpay_merchant(self):
        self.ensure_one()
        if self.wechatpay_mode == "direct":
            return wechatpay.DirectMerchant(appid=self.wechatpay_appid, mchid=self.wechatpay_mchid)
        return wechatpay.PartnerMerchant(sp_appid=self.wechatpay_appid, sp_mchid=self.wechatpay_mchid,
                                         sub_mchid=self.wechatpay_sub_mchid, sub_appid=self.wechatpay_sub_appid or None)

    def _ev_wechatpay_keys(self):
        """The keys in use, ``{credential field name: value}``: every signing, verifying, decrypting and OAuth step
        reads them here. Hook: another environment (a test platform) answers with its own keys, so that switching
        modes never overwrites the provider's fields."""
        self.ensure_one()
        provider = self.sudo()
        return {name: provider[name] for name in WECHATPAY_KEY_FIELDS}

    def _ev_wechatpay_credentials(self):
        self.ensure_one()
        return wechatpay.MerchantCredentials(mchid=self.sudo().wechatpay_mchid,
                                             serial_no=self._ev_wechatpay_keys()["wechatpay_serial_no"],
                                             private_key_pem=self._ev_wechatpay_keys()["wechatpay_private_key"])

    def _ev_wechatpay_verification_keys(self):
        """``{serial or PUB_KEY_ID: PEM}`` of every key WeChat Pay may sign with (both modes during migration)."""
        self.ensure_one()
        in_use = self._ev_wechatpay_keys()
        found = {}
        if in_use["wechatpay_public_key_id"] and in_use["wechatpay_public_key"]:
            found[in_use["wechatpay_public_key_id"]] = in_use["wechatpay_public_key"]
        # One certificate, or several during a rotation (downloaded from /v3/certificates).
        for cert_pem in keys.certificate_bundle(in_use["wechatpay_platform_certificate"]):
            try:
                serial = keys.certificate_serial_hex(cert_pem)
            except ValueError:
                _logger.warning("WeChat Pay provider %s: a platform certificate cannot be read", self.id)
            else:
                found[serial] = cert_pem
        return found

    # === THE SIGNED CALL === #

    def _ev_wechatpay_call(self, api_request, allowed_errors=()):
        """Sign, send and verify one API v3 call. Returns (status, payload dict or None).

        A non-2xx answer raises a UserError with WeChat's code and message unless its code is in
        ``allowed_errors``; a 2xx answer whose signature does not verify always raises.
        """
        self.ensure_one()
        serial = (self._ev_wechatpay_keys()["wechatpay_public_key_id"] if self.wechatpay_verify_mode == "public_key"
                  else None)
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

    # === WHICH PROVIDER A CALLBACK IS FOR === #

    @api.model
    def _ev_wechatpay_notification_provider(self, headers, body):
        """``(provider, notification)`` of a genuine WeChat Pay callback, its resource decrypted.

        Raises :class:`EvNotificationRefused` (401 signature, 400 body or merchant) when no provider accepts it.
        """
        serial = str({name.lower(): value for name, value in headers.items()}.get(
            wechatpay.HEADER_SERIAL.lower()) or "").strip()
        if not serial:
            raise EvNotificationRefused(401, "signature: %s" % wechatpay.WechatPaySignatureError.MISSING_HEADER)
        candidates = self.sudo()._ev_wechatpay_candidates_of_serial(serial)
        if not candidates:
            raise EvNotificationRefused(401, "signature: %s %s" % (wechatpay.WechatPaySignatureError.UNKNOWN_SERIAL,
                                                                   serial))
        refusal = None
        for signer in candidates._ev_wechatpay_signers():
            signer = self.sudo().browse(signer.id)  # read one provider's keys, not every candidate's
            try:
                notification = wechatpay.verify_and_parse_notification(
                    headers, body, signer._ev_wechatpay_verification_keys(),
                    signer._ev_wechatpay_keys()["wechatpay_api_v3_key"])
            except wechatpay.WechatPaySignatureError as error:
                refusal = refusal or EvNotificationRefused(401, "signature: %s" % error.reason)
                continue
            except (wechatpay.WechatPayDecryptError, wechatpay.WechatPayNotificationError) as error:
                refusal = EvNotificationRefused(400, "body: %s" % type(error).__name__)
                continue
            provider = candidates._ev_wechatpay_merchant_of(notification["resource"], signer)
            if not provider:
                refusal = EvNotificationRefused(400, "merchant mismatch")
                continue
            return provider, notification
        raise refusal

    @api.model
    def _ev_wechatpay_candidates_of_serial(self, serial):
        """Hook: the providers whose keys in use include the platform key or certificate ``serial`` names (one
        indexed search); another environment adds the providers using its keys."""
        normalised = wechatpay.normalise_serial(serial)
        return self.sudo().search([
            ("code", "=", "wechatpay"), ("state", "!=", "disabled"), ("wechatpay_api_v3_key", "!=", False),
            "|", "|", "|", ("wechatpay_public_key_id", "=", serial), ("wechatpay_platform_serial", "=", normalised),
            ("wechatpay_platform_serial", "=like", normalised + " %"),
            ("wechatpay_platform_serial", "=like", "% " + normalised),
        ], order="id")

    def _ev_wechatpay_signers(self):
        """Hook: one provider of ``self`` per distinct set of platform keys in use (compared in the database)."""
        return self._ev_distinct_by(WECHATPAY_PLATFORM_KEY_FIELDS)

    def _ev_wechatpay_sharing_keys(self, signer):
        """Hook: the providers of ``self`` whose platform keys in use are those of ``signer``."""
        return self.search([("id", "in", self.ids)] + [(name, "=", signer.sudo()[name])
                                                       for name in WECHATPAY_PLATFORM_KEY_FIELDS])

    def _ev_wechatpay_merchant_of(self, resource, signer):
        """The provider among ``self`` (same platform key as ``signer``) whose merchant the resource names."""
        key_domain = [("id", "in", self._ev_wechatpay_sharing_keys(signer).ids)]
        if resource.get("sub_mchid") or resource.get("sp_mchid"):
            merchant_domain = [("wechatpay_mode", "=", "partner"),
                               ("wechatpay_mchid", "=", resource.get("sp_mchid") or signer.wechatpay_mchid),
                               ("wechatpay_sub_mchid", "=", resource.get("sub_mchid") or False)]
        elif resource.get("mchid"):
            merchant_domain = [("wechatpay_mode", "=", "direct"), ("wechatpay_mchid", "=", resource["mchid"])]
        else:
            merchant_domain = []  # a resource without merchant ids: the key alone tells
        matches = self.search(key_domain + merchant_domain, order="id")
        if len(matches) > 1:  # two providers of one merchant (e.g. two stores on one sub_mchid): the order's
            reference = resource.get("out_refund_no") or resource.get("out_trade_no")
            owner = self.env["payment.transaction"].sudo().search(
                [("reference", "=", reference), ("provider_id", "in", matches.ids)], limit=1).provider_id
            matches = owner or matches[:1]
        return matches

    # === SETTLEMENT: accounts and bills === #

    def _ev_channel_account_names(self, role):
        if self.code != "wechatpay":
            return super()._ev_channel_account_names(role)
        return {"clearing": ("WeChat Pay in transit", "微信支付在途资金"),
                "payout": ("WeChat Pay payouts in transit", "微信支付待到账提现")}[role]

    def _ev_bill_types(self):
        if self.code != "wechatpay":
            return super()._ev_bill_types()
        return ("wechat_trade", "wechat_fundflow")

    def _ev_download_bill(self, bill_type, bill_date):
        """Override: the trade bill, and the fund-flow bill (the sub-merchant's in service-provider mode)."""
        if self.code != "wechatpay":
            return super()._ev_download_bill(bill_type, bill_date)
        self.ensure_one()
        if bill_type == "wechat_fundflow" and self.wechatpay_mode == "partner":
            return self._ev_download_sub_merchant_fundflow(bill_date)
        if bill_type == "wechat_trade":
            api_request = wechatpay.trade_bill_request(
                bill_date, sub_mchid=self.wechatpay_sub_mchid if self.wechatpay_mode == "partner" else None,
                bill_type="ALL", tar_type="GZIP")
        else:
            api_request = wechatpay.fundflow_bill_request(bill_date, account_type="BASIC", tar_type="GZIP")
        status, answer = self._ev_wechatpay_call(api_request, allowed_errors=NO_BILL_ERRORS)
        if status >= 300:
            return None
        # The download answer is not signed (bills.md#wechat-pay-trade-bill): the SHA1 of the uncompressed file is
        # checked instead.
        uncompressed = bills._gunzip(self._ev_wechatpay_download(answer["download_url"], bill_date))
        if not wechatpay.verify_bill_hash(uncompressed, answer.get("hash_type"), answer.get("hash_value")):
            raise UserError(_("The WeChat Pay bill of %(date)s does not match its SHA1: it was damaged in "
                              "transit; nothing was imported.", date=bill_date))
        return uncompressed

    def _ev_download_sub_merchant_fundflow(self, bill_date):
        """Service-provider mode: the dealer's own (sub-merchant) fund-flow bill, whose withdrawals and fees are
        the store's; our own account's bill would show the service provider's. The answer lists encrypted files:
        each is downloaded (signed GET), decrypted with our merchant key, checked against its hash and joined in
        sequence (bills.md#wechat-pay-sub-merchant-fund-flow-bill). None when there is no bill for the day."""
        api_request = wechatpay.sub_merchant_fundflow_bill_request(self.wechatpay_sub_mchid, bill_date)
        status, answer = self._ev_wechatpay_call(api_request, allowed_errors=NO_BILL_ERRORS)
        if status >= 300:
            return None
        credentials = self._ev_wechatpay_credentials()
        try:
            parts = wechatpay.sub_merchant_bill_parts(answer)
            files = [wechatpay.open_sub_merchant_bill_part(self._ev_wechatpay_download(part.download_url, bill_date),
                                                           part, credentials.private_key_pem)
                     for part in parts]
        except wechatpay.WechatPayError as error:
            _logger.warning("%s: sub-merchant fund-flow bill of %s refused: %s", self.name, bill_date, error)
            raise UserError(_("The fund-flow bill of %(date)s of sub-merchant %(sub_mchid)s could not be opened "
                              "(%(reason)s); nothing was imported. Check that the merchant API key of this provider "
                              "is the one registered with WeChat Pay, then download the bills again.",
                              date=bill_date, sub_mchid=self.wechatpay_sub_mchid, reason=error)) from error
        return bills._gunzip(b"".join(files))

    def _ev_wechatpay_download(self, download_url, bill_date):
        """The body of a WeChat Pay bill link: a signed GET whose answer is not signed (the caller checks the hash)."""
        parts = urlsplit(download_url)
        prepared = wechatpay.prepare_request(wechatpay.bill_download_request(download_url),
                                             self._ev_wechatpay_credentials(),
                                             host="%s://%s" % (parts.scheme, parts.netloc))
        status, _headers, body = self._ev_send_unsigned(prepared.method, prepared.url, prepared.headers)
        if status >= 300:
            raise UserError(_("WeChat Pay refused the bill download of %(date)s (HTTP %(status)s).",
                              date=bill_date, status=status))
        return body
