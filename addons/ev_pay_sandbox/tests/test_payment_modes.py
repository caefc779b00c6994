from urllib.parse import urlsplit

from odoo.fields import Command
from odoo.tests import tagged

from ..protocols import keys
from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvPaymentModes(EvPaymentCommon):
    """The WeChat Pay set-ups other than the default (service provider + public key), and the one-QR page."""

    def _only_wechatpay(self, **values):
        """Replace the store's WeChat Pay provider by one configured with ``values`` (sandbox)."""
        self.wechatpay.state = "disabled"
        return self.env["payment.provider"].sudo().create({
            "name": "WeChat Pay (mode)", "code": "wechatpay", "company_id": self.env.company.id, "state": "test",
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_wechat_pay").ids)],
            **values,
        })

    def _pay_and_check(self, order, tx):
        """The buyer pays in the wallet; the callback is verified and the order confirmed, invoiced and paid."""
        self._wallet_pay(tx)
        notification = self._deliver()
        self.assertEqual(notification.mapped("state"), ["delivered"], notification.mapped("last_answer"))
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertIn(order.invoice_ids.payment_state, ("paid", "in_payment"))
        return notification

    def test_wechatpay_certificate_mode(self):
        """Platform certificate instead of a public key: answers and callbacks are verified by its serial."""
        provider = self._only_wechatpay()
        # An existing provider switched to certificate verification, without a public key (as on the platform).
        provider.write({"wechatpay_verify_mode": "certificate", "wechatpay_public_key": False,
                        "wechatpay_public_key_id": False})
        certificate = provider._ev_wechatpay_keys()["wechatpay_platform_certificate"]
        self.assertTrue(certificate, "the sandbox issues a platform certificate")
        self.assertFalse(provider.wechatpay_platform_certificate, "into its own account, not the provider's field")
        serial = keys.certificate_serial_hex(certificate)
        self.assertEqual(list(provider._ev_wechatpay_verification_keys()), [serial])

        order = self._order(amount=1888)
        wechat_tx, _alipay_tx = self._collect(order)
        notification = self._pay_and_check(order, wechat_tx)
        self.assertEqual({k.lower(): v for k, v in notification.headers.items()}["wechatpay-serial"], serial)
        wechat_tx._ev_query_provider()  # a signed answer, verified with the certificate as well

        # A callback signed by another key under the same serial is refused.
        other_key, _public = keys.generate_rsa_keypair()
        body, headers = self._wechatpay_callback(wechat_tx, private_key=other_key)
        self.assertEqual(self._post("/payment/wechatpay/webhook", body, headers).status_code, 401)

    def test_wechatpay_direct_merchant(self):
        """A dealer with its own merchant number (mchid/appid, no sp_/sub_): collect, pay, query, refund."""
        provider = self._only_wechatpay(wechatpay_mode="direct")
        self.assertFalse(provider.wechatpay_sub_mchid)
        order = self._order(amount=1299)
        wechat_tx, _alipay_tx = self._collect(order)
        sandbox_order = self._sandbox_order(wechat_tx)
        self.assertEqual(set(sandbox_order.identity), {"appid", "mchid"})
        self._pay_and_check(order, wechat_tx)
        wechat_tx._ev_query_provider()
        self.assertEqual(wechat_tx.state, "done")

        wizard = self.env["payment.refund.wizard"].with_context(
            active_model="account.payment", active_id=self._payments(wechat_tx).id).create({})
        wizard.amount_to_refund = 299
        wizard.action_refund()
        self.env.invalidate_all()
        refund = wechat_tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(refund.state, "done")
        self.assertEqual(self._sandbox_order(wechat_tx).refunded_fen, 29900)
        self.assertEqual(self._deliver().mapped("state"), ["delivered"], "the REFUND.SUCCESS callback is accepted")

    def test_one_qr_landing_page(self):
        """With a public base URL one QR serves both wallets: the page picks the wallet from the User-Agent."""
        order = self._order(amount=999)
        wechat_tx, alipay_tx = self._collect(order)
        self.assertFalse(order.ev_collection_state()["public_url"], "no single QR on a local address")
        local_base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://shop.example.com")
        public_url = order.ev_collection_state()["public_url"]
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", local_base)
        self.assertTrue(public_url.startswith("https://shop.example.com/ev_pay/collect/"))
        path = urlsplit(public_url).path

        def open_as(agent):
            return self.url_open(path, headers={"User-Agent": agent}, allow_redirects=False)

        wechat = open_as("Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI")
        self.assertEqual(wechat.status_code, 303)
        # WeChat's browser pays in place (JSAPI, test_payment_jsapi.py): first the official account's OAuth.
        self.assertTrue(wechat.headers["Location"].startswith(
            self.base_url() + "/ev_pay/sandbox/wechat/connect/oauth2/authorize?"), wechat.headers["Location"])
        alipay = open_as("Mozilla/5.0 (Linux; Android 14) AlipayClient/10.6.0 Mobile")
        self.assertEqual(alipay.status_code, 303)
        self.assertEqual(alipay.headers["Location"], alipay_tx.ev_qr_content)

        browser = open_as("Mozilla/5.0 (Windows NT 10.0) Chrome/126.0 Safari/537.36")
        self.assertEqual(browser.status_code, 200)
        self.assertIn("Open this page in WeChat or Alipay", browser.text)
        self.assertIn(wechat_tx.provider_id.name, browser.text)
        self.assertIn(alipay_tx.provider_id.name, browser.text)
        self.assertEqual(self.url_open(path[:-4] + "xxxx").status_code, 404, "a wrong token opens nothing")

        self._wallet_pay(alipay_tx)
        self._deliver()
        paid = open_as("Mozilla/5.0 MicroMessenger/8.0.50")
        self.assertEqual(paid.status_code, 200, "a paid order is not paid twice")
        self.assertIn("Paid", paid.text)

        cancelled = self._order(amount=50)
        self._collect(cancelled)
        cancelled.action_ev_cancel_collection()
        closed_path = urlsplit(cancelled._ev_public_landing_url("https://shop.example.com")).path
        closed = self.url_open(closed_path, headers={"User-Agent": "AlipayClient/10.6.0"}, allow_redirects=False)
        self.assertEqual(closed.status_code, 200)
        self.assertIn("This collection is closed", closed.text)
