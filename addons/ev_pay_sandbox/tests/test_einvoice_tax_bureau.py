"""The tax bureau's own life, over real HTTP against the sandbox tax platform: red-letter confirmation forms with
the bureau's states (waiting for the buyer, lapsing after 72 hours, raised by a buyer against us), the drawer's
login that needs a face or SMS check (issuing pauses and resumes by itself), and the monthly credit line."""
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_einvoice import EInvoiceCommon


class TaxBureauCommon(EInvoiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sandbox = cls.env["ev.einvoice.sandbox"].sudo()
        cls.Forms = cls.env["ev.einvoice.red.form"].sudo()

    def run_queue(self, rounds=10):
        """Run the issuing cron while something is due now (waits it schedules further ahead are kept)."""
        for _round in range(rounds):
            self.Submission._cron_process()
            due = self.Submission.search(self.Submission._due_domain())
            soon = self.Submission.search([("state", "in", ("to_issue", "issuing")),
                                           ("next_check", "<=", fields.Datetime.now() + timedelta(seconds=5))])
            if not due and not soon:
                return
            time.sleep(0.25)
            soon.write({"next_check": False})

    def issued(self, partner=None, price=3999.0):
        invoice = self.make_invoice(partner=partner, price=price)
        self.pay(invoice)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        return invoice

    def red_reverse(self, invoice, reason="1"):
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(
            {"mode": "red", "reason": reason, "note": "退货"}).action_confirm()
        return invoice.reversal_move_ids


@tagged("post_install", "-at_install")
class TestRedConfirmationForms(TaxBureauCommon):

    def _red_waiting_for_the_buyer(self):
        invoice = self.issued(partner=self.company_buyer)
        self.Sandbox._sandbox_buyer_books(self.provider, invoice.ev_einvoice_number)
        credit_note = self.red_reverse(invoice)
        self.run_queue()
        submission = credit_note.ev_einvoice_submission_id
        form = submission.red_form_id
        self.assertEqual(credit_note.ev_einvoice_state, "issuing", "no red e-invoice before the buyer confirms")
        self.assertEqual(form.bill_status, "02")
        self.assertEqual(form.credit_note_id, credit_note)
        self.assertEqual(form.blue_move_id, invoice)
        self.assertAlmostEqual((form.lapses_at - form.requested_at).total_seconds(), 72 * 3600, delta=1)
        self.assertIn("confirm", form.todo)
        self.assertEqual(submission.error, form.todo, "the credit note says what to do while it waits")
        self.assertGreater(submission.next_check, fields.Datetime.now() + timedelta(minutes=4),
                           "a form waiting up to 72 hours is not polled every few seconds")
        self.assertFalse(self.PlatformInvoices.search([("is_red", "=", True)]))
        return invoice, credit_note, form

    def test_red_form_waits_for_the_buyer_then_the_red_invoice_is_issued(self):
        invoice, credit_note, form = self._red_waiting_for_the_buyer()
        self.Sandbox._sandbox_buyer_decides(self.provider, form.bill_id, agree=True)
        self.Forms._cron_poll()
        self.assertEqual(form.bill_status, "04")
        self.run_queue()
        self.assertEqual(credit_note.ev_einvoice_state, "issued")
        self.assertEqual(invoice.ev_einvoice_state, "red_reversed")
        self.assertTrue(form.red_invoice_serial)
        self.assertEqual(self.Forms.search_count([("bill_id", "=", form.bill_id)]), 1, "one record per form")

    def test_refused_form_fails_the_red_invoice_with_what_to_do(self):
        _invoice, credit_note, form = self._red_waiting_for_the_buyer()
        self.Sandbox._sandbox_buyer_decides(self.provider, form.bill_id, agree=False)
        self.Forms._cron_poll()
        self.run_queue()
        self.assertEqual(form.bill_status, "05")
        self.assertEqual(credit_note.ev_einvoice_state, "failed")
        self.assertIn("refused", credit_note.ev_einvoice_error)

    def test_form_lapses_after_72_hours_and_a_retry_raises_a_new_one(self):
        invoice, credit_note, form = self._red_waiting_for_the_buyer()
        self.Sandbox._sandbox_age_red_form(self.provider, form.bill_id, hours=73)
        self.Forms._cron_poll()
        self.assertEqual(form.bill_status, "07")
        self.run_queue()
        self.assertEqual(credit_note.ev_einvoice_state, "failed")
        self.assertIn("72 hours", credit_note.ev_einvoice_error)
        self.assertEqual(invoice.ev_einvoice_state, "issued", "the blue e-invoice still stands")

        credit_note.action_ev_einvoice_retry()
        self.run_queue()
        submission = credit_note.ev_einvoice_submission_id
        self.assertNotEqual(submission.red_bill_id, form.bill_id, "a new form, not the voided one again")
        self.assertEqual(submission.red_form_id.bill_status, "02")
        self.assertEqual(len(self.calls("saveInvoiceRedConfirm", code="E0000")), 2)

    def test_buyer_raised_forms_are_listed_to_confirm_or_refuse(self):
        first = self.issued(partner=self.company_buyer, price=3999.0)
        second = self.issued(partner=self.company_buyer, price=1299.0)
        bill_first = self.Sandbox._sandbox_buyer_raises_red_form(self.provider, first.ev_einvoice_number)
        bill_second = self.Sandbox._sandbox_buyer_raises_red_form(self.provider, second.ev_einvoice_number)
        self.Forms._cron_poll()
        to_decide = self.Forms.search([("needs_our_decision", "=", True)])
        self.assertEqual(set(to_decide.mapped("bill_id")), {bill_first, bill_second})
        form_first = to_decide.filtered(lambda f: f.bill_id == bill_first)
        form_second = to_decide - form_first
        self.assertEqual((form_first.raised_by, form_first.blue_move_id), ("buyer", first))
        self.assertTrue(form_first.lapses_at)
        self.assertIn("Confirm or Refuse", form_first.todo)
        self.assertTrue(any(form_first.bill_no in message.body for message in first.message_ids),
                        "the invoice's chatter tells about the buyer's form")

        form_first.with_user(self.manager).action_confirm()
        self.assertEqual(form_first.bill_status, "04")
        self.assertFalse(form_first.needs_our_decision)
        self.assertTrue(form_first.red_invoice_serial, "the bureau issues the red e-invoice once confirmed")
        form_second.with_user(self.manager).action_refuse()
        self.assertEqual(form_second.bill_status, "06")
        self.assertTrue(self.calls("confirm", code="E0000"))
        with self.assertRaises(UserError):
            form_second.with_user(self.manager).action_confirm()
        self.Forms._cron_poll()  # polling again changes nothing and duplicates nothing
        self.assertEqual(self.Forms.search_count([("raised_by", "=", "buyer")]), 2)


@tagged("post_install", "-at_install")
class TestTaxBureauSession(TaxBureauCommon):

    def test_login_needing_a_check_pauses_issuing_and_resumes_by_itself(self):
        self.provider.sandbox_mode = "login_expired"
        first, second = self.make_invoice(), self.make_invoice(price=1299.0)
        (first | second).action_ev_einvoice_issue()
        self.run_queue()
        for invoice in (first, second):
            self.assertIn(invoice.ev_einvoice_state, ("to_issue", "issuing"), "paused, not failed")
            self.assertEqual(invoice.ev_einvoice_error_kind, "tax_login")
            self.assertIn("face", invoice.ev_einvoice_error)
        self.assertEqual(self.provider.tax_login_state, "needs_face")
        self.assertEqual(self.store.ev_tax_login_state, "needs_face")
        alerts = self.provider.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(alerts), 1, "the manager is alerted once, not once per invoice")
        self.assertFalse(first.activity_ids | second.activity_ids)
        # An invoice paid while the login needs a check is not sent at all: it waits.
        third = self.make_invoice(price=599.0)
        third.action_ev_einvoice_issue()
        self.run_queue()
        self.assertEqual(third.ev_einvoice_state, "to_issue")
        self.assertEqual(third.ev_einvoice_error_kind, "tax_login")
        self.assertFalse(third.ev_einvoice_submission_id.order_no, "nothing reached the platform")

        self.provider.sandbox_mode = "normal"  # the drawer passed the face check
        self.env["ev.einvoice.provider"]._cron_ev_tax_session()
        self.assertEqual(self.provider.tax_login_state, "ok")
        self.assertFalse(self.provider.activity_ids.filtered(lambda a: a.user_id == self.manager), "alert closed")
        self.run_queue()
        for invoice in (first, second, third):
            self.assertEqual(invoice.ev_einvoice_state, "issued")
            submission = invoice.ev_einvoice_submission_id
            self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", submission.order_no)]), 1)
        # The first two reached the bureau and failed there: retried under their serials, never sent again. The
        # third waited unsent and is sent now.
        for invoice in (first, second):
            self.assertTrue(self.calls("reInvoice", invoice.ev_einvoice_submission_id.serial, code="E0000"))
        self.assertFalse(self.calls("reInvoice", third.ev_einvoice_submission_id.serial))

    def test_queue_asks_the_platform_again_and_resumes_without_the_cron_of_the_session(self):
        self.provider.write({"sandbox_mode": "login_expired", "sandbox_login_check": "sms"})
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        self.run_queue()
        self.assertEqual(self.provider.tax_login_state, "needs_sms")
        self.assertIn("SMS", invoice.ev_einvoice_error)
        calls_before = len(self.calls("getCertificationStatus"))
        self.run_queue()  # nothing due: the login is not asked about again within the minute
        self.assertEqual(len(self.calls("getCertificationStatus")), calls_before)

        self.provider.sandbox_mode = "normal"
        self.provider.tax_login_checked_at = fields.Datetime.now() - timedelta(minutes=2)
        invoice.ev_einvoice_submission_id.sudo().next_check = fields.Datetime.now()
        self.run_queue()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertEqual(self.provider.tax_login_state, "ok")

    def test_low_credit_line_is_shown_before_the_sale(self):
        self.provider.sandbox_credit_line = 2000.0
        self.env["ev.einvoice.provider"]._cron_ev_tax_session()
        self.assertEqual(self.provider.credit_line_remaining, 2000.0)
        self.assertEqual(self.store.ev_credit_line_remaining, 2000.0)

        Wizard = self.env["ev.pay.collection.wizard"].with_user(self.manager)
        wizard = Wizard.new({"amount": 3999.0, "company_id": self.company.id})
        self.assertIn("授信额度", wizard.tax_notice)
        self.assertIn("3,999.00", wizard.tax_notice)
        self.assertFalse(Wizard.new({"amount": 1500.0, "company_id": self.company.id}).tax_notice)

        cashier = self.env["ev.cashier.session"].with_user(self.manager).with_company(self.company)
        session = cashier._ev_cashier_session()
        session.draft = {"amount": 3999.0}
        self.assertTrue(any("授信额度" in notice for notice in session._ev_cashier_state()["tax_notices"]),
                        "the cashier shows it before collecting")
        session.draft = {"amount": 800.0}
        self.assertFalse(session._ev_cashier_state()["tax_notices"])

        draft = self.make_invoice(post=False)
        self.assertIn("授信额度", draft.ev_einvoice_tax_notice)
        self.assertFalse(self.make_invoice(price=999.0, post=False).ev_einvoice_tax_notice)
        self.assertTrue(self.calls("getCreditLine", code="E0000"))
