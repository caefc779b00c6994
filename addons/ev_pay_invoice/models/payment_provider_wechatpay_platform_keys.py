"""WeChat Pay platform keys: download and rotate the platform certificates, warn before a key expires.

Certificate mode: ``GET /v3/certificates`` lists the platform certificates in force (two during a rotation,
the new one published before WeChat Pay starts signing with it). The answer is verified with the keys already
trusted, each certificate decrypted with the API v3 key and checked against its announced serial, and the
certificates still valid replace the trusted ones (``wechatpay_platform_certificate`` holds one PEM or several).
A button and a daily cron do it. Public-key mode (WeChat Pay's recommended mode) needs no download: it is used
whenever it is set. Serials are compared without leading zeros (``wechatpay.normalise_serial``).

The store manager is warned 30 days before the last trusted key expires: a banner on the provider, and once
per certificate a message to the manager on the store.
"""
import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import keys, wechatpay

_logger = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 30


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    ev_wechatpay_key_expires_at = fields.Datetime(
        string="Platform Key Expires", compute="_compute_ev_wechatpay_key_expiry",
        help="When the last trusted WeChat Pay platform certificate expires (certificate mode).")
    ev_wechatpay_key_warning = fields.Char(string="Platform Key Warning", compute="_compute_ev_wechatpay_key_expiry")
    ev_wechatpay_key_warned_serial = fields.Char(string="Expiry Warned For", copy=False, groups="base.group_system",
                                                 help="The certificate whose expiry the manager was last told of.")

    @api.depends("code", "wechatpay_verify_mode", "wechatpay_platform_certificate")
    def _compute_ev_wechatpay_key_expiry(self):
        now = fields.Datetime.now()
        for provider in self:
            expires_at = provider.sudo()._ev_wechatpay_certificates_expiry()
            provider.ev_wechatpay_key_expires_at = expires_at
            provider.ev_wechatpay_key_warning = False
            if expires_at and expires_at <= now + datetime.timedelta(days=EXPIRY_WARNING_DAYS):
                provider.ev_wechatpay_key_warning = _(
                    "The WeChat Pay platform certificate expires on %(date)s: click \"Download Platform "
                    "Certificates\" to fetch the new one, or switch to the WeChat Pay public key (merchant "
                    "platform → API security). After it expires, payment answers can no longer be verified.",
                    date=fields.Date.to_string(expires_at))

    def _ev_wechatpay_certificates(self):
        """The trusted platform certificates (PEM), in certificate mode."""
        self.ensure_one()
        if self.code != "wechatpay" or self.wechatpay_verify_mode != "certificate":
            return []
        return keys.certificate_bundle(self._ev_wechatpay_keys()["wechatpay_platform_certificate"])

    def _ev_wechatpay_certificates_expiry(self):
        expiries = []
        for cert_pem in self._ev_wechatpay_certificates():
            try:
                expiries.append(keys.certificate_expiry(cert_pem).replace(tzinfo=None))
            except ValueError:
                continue
        return max(expiries) if expiries else False

    def action_ev_wechatpay_download_certificates(self):
        """Button: download the platform certificates now (certificate mode)."""
        for provider in self:
            if provider.code != "wechatpay":
                continue
            if provider.wechatpay_verify_mode == "public_key":
                raise UserError(_("%(provider)s verifies with the WeChat Pay public key: no certificate to "
                                  "download.", provider=provider.name))
            provider._ev_wechatpay_download_certificates()
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "message": _("The WeChat Pay platform certificates are up to date.")}}

    def _ev_wechatpay_download_certificates(self):
        """``GET /v3/certificates``, verified with the trusted keys; the valid certificates become the trusted
        ones. Returns their serials."""
        self.ensure_one()
        provider = self.sudo()
        _status, payload = provider._ev_wechatpay_call(wechatpay.certificates_request())
        try:
            downloaded = wechatpay.decrypt_certificates(provider._ev_wechatpay_keys()["wechatpay_api_v3_key"],
                                                        payload or {})
        except (wechatpay.WechatPayError, KeyError, ValueError) as error:
            raise UserError(_("The platform certificates sent by WeChat Pay could not be read (%(reason)s); the "
                              "trusted ones are kept.", reason=error)) from error
        now = fields.Datetime.now()
        valid = sorted(((keys.certificate_expiry(pem).replace(tzinfo=None), serial, pem)
                        for serial, pem in downloaded.items()), reverse=True)
        valid = [(expiry, serial, pem) for expiry, serial, pem in valid if expiry > now]
        if not valid:
            raise UserError(_("WeChat Pay listed no valid platform certificate; the trusted ones are kept."))
        bundle = "\n".join(pem.strip() for _expiry, _serial, pem in valid) + "\n"
        if bundle != provider._ev_wechatpay_keys()["wechatpay_platform_certificate"]:
            provider._ev_wechatpay_trust_certificates(bundle)
            _logger.info("WeChat Pay provider %s: platform certificates %s", provider.id,
                         ", ".join(wechatpay.normalise_serial(serial) for _e, serial, _p in valid))
        return [serial for _expiry, serial, _pem in valid]

    def _ev_wechatpay_trust_certificates(self, bundle):
        """Hook: keep ``bundle`` as the trusted platform certificates (where ``_ev_wechatpay_keys`` reads them)."""
        self.ensure_one()
        self.sudo().write({"wechatpay_platform_certificate": bundle})

    def _ev_warn_expiring_platform_keys(self):
        """Tell the store manager, once per certificate, that the last platform certificate expires soon."""
        for provider in self.sudo().filtered("ev_wechatpay_key_warning"):
            newest = max(provider._ev_wechatpay_certificates(), key=keys.certificate_expiry)
            serial = wechatpay.normalise_serial(keys.certificate_serial_hex(newest))
            if provider.ev_wechatpay_key_warned_serial == serial:
                continue
            store = self.env["ev.store"].sudo().search([("company_id", "=", provider.company_id.id)], limit=1)
            if store:
                partners = store.manager_id.partner_id
                store.message_post(body=provider.ev_wechatpay_key_warning, partner_ids=partners.ids,
                                   subject=_("%(provider)s: platform certificate expiring", provider=provider.name),
                                   message_type="notification", subtype_xmlid="mail.mt_comment")
            provider.ev_wechatpay_key_warned_serial = serial

    @api.model
    def _cron_ev_wechatpay_platform_keys(self):
        """Daily: download the platform certificates of the providers in certificate mode, then warn."""
        providers = self.sudo().search([("code", "=", "wechatpay"), ("state", "!=", "disabled"),
                                        ("wechatpay_verify_mode", "=", "certificate")])
        commit = not self.env.registry.in_test_mode()
        for provider in providers:
            try:
                provider._ev_wechatpay_download_certificates()
                if commit:
                    self.env.cr.commit()
            except UserError as error:
                _logger.warning("WeChat Pay provider %s: platform certificates not downloaded: %s", provider.id,
                                error)
                if commit:
                    self.env.cr.rollback()
        providers._ev_warn_expiring_platform_keys()
