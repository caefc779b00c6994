from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestChineseLabels(TransactionCase):
    """What a dealer reads under the Chinese interface: our labels, not Odoo's words for another meaning
    (docs/glossary.md), and no English left where a column shows a state."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search([("name", "in", ("ev_pay_invoice", "ev_bundle_sale"))]) \
            ._update_translations("zh_CN")
        cls.env.registry.clear_cache()
        cls.zh = cls.env(context=dict(cls.env.context, lang="zh_CN"))

    def _labels(self, model, *fields):
        described = self.zh[model].fields_get(list(fields), ["string"])
        return tuple(described[name]["string"] for name in fields)

    def test_settlement_and_transaction_columns(self):
        # Odoo's own Chinese would say 频道 (channel), 净 (net), 省/州 (state), 排序 (order).
        self.assertEqual(self._labels("ev.settlement", "channel", "net_amount", "state", "provider_id"),
                         ("支付渠道", "净额", "状态", "收款账户"))
        self.assertEqual(self._labels("ev.pay.transaction.record", "channel", "net_amount", "state", "sale_order_id"),
                         ("支付渠道", "净额", "状态", "销售订单"))

    def test_bundle_register_columns(self):
        self.assertEqual(self._labels("ev.bundle", "state", "mode", "user_id", "einvoice_state"),
                         ("状态", "销售类型", "销售员", "数电票"))
        # The e-invoice column's values come from the invoice's own states: translated, not "Failed".
        selection = dict(self.zh["ev.bundle"].fields_get(["einvoice_state"], ["selection"])
                         ["einvoice_state"]["selection"])
        self.assertEqual((selection["issued"], selection["failed"]), ("已开票", "失败"))

    def test_provider_names_are_chinese(self):
        """The collection screen shows the provider's name above each QR code."""
        wechat = self.zh.ref("ev_pay_invoice.payment_provider_wechatpay")
        alipay = self.zh.ref("ev_pay_invoice.payment_provider_alipay")
        self.assertEqual((wechat.name, alipay.name), ("微信支付", "支付宝"))
        self.assertEqual(wechat.copy({"company_id": self.env.company.id}).with_env(self.zh).name, "微信支付",
                         "a store's provider copied from the template keeps the Chinese name")
