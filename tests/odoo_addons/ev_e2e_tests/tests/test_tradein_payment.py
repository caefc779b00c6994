"""A trade-in from the scan to the programme's payment of the subsidy, and to a refund, over the sandboxes.

The buyer pays their part on the simulated wallet (real HTTP, the platform's callback delivered to our webhook),
the e-invoice is issued by the cron on the sandbox tax platform, the programme's payment is registered with
Odoo's payment wizard, the refund goes back to the wallet through the provider's refund API.
"""
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.ev_bundle_sale.tests.common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE
from odoo.addons.ev_bundle_sale.tests.test_tradein import TradeinMixin
from odoo.addons.ev_pay_sandbox.tests.common_einvoice import SELLER_USCC, TEST_TAX_CODE
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon
from odoo.addons.ev_pay_sandbox.tests.test_einvoice_taxes import fen, xml_totals


@tagged("post_install", "-at_install")
class TestTradeinPayment(TradeinMixin, EvPaymentCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tradein()
        company = cls.company
        company.partner_id.write({"state_id": cls.env.ref("base.state_cn_SH").id, "phone": "021 5555 0000"})
        cls.env.user.groups_id += cls.env.ref("ev_pay_invoice.group_ev_store_manager")
        cls.store = cls.env["ev.store"].create({"name": "Xuhui store", "company_id": company.id,
                                                "manager_id": cls.manager.id, "ev_min_sale_percent": 90})
        cls.env["ev.einvoice.provider"].create({
            "name": "Sandbox", "company_id": company.id, "state": "test",
            "seller_tax_id": SELLER_USCC, "drawer": "王店长", "sandbox_base_url": cls.base_url(),
            "sandbox_issue_delay": 0, "timeout": 30,
        })
        products = cls.env["product.product"].search([("ev_role", "in", ("vehicle", "battery", "charger"))])
        products.categ_id.write({"ev_tax_classification_code": TEST_TAX_CODE})
        cls.vat13 = cls.env["account.tax"].create({
            "name": "VAT 13% incl.", "amount": 13, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": company.id,
        })
        for key in ("vehicle", "battery", "charger"):
            cls.catalogue[key].taxes_id = cls.vat13
        cls.vehicle.ev_motor_model = "48V350W-10ZW"
        cls.bank_journal = cls.company_data["default_journal_bank"]

    def _issue_einvoices(self):
        Submission = self.env["ev.einvoice.submission"].sudo()
        for _round in range(15):
            Submission._cron_process()
            pending = Submission.search([("state", "in", ("to_issue", "issuing"))])
            if not pending:
                return
            pending.write({"next_check": False})
        self.fail("e-invoices still pending: %s" % pending.move_id.mapped("name"))

    def _paid_trade_in(self, index=0, amount=2850.0):
        """A salesperson's trade-in at a changed sale amount, paid by the buyer with WeChat Pay."""
        bundle, _action = self._sell(
            vehicle_code=VEHICLE_CODES_WHITE[index], battery_code=BATTERY_CODES[index],
            charger_code=CHARGER_CODES[index], user=self.salesperson, mode="trade_in",
            sale_amount=amount, old_brand="雅迪", old_code=f"沪A·1234{index}", old_battery_type="lead_acid")
        order = bundle.sale_order_id
        tx = order.ev_collection_tx_ids.filtered(lambda t: t.provider_code == "wechatpay")
        self.assertEqual(tx.amount, amount - 500, "the QR collects the price less the subsidy")
        self._wallet_pay(tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        return bundle.tradein_id, order, tx

    def _register_payment(self, lines, journal=None):
        action = lines.action_register_payment()
        wizard = self.env[action["res_model"]].with_context(action["context"]).create({
            "journal_id": (journal or self.bank_journal).id})
        return wizard._create_payments()

    def test_trade_in_from_scan_to_programme_payment_and_refund(self):
        tradein, order, tx = self._paid_trade_in(amount=2850.0)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1, "one final invoice, not a down payment")
        # The buyer's invoice is for the full amount; their payment and the subsidy entry pay it.
        self.assertEqual((invoice.partner_id, invoice.amount_total, invoice.state),
                         (order.partner_id, 2850.0, "posted"))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.currency_id.compare_amounts(sum(invoice.invoice_line_ids.mapped("price_total")),
                                                             2850.0), 0, "the lines add up to the sale amount")
        self.assertTrue(all(line.tax_ids == self.vat13 for line in invoice.invoice_line_ids
                            if line.price_total), "each line carries its product's tax")
        self.assertEqual(tx.payment_id.amount, 2350.0)
        self.assertRecordValues(tradein, [{"subsidy_state": "due", "subsidy_due": 500, "subsidy_paid": 0}])
        entry = tradein.subsidy_move_id
        self.assertEqual(entry.state, "posted")
        programme_line = entry.line_ids.filtered(lambda line: line.partner_id == self.programme)
        self.assertEqual((programme_line.balance, programme_line.account_id.account_type),
                         (500.0, "asset_receivable"))
        buyer_line = entry.line_ids - programme_line
        self.assertTrue(buyer_line.reconciled)
        self.assertEqual(buyer_line.full_reconcile_id, invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable").full_reconcile_id)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_invoice"),
                                                          ("partner_id", "=", self.programme.id)]),
                         "no VAT invoice to the programme")
        # The e-invoice: full price, the 以旧换新 remarks.
        self.assertEqual(invoice.ev_einvoice_state, "to_issue", "issued once the buyer's part is paid")
        self._issue_einvoices()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        # The books agree with the tax bureau: the full price's tax-excluded amount and VAT, to the fen.
        self.assertGreater(invoice.amount_tax, 0)
        self.assertEqual(xml_totals(invoice), (fen(invoice.amount_untaxed), fen(invoice.amount_tax)))
        platform = self.env["ev.einvoice.sandbox.invoice"].search(
            [("order_no", "=", invoice.ev_einvoice_submission_id.order_no)])
        self.assertEqual(len(platform), 1)
        remark = invoice._ev_einvoice_blue_invoice(invoice.ev_einvoice_provider_id).remark
        for expected in ("以旧换新补贴：500.00元", "电机型号：48V350W-10ZW", "电池类型：石墨烯铅酸",
                         f"整车编码：{VEHICLE_CODES_WHITE[0]}"):
            self.assertIn(expected, remark)
        # The open receivables of the programme list it; the programme pays.
        action = self.env.ref("ev_bundle_sale.ev_subsidy_receivable_action")
        open_items = self.env["account.move.line"].search(safe_eval(action.domain) + [("reconciled", "=", False)])
        self.assertEqual(open_items, programme_line)
        self._register_payment(programme_line)
        self.assertRecordValues(tradein, [{"subsidy_state": "paid", "subsidy_due": 0, "subsidy_paid": 500}])

        # The buyer returns the bike: a red-letter credit note, refunded to the wallet.
        red = self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(
            {"mode": "red", "reason": "1", "note": "顾客退货"})
        red.action_confirm()
        credit_note = invoice.reversal_move_ids
        self.assertEqual(credit_note.amount_total, 2850.0)
        self.assertEqual(credit_note.amount_residual, 2350.0, "what the buyer paid is what goes back to them")
        self.assertRecordValues(tradein, [{"subsidy_state": "to_return", "subsidy_due": -500, "subsidy_paid": 500}])
        credit_note.action_ev_refund_to_wallet()
        self._deliver()
        self.env.invalidate_all()
        refund = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual((refund.state, refund.amount), ("done", -2350.0))
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 235000)
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        # The store pays the subsidy back to the programme.
        self._register_payment(tradein.subsidy_line_ids.filtered(lambda line: not line.reconciled))
        self.assertRecordValues(tradein, [{"subsidy_state": "closed", "subsidy_due": 0, "subsidy_paid": 0}])

    def test_refund_before_the_programme_paid_cancels_the_subsidy(self):
        tradein, order, tx = self._paid_trade_in(index=1, amount=2900.0)
        invoice = order.invoice_ids
        self._issue_einvoices()
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(
            {"mode": "red", "reason": "1"}).action_confirm()
        credit_note = invoice.reversal_move_ids
        self.assertEqual(credit_note.amount_residual, 2400.0)
        self.assertRecordValues(tradein, [{"subsidy_state": "closed", "subsidy_due": 0, "subsidy_paid": 0}])
        self.assertFalse(tradein.subsidy_line_ids.filtered(lambda line: not line.reconciled),
                         "nothing is owed either way")
        credit_note.action_ev_refund_to_wallet()
        self.env.invalidate_all()
        self.assertEqual(tx.child_transaction_ids.filtered(lambda t: t.operation == "refund").amount, -2400.0)

    def test_reissue_keeps_the_subsidy_and_its_remark(self):
        tradein, order, _tx = self._paid_trade_in(index=2, amount=2900.0)
        invoice = order.invoice_ids
        self._issue_einvoices()
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create({
            "mode": "reissue", "reason": "2", "buyer_is_company": False, "buyer_name": "张三（更正）",
        }).action_confirm()
        new_invoice = invoice.ev_einvoice_replaced_by_id
        self.assertIn("以旧换新补贴：500.00元", new_invoice.ev_einvoice_remark)
        self.assertRecordValues(tradein, [{"subsidy_state": "due", "subsidy_due": 500}])
        self.assertFalse(tradein.subsidy_return_move_id, "a reissue is no refund")
