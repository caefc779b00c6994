"""Fixtures of the WeChat Pay / Alipay tests: a Chinese company with both providers in sandbox (test) state.

Everything talks to the simulators over real HTTP on Odoo's test server: the test thread calls the provider
API (order, query, close, refund) through ``requests``, pays on the simulated wallet with ``url_open``, and
delivers the simulator's queued callbacks to our webhook by running the simulator's delivery cron method
(what ir.cron does in production). Nothing is patched.
"""
import json

import requests

from odoo.fields import Command
from odoo.tests import HttpCase

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

from ..protocols import alipay_platform, wechatpay_platform


class EvPaymentCommon(AccountTestInvoicingHttpCommon):

    @classmethod
    @AccountTestInvoicingHttpCommon.setup_country("cn")
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("sale.automatic_invoice", "True")
        company = cls.env.company
        cls.env.user.groups_id |= cls.env.ref("ev_pay_invoice.group_ev_store_salesperson")
        Provider = cls.env["payment.provider"].sudo()
        cls.wechatpay = Provider.create({
            "name": "WeChat Pay (test)", "code": "wechatpay", "company_id": company.id, "state": "test",
            "payment_method_ids": [Command.set(cls.env.ref("payment.payment_method_wechat_pay").ids)],
        })
        cls.alipay = Provider.create({
            "name": "Alipay (test)", "code": "alipay", "company_id": company.id, "state": "test",
            "payment_method_ids": [Command.set(cls.env.ref("payment.payment_method_alipay").ids)],
        })
        cls.buyer = cls.env["res.partner"].create({"name": "张三", "company_id": company.id})
        cls.product = cls.env.ref("ev_pay_invoice.product_ev_collection")

    def _order(self, amount=2599.0, name="绿源 S30 电动自行车"):
        return self.env["sale.order"].create({
            "partner_id": self.buyer.id,
            "order_line": [Command.create({"product_id": self.product.id, "name": name, "product_uom_qty": 1,
                                           "price_unit": amount,
                                           "tax_id": [Command.set(self.company_data["default_tax_sale"].ids)]})],
        })

    def _collect(self, order):
        order.action_ev_collect()
        txs = order.ev_collection_tx_ids
        return (txs.filtered(lambda tx: tx.provider_code == "wechatpay"),
                txs.filtered(lambda tx: tx.provider_code == "alipay"))

    def _sandbox_order(self, tx):
        self.env.invalidate_all()
        return self.env["ev.pay.sandbox.order"].sudo().search([
            ("provider_id", "=", tx.provider_id.id), ("out_trade_no", "=", tx.reference)])

    def _wallet_pay(self, tx):
        """The buyer scans the QR and pays in the simulated wallet (real HTTP)."""
        self.assertTrue(tx.ev_qr_content.startswith(self.base_url()), "the sandbox QR opens the simulated wallet")
        page = self.url_open(tx.ev_qr_content)
        self.assertEqual(page.status_code, 200)
        answer = self.url_open(tx.ev_qr_content + "/pay", data={"confirm": "1"})
        self.assertEqual(answer.status_code, 200, answer.text)
        self.env.invalidate_all()
        return answer.json()

    def _deliver(self):
        """The simulator's delivery cron (the platform POSTs its queued callbacks to our webhook)."""
        delivered = self.env["ev.pay.sandbox.notification"].sudo()._cron_deliver()
        self.env.invalidate_all()
        return delivered

    def _paid_tx(self, amount, channel):
        """A collection of ``amount`` paid in the sandbox wallet by ``channel`` (its callback delivered, the
        order confirmed and invoiced); returns the paid transaction."""
        order = self._order(amount=amount)
        wechat_tx, alipay_tx = self._collect(order)
        tx = wechat_tx if channel == "wechatpay" else alipay_tx
        self._wallet_pay(tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        return tx

    def _post(self, path, body, headers):
        """POST from this thread as the platform would (plain requests, plus the test server's cookie)."""
        self.env.flush_all()
        response = requests.post(self.base_url() + path, data=body, headers=headers, timeout=30,
                                 cookies={"test_request_key": self.canonical_tag})
        self.env.invalidate_all()
        return response

    # --- forging callbacks with the protocol modules (the simulator's own builders) --- #

    def _wechatpay_callback(self, tx, amount_fen=None, out_trade_no=None, private_key=None, api_v3_key=None,
                            timestamp=None):
        provider = tx.provider_id.sudo()
        serial, platform_key = self.env["ev.pay.sandbox.order"]._ev_wechatpay_signer(provider)
        resource = {
            "sp_appid": provider.wechatpay_appid, "sp_mchid": provider.wechatpay_mchid,
            "sub_mchid": provider.wechatpay_sub_mchid, "out_trade_no": out_trade_no or tx.reference,
            "transaction_id": "4200000000000000000000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "success_time": wechatpay_platform.rfc3339_beijing(),
            "amount": {"total": amount_fen if amount_fen is not None else tx._ev_amount_fen(), "currency": "CNY"},
        }
        return wechatpay_platform.build_transaction_notification(
            resource, api_v3_key or provider.ev_sandbox_api_v3_key, serial, private_key or platform_key,
            timestamp=timestamp)

    def _alipay_callback(self, tx, total_amount=None, out_trade_no=None, private_key=None):
        provider = tx.provider_id.sudo()
        fields = {"trade_no": "2026000000000001", "out_trade_no": out_trade_no or tx.reference,
                  "trade_status": "TRADE_SUCCESS", "total_amount": total_amount or tx._ev_amount_yuan(),
                  "subject": "test", "body": ""}
        return alipay_platform.build_notification_form(fields, provider.alipay_app_id,
                                                       private_key or provider.ev_sandbox_platform_private_key)

    def _payments(self, tx):
        return self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])

    @staticmethod
    def _json(response):
        return json.loads(response.content or b"{}")


__all__ = ["EvPaymentCommon", "HttpCase"]
