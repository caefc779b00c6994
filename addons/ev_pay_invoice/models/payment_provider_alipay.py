"""Alipay (open platform) as a provider: credentials, the signed gateway call, the notification's provider, the
daily trade bill.

An ISV application (服务商) serving many dealers calls on behalf of each with the dealer's ``app_auth_token``;
a notification is found by ``app_id`` and, for such an application, ``auth_app_id``, with one indexed search.
"""
import logging
import re
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import alipay
from .payment_provider import EvNotificationRefused

_logger = logging.getLogger(__name__)

# The pay code (付款码) the wallet shows under its barcode (Alipay: 16 to 24 digits starting 25 to 30).
PAY_CODE = re.compile(r"(2[5-9]|30)\d{14,22}")


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(selection_add=[("alipay", "Alipay")], ondelete={"alipay": "set default"})

    alipay_app_id = fields.Char(string="Alipay App ID", index="btree_not_null")
    alipay_private_key = fields.Text(string="App Private Key", groups="base.group_system")
    alipay_public_key = fields.Text(string="Alipay Public Key", groups="base.group_system")
    alipay_app_auth_token = fields.Char(
        string="App Auth Token", groups="base.group_system",
        help="ISV mode: the token the dealer granted to our application (app_auth_token).",
    )
    alipay_auth_app_id = fields.Char(
        string="Dealer App ID", index="btree_not_null",
        help="ISV mode: the dealer's app id, checked against auth_app_id in notifications.",
    )
    alipay_seller_id = fields.Char(string="Seller ID", help="Optional: the dealer's Alipay PID (seller_id).")

    # === CHANNEL HOOKS === #

    def _ev_required_credential_fields(self):
        if self.code != "alipay":
            return super()._ev_required_credential_fields()
        return ["alipay_app_id", "alipay_private_key", "alipay_public_key"]

    def _get_default_payment_method_codes(self):
        """Override of `payment`: Alipay's payment method exists in `payment` already."""
        if self.code != "alipay":
            return super()._get_default_payment_method_codes()
        return {"alipay"}

    def _ev_reference_tag(self):
        if self.code != "alipay":
            return super()._ev_reference_tag()
        return "ZFB"

    def _ev_official_api_base(self):
        if self.code != "alipay":
            return super()._ev_official_api_base()
        return alipay.GATEWAY_URL

    @api.model
    def _ev_wallet_of_browser(self, user_agent):
        """Override: the Alipay app's browser."""
        return "alipay" if "AlipayClient" in user_agent else super()._ev_wallet_of_browser(user_agent)

    @api.model
    def _ev_pay_code_channel(self, code):
        return "alipay" if PAY_CODE.fullmatch(code) else super()._ev_pay_code_channel(code)

    # === CREDENTIALS AND THE SIGNED CALL === #

    def _ev_alipay_app(self):
        """The application's keys in use: every signing and verifying step reads them here. Hook: another
        environment (a test platform) answers with its own keys, so switching modes never overwrites the fields."""
        self.ensure_one()
        provider = self.sudo()
        return alipay.AlipayApp(app_id=provider.alipay_app_id, private_key_pem=provider.alipay_private_key,
                                alipay_public_key_pem=provider.alipay_public_key)

    def _ev_alipay_auth_token(self):
        """The dealer's ``app_auth_token`` (ISV mode), else None."""
        return self.sudo().alipay_app_auth_token or None

    def _ev_alipay_gateway(self):
        base = self._ev_api_base()
        return base if base.endswith("gateway.do") else base + "/gateway.do"

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
                                             self._ev_alipay_app().alipay_public_key_pem)
        except alipay.AlipaySignatureError as error:
            _logger.warning("Alipay answer to %s refused: %s (HTTP %s)", params["method"], error.reason, status)
            raise UserError(_("The answer of Alipay could not be verified (%(reason)s); nothing was recorded.",
                              reason=error.reason)) from error
        if not alipay.is_success(payload) and payload.get("sub_code") not in allowed_sub_codes:
            raise UserError(_("Alipay refused the request: %(code)s %(message)s",
                              code=payload.get("sub_code") or payload.get("code"),
                              message=payload.get("sub_msg") or payload.get("msg")))
        return payload

    # === WHICH PROVIDER A NOTIFICATION IS FOR === #

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
                verified = alipay.verify_notification(form, provider._ev_alipay_app().alipay_public_key_pem or "")
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

    # === SETTLEMENT: accounts and bills === #

    def _ev_channel_account_names(self, role):
        if self.code != "alipay":
            return super()._ev_channel_account_names(role)
        return {"clearing": ("Alipay in transit", "支付宝在途资金"),
                "payout": ("Alipay payouts in transit", "支付宝待到账提现")}[role]

    def _ev_bill_types(self):
        if self.code != "alipay":
            return super()._ev_bill_types()
        return ("alipay_trade",)

    def _ev_download_bill(self, bill_type, bill_date):
        """Override: the trade bill, from the link ``alipay.data.dataservice.bill.downloadurl.query`` gives."""
        if self.code != "alipay":
            return super()._ev_download_bill(bill_type, bill_date)
        self.ensure_one()
        params = alipay.bill_download_url_params(self._ev_alipay_app(), bill_date, bill_type="trade",
                                                 app_auth_token=self._ev_alipay_auth_token())
        payload = self._ev_alipay_call(params, allowed_sub_codes=("isp.bill_not_exist",))
        if not payload.get("bill_download_url"):
            return None
        status, _headers, body = self._ev_send_unsigned("GET", payload["bill_download_url"], {})
        if status >= 300:
            raise UserError(_("Alipay refused the bill download of %(date)s (HTTP %(status)s).",
                              date=bill_date, status=status))
        return body
