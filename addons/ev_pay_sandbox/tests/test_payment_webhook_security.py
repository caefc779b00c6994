import time

from odoo.tests import tagged

from ..protocols import keys
from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvPaymentWebhookRefusals(EvPaymentCommon):
    """Forged, tampered, stale or inconsistent callbacks are refused with the protocol's answer; nothing moves."""

    def _assert_untouched(self, tx):
        self.env.invalidate_all()
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self._payments(tx))
        self.assertFalse(tx.sale_order_ids.invoice_ids)

    def _refused_wechatpay(self, tx, body, headers, status):
        response = self._post("/payment/wechatpay/webhook", body, headers)
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(self._json(response)["code"], "FAIL")
        self._assert_untouched(tx)

    def test_wechatpay_refusals(self):
        order = self._order()
        tx, _alipay_tx = self._collect(order)
        # Forged signature: a valid callback whose signature was replaced.
        body, headers = self._wechatpay_callback(tx)
        forged = dict(headers, **{"Wechatpay-Signature": keys.rsa_sha256_sign(keys.generate_rsa_keypair()[0], "x")})
        self._refused_wechatpay(tx, body, forged, 401)
        # Wrong key: signed by a key that is not WeChat Pay's.
        body, headers = self._wechatpay_callback(tx, private_key=keys.generate_rsa_keypair()[0])
        self._refused_wechatpay(tx, body, headers, 401)
        # Tampered body: one byte of the signed body changed.
        body, headers = self._wechatpay_callback(tx)
        self._refused_wechatpay(tx, body.replace(b"TRANSACTION", b"TRANSACTIOM"), headers, 401)
        # Stale timestamp: 10 minutes old (outside the 5-minute window).
        body, headers = self._wechatpay_callback(tx, timestamp=int(time.time()) - 600)
        self._refused_wechatpay(tx, body, headers, 401)
        # Encrypted with another API v3 key, correctly signed: the resource cannot be decrypted.
        body, headers = self._wechatpay_callback(tx, api_v3_key="0123456789abcdef0123456789abcdef")
        self._refused_wechatpay(tx, body, headers, 400)
        # Unknown order.
        body, headers = self._wechatpay_callback(tx, out_trade_no="NOSUCHORDER-1")
        self._refused_wechatpay(tx, body, headers, 404)
        # Amount mismatch: genuine signature, 1 fen.
        body, headers = self._wechatpay_callback(tx, amount_fen=1)
        self._refused_wechatpay(tx, body, headers, 400)
        # And the genuine one goes through.
        body, headers = self._wechatpay_callback(tx)
        self.assertEqual(self._post("/payment/wechatpay/webhook", body, headers).status_code, 204)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")

    def _refused_alipay(self, tx, form):
        response = self._post("/payment/alipay/webhook", form, {})
        self.assertNotEqual(response.text, "success")
        self.assertEqual(response.text, "fail")
        self._assert_untouched(tx)

    def test_alipay_refusals(self):
        order = self._order()
        _wechat_tx, tx = self._collect(order)
        form = self._alipay_callback(tx)
        self._refused_alipay(tx, dict(form, sign=keys.rsa_sha256_sign(keys.generate_rsa_keypair()[0], "x")))
        self._refused_alipay(tx, self._alipay_callback(tx, private_key=keys.generate_rsa_keypair()[0]))
        self._refused_alipay(tx, dict(form, total_amount="0.01"))  # tampered after signing
        self._refused_alipay(tx, self._alipay_callback(tx, out_trade_no="NOSUCHORDER-2"))
        self._refused_alipay(tx, self._alipay_callback(tx, total_amount="0.01"))  # signed, but not our amount
        self._refused_alipay(tx, dict(form, app_id="2021999999999999"))
        response = self._post("/payment/alipay/webhook", form, {})
        self.assertEqual(response.text, "success")
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")

    def test_secrets_are_for_administrators(self):
        fields = self.env["payment.provider"]._fields
        for name in ("wechatpay_private_key", "wechatpay_api_v3_key", "alipay_private_key", "alipay_app_auth_token",
                     "ev_sandbox_platform_private_key", "ev_sandbox_merchant_private_key", "ev_sandbox_api_v3_key",
                     "ev_sandbox_merchant_app_secret", "wechatpay_app_secret", "alipay_public_key"):
            self.assertEqual(fields[name].groups, "base.group_system", name)
