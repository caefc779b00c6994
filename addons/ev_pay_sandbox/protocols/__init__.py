"""The platform side of the wire protocols: what WeChat Pay, Alipay and the tax platform do with our requests.

They build on the production protocol modules of ev_pay_invoice. Those are registered here as the very same module
objects, so that ``from .alipay import …`` in a platform module works in Odoo as it does in the unit tests (where
tests/unit/conftest.py puts both folders in one ``protocols`` package).
"""
import sys

from odoo.addons.ev_pay_invoice.protocols import alipay, bills, einvoice_rules, keys, nuonuo, uscc, wechatpay

for _module in (alipay, bills, einvoice_rules, keys, nuonuo, uscc, wechatpay):
    sys.modules.setdefault("%s.%s" % (__name__, _module.__name__.rpartition(".")[2]), _module)
