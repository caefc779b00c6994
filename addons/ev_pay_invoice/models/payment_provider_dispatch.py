"""Which provider a payment notification is for, told from the notification itself.

A service provider (服务商) or a chain hosts one provider per store company. Trying every provider's key in
turn made a callback's cost grow with the number of stores; here one indexed search by the key serial
(WeChat Pay) or the app ids (Alipay) finds the candidates, the signature is checked once per distinct platform
key (one per merchant account, however many stores share it), and in service-provider mode the store is told
by the ``sp_mchid`` / ``sub_mchid`` of the resource decrypted with the shared API v3 key. Payments, POS
payments and refunds arrive at the same webhook and are dispatched alike.
"""
from odoo import api, fields, models

from ..protocols import alipay, keys, wechatpay


class EvNotificationRefused(Exception):
    """A notification that is not ours or not genuine: ``status`` to answer, ``reason`` to log (no secrets)."""

    def __init__(self, status, reason):
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    wechatpay_public_key_id = fields.Char(index="btree_not_null")
    wechatpay_platform_serial = fields.Char(
        string="Platform Certificate Serial", compute="_compute_wechatpay_platform_serial", store=True,
        index="btree_not_null", help="Serial of the platform certificate: callbacks name it in Wechatpay-Serial.")
    wechatpay_mchid = fields.Char(index="btree_not_null")
    wechatpay_sub_mchid = fields.Char(index="btree_not_null")
    alipay_app_id = fields.Char(index="btree_not_null")
    alipay_auth_app_id = fields.Char(index="btree_not_null")

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

    @api.model
    def _ev_wechatpay_notification_provider(self, headers, body):
        """``(provider, notification)`` of a genuine WeChat Pay callback, its resource decrypted.

        Raises :class:`EvNotificationRefused` (401 signature, 400 body or merchant) when no provider accepts it.
        """
        serial = str({name.lower(): value for name, value in headers.items()}.get(
            wechatpay.HEADER_SERIAL.lower()) or "").strip()
        if not serial:
            raise EvNotificationRefused(401, "signature: %s" % wechatpay.WechatPaySignatureError.MISSING_HEADER)
        normalised = wechatpay.normalise_serial(serial)
        candidates = self.sudo().search([
            ("code", "=", "wechatpay"), ("state", "!=", "disabled"), ("wechatpay_api_v3_key", "!=", False),
            "|", "|", "|", ("wechatpay_public_key_id", "=", serial), ("wechatpay_platform_serial", "=", normalised),
            ("wechatpay_platform_serial", "=like", normalised + " %"),
            ("wechatpay_platform_serial", "=like", "% " + normalised),
        ], order="id")
        if not candidates:
            raise EvNotificationRefused(401, "signature: %s %s" % (wechatpay.WechatPaySignatureError.UNKNOWN_SERIAL,
                                                                   serial))
        refusal = None
        for signer in candidates._ev_distinct_by(
                ("wechatpay_public_key", "wechatpay_platform_certificate", "wechatpay_api_v3_key")):
            signer = self.sudo().browse(signer.id)  # read one provider's keys, not every candidate's
            try:
                notification = wechatpay.verify_and_parse_notification(
                    headers, body, signer._ev_wechatpay_verification_keys(), signer.wechatpay_api_v3_key)
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

    def _ev_wechatpay_merchant_of(self, resource, signer):
        """The provider among ``self`` (same platform key as ``signer``) whose merchant the resource names."""
        key_domain = [("id", "in", self.ids), ("wechatpay_public_key", "=", signer.wechatpay_public_key),
                      ("wechatpay_platform_certificate", "=", signer.wechatpay_platform_certificate),
                      ("wechatpay_api_v3_key", "=", signer.wechatpay_api_v3_key)]
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

    @api.model
    def _ev_alipay_notification_provider(self, form):
        """``(provider, verified form)`` of a genuine Alipay notification, found by ``app_id`` and, for an ISV
        application serving many dealers, ``auth_app_id``. Raises :class:`EvNotificationRefused` (400)."""
        app_id, auth_app_id = form.get("app_id") or "-", form.get("auth_app_id")
        domain = [("code", "=", "alipay"), ("state", "!=", "disabled"), ("alipay_app_id", "=", app_id)]
        if auth_app_id:
            domain += ["|", ("alipay_auth_app_id", "=", auth_app_id), ("alipay_auth_app_id", "=", False)]
        candidates = self.sudo().search(domain, order="alipay_auth_app_id, id")
        refusal = EvNotificationRefused(400, "unknown app_id")
        for provider in candidates:
            try:
                verified = alipay.verify_notification(form, provider.alipay_public_key or "")
            except (alipay.AlipaySignatureError, ValueError) as error:
                refusal = EvNotificationRefused(400, "signature: %s" % getattr(error, "reason", type(error).__name__))
                continue
            isv_app = provider.alipay_app_auth_token and provider.alipay_auth_app_id
            if isv_app and verified.get("auth_app_id") != provider.alipay_auth_app_id:
                refusal = EvNotificationRefused(400, "auth_app_id mismatch")
                continue
            if provider.alipay_seller_id and verified.get("seller_id") != provider.alipay_seller_id:
                refusal = EvNotificationRefused(400, "seller_id mismatch")
                continue
            return provider, verified
        raise refusal
