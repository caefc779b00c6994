"""A day in a store in service-provider mode, end to end, over the sandboxes (issue 15, "Done when").

WeChat Pay runs in service-provider mode (服务商模式, ``wechatpay_mode = 'partner'``): the dealer is a sub-merchant
and its fees come from the sub-merchant fund-flow bill. The day brings the live platforms' awkward answers:
a pay-code payment whose first answer is "system error" (kept pending, queried, charged once), a return by a
company buyer who booked its e-invoice (the red-letter confirmation form waits for the buyer's confirmation
before the red e-invoice is issued), and the refund of that return answered PROCESSING whose callback is lost
(settled by the refund query cron). Next morning the bills are imported, fees taken from the sub-merchant
fund-flow bill, the settlements posted, the T+1 payouts matched, and the clearing and payout accounts are at
zero to the fen.
"""
import datetime
import time

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import BATTERY_CODES, CHARGER_CODES, CODES, BundleTestMixin
from odoo.addons.ev_pay_sandbox.tests.common_einvoice import BUYER_USCC, SELLER_USCC, TEST_TAX_CODE
from odoo.addons.ev_pay_sandbox.tests.lossy_proxy import LossyProxy
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon

from .test_day_in_a_store import BEIJING, fee_fen, fen

# The sandbox answers "system error" to a WeChat pay code whose digits after the wallet prefix start with 99.
WECHAT_UNKNOWN_CODE = "139912345678901234"


@tagged("post_install", "-at_install")
class TestDayInAStorePartner(BundleTestMixin, EvPaymentCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        company = cls.company
        company.partner_id.write({"state_id": cls.env.ref("base.state_cn_SH").id, "phone": "021 5555 0000"})
        cls.env.user.groups_id += cls.env.ref("ev_pay_invoice.group_ev_store_manager")
        cls.store = cls.env["ev.store"].create({
            "name": "Xuhui store", "company_id": company.id, "manager_id": cls.manager.id,
            "taxpayer_kind": "general",
        })
        cls.einvoice_provider = cls.env["ev.einvoice.provider"].create({
            "name": "Sandbox", "company_id": company.id, "state": "test",
            "seller_tax_id": SELLER_USCC, "drawer": "王店长", "sandbox_base_url": cls.base_url(),
            "sandbox_issue_delay": 0, "timeout": 30,
        })
        products = cls.env["product.product"].search([("ev_role", "in", ("vehicle", "battery", "charger"))])
        products |= cls.product
        products.categ_id.write({"ev_tax_classification_code": TEST_TAX_CODE})
        cls.product.ev_tax_classification_code = TEST_TAX_CODE
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.company_buyer = cls.env["res.partner"].create({
            "name": "杭州绿行科技有限公司", "is_company": True, "vat": BUYER_USCC, "company_id": company.id,
        })
        cls.Submission = cls.env["ev.einvoice.submission"].sudo()
        cls.TaxSandbox = cls.env["ev.einvoice.sandbox"].sudo()
        cls.Forms = cls.env["ev.einvoice.red.form"].sudo()

    # --- the flows, as the buttons and crons run them ----------------------------------------------------------

    def _pay(self, order, channel):
        tx = order.ev_collection_tx_ids.filtered(lambda t: t.provider_code == channel)
        self._wallet_pay(tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done", order.name)
        return tx

    def _bundle_sale(self, index, vehicle_code, channel):
        bundle, _action = self._sell(vehicle_code=vehicle_code, battery_code=BATTERY_CODES[index],
                                     charger_code=CHARGER_CODES[index], user=self.salesperson)
        order = bundle.sale_order_id
        self.assertEqual((bundle.state, order.state), ("bound", "sale"))
        return order, self._pay(order, channel)

    def _plain_collection(self, amount, channel, partner=None):
        order = self._order(amount=amount, name="配件及维修")
        if partner:
            order.partner_id = partner
        order.action_ev_collect()
        return order, self._pay(order, channel)

    def _codepay_collection(self, amount, code):
        """The cashier scans the buyer's pay code (付款码) for the order, as the till does (the pay code in the
        context of the transaction's creation). A relaying proxy on the wire records what was asked of WeChat Pay.
        Returns the order, the transaction and the requests sent."""
        order = self._order(amount=amount, name="头盔及配件")
        proxy = LossyProxy(self.base_url(), self.canonical_tag)  # no plan: every request relayed, only watched
        self.addCleanup(proxy.close)
        api_base_url = self.wechatpay.ev_api_base_url
        self.wechatpay.ev_api_base_url = "%s/ev_pay/sandbox/wechatpay" % proxy.url
        Transaction = self.env["payment.transaction"].sudo().with_company(self.company).with_context(
            ev_codepay_auth_code=code)
        tx = Transaction._ev_create_qr_transaction(self.wechatpay, amount, order.currency_id, order.partner_invoice_id,
                                                   order.name, sale_order_ids=[(6, 0, order.ids)], ev_codepay=True)
        self.wechatpay.ev_api_base_url = api_base_url
        self.env.invalidate_all()
        return order, tx, [line for _mode, line in proxy.seen]

    def run_einvoice_cron(self, rounds=15):
        """The issuing cron until nothing is due now (a red form waiting for the buyer is polled much later)."""
        for _round in range(rounds):
            self.Submission._cron_process()
            soon = self.Submission.search([("state", "in", ("to_issue", "issuing")),
                                           ("next_check", "<=", fields.Datetime.now()
                                            + datetime.timedelta(seconds=5))])
            due = self.Submission.search(self.Submission._due_domain())
            if not soon and not due:
                return
            time.sleep(0.1)
            soon.write({"next_check": False})

    def _run_refund_cron(self, refund):
        refund.last_state_change = fields.Datetime.now() - datetime.timedelta(minutes=5)
        self.env["payment.transaction"]._cron_ev_query_pending_refunds()
        self.env.invalidate_all()

    def _sub_bill_links(self):
        return self.env["ir.attachment"].sudo().search_count(
            [("name", "=like", "ev_pay_sandbox_sub_bill_%"), ("res_model", "=", "payment.provider")])

    def _balance_fen(self, accounts):
        lines = self.env["account.move.line"].search([("account_id", "in", accounts.ids),
                                                      ("parent_state", "=", "posted"),
                                                      ("company_id", "=", self.company.id)])
        return sum(fen(line.debit) - fen(line.credit) for line in lines)

    # --- the day --------------------------------------------------------------------------------------------

    def test_day_in_a_store_partner(self):
        self.assertEqual(self.wechatpay.wechatpay_mode, "partner", "WeChat Pay runs in service-provider mode")
        today = datetime.datetime.now(BEIJING).date()
        tomorrow = today + datetime.timedelta(days=1)

        # Sales by QR: two bundles, a plain Alipay sale, a plain WeChat sale to a company buyer.
        sales = {
            "bundle_wx": self._bundle_sale(0, CODES["white"][0], "wechatpay"),
            "bundle_ali": self._bundle_sale(1, CODES["white"][1], "alipay"),
            "plain_ali": self._plain_collection(88.8, "alipay"),
            "company_wx": self._plain_collection(1299.0, "wechatpay", partner=self.company_buyer),
        }

        # A pay code whose first answer is "system error": kept pending (the buyer may have paid), queried.
        codepay_order, codepay_tx, sent = self._codepay_collection(66.0, WECHAT_UNKNOWN_CODE)
        self.assertEqual(codepay_tx.state, "pending", "SYSTEM_ERROR may hide a payment: kept, not failed")
        self.assertEqual(sent, ["POST /ev_pay/sandbox/wechatpay/v3/pay/partner/transactions/codepay",
                                "GET /ev_pay/sandbox/wechatpay/v3/pay/partner/transactions/out-trade-no/%s"
                                % codepay_tx.reference],
                         "the sub-merchant's pay code, answered SYSTEM_ERROR, was queried at once, not charged again")
        self.assertTrue(codepay_tx.ev_codepay)
        self._sandbox_order(codepay_tx)._ev_wallet_pay()  # the buyer types the wallet password
        self._deliver()
        codepay_tx._ev_query_provider()
        codepay_order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(codepay_tx.state, "done")
        codepay_tx._ev_query_provider()  # asked again: nothing new
        codepay_order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(len(self._sandbox_order(codepay_tx)), 1, "one order at WeChat Pay")
        self.assertEqual(self._sandbox_order(codepay_tx).state, "paid")
        self.assertEqual(len(self._payments(codepay_tx)), 1, "the pay-code payment is recorded once")
        self.assertEqual(codepay_order.state, "sale")
        sales["codepay_wx"] = (codepay_order, codepay_tx)

        orders = {key: order for key, (order, _tx) in sales.items()}
        txs = {key: tx for key, (_order, tx) in sales.items()}
        for key, order in orders.items():
            invoice = order.invoice_ids
            self.assertEqual(len(invoice), 1, key)
            self.assertEqual((invoice.state, invoice.ev_einvoice_state), ("posted", "to_issue"), key)
        self.run_einvoice_cron()
        for key, order in orders.items():
            self.assertEqual(order.invoice_ids.ev_einvoice_state, "issued", key)
        self.assertTrue(orders["company_wx"].invoice_ids.ev_einvoice_buyer_is_company)

        # The company buyer books (入账确认) its e-invoice, then brings the goods back: the red-letter confirmation
        # form waits for its confirmation; meanwhile the money goes back to the wallet.
        returned = orders["company_wx"].invoice_ids
        self.TaxSandbox._sandbox_buyer_books(self.einvoice_provider, returned.ev_einvoice_number)
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=returned.id).create(
            {"mode": "red", "reason": "1", "note": "退货"}).action_confirm()
        red_note = returned.reversal_move_ids
        self.assertEqual(red_note.ev_refund_source_tx_id, txs["company_wx"])
        self.run_einvoice_cron()
        form = red_note.ev_einvoice_submission_id.red_form_id
        self.assertEqual(form.bill_status, "02", "the form waits for the buyer")
        self.assertEqual(red_note.ev_einvoice_state, "issuing", "no red e-invoice before the buyer confirms")
        self.assertFalse(self.env["ev.einvoice.sandbox.invoice"].search_count([("is_red", "=", True)]))

        # The refund is answered PROCESSING and its callback is lost: pending until the query cron settles it.
        self.env["ir.config_parameter"].sudo().set_param("ev_pay_sandbox.refund_processing", "1")
        red_note.action_ev_refund_to_wallet()
        self.env.invalidate_all()
        refund = txs["company_wx"].child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual(refund.state, "pending", "PROCESSING: not refunded yet")
        self.assertFalse(self._deliver(), "the refund callback is lost")
        self._run_refund_cron(refund)
        self.assertEqual(refund.state, "pending", "still processing at the bank")
        self.env["ev.pay.sandbox.order"].sudo()._ev_sandbox_finish_refunds()
        self.env["ir.config_parameter"].sudo().set_param("ev_pay_sandbox.refund_processing", "")
        self._run_refund_cron(refund)
        self.assertEqual((refund.state, refund.amount), ("done", -1299.0), "the refund query settled it")
        self.assertEqual(self._sandbox_order(txs["company_wx"]).refunded_fen, 129900, "refunded once")
        self.assertEqual(len(self._payments(refund)), 1)

        # The buyer confirms the form: only now is the red e-invoice issued.
        self.assertEqual(red_note.ev_einvoice_state, "issuing")
        self.TaxSandbox._sandbox_buyer_decides(self.einvoice_provider, form.bill_id, agree=True)
        self.Forms._cron_poll()
        self.assertEqual(form.bill_status, "04")
        self.Submission.search([("state", "in", ("to_issue", "issuing"))]).write({"next_check": False})
        self.run_einvoice_cron()
        self.assertEqual(red_note.ev_einvoice_state, "issued")
        self.assertEqual(returned.ev_einvoice_state, "red_reversed")
        self.assertTrue(form.red_invoice_serial)
        self.assertEqual(self.Forms.search_count([("bill_id", "=", form.bill_id)]), 1)

        # Next morning: the bills of the day, WeChat's fees from the sub-merchant fund-flow bill.
        Provider = self.env["payment.provider"]
        links = self._sub_bill_links()
        with freeze_time(datetime.datetime.combine(tomorrow, datetime.time(10, 30), tzinfo=BEIJING)
                         .astimezone(datetime.UTC)):
            Provider._cron_ev_download_bills()
        self.assertGreater(self._sub_bill_links(), links, "the encrypted sub-merchant fund-flow bill was served")
        providers = self.wechatpay | self.alipay
        self.assertFalse(any(providers.mapped("ev_bill_last_error")), providers.mapped("ev_bill_last_error"))
        settlements = self.env["ev.settlement"].search([("provider_id", "in", providers.ids), ("date", "=", today)])
        self.assertEqual(sorted(settlements.bill_ids.mapped("bill_type")),
                         ["alipay_trade", "wechat_fundflow", "wechat_trade"])
        self.assertEqual(sorted(settlements.mapped("channel")), ["alipay", "wechatpay"])

        collected = {"wechatpay": 0, "alipay": 0}
        refunded = {"wechatpay": 129900, "alipay": 0}
        fees = {"wechatpay": -fee_fen(129900), "alipay": 0}
        for tx in txs.values():
            collected[tx.provider_code] += fen(tx.amount)
            fees[tx.provider_code] += fee_fen(fen(tx.amount))
        self.assertEqual(collected, {"wechatpay": 290000 + 129900 + 6600, "alipay": 290000 + 8880})
        payouts = {channel: collected[channel] - refunded[channel] - fees[channel] for channel in collected}

        bank_lines = self.env["account.bank.statement.line"].create([{
            "journal_id": self.bank_journal.id, "date": tomorrow, "amount": payouts[channel] / 100,
            "payment_ref": label,
        } for channel, label in (("wechatpay", "财付通 特约商户 提现 T+1"), ("alipay", "支付宝 提现"))])
        self.env["ev.settlement"]._cron_ev_match_payouts()
        self.env.invalidate_all()

        for settlement in settlements:
            channel = settlement.channel
            self.assertEqual(settlement.state, "paid", channel)
            self.assertEqual(settlement.move_id.state, "posted", channel)
            self.assertEqual(fen(settlement.gross_amount), collected[channel], channel)
            self.assertEqual(fen(settlement.refund_amount), refunded[channel], channel)
            self.assertEqual(fen(settlement.fee_amount), fees[channel], channel)
            self.assertEqual(fen(settlement.net_amount), payouts[channel], channel)
            self.assertEqual(fen(sum(settlement.statement_line_ids.mapped("amount"))), fen(settlement.net_amount),
                             channel)
            self.assertFalse(settlement.difference_ids, channel)
        wechat_settlement = settlements.filtered(lambda s: s.channel == "wechatpay")
        self.assertEqual(fen(wechat_settlement.fund_fee_amount), fees["wechatpay"],
                         "the fees of the sub-merchant fund-flow bill")
        self.assertTrue(all(bank_lines.mapped("is_reconciled")))
        self.assertEqual(settlements.statement_line_ids, bank_lines)

        # The clearing and payout accounts are at zero to the fen.
        for provider in providers:
            self.assertEqual(self._balance_fen(provider.ev_clearing_account_id), 0, provider.code)
            self.assertEqual(self._balance_fen(provider.ev_payout_account_id), 0, provider.code)

        # Every sale paid once, invoiced once; every payment and the refund cleared.
        Payment = self.env["account.payment"]
        for key, order in orders.items():
            done = order.ev_collection_tx_ids.filtered(lambda t: t.state == "done" and t.operation != "refund")
            self.assertEqual(done, txs[key], key)
            self.assertEqual(Payment.search_count([("payment_transaction_id", "=", done.id)]), 1, key)
            invoices = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
            self.assertEqual(len(invoices), 1, key)
            self.assertEqual(fen(invoices.amount_total), fen(done.amount), key)
            self.assertEqual(self._sandbox_order(done).state, "paid", key)
            expected_state = "red_reversed" if key == "company_wx" else "issued"
            self.assertEqual(invoices.ev_einvoice_state, expected_state, key)
        for tx in list(txs.values()) + [refund]:
            clearing = tx.provider_id.ev_clearing_account_id
            lines = tx.payment_id.move_id.line_ids.filtered(lambda line, a=clearing: line.account_id == a)
            self.assertTrue(lines and all(lines.mapped("full_reconcile_id")), tx.reference)
            self.assertTrue(self.env["ev.settlement.line"].search_count([("transaction_id", "=", tx.id)]),
                            tx.reference)
        self.assertFalse(red_note.ev_refund_source_tx_id)
        self.assertIn(red_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.env["payment.transaction"].search_count(
            [("operation", "=", "refund"), ("provider_id", "in", providers.ids)]), 1)
        self.assertFalse(self.env["account.move"].search_count(
            [("company_id", "=", self.company.id), ("ev_einvoice_state", "in", ("to_issue", "issuing", "failed"))]))
        # The day in fen: collections - refunds - fees = payouts received; invoiced = collected - refunded.
        self.assertEqual(sum(collected.values()) - sum(refunded.values()) - sum(fees.values()),
                         sum(fen(amount) for amount in bank_lines.mapped("amount")))
        moves = self.env["account.move"].search([("company_id", "=", self.company.id), ("state", "=", "posted"),
                                                 ("move_type", "in", ("out_invoice", "out_refund"))])
        invoiced = sum(fen(m.amount_total) * (1 if m.move_type == "out_invoice" else -1) for m in moves)
        self.assertEqual(invoiced, sum(collected.values()) - sum(refunded.values()))
        self.assertEqual(len(moves), 5 + 1)
