"""Credentials per environment in the production addon (issue 14 item 2): each platform connector's API base URL
can be overridden and defaults to the official endpoints, and no provider is enabled on an endpoint that is not a
platform reached over HTTPS (what this server answers itself can only be a simulator). The same without the
simulators: these run in the production-only database too (tag ev_production), with
tests/odoo_addons/ev_production_tests."""
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from ..protocols import keys, nuonuo


def simulator_like_wechatpay_values(provider_id=1):
    """Credentials made the way the simulator makes them: self-signed, generated on this server."""
    merchant_key, _public = keys.generate_rsa_keypair()
    platform_key, _public = keys.generate_rsa_keypair()
    _cert, serial = keys.generate_self_signed_certificate(merchant_key, "EV merchant")
    return {
        "wechatpay_mode": "partner", "wechatpay_appid": "wx%016d" % provider_id,
        "wechatpay_mchid": str(1900000000 + provider_id), "wechatpay_sub_mchid": str(1600000000 + provider_id),
        "wechatpay_serial_no": serial, "wechatpay_private_key": merchant_key, "wechatpay_api_v3_key": "b" * 32,
        "wechatpay_verify_mode": "public_key", "wechatpay_public_key_id": "PUB_KEY_ID_1",
        "wechatpay_public_key": keys.public_key_pem(platform_key),
    }


@tagged("post_install", "-at_install", "ev_production")
class TestProviderEndpoints(TransactionCase):

    def _wechatpay(self, **values):
        return self.env["payment.provider"].sudo().create(dict({
            "name": "WeChat Pay", "code": "wechatpay", "company_id": self.env.company.id, "state": "disabled",
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_wechat_pay").ids)],
        }, **values))

    def test_official_endpoints_by_default_and_an_override_for_each_connector(self):
        wechat = self._wechatpay(**simulator_like_wechatpay_values())
        alipay = self.env["payment.provider"].sudo().create({
            "name": "Alipay", "code": "alipay", "company_id": self.env.company.id, "state": "disabled"})
        einvoice = self.env["ev.einvoice.provider"].sudo().create({
            "name": "Nuonuo", "company_id": self.env.company.id, "state": "disabled",
            "seller_tax_id": "91310104MA1FR3XK4N", "drawer": "王店长"})
        self.assertEqual((wechat._ev_api_base(), alipay._ev_alipay_gateway()),
                         ("https://api.mch.weixin.qq.com", "https://openapi.alipay.com/gateway.do"))
        self.assertEqual((einvoice._ev_services_url(), einvoice._ev_token_url()),
                         (nuonuo.PRODUCTION_URL, nuonuo.TOKEN_URL))
        wechat.ev_api_base_url = "https://proxy.example.cn/wechat/"
        alipay.ev_api_base_url = "https://proxy.example.cn/alipay"
        einvoice.api_base_url = "https://proxy.example.cn/nuonuo"
        self.assertEqual((wechat._ev_api_base(), alipay._ev_alipay_gateway()),
                         ("https://proxy.example.cn/wechat", "https://proxy.example.cn/alipay/gateway.do"))
        self.assertEqual((einvoice._ev_services_url(), einvoice._ev_token_url()),
                         ("https://proxy.example.cn/nuonuo/open/v1/services",
                          "https://proxy.example.cn/nuonuo/accessToken"))

    def test_no_provider_enabled_on_this_server_or_plain_http(self):
        wechat = self._wechatpay(**simulator_like_wechatpay_values())
        for url in (wechat.get_base_url() + "/ev_pay/wechatpay-double", "http://gateway.example.cn"):
            with self.subTest(url=url), self.assertRaisesRegex(ValidationError, "HTTPS"):
                wechat.write({"state": "enabled", "ev_api_base_url": url})
        einvoice = self.env["ev.einvoice.provider"].sudo().create({
            "name": "Nuonuo", "company_id": self.env.company.id, "state": "disabled",
            "seller_tax_id": "91310104MA1FR3XK4N", "drawer": "王店长", "app_key": "SD63236305",
            "app_secret": "SDDED2523BED4643"})
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            einvoice.write({"state": "enabled", "api_base_url": einvoice.get_base_url() + "/ev_pay/nuonuo-double"})
        einvoice.write({"state": "enabled", "api_base_url": False})
        self.assertEqual(einvoice._ev_services_url(), nuonuo.PRODUCTION_URL)
