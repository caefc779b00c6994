"""Credentials per environment (issue 14 item 2), with the simulators installed: test and live keys kept apart,
no provider enabled on simulator keys or endpoints, the simulated tax platform never reached by a live store."""
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from odoo.addons.ev_pay_invoice.protocols import keys, nuonuo

from .common_einvoice import SELLER_USCC


def live_wechatpay_values():
    """What a merchant copies from the WeChat Pay merchant platform (made up here, real in shape)."""
    merchant_key, _public = keys.generate_rsa_keypair()
    platform_key, _public = keys.generate_rsa_keypair()
    return {
        "wechatpay_mode": "partner", "wechatpay_appid": "wx8888888888888888", "wechatpay_mchid": "1230000109",
        "wechatpay_sub_mchid": "1900000109", "wechatpay_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay_private_key": merchant_key, "wechatpay_api_v3_key": "a" * 32,
        "wechatpay_verify_mode": "public_key", "wechatpay_public_key_id": "PUB_KEY_ID_0112345678",
        "wechatpay_public_key": keys.public_key_pem(platform_key),
    }


@tagged("post_install", "-at_install")
class TestSandboxCredentials(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Provider = cls.env["payment.provider"].sudo()
        cls.wechat_method = cls.env.ref("payment.payment_method_wechat_pay")

    def _provider(self, **values):
        return self.Provider.create(dict({
            "name": "WeChat Pay", "code": "wechatpay", "company_id": self.env.company.id,
            "payment_method_ids": [Command.set(self.wechat_method.ids)]}, **values))

    def test_switching_a_live_provider_to_test_keeps_its_keys(self):
        live = live_wechatpay_values()
        provider = self._provider(state="disabled", **live)
        provider.state = "test"
        self.assertRecordValues(provider, [{name: live[name] for name in (
            "wechatpay_private_key", "wechatpay_serial_no", "wechatpay_api_v3_key", "wechatpay_public_key",
            "wechatpay_public_key_id", "wechatpay_appid", "wechatpay_mchid", "wechatpay_sub_mchid")}])
        provider.state = "disabled"
        self.assertEqual(provider.wechatpay_public_key, live["wechatpay_public_key"], "switching back keeps them")

    def test_a_test_provider_talks_to_the_simulator_and_cannot_be_enabled_on_its_keys(self):
        provider = self._provider(state="test")
        self.assertTrue(provider.wechatpay_private_key and provider.wechatpay_public_key, "simulator keys made")
        self.assertTrue(provider._ev_is_sandboxed())
        self.assertIn("/ev_pay/sandbox/wechatpay", provider._ev_api_base())
        with self.assertRaisesRegex(ValidationError, "simulated platform"):
            provider.state = "enabled"
        # Once the merchant's own keys are entered, it can go live, on the official gateway.
        provider.write(dict(live_wechatpay_values(), state="enabled"))
        self.assertFalse(provider._ev_is_sandboxed())
        self.assertEqual(provider._ev_api_base(), "https://api.mch.weixin.qq.com")

    def test_an_enabled_provider_cannot_point_at_the_simulator(self):
        provider = self._provider(state="disabled", **live_wechatpay_values())
        simulator = provider._ev_base_url() + "/ev_pay/sandbox/wechatpay"
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            provider.write({"state": "enabled", "ev_api_base_url": simulator})
        provider.write({"state": "enabled", "ev_api_base_url": "https://pay-gateway.example.cn/"})
        self.assertEqual(provider._ev_api_base(), "https://pay-gateway.example.cn")

    def test_the_tax_platform_simulator_is_for_test_providers_only(self):
        Provider = self.env["ev.einvoice.provider"].sudo()
        self.assertNotIn("sandbox", dict(Provider._fields["kind"].selection), "no simulator kind any more")
        provider = Provider.create({"name": "Nuonuo", "company_id": self.env.company.id, "state": "test",
                                    "seller_tax_id": SELLER_USCC, "drawer": "王店长"})
        self.assertTrue(provider.sandbox_simulated)
        self.assertIn("/ev_pay/sandbox/nuonuo", provider._ev_services_url())
        with self.assertRaisesRegex(ValidationError, "simulated tax platform"):
            provider.state = "enabled"
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            provider.write({"app_key": "SD63236305", "app_secret": "SDDED2523BED4643", "state": "enabled",
                            "api_base_url": provider.get_base_url() + "/ev_pay/sandbox/nuonuo"})
        provider.write({"app_key": "SD63236305", "app_secret": "SDDED2523BED4643", "state": "enabled",
                        "api_base_url": False})
        self.assertFalse(provider.sandbox_simulated)
        self.assertEqual(provider._ev_services_url(), nuonuo.PRODUCTION_URL)
        self.assertEqual(provider._ev_callback_url(), provider.get_base_url() + "/ev_pay/einvoice/nuonuo/callback")
