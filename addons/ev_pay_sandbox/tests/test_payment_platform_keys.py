"""WeChat Pay platform keys (issue #15 item 4) against the sandbox over real HTTP: certificates downloaded from
``/v3/certificates`` and rotated, serials sent zero-padded as WeChat Pay writes them, public-key mode preferred,
and the store manager warned 30 days before the last certificate expires."""
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..protocols import keys
from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvWechatPayPlatformKeys(EvPaymentCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wechatpay.wechatpay_verify_mode = "certificate"  # the sandbox makes it a platform certificate
        cls.sandbox = cls.env["ev.pay.sandbox.order"].sudo()

    def _trusted_serials(self):
        return sorted(keys.certificate_serial_hex(pem) for pem in
                      keys.certificate_bundle(self._trusted_bundle()))

    def _trusted_bundle(self):
        """The certificates the provider trusts (in test state, those of its sandbox account)."""
        return self.wechatpay._ev_wechatpay_keys()["wechatpay_platform_certificate"]

    def _collect_wechat(self):
        wechat_tx, _alipay_tx = self._collect(self._order(amount=99.0))
        return wechat_tx

    def test_rotation_downloaded_before_the_new_certificate_signs(self):
        old_serial = keys.certificate_serial_hex(self._trusted_bundle())
        # WeChat Pay publishes a new certificate whose 40-digit serial starts with zeros…
        new_pem = self.sandbox._ev_sandbox_issue_platform_certificate(self.wechatpay, serial_number=0x7E57)
        new_serial = keys.certificate_serial_hex(new_pem)
        self.wechatpay.action_ev_wechatpay_download_certificates()
        self.assertEqual(self._trusted_serials(), sorted([old_serial, new_serial]), "both trusted during the rotation")
        # …then signs with it, sending "0000…7E57" in Wechatpay-Serial: answers and callbacks still verify.
        self.sandbox._ev_sandbox_retire_platform_certificate(self.wechatpay)
        tx = self._collect_wechat()
        self.assertEqual(tx.state, "pending", "the order's answer, signed with the new certificate, verified")
        self._wallet_pay(tx)
        self._deliver()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done", "the callback signed with the new certificate was accepted")
        # The next download drops the retired certificate.
        self.env["payment.provider"]._cron_ev_wechatpay_platform_keys()
        self.assertEqual(self._trusted_serials(), [new_serial])

    def test_certificates_signed_by_an_unknown_key_are_refused(self):
        before = self._trusted_bundle()
        self.sandbox._ev_sandbox_issue_platform_certificate(self.wechatpay)
        self.sandbox._ev_sandbox_retire_platform_certificate(self.wechatpay)  # signs with a key we do not trust
        with self.assertRaisesRegex(UserError, "could not be verified"):
            self.wechatpay.action_ev_wechatpay_download_certificates()
        self.assertEqual(self._trusted_bundle(), before, "the trusted one is kept")

    def test_public_key_mode_needs_no_download(self):
        self.wechatpay.wechatpay_verify_mode = "public_key"
        with self.assertRaisesRegex(UserError, "public key"):
            self.wechatpay.action_ev_wechatpay_download_certificates()
        self.assertFalse(self.wechatpay.ev_wechatpay_key_warning)

    def test_store_manager_warned_30_days_before_the_certificate_expires(self):
        manager = self.env["res.users"].create({"name": "王店长", "login": "ev-key-manager",
                                                "company_ids": [self.env.company.id],
                                                "company_id": self.env.company.id})
        store = self.env["ev.store"].sudo().search([("company_id", "=", self.env.company.id)], limit=1) or \
            self.env["ev.store"].sudo().create({"name": "绿行电动车 · 测试店", "company_id": self.env.company.id})
        store.manager_id = manager
        self.assertFalse(self.wechatpay.ev_wechatpay_key_warning, "a certificate valid for years: no warning")
        # WeChat Pay now lists only a certificate that expires in 20 days.
        self.sandbox._ev_sandbox_issue_platform_certificate(self.wechatpay, valid_days=20)
        self.wechatpay.action_ev_wechatpay_download_certificates()
        self.sandbox._ev_sandbox_retire_platform_certificate(self.wechatpay)
        self.env["payment.provider"]._cron_ev_wechatpay_platform_keys()
        self.env.invalidate_all()
        self.assertIn("expires on", self.wechatpay.ev_wechatpay_key_warning)
        messages = store.message_ids.filtered(lambda m: manager.partner_id in m.partner_ids)
        self.assertEqual(len(messages), 1, "the manager is told")
        self.env["payment.provider"]._cron_ev_wechatpay_platform_keys()
        self.assertEqual(len(store.message_ids.filtered(lambda m: manager.partner_id in m.partner_ids)), 1,
                         "told once per certificate")
