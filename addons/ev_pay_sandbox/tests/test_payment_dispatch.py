import odoo
from odoo.tests import tagged

from odoo.addons.ev_pay_invoice.controllers.alipay import EvAlipayController
from odoo.addons.ev_pay_invoice.controllers.wechatpay import EvWechatPayController

from ..protocols import alipay_platform
from .payment_common import EvPaymentCommon

# What a service provider's stores share: its merchant account, keys and API v3 key (each store has its sub_mchid).
# In test state these keys are the sandbox account's (the simulator's), kept apart from the provider's own fields.
SHARED_WECHATPAY_FIELDS = (
    "wechatpay_mode", "wechatpay_appid", "wechatpay_mchid", "wechatpay_verify_mode",
    "ev_sandbox_merchant_serial", "ev_sandbox_merchant_private_key", "ev_sandbox_merchant_public_key",
    "ev_sandbox_api_v3_key", "ev_sandbox_public_key_id", "ev_sandbox_trusted_certificates",
    "ev_sandbox_platform_private_key",
)


@tagged("post_install", "-at_install")
class TestEvPaymentDispatch(EvPaymentCommon):
    """A service provider hosting many stores: each callback reaches its own store's provider, at a cost that does
    not grow with the number of stores (issue #17 item 1)."""

    def _add_wechatpay_stores(self, count, first_sub_mchid):
        """``count`` more stores of the same service provider (in a company of their own, so that our store's
        collection does not use them), listed before ours (lower sequence)."""
        provider = self.wechatpay.sudo()
        shared = {name: provider[name] for name in SHARED_WECHATPAY_FIELDS}
        Company = self.env["res.company"].sudo()
        other_company = Company.search([("name", "=", "Other stores")]) \
            or Company.create({"name": "Other stores", "currency_id": self.env.company.currency_id.id})
        return self.env["payment.provider"].sudo().create([
            dict(shared, name="WeChat Pay (store %s)" % (first_sub_mchid + index), code="wechatpay", state="test",
                 sequence=0, company_id=other_company.id, wechatpay_sub_mchid=str(first_sub_mchid + index),
                 payment_method_ids=[(6, 0, self.env.ref("payment.payment_method_wechat_pay").ids)])
            for index in range(count)])

    def _callback_queries(self, tx):
        """Deliver the genuine callback of ``tx`` to the webhook's processing; (answer status, SQL queries)."""
        body, headers = self._wechatpay_callback(tx)
        self.env.flush_all()
        before = odoo.sql_db.sql_counter
        status, _body = EvWechatPayController._wechatpay_process(self.env, headers, body)
        queries = odoo.sql_db.sql_counter - before
        self.env.invalidate_all()
        return status, queries

    def test_wechatpay_callback_finds_its_store_among_many(self):
        self._add_wechatpay_stores(2, 1700000000)
        warm_up_tx, _alipay_tx = self._collect(self._order(amount=1999.0))
        self.assertEqual(self._callback_queries(warm_up_tx)[0], 204)  # caches of the first request not counted
        first_tx, _alipay_tx = self._collect(self._order())
        status, queries_few = self._callback_queries(first_tx)
        self.assertEqual(status, 204)
        self.assertEqual(first_tx.state, "done")

        stores = self._add_wechatpay_stores(40, 1700000100)
        second_tx, _alipay_tx = self._collect(self._order(amount=3199.0))
        status, queries_many = self._callback_queries(second_tx)
        self.assertEqual(status, 204)
        self.assertEqual(second_tx.state, "done", "the callback is applied to the store whose sub_mchid it names")
        self.assertLessEqual(queries_many, queries_few, "a callback costs no more with 43 stores than with 3")
        self.assertFalse(self.env["payment.transaction"].search([("provider_id", "in", stores.ids)]))

    def test_wechatpay_callback_of_an_unknown_sub_merchant_is_refused(self):
        self._add_wechatpay_stores(3, 1700000200)
        tx, _alipay_tx = self._collect(self._order())
        self.wechatpay.sudo().wechatpay_sub_mchid = "1799999999"  # the platform names a sub-merchant we do not host
        body, headers = self._wechatpay_callback(tx)
        self.wechatpay.sudo().wechatpay_sub_mchid = "1788888888"
        status, _body = EvWechatPayController._wechatpay_process(self.env, headers, body)
        self.assertEqual(status, 400)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "pending")

    def test_duplicate_callback_is_answered_without_writing(self):
        tx, _alipay_tx = self._collect(self._order())
        body, headers = self._wechatpay_callback(tx)
        self.assertEqual(EvWechatPayController._wechatpay_process(self.env, headers, body)[0], 204)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done", tx.state_message)
        written, messages = tx.write_date, len(tx.sale_order_ids.message_ids)
        self.env.cr.execute("SELECT xmin FROM payment_transaction WHERE id = %s", [tx.id])
        row_version = self.env.cr.fetchone()[0]
        self.assertEqual(EvWechatPayController._wechatpay_process(self.env, headers, body)[0], 204)
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.cr.execute("SELECT xmin FROM payment_transaction WHERE id = %s", [tx.id])
        self.assertEqual(self.env.cr.fetchone()[0], row_version, "the duplicate did not write the row")
        self.assertEqual((tx.write_date, len(tx.sale_order_ids.message_ids)), (written, messages))
        self.assertLessEqual(len(self._payments(tx)), 1, "a duplicate never records a second payment")

    def test_alipay_isv_notification_finds_its_dealer(self):
        _wechat_tx, tx = self._collect(self._order())
        isv = self.alipay.sudo()
        isv.write({"alipay_app_auth_token": "token-ours", "alipay_auth_app_id": "2021000000000001"})
        other_company = self.env["res.company"].sudo().create({"name": "Other dealers",
                                                               "currency_id": self.env.company.currency_id.id})
        others = self.env["payment.provider"].sudo().create([{
            "name": "Alipay (dealer %s)" % index, "code": "alipay", "state": "test", "sequence": 0,
            "company_id": other_company.id,
            "alipay_app_id": isv.alipay_app_id,
            "ev_sandbox_merchant_private_key": isv.ev_sandbox_merchant_private_key,
            "ev_sandbox_merchant_public_key": isv.ev_sandbox_merchant_public_key,
            "ev_sandbox_platform_private_key": isv.ev_sandbox_platform_private_key,
            "alipay_app_auth_token": "token-%s" % index, "alipay_auth_app_id": "20210000000001%02d" % index,
            "payment_method_ids": [(6, 0, self.env.ref("payment.payment_method_alipay").ids)],
        } for index in range(5)])
        form = alipay_platform.build_notification_form(
            {"trade_no": "2026000000000009", "out_trade_no": tx.reference, "trade_status": "TRADE_SUCCESS",
             "total_amount": tx._ev_amount_yuan(), "auth_app_id": isv.alipay_auth_app_id},
            isv.alipay_app_id, isv.ev_sandbox_platform_private_key)
        provider, _verified = self.env["payment.provider"]._ev_alipay_notification_provider(form)
        self.assertEqual(provider, isv)
        self.assertEqual(EvAlipayController._alipay_process(self.env, form)[1], "success")
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertFalse(self.env["payment.transaction"].search([("provider_id", "in", others.ids)]))
