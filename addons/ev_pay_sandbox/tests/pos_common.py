"""Fixtures of the Point of Sale tests: Odoo's POS test set-up with one online payment method that collects by
WeChat Pay or Alipay (the sandbox providers of ``EvPaymentCommon``), and a helmet to sell."""
from odoo.fields import Command

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .payment_common import EvPaymentCommon


class EvPosCommon(TestPointOfSaleHttpCommon, EvPaymentCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ev_method = cls.env["pos.payment.method"].create({
            "name": "WeChat Pay / Alipay", "is_online_payment": True,
            "online_payment_provider_ids": [Command.set((cls.wechatpay | cls.alipay).ids)],
        })
        cls.main_pos_config.write({"payment_method_ids": [Command.link(cls.ev_method.id)]})
        cls.helmet = cls.env["product.product"].create({
            "name": "EV Helmet", "available_in_pos": True, "list_price": 88.0, "taxes_id": [Command.clear()],
        })
