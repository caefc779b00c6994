"""The simulated WeChat web OAuth of a test-state WeChat Pay provider (controllers/sandbox_jsapi.py)."""
import secrets

from odoo import fields, models
from odoo.http import request as http_request

from .payment_provider import SANDBOX_PREFIX

WECHAT_OAUTH_SANDBOX_PREFIX = SANDBOX_PREFIX + "/wechat"  # stands for both open.weixin.qq.com and api.weixin.qq.com
JSAPI_SHEET_PATH = WECHAT_OAUTH_SANDBOX_PREFIX + "/jsapi/pay"  # the simulated getBrandWCPayRequest


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # What the simulated WeChat knows of the official account (test state only), and the AppSecret the sandbox
    # account signs buyers in with (the provider's own field is the live one).
    ev_sandbox_app_secret = fields.Char(groups="base.group_system", copy=False)
    ev_sandbox_merchant_app_secret = fields.Char(string="Sandbox Merchant AppSecret",
                                                 groups="base.group_system", copy=False)

    def _ev_wechat_jsapi_ready(self):
        """Override: a sandbox made before JSAPI existed gets its simulated official account first. (An AppSecret
        cleared by hand stays cleared: QR only.)"""
        self.ensure_one()
        provider = self.sudo()
        if provider.code == "wechatpay" and provider.state == "test" and not provider.ev_sandbox_app_secret:
            provider._ev_ensure_sandbox_credentials()
        return super()._ev_wechat_jsapi_ready()

    def _ev_ensure_sandbox_credentials(self):
        """Override: the simulated official account gets an AppSecret too (32 characters, as the real ones)."""
        super()._ev_ensure_sandbox_credentials()
        for provider in self.sudo().filtered(lambda p: p.state == "test" and p.code == "wechatpay"):
            if not provider.ev_sandbox_app_secret:
                secret = secrets.token_hex(16)
                provider.write({"ev_sandbox_app_secret": secret, "ev_sandbox_merchant_app_secret": secret})

    def action_ev_reset_sandbox_credentials(self):
        """Override: a new sandbox also means a new simulated official account secret."""
        if all(provider.state == "test" for provider in self):
            self.sudo().write({"ev_sandbox_app_secret": False, "ev_sandbox_merchant_app_secret": False})
        return super().action_ev_reset_sandbox_credentials()

    def _ev_wechat_oauth_hosts(self):
        """Override: a provider talking to the simulator signs its buyers in with the simulated WeChat."""
        self.ensure_one()
        if self._ev_is_sandboxed():
            sandbox = self._ev_base_url() + WECHAT_OAUTH_SANDBOX_PREFIX
            return sandbox, sandbox
        return super()._ev_wechat_oauth_hosts()

    def _ev_wechat_oauth_fetch(self, url):
        """Override: answered in-process while this server answers a request (see ``_ev_sandbox_in_process``)."""
        self.ensure_one()
        if self._ev_is_sandboxed() and http_request and url.startswith(self._ev_base_url() + SANDBOX_PREFIX):
            _status, _headers, body = self.env["ev.pay.sandbox.order"].sudo()._ev_wechat_oauth_dispatch(
                "GET", url[len(self._ev_base_url()):])
            return body
        return super()._ev_wechat_oauth_fetch(url)

    def _ev_jsapi_landing_values(self):
        """Override: no real WeChat knows a simulated merchant, so the page offers the simulated payment sheet."""
        values = super()._ev_jsapi_landing_values()
        if self._ev_is_sandboxed():
            values["sandbox_pay_url"] = JSAPI_SHEET_PATH
        return values
