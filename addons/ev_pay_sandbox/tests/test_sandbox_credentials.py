"""Credentials per environment (issue 14 item 2), with the simulators installed: test and live keys kept apart,
no provider enabled on simulator keys or endpoints, the simulated tax platform never reached by a live store."""
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.ev_pay_invoice.protocols import keys, nuonuo

from .common_einvoice import SELLER_USCC
from .payment_common import EvPaymentCommon

# The provider's own credential fields: the live ones, which the sandbox never writes.
WECHATPAY_KEY_FIELDS = ("wechatpay_serial_no", "wechatpay_private_key", "wechatpay_api_v3_key",
                        "wechatpay_public_key_id", "wechatpay_public_key", "wechatpay_platform_certificate",
                        "wechatpay_app_secret")
ALIPAY_KEY_FIELDS = ("alipay_private_key", "alipay_public_key")


def live_alipay_values():
    app_key, _public = keys.generate_rsa_keypair()
    alipay_key, _public = keys.generate_rsa_keypair()
    return {"alipay_app_id": "2021004100000001", "alipay_private_key": app_key,
            "alipay_public_key": keys.public_key_pem(alipay_key)}


def live_wechatpay_values():
    """What a merchant copies from the WeChat Pay merchant platform (made up here, real in shape)."""
    merchant_key, _public = keys.generate_rsa_keypair()
    platform_key, _public = keys.generate_rsa_keypair()
    return {
        "wechatpay_mode": "partner", "wechatpay_appid": "wx8888888888888888", "wechatpay_mchid": "1230000109",
        "wechatpay_sub_mchid": "1900000109", "wechatpay_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay_private_key": merchant_key, "wechatpay_api_v3_key": "a" * 32,
        "wechatpay_verify_mode": "public_key", "wechatpay_public_key_id": "PUB_KEY_ID_0112345678",
        "wechatpay_public_key": keys.public_key_pem(platform_key), "wechatpay_app_secret": "b" * 32,
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
        in_use = provider._ev_wechatpay_keys()
        self.assertTrue(in_use["wechatpay_private_key"] and in_use["wechatpay_public_key"], "simulator keys made")
        self.assertFalse([name for name in WECHATPAY_KEY_FIELDS if provider[name]],
                         "the simulator's keys are not written into the provider's own fields")
        self.assertTrue(provider._ev_is_sandboxed())
        self.assertIn("/ev_pay/sandbox/wechatpay", provider._ev_api_base())
        with self.assertRaisesRegex(ValidationError, "fields are empty"):
            provider.state = "enabled"
        # A database made before the keys were kept apart held the simulator's keys in the provider's own fields:
        # such a provider cannot be enabled either.
        provider.write(dict({name: in_use[name] for name in WECHATPAY_KEY_FIELDS}, state="test"))
        with self.assertRaisesRegex(ValidationError, "simulated platform"):
            provider.state = "enabled"
        # Once the merchant's own keys are entered, it can go live, on the official gateway.
        provider.write(dict(live_wechatpay_values(), state="enabled"))
        self.assertFalse(provider._ev_is_sandboxed())
        self.assertEqual(provider._ev_api_base(), "https://api.mch.weixin.qq.com")

    def test_a_fresh_test_provider_never_has_its_credential_fields_written(self):
        wechat = self._provider(state="test")
        alipay_provider = self.Provider.create({
            "name": "Alipay", "code": "alipay", "company_id": self.env.company.id, "state": "test",
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_alipay").ids)]})
        for provider in wechat | alipay_provider:  # whatever the sandbox is asked to do
            provider.write({"state": "disabled"})
            provider.write({"state": "test"})
            provider.action_ev_reset_sandbox_credentials()
        wechat.write({"wechatpay_verify_mode": "certificate"})
        self.assertFalse([name for name in WECHATPAY_KEY_FIELDS if wechat[name]])
        self.assertFalse([name for name in ALIPAY_KEY_FIELDS if alipay_provider[name]])
        self.assertTrue(wechat._ev_wechatpay_verification_keys(), "it verifies with the simulator's keys")
        self.assertTrue(wechat._ev_wechatpay_credentials().private_key_pem)
        app = alipay_provider._ev_alipay_app()
        self.assertTrue(app.private_key_pem and app.alipay_public_key_pem)

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
        self.assertFalse(provider.app_key or provider.app_secret, "the simulator's credentials are kept apart")
        self.assertTrue(provider.with_context(ev_sandbox_in_process=True)._ev_get_token(),
                        "the simulator answers with its own App Key and App Secret")
        with self.assertRaisesRegex(ValidationError, "App Key and App Secret"):
            provider.state = "enabled"
        # A database made before the credentials were kept apart held the simulator's App Key in the provider's.
        provider.write({"state": "test"})
        with self.assertRaisesRegex(ValidationError, "simulated tax platform"):
            provider.write(dict(zip(("app_key", "app_secret"), provider._ev_app_credentials()), state="enabled"))
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            provider.write({"app_key": "SD63236305", "app_secret": "SDDED2523BED4643", "state": "enabled",
                            "api_base_url": provider.get_base_url() + "/ev_pay/sandbox/nuonuo"})
        provider.write({"app_key": "SD63236305", "app_secret": "SDDED2523BED4643", "state": "enabled",
                        "api_base_url": False})
        self.assertFalse(provider.sandbox_simulated)
        self.assertEqual(provider._ev_services_url(), nuonuo.PRODUCTION_URL)
        self.assertEqual(provider._ev_callback_url(), provider.get_base_url() + "/ev_pay/einvoice/nuonuo/callback")
        # Back to test for a demonstration, then live again: the simulator answers meanwhile, the live App Key and
        # App Secret are the same afterwards.
        provider.write({"state": "test"})
        self.assertTrue(provider.sandbox_simulated)
        self.assertTrue(provider.with_context(ev_sandbox_in_process=True)._ev_get_token())
        provider.write({"state": "enabled"})
        self.assertEqual((provider.app_key, provider.app_secret), ("SD63236305", "SDDED2523BED4643"))
        self.assertEqual(provider._ev_app_credentials(), ("SD63236305", "SDDED2523BED4643"))
        self.assertFalse(provider.access_token, "no token of the simulator is carried over to the live platform")


@tagged("post_install", "-at_install")
class TestLiveKeysKeptApartFromTheSandbox(EvPaymentCommon):
    """A live store switched to test for a demonstration, then back: the whole sandbox payment works in test, and
    the live keys come back byte for byte."""

    def _pay_in_the_sandbox(self, channel):
        order = self._order(amount=1688.0)
        wechat_tx, alipay_tx = self._collect(order)
        tx = wechat_tx if channel == "wechatpay" else alipay_tx
        self.assertEqual(tx.state, "pending", "the simulator accepted the order signed with its keys")
        self.assertTrue(tx.ev_qr_content)
        self._wallet_pay(tx)
        self.assertEqual(self._deliver().mapped("state"), ["delivered"], "the callback was verified")
        self.assertEqual(tx.state, "done")
        order.ev_collection_state()  # the collection screen's poll post-processes
        self.env.invalidate_all()
        self.assertEqual(order.invoice_ids.state, "posted", "invoiced")
        self.assertIn(order.invoice_ids.payment_state, ("paid", "in_payment"))

    def _switch_round_trip(self, provider, live, channel):
        provider.write(dict(live, state="enabled"))
        self.assertFalse(provider._ev_is_sandboxed())
        provider.write({"state": "test"})
        self.assertTrue(provider._ev_is_sandboxed())
        self._pay_in_the_sandbox(channel)
        provider.write({"state": "enabled"})
        self.env.invalidate_all()
        self.assertEqual({name: provider.sudo()[name] for name in live}, live, "the live keys, byte for byte")
        self.assertFalse(provider._ev_is_sandboxed())

    def test_wechatpay_enabled_test_enabled_keeps_the_live_keys(self):
        self.alipay.state = "disabled"
        self._switch_round_trip(self.wechatpay.sudo(), live_wechatpay_values(), "wechatpay")
        self.assertEqual(self.wechatpay._ev_api_base(), "https://api.mch.weixin.qq.com")

    def test_alipay_enabled_test_enabled_keeps_the_live_keys(self):
        self.wechatpay.state = "disabled"
        self._switch_round_trip(self.alipay.sudo(), live_alipay_values(), "alipay")
        self.assertEqual(self.alipay.sudo()._ev_alipay_app().private_key_pem,
                         self.alipay.sudo().alipay_private_key, "enabled, it signs with its own key again")

    def test_simulator_keys_of_an_earlier_version_move_out_of_the_providers_fields(self):
        """The upgrade's move: a database made before the keys were kept apart held the simulator's keys in the
        providers' own fields; they go to the sandbox, the fields are emptied, the sandbox payment still works."""
        wechat, alipay_provider = self.wechatpay.sudo(), self.alipay.sudo()
        wechat_keys, alipay_app = wechat._ev_wechatpay_keys(), alipay_provider._ev_alipay_app()
        wechat.write({name: wechat_keys[name] for name in WECHATPAY_KEY_FIELDS})
        alipay_provider.write({"alipay_private_key": alipay_app.private_key_pem,
                               "alipay_public_key": alipay_app.alipay_public_key_pem})
        (wechat | alipay_provider)._ev_move_simulator_keys_to_the_sandbox()
        self.assertFalse([name for name in WECHATPAY_KEY_FIELDS if wechat[name]])
        self.assertFalse([name for name in ALIPAY_KEY_FIELDS if alipay_provider[name]])
        self.assertEqual(wechat._ev_wechatpay_keys(), wechat_keys, "the same sandbox keys as before")
        self.assertEqual(alipay_provider._ev_alipay_app(), alipay_app)
        self._pay_in_the_sandbox("wechatpay")
        self._pay_in_the_sandbox("alipay")


@tagged("post_install", "-at_install")
class TestTaxPlatformToken(HttpCase):
    """HttpCase: the token is read and stored through a cursor of its own, which shares the test's transaction
    only in the registry's test mode."""

    def test_the_token_is_asked_for_once_and_kept(self):
        """The queue's threads and the other jobs share one access token: the first asks the platform and stores
        it (even if its own transaction rolls back), the others take the stored one; a refused token is replaced
        once, by whoever still holds it."""
        provider = self.env["ev.einvoice.provider"].sudo().create({
            "name": "Nuonuo", "company_id": self.env.company.id, "state": "test", "seller_tax_id": SELLER_USCC,
            "drawer": "王店长"}).with_context(ev_sandbox_in_process=True)
        provider.flush_recordset()  # the token is read and stored through a cursor of its own
        Provider = type(provider)
        with patch.object(Provider, "_ev_request", autospec=True, side_effect=Provider._ev_request) as calls:
            token = provider._ev_get_token_once()
            self.assertEqual(calls.call_count, 1)
            self.assertEqual(provider.access_token, token)
            self.assertEqual(provider._ev_get_token_once(), token, "the stored token, not a new request")
            self.assertEqual(provider._ev_get_token(), token)
            self.assertEqual(calls.call_count, 1)
            provider._ev_get_token_once(refused=token)
            self.assertEqual(calls.call_count, 2, "a refused token is asked for again")
            # Another job already replaced the refused token: that one is taken.
            provider.access_token = "renewed-by-another-job"
            provider.flush_recordset()
            self.assertEqual(provider._ev_get_token_once(refused=token), "renewed-by-another-job")
            self.assertEqual(calls.call_count, 2)
