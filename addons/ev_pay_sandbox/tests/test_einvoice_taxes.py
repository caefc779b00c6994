"""The books agree with the tax bureau: every issued 数电票 declares the tax-excluded amount and the tax that Odoo
booked on the invoice (``amount_untaxed`` / ``amount_tax``), to the fen, read from the XML the tax platform
delivers."""
import re
from decimal import Decimal

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..protocols import nuonuo
from .common_einvoice import TEST_TAX_CODE, EInvoiceCommon


def xml_totals(move):
    """(tax-excluded total, tax total) declared by the e-invoice XML of ``move``."""
    xml = move.ev_einvoice_xml_id.raw.decode()
    return tuple(Decimal(re.search(f"<{tag}>([-0-9.]+)</{tag}>", xml).group(1))
                 for tag in ("TotalAmWithoutTax", "TotalTaxAm"))


def fen(amount):
    return Decimal(f"{amount:.2f}")


@tagged("post_install", "-at_install")
class TestEInvoiceTaxInvariant(EInvoiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat13 = cls.company_data["default_tax_sale"]
        cls.product_c = cls.env["product.product"].create({
            "name": "48V20Ah 锂电池", "ev_tax_classification_code": TEST_TAX_CODE, "ev_tax_code_short_name": "电池",
        })

    def levy(self, percent):
        """The store's tax-included levy tax (small-scale taxpayers), made by the store set-up."""
        return self.store._ev_sales_tax(percent)

    def invoice(self, lines, partner=None, post=True):
        """``lines``: (product, quantity, unit price, discount %, tax)."""
        invoice = self.Move.create({
            "move_type": "out_invoice", "partner_id": (partner or self.person).id,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": quantity, "price_unit": price, "discount": discount,
                "tax_ids": [Command.set(tax.ids)],
            }) for product, quantity, price, discount, tax in lines],
        })
        if post:
            invoice.action_post()
        return invoice

    def issue(self, invoice):
        self.pay(invoice)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued", invoice.ev_einvoice_error)
        return invoice

    def assert_books_equal_einvoice(self, move, sign=1):
        excl, tax = xml_totals(move)
        self.assertEqual((excl, tax), (sign * fen(move.amount_untaxed), sign * fen(move.amount_tax)),
                         f"{move.name}: the e-invoice declares what the books hold")
        self.assertGreater(move.amount_tax, 0, "VAT is booked, not zero")

    def test_13_percent_single_line(self):
        invoice = self.issue(self.invoice([(self.product_a, 1, 3999.0, 0, self.vat13)]))
        self.assertTrue(self.vat13.price_include, "Chinese retail prices include VAT")
        self.assertEqual((invoice.amount_total, invoice.amount_untaxed, invoice.amount_tax), (3999.0, 3538.94, 460.06))
        self.assert_books_equal_einvoice(invoice)
        self.assertIn("<TaxRate>0.13</TaxRate>", invoice.ev_einvoice_xml_id.raw.decode())

    def test_small_scale_1_and_3_percent(self):
        for percent, rate in ((1.0, "0.01"), (3.0, "0.03")):
            invoice = self.issue(self.invoice([(self.product_a, 1, 1999.0, 0, self.levy(percent))]))
            self.assert_books_equal_einvoice(invoice)
            self.assertIn(f"<TaxRate>{rate}</TaxRate>", invoice.ev_einvoice_xml_id.raw.decode())
        self.assertEqual((invoice.amount_untaxed, invoice.amount_tax), (1940.78, 58.22))

    def test_mixed_rates_quantities_and_discounts(self):
        lines = [(self.product_a, 1, 2899.0, 7.5, self.vat13), (self.product_c, 3, 233.33, 0, self.vat13),
                 (self.product_b, 2, 64.5, 12.0, self.levy(3.0)), (self.product_c, 1, 0.99, 0, self.levy(1.0))]
        invoice = self.issue(self.invoice(lines, partner=self.company_buyer))
        self.assert_books_equal_einvoice(invoice)
        # Rounded globally, the tax lines are rounded per rate; the e-invoice lines follow Odoo's distribution.
        self.company.tax_calculation_rounding_method = "round_globally"
        rounded_globally = self.issue(self.invoice(lines))
        self.assert_books_equal_einvoice(rounded_globally)

    def test_red_letter_and_partial_red(self):
        invoice = self.issue(self.invoice([(self.product_a, 1, 2899.0, 5, self.vat13),
                                           (self.product_c, 1, 699.0, 0, self.vat13)]))
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(
            {"mode": "red", "reason": "1"}).action_confirm()
        red = invoice.reversal_move_ids
        self.run_cron()
        self.assertEqual(red.ev_einvoice_state, "issued", red.ev_einvoice_error)
        self.assert_books_equal_einvoice(red, sign=-1)

        # Partial red: the company buyer booked the blue invoice, the battery comes back (销货退回).
        blue = self.issue(self.invoice([(self.product_a, 1, 2899.0, 0, self.vat13),
                                        (self.product_c, 2, 699.0, 0, self.levy(3.0))], partner=self.company_buyer))
        Sandbox = self.env["ev.einvoice.sandbox"]
        platform = Sandbox._new_platform(self.provider)
        before = Sandbox._load(platform, self.provider, numbers=[blue.ev_einvoice_number])
        platform.mark_booked(blue.ev_einvoice_number)
        Sandbox._save(platform, self.provider, before)
        partial = blue._reverse_moves([{"ev_einvoice_red_reason": "1", "ev_einvoice_red_buyer_booked": True}])
        partial.invoice_line_ids.filtered(lambda line: line.product_id == self.product_a).unlink()
        partial.invoice_line_ids.quantity = 1
        partial.action_post()
        self.run_cron()
        self.assertTrue(partial.ev_einvoice_submission_id.red_bill_id, partial.ev_einvoice_error)
        platform = Sandbox._new_platform(self.provider)
        before = Sandbox._load(platform, self.provider, bill_ids=[partial.ev_einvoice_submission_id.red_bill_id])
        platform.buyer_decides(partial.ev_einvoice_submission_id.red_bill_id, agree=True)
        Sandbox._save(platform, self.provider, before)
        partial.ev_einvoice_submission_id.sudo().next_check = False
        self.run_cron()
        self.assertEqual(partial.ev_einvoice_state, "issued", partial.ev_einvoice_error)
        self.assertEqual(partial.amount_total, 699.0)
        self.assert_books_equal_einvoice(partial, sign=-1)


@tagged("post_install", "-at_install")
class TestEInvoiceTaxRefusal(EInvoiceCommon):

    def test_tax_without_einvoice_rate_is_refused_before_submission(self):
        odd = self.company_data["default_tax_sale"].copy({"name": "VAT 2% (wrong)", "amount": 2.0})
        invoice = self.make_invoice(post=False)
        invoice.invoice_line_ids = [Command.create({"product_id": self.product_b.id, "price_unit": 100.0,
                                                    "tax_ids": [Command.set(odd.ids)]})]
        invoice.action_post()
        errors = "\n".join(str(e) for e in invoice._ev_einvoice_check())
        self.assertIn("VAT 2% (wrong)", errors)
        self.assertIn(f"line 2 ({self.product_b.display_name})", errors, "the error names the line")
        with self.assertRaises(UserError):
            invoice.action_ev_einvoice_issue()
        # Paid: requested, then failed by the cron as invoice data, and nothing reaches the platform.
        self.pay(invoice)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "failed")
        self.assertEqual(invoice.ev_einvoice_error_kind, "validation")
        self.assertIn("VAT 2% (wrong)", invoice.ev_einvoice_error)
        self.assertFalse(invoice.ev_einvoice_submission_id.order_no)
        self.assertFalse(self.calls("requestBillingNew"))

    def test_line_without_tax_is_refused(self):
        invoice = self.make_invoice(post=False)
        invoice.invoice_line_ids.tax_ids = [Command.clear()]
        invoice.action_post()
        self.assertIn("has no VAT", "\n".join(str(e) for e in invoice._ev_einvoice_check()))

    def test_exempt_and_not_taxable_zero_rates(self):
        for kind, label, flag in (("exempt", "免税", "03"), ("not_taxable", "不征税", "04")):
            zero = self.store._ev_sales_tax(0.0, kind)
            self.assertEqual(zero.ev_einvoice_zero_rate_kind, kind)
            invoice = self.make_invoice(post=False)
            invoice.invoice_line_ids.tax_ids = [Command.set(zero.ids)]
            invoice.action_post()
            self.assertFalse(invoice._ev_einvoice_check())
            line = nuonuo.build_billing_payload(invoice._ev_einvoice_blue_invoice(self.provider, "Z" + kind[:3]))[
                "order"]["invoiceDetail"][0]
            self.assertEqual((line["taxRate"], line["tax"], line.get("favouredPolicyFlag")), ("0", "0.00", flag))
            self.pay(invoice)
            self.run_cron()
            self.assertEqual(invoice.ev_einvoice_state, "issued", invoice.ev_einvoice_error)
            self.assertIn(f"<TaxRate>{label}</TaxRate>", invoice.ev_einvoice_xml_id.raw.decode())


@tagged("post_install", "-at_install")
class TestStoreSalesTaxes(EInvoiceCommon):

    def test_taxpayer_kind_sets_the_tax_included_default_sales_tax(self):
        collection = self.env.ref("ev_pay_invoice.product_ev_collection").product_tmpl_id
        vat13 = self.company_data["default_tax_sale"]
        self.assertEqual(self.company.account_sale_tax_id, vat13)
        self.assertIn(vat13, collection.taxes_id, "the cashier's Store sale product carries the store's VAT")

        self.store.taxpayer_kind = "small_scale"
        levy = self.company.account_sale_tax_id
        self.assertEqual((levy.amount, levy.price_include, levy.type_tax_use), (1.0, True, "sale"))
        self.assertEqual(collection.taxes_id.filtered(lambda t: t.company_id == self.company), levy)
        three = self.store._ev_sales_tax(3.0)
        self.assertEqual((three.amount, three.price_include), (3.0, True))
        self.assertEqual(three.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax").account_id,
                         vat13.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax").account_id,
                         "the levy is booked on the VAT payable account, as l10n_cn's 13 %")
        # A product with a tax of its own keeps it.
        own = self.env["product.template"].create({"name": "Repair", "company_id": self.company.id,
                                                   "taxes_id": [Command.set(three.ids)]})
        self.store.taxpayer_kind = "general"
        self.assertEqual(self.company.account_sale_tax_id, vat13)
        self.assertEqual(collection.taxes_id.filtered(lambda t: t.company_id == self.company), vat13)
        self.assertEqual(own.taxes_id, three)

    def test_store_sale_collection_carries_the_tax(self):
        self.store.taxpayer_kind = "small_scale"
        wizard = self.env["ev.pay.collection.wizard"].create({
            "amount": 1999.0, "buyer_name": "张三丰", "description": "电动车配件", "company_id": self.company.id,
        })
        order = wizard._ev_create_order()
        self.assertEqual(order.order_line.tax_id, self.company.account_sale_tax_id)
        self.assertEqual((order.amount_total, order.amount_untaxed, order.amount_tax), (1999.0, 1979.21, 19.79))
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual((invoice.amount_untaxed, invoice.amount_tax), (1979.21, 19.79), "booked with its VAT")
        line = invoice._ev_einvoice_blue_invoice(self.provider, "C1").lines[0]
        self.assertEqual(line.goods_name, "电动车配件", "the e-invoice names what was sold, not 'Store sale'")
        self.assertEqual((line.amounts.excl, line.amounts.tax, line.tax_rate.nuonuo_value),
                         (Decimal("1979.21"), Decimal("19.79"), "0.01"))
