"""A day in a store, end to end, over the sandboxes (issue 8 item 5).

Three bundle sales (scan wizard) and two plain collections are paid by WeChat Pay and Alipay on the simulated
wallets (real HTTP, callbacks delivered to our webhooks), the e-invoices are issued by the cron on the sandbox
tax platform, one sale is returned (red-letter credit note, refunded to the wallet through the provider) and one
e-invoice is reissued with a company title. Then, as on the next morning, the day's three bills are downloaded
from the sandboxes, imported and posted, and the T+1 payouts reach the bank and are reconciled. At the end every
order is paid once and invoiced once, and every fen of the day is accounted for.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import BATTERY_CODES, CHARGER_CODES, CODES, BundleTestMixin
from odoo.addons.ev_pay_sandbox.tests.common_einvoice import BUYER_USCC, SELLER_USCC, TEST_TAX_CODE
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def fen(amount):
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fee_fen(amount_fen):
    """0.6 % of one payment or refund, rounded to the fen per line (the settlement rule of the sandbox)."""
    return int((Decimal(amount_fen) * Decimal("0.006")).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@tagged("post_install", "-at_install")
class TestDayInAStore(BundleTestMixin, EvPaymentCommon):

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
        # The tax classification code (税收分类编码) of everything sold: the bundle items and the plain sales.
        products = cls.env["product.product"].search([("ev_role", "in", ("vehicle", "battery", "charger"))])
        products |= cls.product
        products.categ_id.write({"ev_tax_classification_code": TEST_TAX_CODE})
        cls.product.ev_tax_classification_code = TEST_TAX_CODE
        cls.bank_journal = cls.company_data["default_journal_bank"]

    # --- the flows, as the buttons run them ------------------------------------------------------------------

    def _pay(self, order, channel):
        """The buyer scans the order's QR of ``channel`` and pays in the wallet; the callback reaches us."""
        txs = order.ev_collection_tx_ids
        self.assertTrue(txs, "the order is handed over to collection")
        tx = txs.filtered(lambda t: t.provider_code == channel)
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

    def _plain_collection(self, amount, channel):
        order = self._order(amount=amount, name="配件及维修")
        order.action_ev_collect()
        return order, self._pay(order, channel)

    def run_einvoice_cron(self, rounds=15):
        Submission = self.env["ev.einvoice.submission"].sudo()
        for _round in range(rounds):
            Submission._cron_process()
            pending = Submission.search([("state", "in", ("to_issue", "issuing"))])
            if not pending:
                return
            pending.write({"next_check": False})
        self.fail("e-invoices still pending: %s" % pending.move_id.mapped("name"))

    def _red_wizard(self, invoice, **values):
        return self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(values)

    # --- the day --------------------------------------------------------------------------------------------

    def test_day_in_a_store(self):
        today = datetime.datetime.now(BEIJING).date()
        tomorrow = today + datetime.timedelta(days=1)

        # Morning to evening: three bundles, two plain sales, by WeChat Pay and Alipay.
        sales = {
            "bundle_wx": self._bundle_sale(0, CODES["white"][0], "wechatpay"),
            "bundle_ali": self._bundle_sale(1, CODES["white"][1], "alipay"),
            "bundle_wx2": self._bundle_sale(2, CODES["grey"][0], "wechatpay"),
            "plain_wx": self._plain_collection(1299.0, "wechatpay"),
            "plain_ali": self._plain_collection(88.8, "alipay"),
        }
        orders = {key: order for key, (order, _tx) in sales.items()}
        txs = {key: tx for key, (_order, tx) in sales.items()}
        for key, order in orders.items():
            invoice = order.invoice_ids
            self.assertEqual(len(invoice), 1, key)
            self.assertEqual((invoice.state, invoice.ev_einvoice_state), ("posted", "to_issue"), key)
        self.run_einvoice_cron()
        for key, order in orders.items():
            self.assertEqual(order.invoice_ids.ev_einvoice_state, "issued", key)

        # The buyer of the plain WeChat sale brings it back: red-letter credit note, refunded to the wallet.
        returned = orders["plain_wx"].invoice_ids
        self._red_wizard(returned, mode="red", reason="1", note="顾客退货").action_confirm()
        red_note = returned.reversal_move_ids
        self.assertEqual(red_note.ev_refund_source_tx_id, txs["plain_wx"])
        red_note.action_ev_refund_to_wallet()
        self._deliver()  # the platform's REFUND.SUCCESS callback: nothing new
        self.env.invalidate_all()
        refund = txs["plain_wx"].child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual((refund.state, refund.amount), ("done", -1299.0))
        self.assertEqual(self._sandbox_order(txs["plain_wx"]).refunded_fen, 129900)

        # A company buyer wants its title on the Alipay bundle's e-invoice: reissue (换开).
        reissued = orders["bundle_ali"].invoice_ids
        self._red_wizard(reissued, mode="reissue", reason="2", buyer_is_company=True,
                         buyer_name="杭州绿行科技有限公司", buyer_tax_id=BUYER_USCC).action_confirm()
        self.run_einvoice_cron()

        # Next morning: the bills of the day from both platforms, imported and posted by the cron.
        Provider = self.env["payment.provider"]
        with freeze_time(datetime.datetime.combine(tomorrow, datetime.time(10, 30), tzinfo=BEIJING)
                         .astimezone(datetime.UTC)):
            Provider._cron_ev_download_bills()
        providers = self.wechatpay | self.alipay
        self.assertFalse(any(providers.mapped("ev_bill_last_error")), providers.mapped("ev_bill_last_error"))
        settlements = self.env["ev.settlement"].search([("provider_id", "in", providers.ids), ("date", "=", today)])
        self.assertEqual(sorted(settlements.bill_ids.mapped("bill_type")),
                         ["alipay_trade", "wechat_fundflow", "wechat_trade"])
        self.assertEqual(sorted(settlements.mapped("channel")), ["alipay", "wechatpay"])

        # What the platforms owe, computed here in fen from what was sold and refunded.
        collected = {"wechatpay": 0, "alipay": 0}
        refunded = {"wechatpay": 0, "alipay": 0}
        fees = {"wechatpay": 0, "alipay": 0}
        for tx in txs.values():
            collected[tx.provider_code] += fen(tx.amount)
            fees[tx.provider_code] += fee_fen(fen(tx.amount))
        refunded["wechatpay"] += 129900
        fees["wechatpay"] -= fee_fen(129900)
        payouts = {channel: collected[channel] - refunded[channel] - fees[channel] for channel in collected}
        self.assertEqual(collected, {"wechatpay": 290000 + 290000 + 129900, "alipay": 290000 + 8880})

        # The T+1 payouts reach the bank account and are matched.
        bank_lines = self.env["account.bank.statement.line"].create([{
            "journal_id": self.bank_journal.id, "date": tomorrow, "amount": payouts[channel] / 100,
            "payment_ref": label,
        } for channel, label in (("wechatpay", "财付通 提现 T+1"), ("alipay", "支付宝 提现"))])
        self.env["ev.settlement"]._cron_ev_match_payouts()
        self.env.invalidate_all()

        for settlement in settlements:
            channel = settlement.channel
            self.assertEqual(settlement.state, "paid", channel)
            self.assertEqual(fen(settlement.gross_amount), collected[channel], channel)
            self.assertEqual(fen(settlement.refund_amount), refunded[channel], channel)
            self.assertEqual(fen(settlement.fee_amount), fees[channel], channel)
            self.assertEqual(fen(settlement.net_amount), payouts[channel], channel)
            self.assertEqual(fen(settlement.gross_amount) - fen(settlement.refund_amount)
                             - fen(settlement.fee_amount), fen(settlement.net_amount), channel)
            self.assertEqual(fen(sum(settlement.statement_line_ids.mapped("amount"))), fen(settlement.net_amount),
                             channel)
            self.assertFalse(settlement.difference_ids, channel)
            payout_account = settlement.provider_id.ev_payout_account_id
            net_line = settlement.move_id.line_ids.filtered(lambda line, a=payout_account: line.account_id == a)
            self.assertTrue(net_line.full_reconcile_id, channel)
        wechat_settlement = settlements.filtered(lambda s: s.channel == "wechatpay")
        self.assertEqual(fen(wechat_settlement.fund_fee_amount), fees["wechatpay"])
        self.assertTrue(all(bank_lines.mapped("is_reconciled")))
        self.assertEqual(settlements.statement_line_ids, bank_lines)

        # Every order paid exactly once, invoiced exactly once; every payment and refund cleared.
        Payment = self.env["account.payment"]
        for key, order in orders.items():
            done = order.ev_collection_tx_ids.filtered(lambda t: t.state == "done" and t.operation != "refund")
            self.assertEqual(done, txs[key], key)
            self.assertEqual(Payment.search_count([("payment_transaction_id", "=", done.id)]), 1, key)
            invoices = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
            self.assertEqual(len(invoices), 1, key)
            self.assertEqual(fen(invoices.amount_total), fen(done.amount), key)
            self.assertEqual(self._sandbox_order(done).state, "paid", key)
            expected_state = {"plain_wx": "red_reversed", "bundle_ali": "replaced"}.get(key, "issued")
            self.assertEqual(invoices.ev_einvoice_state, expected_state, key)
            self.assertTrue(invoices.ev_einvoice_number, key)
        for tx in list(txs.values()) + [refund]:
            clearing = tx.provider_id.ev_clearing_account_id
            lines = tx.payment_id.move_id.line_ids.filtered(lambda line, a=clearing: line.account_id == a)
            self.assertTrue(lines and all(lines.mapped("full_reconcile_id")), tx.reference)
            self.assertTrue(self.env["ev.settlement.line"].search_count([("transaction_id", "=", tx.id)]),
                            tx.reference)
        # The return: credit note issued (red), refunded through WeChat Pay once, nothing left to refund.
        self.assertEqual(red_note.ev_einvoice_state, "issued")
        self.assertEqual(Payment.search_count([("payment_transaction_id", "=", refund.id)]), 1)
        self.assertFalse(red_note.ev_refund_source_tx_id)
        self.assertIn(red_note.payment_state, ("paid", "in_payment"))
        # The reissue: red credit note and new invoice issued, no money moved.
        new_invoice = reissued.ev_einvoice_replaced_by_id
        self.assertEqual((new_invoice.state, new_invoice.ev_einvoice_state), ("posted", "issued"))
        self.assertEqual(new_invoice.ev_einvoice_buyer_name, "杭州绿行科技有限公司")
        self.assertEqual(reissued.reversal_move_ids.ev_einvoice_state, "issued")
        self.assertTrue(new_invoice.currency_id.is_zero(new_invoice.amount_residual))
        self.assertFalse(txs["bundle_ali"].child_transaction_ids.filtered(lambda t: t.operation == "refund"))
        # Nothing else was refunded anywhere, and no e-invoice is left pending or failed.
        self.assertEqual(self.env["payment.transaction"].search_count(
            [("operation", "=", "refund"), ("provider_id", "in", providers.ids)]), 1)
        self.assertFalse(self.env["account.move"].search_count(
            [("company_id", "=", self.company.id), ("ev_einvoice_state", "in", ("to_issue", "issuing", "failed"))]))
        # The day in fen: collections - refunds - fees = payouts received.
        self.assertEqual(sum(collected.values()) - sum(refunded.values()) - sum(fees.values()),
                         sum(fen(amount) for amount in bank_lines.mapped("amount")))
        self.assertEqual(sum(fen(s.net_amount) for s in settlements), sum(payouts.values()))
        # Invoiced = collected: the day's posted invoices less its credit notes equal what was kept.
        moves = self.env["account.move"].search([("company_id", "=", self.company.id), ("state", "=", "posted"),
                                                 ("move_type", "in", ("out_invoice", "out_refund"))])
        invoiced = sum(fen(m.amount_total) * (1 if m.move_type == "out_invoice" else -1) for m in moves)
        self.assertEqual(invoiced, sum(collected.values()) - sum(refunded.values()))
        self.assertEqual(len(moves), 5 + 1 + 2)
        self.assertEqual(len(moves.filtered(lambda m: m.move_type == "out_refund")), 2)
