"""The accountant's month: a month end at midnight Beijing time, a bill published late, a weekend paid out as one bank
line, a correction after posting, a foreign bill; the month closes with every clearing account at zero."""
import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common_settlement import BEIJING, SettlementCommon

MONTH_END = datetime.date(2026, 10, 31)  # a Saturday
NOVEMBER_1 = MONTH_END + datetime.timedelta(days=1)  # Sunday
MONDAY = MONTH_END + datetime.timedelta(days=2)


def beijing(day, hour, minute):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BEIJING)


@tagged("post_install", "-at_install")
class TestSettlementMonthEnd(SettlementCommon):

    def balance(self, account, date_from=None, date_to=None, journal=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if date_from:
            domain += [("date", ">=", date_from), ("date", "<=", date_to)]
        if journal:
            domain.append(("journal_id", "=", journal.id))
        return round(sum(self.env["account.move.line"].search(domain).mapped("balance")), 2)

    @freeze_time("2026-11-05 02:30:00")  # Thursday 5 November, 10:30 Beijing time
    def test_month_end_closes_with_every_clearing_account_at_zero(self):
        october_sales = [self.paid_at(self.wechat, 100.0, beijing(MONTH_END, 23, 50)),
                         self.paid_at(self.wechat, 200.0, beijing(MONTH_END, 23, 58))]
        november_sales = [self.paid_at(self.wechat, 300.0, beijing(NOVEMBER_1, 0, 5)),
                          self.paid_at(self.wechat, 400.0, beijing(NOVEMBER_1, 0, 10))]
        # Dated on the Beijing day: at 00:05 Beijing it is still 31 October in UTC.
        self.assertEqual([tx.payment_id.date for tx in october_sales + november_sales],
                         [MONTH_END, MONTH_END, NOVEMBER_1, NOVEMBER_1])
        clearing, payout = self.wechat.ev_clearing_account_id, self.wechat.ev_payout_account_id
        fees, journal = self.wechat.ev_fee_account_id, self.wechat.ev_settlement_journal_id
        # The bank line of Monday pays the weekend: Saturday's and Sunday's nets in one line.
        bank_line = self.env["account.bank.statement.line"].create({
            "journal_id": self.company_data["default_journal_bank"].id, "date": MONDAY, "amount": 994.0,
            "payment_ref": "财付通支付科技有限公司 提现"})

        # A bill of another merchant is refused; nothing is written.
        models = ("ev.settlement", "ev.settlement.bill", "ev.settlement.line", "account.move")
        before = [self.env[model].search_count([]) for model in models]
        with self.assertRaisesRegex(UserError, "another merchant.*1999999999"):
            self.import_bill(self.wechat, self.wechat_bill(october_sales, day=MONTH_END, mchid="1999999999"))
        self.assertEqual([self.env[model].search_count([]) for model in models], before)

        # 31 October's bill as first published: the payment of 23:58 is not in it yet.
        first, _created = self.import_bill(self.wechat, self.wechat_bill(october_sales[:1], day=MONTH_END))
        october = first.settlement_id
        self.assertEqual((october.date, october.state), (MONTH_END, "posted"))
        self.assertEqual(october.line_ids.trade_time.replace(tzinfo=datetime.UTC).astimezone(BEIJING),
                         beijing(MONTH_END, 23, 50))
        entry = october.move_id
        late = october.difference_ids.filtered(lambda d: d.kind == "missing")
        self.assertEqual((late.transaction_id, late.cause), (october_sales[1], "late"))
        self.assertIn("midnight", late.advice)

        # Downloaded again the next morning, complete: the new line is an adjustment; the posted entry stays.
        complete, _created = self.import_bill(self.wechat, self.wechat_bill(october_sales, day=MONTH_END))
        self.assertEqual(complete.new_line_count, 1)
        self.assertEqual(october.move_id, entry)
        self.assertAlmostEqual(sum(entry.line_ids.filtered(lambda ln: ln.account_id == payout).mapped("balance")),
                               99.4)
        adjustment = october.move_ids - entry
        self.assertRecordValues(adjustment, [{"date": MONTH_END, "state": "posted"}])
        self.assertIn(adjustment.name, october.message_ids[0].body)
        self.assertEqual(late.state, "resolved")
        self.assertRecordValues(october, [{"gross_amount": 300.0, "fee_amount": 1.8, "net_amount": 298.2,
                                           "state": "posted", "expected_payout_date": MONDAY}])

        # Sunday's bill: posted, and the weekend's bank line matched with both days at once.
        november = self.import_bill(self.wechat, self.wechat_bill(november_sales, day=NOVEMBER_1))[0].settlement_id
        self.assertRecordValues(november, [{"net_amount": 695.8, "expected_payout_date": MONDAY}])
        self.assertRecordValues(october | november, [
            {"state": "paid", "statement_line_ids": bank_line.ids, "payout_date": MONDAY}] * 2)
        self.assertTrue(bank_line.is_reconciled)

        # A correction after posting: Sunday is reset (its entry reversed, the weekend's payout unmatched) and
        # posted again (a new entry); the payout is matched again by the morning run.
        november_entry = november.move_id
        november.action_reset_to_draft()
        self.assertEqual(october.state, "posted", "the bank line paid both days: Saturday waits for it again")
        self.assertFalse(bank_line.is_reconciled)
        reversal = november_entry.reversal_move_ids
        self.assertRecordValues(reversal, [{"state": "posted", "date": NOVEMBER_1}])
        november.action_post()
        self.assertNotIn(november.move_id, november_entry | reversal)
        self.assertEqual(len(november.move_ids), 3)
        self.env["ev.settlement"]._cron_ev_match_payouts()
        self.assertEqual((october | november).mapped("state"), ["paid", "paid"])
        self.assertFalse((october | november).difference_ids.filtered(lambda d: d.state == "open").mapped(
            lambda d: (d.settlement_id.date, d.kind, d.reference)))

        # The month closes: clearing and payout accounts at zero, every line of them reconciled.
        for account in (clearing, payout):
            self.assertEqual(self.balance(account), 0.0, account.name)
            self.assertFalse(self.env["account.move.line"].search_count([
                ("account_id", "=", account.id), ("parent_state", "=", "posted"), ("reconciled", "=", False)]),
                account.name)
        # No entry deleted: the numbers of the settlement journal run without a gap, every entry posted.
        entries = self.env["account.move"].search([("journal_id", "=", journal.id)])
        self.assertEqual(set(entries.mapped("state")), {"posted"})
        for prefix in set(entries.mapped("sequence_prefix")):
            numbers = sorted(entries.filtered(lambda m, p=prefix: m.sequence_prefix == p).mapped("sequence_number"))
            self.assertEqual(numbers, list(range(1, len(numbers) + 1)), prefix)
        # Each amount in its month: October's sales, fees and payout in October, November's in November.
        october_days, november_days = (MONTH_END.replace(day=1), MONTH_END), (NOVEMBER_1, NOVEMBER_1 + datetime.
                                                                               timedelta(days=29))
        self.assertEqual(self.balance(fees, *october_days, journal=journal), 1.8)
        self.assertEqual(self.balance(fees, *november_days, journal=journal), 4.2)
        self.assertEqual(self.balance(payout, *october_days), 298.2)
        self.assertEqual(self.balance(clearing, *october_days), 0.0)
        self.assertEqual(self.balance(clearing, *november_days), 0.0)

        # An Invoicing user opens the entry and reads its lines (the entry form shows none to that user).
        clerk = new_test_user(self.env, login="ev_settlement_clerk", company_id=self.company.id,
                              company_ids=[self.company.id], groups="account.group_account_invoice")
        action = october.with_user(clerk).action_open_entry()
        lines = self.env["account.move.line"].with_user(clerk).search(action["domain"])
        self.assertEqual(lines, (entry | adjustment).line_ids)
        self.assertEqual(set(lines.mapped("account_id.code")) >= {clearing.code, payout.code, fees.code}, True)
        with self.assertRaisesRegex(UserError, "never deleted"):
            (october | november).unlink()

    def test_import_refusals_read_in_chinese(self):
        """Every reason an import is refused, the parser's included, in the accountant's language."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "ev_pay_invoice")])._load_module_terms(
            ["ev_pay_invoice"], ["zh_CN"])
        Settlement = self.Settlement.with_context(lang="zh_CN")
        sale = self.paid_tx(self.wechat, 250.0)
        truncated = self.wechat_bill([sale]).rsplit(b"\n", 3)[0]
        cases = (
            (truncated, self.day, "不是完整的微信支付交易账单.*交易账单在第 \\d+ 行后结束.*文件不完整"),
            (self.wechat_bill([sale], mchid="1999999999"), self.day, "其他商户的账单.*1999999999"),
            (self.wechat_bill([sale], day=self.company._ev_today()), self.company._ev_today(), "尚未结束"),
        )
        for data, day, pattern in cases:
            with self.assertRaisesRegex(UserError, pattern) as caught:
                Settlement._ev_import_bill(self.wechat, data, "bill.csv", bill_date=day, origin="upload")
            self.assertNotRegex(str(caught.exception), r"\b(the|is|not|line|file)\b")
