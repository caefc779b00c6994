"""A database with only the production addons (issue 14 items 1-2): it installs, it holds no simulator, and a
provider given simulator-made credentials and pointed at this server cannot be enabled."""
import unittest

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.ev_pay_invoice.tests.test_provider_credentials import simulator_like_wechatpay_values


@tagged("post_install", "-at_install", "ev_production")
class TestProductionOnly(HttpCase):
    """A database with only the production addons: no simulator, and a provider given simulator credentials and
    pointed at this server cannot be enabled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.env["ir.module.module"].search_count([("name", "=", "ev_pay_sandbox"), ("state", "=", "installed")]):
            raise unittest.SkipTest("runs without the simulators (scripts/test.sh installs a production database)")

    def test_no_simulator_and_no_provider_enabled_on_simulator_credentials(self):
        self.assertNotIn("ev.pay.sandbox.order", self.env)
        self.assertNotIn("ev.einvoice.sandbox", self.env)
        self.assertEqual(self.url_open("/ev_pay/sandbox/wechatpay/v3/pay/transactions/native",
                                       data=b"{}").status_code, 404)
        self.assertNotIn("sandbox", dict(self.env["ev.einvoice.provider"]._fields["kind"].selection))
        provider = self.env["payment.provider"].sudo().create(dict(
            simulator_like_wechatpay_values(), name="WeChat Pay", code="wechatpay", company_id=self.env.company.id,
            state="test", ev_api_base_url=self.base_url() + "/ev_pay/sandbox/wechatpay"))
        self.assertEqual(provider.state, "test", "a test provider may try any endpoint")
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            provider.state = "enabled"
        self.assertEqual(provider._ev_api_base(), self.base_url() + "/ev_pay/sandbox/wechatpay")
