import base64
import datetime
import gzip
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.ev_pay_invoice.models import ev_settlement
from odoo.addons.ev_pay_invoice.tests.common_cashier import DESKTOP, ScreenTourMixin

from ..models.ev_pay_sandbox_order import _fee_fen
from .common_settlement import SettlementCommon


@tagged("post_install", "-at_install")
class TestSettlement(SettlementCommon):

    def test_clearing_account_per_channel_on_the_payment_method_line(self):
        for provider in (self.wechat, self.alipay):
            clearing = provider.ev_clearing_account_id
            self.assertTrue(clearing.code.startswith("1012"), clearing.code)
            self.assertTrue(clearing.reconcile)
            self.assertEqual(provider._ev_method_line().payment_account_id, clearing)
            self.assertTrue(provider.ev_fee_account_id.code.startswith("6603"))
        self.assertNotEqual(self.wechat.ev_clearing_account_id, self.alipay.ev_clearing_account_id)
        accounts = self.env["account.account"].search_count([])
        (self.wechat | self.alipay)._ev_settlement_setup()
        self.env["payment.provider"]._ev_settlement_setup_all()
        self.assertEqual(self.env["account.account"].search_count([]), accounts, "setting up again adds nothing")
        tx = self.paid_tx(self.wechat, 100.0)
        self.assertEqual(self.clearing_lines(tx).debit, 100.0, "the payment is booked on the clearing account")

    def test_wechat_day_with_refunds_is_settled_posted_and_reconciled(self):
        sale = self.paid_tx(self.wechat, 3999.0)
        partly = self.paid_tx(self.wechat, 2599.0)
        returned = self.paid_tx(self.wechat, 100.0)
        partial_refund = self.refund_tx(partly, 500.0)
        full_refund = self.refund_tx(returned, 100.0)
        bill, created = self.import_bill(self.wechat, self.wechat_bill(
            [sale, partly, returned], [partial_refund, full_refund]))
        self.assertTrue(created)
        settlement = bill.settlement_id
        # fees 0.6 % half up: 23.99 + 15.59 + 0.60, given back 3.00 + 0.60
        self.assertRecordValues(settlement, [{
            "channel": "wechatpay", "date": self.day, "state": "posted", "payment_count": 3, "refund_count": 2,
            "gross_amount": 6698.0, "refund_amount": 600.0, "fee_amount": 36.58, "net_amount": 6061.42,
            "open_difference_count": 0,
        }])
        self.assertEqual(set(settlement.line_ids.transaction_id.ids),
                         {sale.id, partly.id, returned.id, partial_refund.id, full_refund.id})
        self.assertEqual(set(settlement.line_ids.mapped("match_state")), {"matched"})
        move = settlement.move_id
        self.assertEqual(move.state, "posted")
        clearing = self.wechat.ev_clearing_account_id
        by_account = {}
        for line in move.line_ids:
            by_account[line.account_id] = by_account.get(line.account_id, 0.0) + line.balance
        self.assertAlmostEqual(by_account[clearing], -6098.0)
        self.assertAlmostEqual(by_account[self.wechat.ev_fee_account_id], 36.58)
        self.assertAlmostEqual(by_account[self.wechat.ev_payout_account_id], 6061.42)
        for tx in (sale, partly, returned, partial_refund, full_refund):
            lines = self.clearing_lines(tx)
            self.assertTrue(lines.reconciled, tx.reference)
            self.assertTrue(lines.full_reconcile_id, tx.reference)
        self.assertEqual(sale.invoice_ids.payment_state, "paid")
        self.assertFalse(self.env["account.move.line"].search_count([
            ("account_id", "=", clearing.id), ("reconciled", "=", False), ("parent_state", "=", "posted")]))

    def test_busy_day_is_reconciled_in_batches(self):
        """A day larger than a reconcile batch: one entry line per batch, every payment fully reconciled."""
        txs = [self.paid_tx(self.wechat, 100.0 + n) for n in range(5)]
        refunds = [self.refund_tx(txs[n], 10.0) for n in range(3)]
        with patch.object(ev_settlement, "RECONCILE_BATCH", 2):
            bill, _created = self.import_bill(self.wechat, self.wechat_bill(txs, refunds))
        settlement = bill.settlement_id
        self.assertEqual(settlement.state, "posted")
        self.assertEqual(set(settlement.line_ids.mapped("match_state")), {"matched"})
        clearing = self.wechat.ev_clearing_account_id
        entry_lines = settlement.move_id.line_ids.filtered(lambda ln: ln.account_id == clearing)
        self.assertEqual(sorted(entry_lines.mapped("balance")), [-205.0, -201.0, -104.0, 10.0, 20.0],
                         "collections in batches of 2 (100+101, 102+103, 104), refunds too (10+10, 10)")
        self.assertTrue(all(entry_lines.mapped("full_reconcile_id")))
        for tx in txs + refunds:
            self.assertTrue(self.clearing_lines(tx).full_reconcile_id, tx.reference)
        self.assertEqual(settlement.open_difference_count, 0)
        # The amounts stored on every move the batches touched are what a full recomputation gives (the earlier
        # batches' payment moves are spared Odoo's recomputation, which must not leave them stale).
        moves = settlement.move_id | self.env["payment.transaction"].concat(*txs, *refunds).payment_id.move_id
        amount_fields = self.env.registry.field_computed[moves._fields["amount_residual"]] + [
            moves._fields["payment_state"]]
        names = [field.name for field in amount_fields]
        self.env.invalidate_all()
        stored = moves.read(names)
        for field in amount_fields:
            self.env.add_to_compute(field, moves)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(moves.read(names), stored)

    def test_partial_refund_on_a_later_day(self):
        sale = self.paid_tx(self.wechat, 1000.0)
        first, _created = self.import_bill(self.wechat, self.wechat_bill([sale]))
        later = self.day + datetime.timedelta(days=1)
        refund = self.refund_tx(sale, 300.0, day=later)
        second, _created = self.import_bill(self.wechat, self.wechat_bill(refunds=[refund], day=later))
        self.assertNotEqual(first.settlement_id, second.settlement_id)
        self.assertRecordValues(second.settlement_id, [{
            "gross_amount": 0.0, "refund_amount": 300.0, "fee_amount": -1.8, "net_amount": -298.2,
            "state": "posted", "open_difference_count": 0}])
        self.assertTrue(self.clearing_lines(refund).reconciled)
        self.assertTrue(self.clearing_lines(sale).reconciled)

    def test_reimport_changes_nothing(self):
        sale = self.paid_tx(self.wechat, 250.0)
        data = self.wechat_bill([sale])
        bill, created = self.import_bill(self.wechat, data)
        settlement = bill.settlement_id
        counts = (self.env["ev.settlement.line"].search_count([]), self.env["account.move"].search_count([]),
                  settlement.net_amount)
        again, created = self.import_bill(self.wechat, data)
        self.assertFalse(created)
        self.assertEqual(again, bill)
        # The same lines in another file (gzip, as downloaded): a new bill, no new line, nothing re-posted.
        other, created = self.import_bill(self.wechat, gzip.compress(data), name="bill.csv.gz")
        self.assertTrue(created)
        self.assertEqual(other.new_line_count, 0)
        self.assertEqual((self.env["ev.settlement.line"].search_count([]), self.env["account.move"].search_count([]),
                          settlement.net_amount), counts)
        self.assertEqual(settlement.state, "posted")
        # Through the wizard: a notification, nothing changed.
        wizard = self.env["ev.settlement.import.wizard"].create({
            "provider_id": self.wechat.id, "file": base64.b64encode(data), "filename": "bill.csv"})
        action = wizard.action_import()
        self.assertEqual(action["tag"], "display_notification")

    def test_malformed_and_truncated_files_import_nothing(self):
        sale = self.paid_tx(self.wechat, 250.0)
        data = self.wechat_bill([sale])
        truncated = data.rsplit(b"\n", 3)[0]  # summary rows cut off
        wrong_total = data.replace(b"`250.00", b"`205.00", 1)
        alipay_cut = self.alipay_bill([self.paid_tx(self.alipay, 10.0)])[:200]
        before = [self.env[model].search_count([]) for model in
                  ("ev.settlement", "ev.settlement.bill", "ev.settlement.line", "account.move")]
        for provider, content, fragment in ((self.wechat, truncated, "truncated"),
                                            (self.wechat, wrong_total, "summary"),
                                            (self.alipay, alipay_cut, "damaged"),
                                            (self.wechat, b"hello,world\n", "neither")):
            wizard = self.env["ev.settlement.import.wizard"].create({
                "provider_id": provider.id, "file": base64.b64encode(content), "filename": "bad.csv"})
            with self.assertRaisesRegex(UserError, fragment):
                wizard.action_import()
        after = [self.env[model].search_count([]) for model in
                 ("ev.settlement", "ev.settlement.bill", "ev.settlement.line", "account.move")]
        self.assertEqual(before, after)
        with self.assertRaisesRegex(UserError, "cannot be imported for"):
            self.import_bill(self.alipay, data)

    def test_every_mismatch_is_listed_with_what_to_do(self):
        ok = self.paid_tx(self.wechat, 100.0)
        missing = self.paid_tx(self.wechat, 200.0)
        wrong_amount = self.paid_tx(self.wechat, 300.0)
        wrong_fee = self.paid_tx(self.wechat, 400.0)
        stranger = {"sp_mchid": self.wechat.wechatpay_mchid, "sub_mchid": self.wechat.wechatpay_sub_mchid,
                    "transaction_id": "4200999999999999", "out_trade_no": "NOT-OURS-1", "trade_state": "SUCCESS",
                    "success_time": "%sT15:00:00+08:00" % self.day, "amount": {"total": 5000, "currency": "CNY"}}
        data = self.wechat_bill([ok, wrong_amount, wrong_fee], extra=[stranger],
                                amounts={wrong_amount.reference: 29000}, fees={wrong_fee.reference: 500})
        bill, _created = self.import_bill(self.wechat, data)
        settlement = bill.settlement_id
        differences = settlement.difference_ids
        found = {(d.kind, d.reference) for d in differences}
        self.assertEqual(found, {("missing", missing.reference), ("unknown", "NOT-OURS-1"),
                                 ("amount", wrong_amount.reference), ("fee", wrong_fee.reference)})
        self.assertTrue(all(d.advice and d.state == "open" for d in differences))
        fee = differences.filtered(lambda d: d.kind == "fee")
        self.assertEqual((fee.expected, fee.actual), (2.4, 5.0))
        stranger_line = settlement.line_ids.filtered(lambda ln: ln.out_trade_no == "NOT-OURS-1")
        self.assertEqual(stranger_line.match_state, "unknown")
        # The unknown 50.00 and the 10.00 short payment stay open on the clearing account; the rest is reconciled.
        clearing = self.wechat.ev_clearing_account_id
        self.assertTrue(self.clearing_lines(ok).reconciled)
        self.assertFalse(self.clearing_lines(missing).reconciled)
        open_lines = self.env["account.move.line"].search([("account_id", "=", clearing.id),
                                                           ("reconciled", "=", False)])
        self.assertAlmostEqual(sum(open_lines.mapped("amount_residual")), 200.0 - 50.0 + 10.0)
        # The missing payment is in the next day's bill: its difference is resolved.
        next_day = self.day + datetime.timedelta(days=1)
        self.import_bill(self.wechat, self.wechat_bill([missing], day=next_day))
        self.assertEqual(differences.filtered(lambda d: d.kind == "missing").state, "resolved")
        self.assertTrue(self.clearing_lines(missing).reconciled)
        # A difference the accountant resolved stays resolved when the settlement is matched again.
        unknown = differences.filtered(lambda d: d.kind == "unknown")
        unknown.action_resolve()
        settlement._ev_compute_differences()
        self.assertEqual(settlement.difference_ids.filtered(lambda d: d.kind == "unknown").state, "resolved")

    def test_alipay_zip_with_partial_refund(self):
        sale = self.paid_tx(self.alipay, 3999.0)
        other = self.paid_tx(self.alipay, 100.0)
        refund = self.refund_tx(sale, 1000.0)
        bill, _created = self.import_bill(self.alipay, self.alipay_bill([sale, other], [refund]), name="bill.zip")
        self.assertEqual(bill.bill_type, "alipay_trade")
        self.assertRecordValues(bill.settlement_id, [{
            "channel": "alipay", "gross_amount": 4099.0, "refund_amount": 1000.0, "fee_amount": 18.59,
            "net_amount": 3080.41, "state": "posted", "open_difference_count": 0}])
        for tx in (sale, other, refund):
            self.assertTrue(self.clearing_lines(tx).reconciled)

    def test_payout_bank_line_is_matched_and_overdue_payouts_are_listed(self):
        sale = self.paid_tx(self.wechat, 1000.0)
        bill, _created = self.import_bill(self.wechat, self.wechat_bill([sale]))
        settlement = bill.settlement_id
        self.assertEqual(settlement.net_amount, 994.0)
        bank = self.company_data["default_journal_bank"]
        noise = self.env["account.bank.statement.line"].create({
            "journal_id": bank.id, "date": self.day + datetime.timedelta(days=1), "amount": 994.0,
            "payment_ref": "某客户转账"})
        payout = self.env["account.bank.statement.line"].create({
            "journal_id": bank.id, "date": self.day + datetime.timedelta(days=1), "amount": 994.0,
            "payment_ref": "财付通 提现 T+1"})
        self.Settlement._cron_ev_match_payouts()
        self.assertRecordValues(settlement, [{"state": "paid", "statement_line_ids": payout.ids,
                                              "payout_date": payout.date}])
        self.assertTrue(payout.is_reconciled)
        self.assertFalse(noise.is_reconciled)
        payout_account = self.wechat.ev_payout_account_id
        net_line = settlement.move_id.line_ids.filtered(lambda ln: ln.account_id == payout_account)
        self.assertTrue(net_line.full_reconcile_id)
        record = self.env["ev.pay.transaction.record"].search([("reference", "=", sale.reference)])
        self.assertEqual((record.settlement_state, record.payout_date, record.fee), ("paid", payout.date, 6.0))
        # Reset: the bank line is free again, the payments' clearing lines are open; the entry is reversed, not
        # deleted (it was deleted before: a gap in the numbering and nothing in the chatter).
        entry = settlement.move_id
        settlement.action_reset_to_draft()
        self.assertFalse(payout.is_reconciled)
        self.assertFalse(self.clearing_lines(sale).reconciled)
        self.assertFalse(settlement.move_id)
        self.assertTrue(entry.exists())
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.reversal_move_ids.state, "posted")
        self.assertEqual(settlement.move_ids, entry | entry.reversal_move_ids)
        self.assertIn(entry.reversal_move_ids.name, settlement.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "never deleted"):
            settlement.unlink()
        # A settlement days old without payout is listed.
        old_day = self.day - datetime.timedelta(days=5)
        old_sale = self.paid_tx(self.wechat, 50.0, day=old_day)
        old_bill, _created = self.import_bill(self.wechat, self.wechat_bill([old_sale], day=old_day))
        self.assertEqual(old_bill.settlement_id.difference_ids.mapped("kind"), ["no_payout"])

    def test_fund_flow_bill_records_fees_and_withdrawal(self):
        from ..protocols import wechatpay_platform
        sale = self.paid_tx(self.wechat, 1000.0)
        bill, _created = self.import_bill(self.wechat, self.wechat_bill([sale]))
        settlement = bill.settlement_id
        next_day = self.day + datetime.timedelta(days=1)
        entries = [
            {"booked_at": "%s 12:00:00" % self.day, "business_no": sale.provider_reference, "flow_no": "F1",
             "business_name": "交易", "business_type": "交易", "direction": "收入", "amount_fen": 100000,
             "balance_fen": 100000},
            {"booked_at": "%s 12:00:00" % self.day, "business_no": sale.provider_reference, "flow_no": "F2",
             "business_name": "交易", "business_type": "扣除交易手续费", "direction": "支出", "amount_fen": 700,
             "balance_fen": 99300},
        ]
        fund, _created = self.import_bill(self.wechat, wechatpay_platform.build_fundflow_bill(entries).encode(),
                                          name="fund.csv")
        self.assertEqual(fund.bill_type, "wechat_fundflow")
        self.assertEqual(fund.settlement_id, settlement)
        self.assertEqual(settlement.fund_fee_amount, 7.0)
        fee = settlement.difference_ids.filtered(lambda d: d.kind == "fee")
        self.assertEqual((fee.expected, fee.actual), (6.0, 7.0))
        withdrawal = [{"booked_at": "%s 06:00:00" % next_day, "business_no": "W1", "flow_no": "F3",
                       "business_name": "提现", "business_type": "提现", "direction": "支出", "amount_fen": 99400,
                       "balance_fen": 0}]
        self.import_bill(self.wechat, wechatpay_platform.build_fundflow_bill(withdrawal).encode(), name="fund2.csv")
        self.assertEqual((settlement.withdrawal_ref, settlement.withdrawal_date), ("W1", next_day))


@tagged("post_install", "-at_install")
class TestTransactionRecords(SettlementCommon):

    def test_salesperson_sees_collections_and_refunds_with_fees(self):
        sale = self.paid_tx(self.wechat, 500.0)
        refund = self.refund_tx(sale, 100.0)
        pending = self.paid_tx(self.alipay, 80.0, pay=False)
        pending._set_pending()
        self.import_bill(self.wechat, self.wechat_bill([sale], [refund]))
        salesperson = new_test_user(self.env, login="ev_settlement_sales", company_id=self.company.id,
                                    company_ids=[self.company.id],
                                    groups="ev_pay_invoice.group_ev_store_salesperson")
        Records = self.env["ev.pay.transaction.record"].with_user(salesperson)
        records = Records.search([("reference", "in", [sale.reference, refund.reference, pending.reference])])
        values = {r.reference: (r.kind, r.channel, r.amount, r.fee, r.net_amount, r.state, r.settlement_state)
                  for r in records}
        self.assertEqual(values, {
            sale.reference: ("collection", "wechatpay", 500.0, 3.0, 497.0, "done", "settled"),
            refund.reference: ("refund", "wechatpay", -100.0, -0.6, -99.4, "done", "settled"),
            pending.reference: ("collection", "alipay", 80.0, 0.0, 80.0, "pending", "unsettled"),
        })
        self.assertEqual(records.filtered(lambda r: r.reference == refund.reference).invoice_id, sale.invoice_ids)
        groups = Records.read_group([("reference", "in", [sale.reference, refund.reference])],
                                    ["amount:sum", "fee:sum"], ["channel"])
        self.assertEqual((groups[0]["amount"], round(groups[0]["fee"], 2)), (400.0, 2.4))
        other = self.setup_other_company()["company"]
        provider = self.env["payment.provider"].sudo().create({"name": "WeChat Pay", "code": "wechatpay",
                                                               "state": "test", "company_id": other.id})
        foreign = self.env["payment.transaction"].sudo().create({
            "provider_id": provider.id, "payment_method_id": provider._ev_payment_method().id,
            "reference": "OTHER-COMPANY-1", "amount": 10.0, "currency_id": other.currency_id.id,
            "partner_id": self.customer.id, "operation": "online_direct"})
        foreign._set_done()
        everything = self.env["ev.pay.transaction.record"].sudo()
        self.assertEqual(everything.search([("reference", "=", foreign.reference)]).company_id, other)
        self.assertFalse(Records.search([("reference", "=", foreign.reference)]), "other companies' records are hidden")


@tagged("post_install", "-at_install")
class TestSettlementTour(ScreenTourMixin, SettlementCommon, HttpCase):

    def sandbox_order(self, tx, refunds=(), **overrides):
        """The simulated WeChat Pay's own record of ``tx`` (what its bills are made of)."""
        provider = self.wechat
        identity = ({"sp_appid": provider.wechatpay_appid, "sp_mchid": provider.wechatpay_mchid,
                     "sub_mchid": provider.wechatpay_sub_mchid} if provider.wechatpay_mode == "partner"
                    else {"appid": provider.wechatpay_appid, "mchid": provider.wechatpay_mchid})
        return self.env["ev.pay.sandbox.order"].sudo().create({
            "provider_id": provider.id, "channel": "wechatpay", "out_trade_no": tx.reference,
            "platform_trade_no": tx.provider_reference, "amount_fen": round(tx.amount * 100), "state": "paid",
            "paid_at": tx.last_state_change, "identity": identity, "description": "电动自行车",
            "refunded_fen": sum(round(-refund.amount * 100) for refund in refunds),
            "refunds": [{"out_refund_no": refund.reference, "refund_fen": round(-refund.amount * 100),
                         "refund_id": refund.provider_reference,
                         "created": refund.last_state_change.replace(tzinfo=datetime.UTC).isoformat()}
                        for refund in refunds],
            **overrides,
        })

    def test_accountant_downloads_two_days_posts_and_matches_their_payout(self):
        """Chromium, as the accountant: the bills of two days downloaded from the settlement list (the first day
        chosen), the first day's difference resolved, both days posted, the one bank line that pays both matched
        (Match Payout), the entry opened with its lines, then the transaction records and the fees report."""
        first_day, second_day = self.day, self.day + datetime.timedelta(days=1)
        sale = self.paid_tx(self.wechat, 1200.0, day=first_day)
        sale.reference = "S-TOUR-1"
        refund = self.refund_tx(sale, 200.0, day=first_day)
        refund.reference = "S-TOUR-1-R1"
        later_sale = self.paid_tx(self.wechat, 800.0, day=second_day)
        later_sale.reference = "S-TOUR-2"
        self.sandbox_order(sale, [refund])
        self.sandbox_order(later_sale)
        # Paid at the platform, unknown to Odoo.
        self.sandbox_order(sale, out_trade_no="NOT-OURS-7", platform_trade_no="4200777777777777", amount_fen=5000)
        paid_fen = [120000 - 20000 - (_fee_fen(120000) - _fee_fen(20000)), 5000 - _fee_fen(5000),
                    80000 - _fee_fen(80000)]
        # The bank's memo does not name the provider: only the accountant matches it.
        payout = self.env["account.bank.statement.line"].create({
            "journal_id": self.company_data["default_journal_bank"].id, "amount": sum(paid_fen) / 100,
            "date": second_day + datetime.timedelta(days=1), "payment_ref": "网银入账 T+1 结算款"})
        self.screen_tour("ev_settlement_tour", "accountman", size=DESKTOP,
                         url="/odoo/action-ev_pay_invoice.ev_settlement_action",
                         shots=("settlement-download", "settlement-differences", "settlement-payout",
                                "settlement-entry", "settlement-transactions", "settlement-fees"))
        self.env.invalidate_all()
        settlements = self.Settlement.search([("provider_id", "=", self.wechat.id)], order="date")
        self.assertEqual(settlements.mapped("date"), [first_day, second_day])
        self.assertEqual(settlements.mapped("state"), ["paid", "paid"])
        self.assertEqual(settlements.statement_line_ids, payout)
        self.assertTrue(payout.is_reconciled)
        self.assertEqual(settlements.move_id.mapped("state"), ["posted", "posted"])
        self.assertEqual(settlements[0].difference_ids.filtered(lambda d: d.reference == "NOT-OURS-7").state,
                         "resolved")
        for tx in (sale, refund, later_sale):
            self.assertTrue(self.clearing_lines(tx).full_reconcile_id, tx.reference)


@tagged("post_install", "-at_install")
class TestSettlementPayouts(SettlementCommon):

    def bank_line(self, amount, memo, day=None):
        return self.env["account.bank.statement.line"].create({
            "journal_id": self.company_data["default_journal_bank"].id, "date": day or self.day,
            "amount": amount, "payment_ref": memo})

    def settle(self, provider, amount, day):
        bill = self.wechat_bill if provider == self.wechat else self.alipay_bill
        tx = self.paid_tx(provider, amount, day=day)
        return self.import_bill(provider, bill([tx], day=day))[0].settlement_id

    def test_wizard_matches_two_bank_lines_to_two_days_or_says_what_differs(self):
        saturday, sunday = self.day - datetime.timedelta(days=2), self.day - datetime.timedelta(days=1)
        first, second = self.settle(self.wechat, 100.0, saturday), self.settle(self.wechat, 200.0, sunday)
        self.assertEqual((first.net_amount, second.net_amount, first.state), (99.4, 198.8, "posted"))
        part_one, part_two = self.bank_line(150.0, "财付通 提现 1/2"), self.bank_line(148.2, "财付通 提现 2/2")
        noise = self.bank_line(50.0, "某客户转账")
        settlements = first | second
        Wizard = self.env["ev.settlement.payout.wizard"].with_context(active_model="ev.settlement",
                                                                      active_ids=settlements.ids)
        wizard = Wizard.create({})
        self.assertEqual(wizard.settlement_ids, settlements)
        self.assertEqual(wizard.candidate_line_ids.ids, (part_one | part_two | noise).ids, "named lines first")
        self.assertFalse(wizard.statement_line_ids, "no single line pays 298.20: nothing proposed")
        # One line of two: nothing linked, and the wizard says what differs.
        wizard.statement_line_ids = part_one
        self.assertEqual((wizard.due_amount, wizard.paid_amount, round(wizard.gap, 2)), (298.2, 150.0, -148.2))
        self.assertIn("148.2", wizard.problem)
        with self.assertRaisesRegex(UserError, "total 150.0.*owed 298.2"):
            wizard.action_confirm()
        self.assertFalse(part_one.is_reconciled)
        self.assertEqual(settlements.mapped("state"), ["posted", "posted"])
        self.assertFalse(settlements.statement_line_ids)
        # Both lines: both days paid out.
        wizard.statement_line_ids = part_one | part_two
        self.assertFalse(wizard.problem)
        wizard.action_confirm()
        self.assertRecordValues(settlements, [{"state": "paid", "statement_line_ids": (part_one | part_two).ids,
                                               "payout_date": self.day}] * 2)
        self.assertTrue(part_one.is_reconciled and part_two.is_reconciled)
        self.assertFalse(noise.is_reconciled)
        payout = self.wechat.ev_payout_account_id
        self.assertFalse(self.env["account.move.line"].search_count([
            ("account_id", "=", payout.id), ("reconciled", "=", False), ("parent_state", "=", "posted")]))
        # A single day with its exact line is proposed.
        third = self.settle(self.wechat, 300.0, self.day - datetime.timedelta(days=3))
        self.assertEqual(third.state, "posted", "no bank line of 298.20 after that day yet")
        exact = self.bank_line(298.2, "财付通 提现", day=self.day - datetime.timedelta(days=2))
        self.assertEqual(Wizard.with_context(active_ids=third.ids).create({}).statement_line_ids, exact)

    def test_a_payout_that_fails_does_not_stop_the_others(self):
        wechat_day = self.settle(self.wechat, 1000.0, self.day)
        alipay_day = self.settle(self.alipay, 500.0, self.day)
        self.bank_line(994.0, "财付通 提现", day=self.day + datetime.timedelta(days=1))
        self.bank_line(alipay_day.net_amount, "支付宝 提现", day=self.day + datetime.timedelta(days=1))
        # The Alipay payout account was closed by mistake: its payout cannot be booked.
        self.alipay.ev_payout_account_id.deprecated = True
        self.Settlement._cron_ev_match_payouts()
        self.assertEqual(wechat_day.state, "paid")
        self.assertEqual(alipay_day.state, "posted")
        self.assertIn("deprecated", alipay_day.message_ids[0].body)
        self.alipay.ev_payout_account_id.deprecated = False
        self.Settlement._cron_ev_match_payouts()
        self.assertEqual(alipay_day.state, "paid")

    def test_fee_difference_of_an_incomplete_trade_bill_names_it(self):
        from ..protocols import wechatpay_platform
        billed, left_out = self.paid_tx(self.wechat, 1000.0), self.paid_tx(self.wechat, 500.0)
        settlement = self.import_bill(self.wechat, self.wechat_bill([billed]))[0].settlement_id
        moment = "%s 12:00:00" % self.day
        entries = [{"booked_at": moment, "business_no": tx.provider_reference, "flow_no": "F%s" % n,
                    "business_name": "交易", "business_type": kind, "direction": direction, "amount_fen": fen,
                    "balance_fen": 0}
                   for n, (tx, kind, direction, fen) in enumerate([
                       (billed, "交易", "收入", 100000), (billed, "扣除交易手续费", "支出", 600),
                       (left_out, "交易", "收入", 50000), (left_out, "扣除交易手续费", "支出", 300)])]
        self.import_bill(self.wechat, wechatpay_platform.build_fundflow_bill(entries).encode(), name="fund.csv")
        fee = settlement.difference_ids.filtered(lambda d: d.kind == "fee")
        self.assertEqual((fee.expected, fee.actual, fee.cause), (6.0, 9.0, "incomplete_bill"))
        self.assertIn("incomplete", fee.advice)
        self.assertNotIn("fee rate of the merchant account", fee.advice)
        missing = settlement.difference_ids.filtered(lambda d: d.kind == "missing")
        self.assertEqual((missing.transaction_id, missing.cause), (left_out, "incomplete_bill"))
