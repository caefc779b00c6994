import json
import time
from datetime import timedelta
from unittest.mock import patch

import psycopg2
import requests

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..protocols import einvoice_rules as rules
from ..protocols import nuonuo
from ..protocols.uscc import uscc_check_char
from .common_einvoice import BUYER_USCC, EInvoiceCommon


@tagged("post_install", "-at_install")
class TestEInvoiceIssuing(EInvoiceCommon):

    def test_paid_invoice_is_issued_with_files(self):
        invoice = self.make_invoice()
        self.assertEqual(invoice.ev_einvoice_state, "none")
        self.pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        # Requested by the payment, but the platform is called by the cron only, never in that transaction.
        self.assertEqual(invoice.ev_einvoice_state, "to_issue")
        self.assertFalse(self.calls())

        self.Submission._cron_process()
        self.assertEqual(invoice.ev_einvoice_state, "issuing", "the platform accepts first, issues later")
        self.assertTrue(invoice.ev_einvoice_submission_id.serial)
        self.assertLessEqual(len(invoice.ev_einvoice_submission_id.order_no), 20)
        self.run_cron()

        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertTrue(rules.validate_einvoice_number(invoice.ev_einvoice_number, issued_on=fields.Date.today()))
        self.assertEqual(invoice.ev_einvoice_number[2:4], "31", "Shanghai seller")
        self.assertTrue(invoice.ev_einvoice_pdf_id.raw.startswith(b"%PDF"))
        xml = invoice.ev_einvoice_xml_id.raw.decode()
        self.assertIn(f"<EIid>{invoice.ev_einvoice_number}</EIid>", xml)
        self.assertIn("<ItemName>*摩托车*电动自行车 TDT-01</ItemName>", xml)
        self.assertIn(f"<TotalTax-includedAmount>{invoice.amount_total:.2f}</TotalTax-includedAmount>", xml)
        self.assertIn("<TaxRate>0.13</TaxRate>", xml)
        self.assertEqual(len(self.calls("requestBillingNew")), 1)
        # Chatter trail and the buyer's public link.
        bodies = " ".join(invoice.message_ids.mapped("body"))
        self.assertIn(invoice.ev_einvoice_number, bodies)
        # The e-invoice files posted with that message are not invoices to import (Odoo's note on a posted invoice).
        self.assertNotIn("it was not updated from the attachment", bodies)
        response = self.url_open(invoice.ev_einvoice_public_url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"%PDF"))
        wrong = self.url_open(f"/ev_pay/einvoice/{invoice.id}/pdf?access_token=nope")
        self.assertEqual(wrong.status_code, 404)
        # The e-invoice files go with the invoice e-mail.
        attachments = self.env["account.move.send"]._get_invoice_extra_attachments(invoice)
        self.assertIn(invoice.ev_einvoice_pdf_id, attachments)
        self.assertIn(invoice.ev_einvoice_xml_id, attachments)
        # A 数电票 cannot be voided.
        with self.assertRaises(UserError):
            invoice.button_draft()

    def test_cron_run_waits_for_a_check_due_within_seconds(self):
        # Run by the cron worker, one run issues the invoice: the platform's answer is due within seconds, and a
        # future trigger would only wake the worker at its next poll (up to a minute) while the cashier waits.
        invoice = self.make_invoice()
        self.pay(invoice)
        cron = self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue")
        # What the cron worker does with one job (ir.cron._process_job): call it again while it reports work left.
        for _call in range(10):
            cron, progress = cron._add_progress()
            self.Submission.with_context(cron_id=cron.id, ir_cron_progress_id=progress.id)._cron_process()
            if not progress.remaining:
                break
        self.assertFalse(progress.remaining)
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertEqual(len(self.calls("requestBillingNew")), 1)

    def test_store_setting_off_no_automatic_request(self):
        self.store.ev_einvoice_on_payment = False
        invoice = self.make_invoice()
        self.pay(invoice)
        self.assertEqual(invoice.ev_einvoice_state, "none")
        invoice.action_ev_einvoice_issue()
        self.assertEqual(invoice.ev_einvoice_state, "to_issue")

    def test_send_and_print_requests_the_einvoice(self):
        invoice = self.make_invoice()
        send = self.env["account.move.send"]
        self.assertIn("ev_einvoice", send._get_default_extra_edis(invoice))
        wizard = self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({})
        self.assertIn("ev_einvoice", wizard.extra_edis)
        wizard.action_send_and_print()
        self.assertEqual(invoice.ev_einvoice_state, "to_issue")

    def test_outage_then_recovery_without_duplicates(self):
        invoice = self.make_invoice()
        self.provider.sandbox_mode = "outage"
        invoice.action_ev_einvoice_issue()
        self.Submission._cron_process()
        self.assertEqual(invoice.ev_einvoice_state, "failed")
        self.assertEqual(invoice.ev_einvoice_error_kind, "unavailable")
        self.assertTrue(invoice.ev_einvoice_next_check, "retried automatically")
        self.assertGreater(invoice.ev_einvoice_next_check, fields.Datetime.now())
        order_no = invoice.ev_einvoice_submission_id.order_no
        self.assertTrue(order_no)

        # The platform comes back; the automatic retry is due.
        self.provider.sandbox_mode = "normal"
        invoice.ev_einvoice_submission_id.sudo().next_check = fields.Datetime.now()
        self.Submission._cron_process()
        # Down again while issuing: polling fails, nothing is lost.
        self.provider.sandbox_mode = "outage"
        invoice.ev_einvoice_submission_id.sudo().next_check = False
        self.Submission._cron_process()
        self.assertEqual(invoice.ev_einvoice_state, "failed")
        self.provider.sandbox_mode = "normal"
        invoice.action_ev_einvoice_retry()
        self.run_cron()

        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertEqual(invoice.ev_einvoice_submission_id.order_no, order_no, "never a new order number")
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", order_no)]), 1)
        self.assertEqual(len(self.calls("requestBillingNew", order_no, code="E0000")), 1)

    def test_worker_killed_while_issuing_queries_instead_of_issuing_again(self):
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        # What a worker killed mid-issue leaves behind: the order number and the attempt were committed, the
        # platform accepted the invoice, but the answer (the serial) was never saved.
        submission = invoice.ev_einvoice_submission_id.sudo()
        submission.write({"order_no": submission._new_order_no(), "attempts": 1, "state": "issuing"})
        payload = nuonuo.build_billing_payload(invoice._ev_einvoice_blue_invoice(self.provider))
        self.assertTrue(self.provider._ev_call(nuonuo.ApiMethod.REQUEST_BILLING, payload).ok)
        self.assertFalse(invoice.ev_einvoice_submission_id.serial)

        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        order_no = invoice.ev_einvoice_submission_id.order_no
        self.assertEqual(len(self.calls("requestBillingNew", order_no)), 1, "queried, not issued again")
        self.assertTrue(self.calls("queryInvoiceResult", order_no))
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", order_no)]), 1)

    def test_duplicate_order_number_is_queried(self):
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        invoice.ev_einvoice_submission_id.sudo().order_no = invoice.ev_einvoice_submission_id._new_order_no()
        payload = nuonuo.build_billing_payload(invoice._ev_einvoice_blue_invoice(self.provider))
        self.provider._ev_call(nuonuo.ApiMethod.REQUEST_BILLING, payload)
        # attempts is still 0: the cron submits, gets E9106 and queries instead.
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        order_no = invoice.ev_einvoice_submission_id.order_no
        self.assertTrue(self.calls("requestBillingNew", order_no, code="E9106"))
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", order_no)]), 1)

    def test_pending_invoices_are_queried_in_batches(self):
        invoices = self.make_invoice() | self.make_invoice() | self.make_invoice()
        invoices.action_ev_einvoice_issue()
        self.Submission._cron_process()
        self.assertEqual(set(invoices.mapped("ev_einvoice_state")), {"issuing"})
        queries = self.calls("queryInvoiceResult")
        time.sleep(1.2)  # the simulated bureau issues within 0.2 s (it counts in whole seconds)
        invoices.ev_einvoice_submission_id.sudo().write({"next_check": False})
        self.Submission._cron_process()
        self.assertEqual(set(invoices.mapped("ev_einvoice_state")), {"issued"})
        self.assertEqual(len(self.calls("queryInvoiceResult") - queries), 1, "one query for the three invoices")
        for invoice in invoices:
            self.assertEqual(
                self.PlatformInvoices.search_count([("order_no", "=", invoice.ev_einvoice_submission_id.order_no)]), 1)
        # More than 50 serials: split into calls of at most 50 (the protocol refuses more).
        with self.assertRaises(nuonuo.InvoiceDataError):
            nuonuo.build_query_payload(serial_nos=[str(n) for n in range(nuonuo.MAX_QUERY_NUMBERS + 1)])

    def _callback(self, order_no, status="1", number="26312000000000000001"):
        content = json.dumps({"c_orderno": order_no, "c_status": status, "c_fpqqlsh": "FORGED",
                              "c_fphm": number, "c_kprq": "1764230400000", "c_url": "https://evil.example/x.pdf"})
        return self.url_open("/ev_pay/einvoice/nuonuo/callback",
                             data={"operater": "callback", "orderno": order_no, "content": content})

    def test_result_callback_wakes_the_cron_and_the_state_comes_from_a_query(self):
        cron = self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue")
        Triggers = self.env["ir.cron.trigger"].sudo()
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        self.Submission._cron_process()
        self.assertEqual(invoice.ev_einvoice_state, "issuing")
        later = fields.Datetime.now() + timedelta(hours=1)
        invoice.ev_einvoice_submission_id.sudo().next_check = later
        serial = invoice.ev_einvoice_submission_id.serial

        # A forged or unknown callback changes nothing.
        before = Triggers.search([("cron_id", "=", cron.id)])
        response = self._callback("E999999T00000000")
        self.assertEqual(response.json(), nuonuo.CALLBACK_ACK)
        response = self.url_open("/ev_pay/einvoice/nuonuo/callback", data={"operater": "nonsense"})
        self.assertEqual(response.json()["status"], "9999")
        invoice.invalidate_recordset()
        self.assertEqual((invoice.ev_einvoice_state, invoice.ev_einvoice_next_check), ("issuing", later))
        self.assertFalse(Triggers.search([("cron_id", "=", cron.id)]) - before)

        # The platform's callback (its content is not signed, so not trusted) wakes the cron for this invoice.
        time.sleep(1.2)  # the simulated bureau has issued it (0.2 s, counted in whole seconds)
        queries = self.calls("queryInvoiceResult")
        response = self._callback(invoice.ev_einvoice_submission_id.order_no)
        self.assertEqual(response.json(), nuonuo.CALLBACK_ACK)
        invoice.invalidate_recordset()
        self.assertEqual(invoice.ev_einvoice_state, "issuing", "the callback itself sets no state")
        self.assertLessEqual(invoice.ev_einvoice_next_check, fields.Datetime.now(), "due now")
        self.assertTrue(Triggers.search([("cron_id", "=", cron.id)]) - before, "the issuing cron is woken up")
        self.Submission._cron_process()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertTrue(self.calls("queryInvoiceResult") - queries, "the state comes from a query")
        platform = self.PlatformInvoices.search([("order_no", "=", invoice.ev_einvoice_submission_id.order_no)])
        self.assertEqual(invoice.ev_einvoice_submission_id.serial, serial, "not the forged serial")
        self.assertNotEqual(invoice.ev_einvoice_number, "26312000000000000001")
        self.assertEqual(len(platform), 1)
        self.assertTrue(invoice.ev_einvoice_pdf_id.raw.startswith(b"%PDF"), "downloaded from the platform")

        # A late or replayed callback for an issued invoice changes nothing either.
        number = invoice.ev_einvoice_number
        self._callback(invoice.ev_einvoice_submission_id.order_no, status="2")
        invoice.invalidate_recordset()
        self.assertEqual((invoice.ev_einvoice_state, invoice.ev_einvoice_number), ("issued", number))

    def test_tax_bureau_login_expired_alerts_the_manager(self):
        invoice = self.make_invoice()
        self.provider.sandbox_mode = "login_expired"
        invoice.action_ev_einvoice_issue()
        self.run_cron()
        # Paused, not failed (#15.7): the store manager is alerted on the provider, once.
        self.assertEqual(invoice.ev_einvoice_state, "issuing")
        self.assertEqual(invoice.ev_einvoice_error_kind, "tax_login")
        self.assertIn("log in to the electronic tax bureau again", invoice.ev_einvoice_error)
        self.Submission._cron_process()  # run_cron cleared the wait it schedules: the queue sets it again
        self.assertTrue(invoice.ev_einvoice_next_check)
        activity = self.provider.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(activity), 1)
        self.assertIn("tax bureau", activity.summary)

        self.provider.sandbox_mode = "normal"  # the drawer logged in again: the queue finds out by itself
        self.provider.tax_login_checked_at = False
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        submission = invoice.ev_einvoice_submission_id
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", submission.order_no)]), 1)
        self.assertTrue(self.calls("reInvoice", submission.serial, code="E0000"))


@tagged("post_install", "-at_install")
class TestEInvoiceContent(EInvoiceCommon):

    def test_company_buyer_and_small_scale_rate(self):
        # A small-scale store sells at the 1 % levy (tax included): the invoice line carries that tax and the
        # e-invoice line declares Odoo's split of it (the rate came from a store setting before, the line's tax now).
        self.store.write({"taxpayer_kind": "small_scale"})
        levy = self.company.account_sale_tax_id
        self.assertEqual(levy.amount, 1.0)
        invoice = self.make_invoice(partner=self.company_buyer, price=1010.0, taxes=levy)
        self.assertTrue(invoice.ev_einvoice_buyer_is_company)
        blue = invoice._ev_einvoice_blue_invoice(self.provider, order_no="T1")
        order = nuonuo.build_billing_payload(blue)["order"]
        self.assertEqual(order["buyerTaxNum"], BUYER_USCC)
        self.assertEqual(order["invoiceLine"], "pc")
        line = order["invoiceDetail"][0]
        self.assertEqual(line["taxRate"], "0.01")
        self.assertEqual((line["taxExcludedAmount"], line["tax"], line["taxIncludedAmount"]),
                         (f"{invoice.amount_untaxed:.2f}", f"{invoice.amount_tax:.2f}", "1010.00"))
        self.assertEqual(line["tax"], "10.00")
        # A line with the 3 % levy tax is declared at 3 %.
        three = self.store._ev_sales_tax(3.0)
        invoice = self.make_invoice(partner=self.company_buyer, price=1030.0, taxes=three)
        order = nuonuo.build_billing_payload(invoice._ev_einvoice_blue_invoice(self.provider, "T2"))["order"]
        self.assertEqual((order["invoiceDetail"][0]["taxRate"], order["invoiceDetail"][0]["tax"]), ("0.03", "30.00"))

    def test_validation_errors(self):
        def errors_of(invoice):
            return "\n".join(str(e) for e in invoice._ev_einvoice_check())

        ok = self.make_invoice()
        self.assertFalse(ok._ev_einvoice_check())

        no_code = self.make_invoice(products=self.product_b)
        self.product_b.categ_id.ev_tax_classification_code = False
        self.assertIn("no tax classification code", errors_of(no_code))
        with self.assertRaises(ValidationError):
            self.product_b.ev_tax_classification_code = "1090511030000000000"  # Nuonuo's printer example
        with self.assertRaises(ValidationError):
            self.product_b.ev_tax_classification_code = "12345"

        company_no_id = self.make_invoice(partner=self.env["res.partner"].create(
            {"name": "上海某某车行有限公司", "is_company": True}))
        self.assertIn("unified social credit code", errors_of(company_no_id))

        bad_uscc = self.make_invoice(partner=self.company_buyer)
        bad_uscc.ev_einvoice_buyer_tax_id = "91330106MA2AYNWD8X"
        self.assertIn("check character", errors_of(bad_uscc))
        letter_prefix = self.make_invoice(partner=self.company_buyer)
        letter_prefix.ev_einvoice_buyer_tax_id = "Y1330106MA2AYNWD8" + uscc_check_char("Y1330106MA2AYNWD8")
        self.assertFalse(letter_prefix._ev_einvoice_check(), "letter prefixes are valid USCCs")

        no_title = self.make_invoice()
        no_title.ev_einvoice_buyer_name = " "
        self.assertIn("invoice title", errors_of(no_title))

        special_for_person = self.make_invoice()
        special_for_person.ev_einvoice_type = "bs"
        self.assertIn("company buyer", errors_of(special_for_person))

        long_remark = self.make_invoice()
        long_remark.ev_einvoice_remark = "备" * 201
        self.assertIn("at most 200", errors_of(long_remark))

        free_line = self.make_invoice(post=False)
        free_line.invoice_line_ids = [Command.create({"product_id": self.product_a.id, "price_unit": 0.0})]
        free_line.action_post()
        self.assertIn("no positive amount", errors_of(free_line))

        # A validation error is reported before any call and the cron fails it without calling the platform.
        with self.assertRaises(UserError):
            bad_uscc.action_ev_einvoice_issue()
        bad_uscc._ev_einvoice_request()  # what a request without the check would submit
        self.assertEqual(bad_uscc.ev_einvoice_provider_id, self.provider)
        self.Submission._cron_process()
        self.assertEqual(bad_uscc.ev_einvoice_state, "failed")
        self.assertEqual(bad_uscc.ev_einvoice_error_kind, "validation")
        self.assertFalse(bad_uscc.ev_einvoice_next_check, "data errors wait for a fix")
        self.assertFalse(self.calls("requestBillingNew"))
        # Fixed, then retried.
        bad_uscc.ev_einvoice_buyer_tax_id = BUYER_USCC
        bad_uscc.action_ev_einvoice_retry()
        self.run_cron()
        self.assertEqual(bad_uscc.ev_einvoice_state, "issued")

        self.provider.state = "disabled"
        self.assertIn("no active e-invoice provider", errors_of(ok))


@tagged("post_install", "-at_install")
class TestEInvoiceRedLetter(EInvoiceCommon):

    def _issued(self, partner=None):
        invoice = self.make_invoice(partner=partner)
        self.pay(invoice)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        return invoice

    def _wizard(self, invoice, **values):
        return self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(values)

    def test_red_letter_reversal(self):
        invoice = self._issued()
        self._wizard(invoice, mode="red", reason="1", note="顾客退货").action_confirm()
        credit_note = invoice.reversal_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.ev_einvoice_state, "to_issue")
        self.run_cron()

        self.assertEqual(credit_note.ev_einvoice_state, "issued")
        self.assertEqual(invoice.ev_einvoice_state, "red_reversed")
        self.assertTrue(credit_note.ev_einvoice_submission_id.red_bill_no)
        self.assertNotEqual(credit_note.ev_einvoice_number, invoice.ev_einvoice_number)
        self.assertTrue(rules.validate_einvoice_number(credit_note.ev_einvoice_number))
        xml = credit_note.ev_einvoice_xml_id.raw.decode()
        self.assertIn(f"<OriginalInvoiceCode>{invoice.ev_einvoice_number}</OriginalInvoiceCode>", xml)
        self.assertIn(f"-{invoice.amount_total:.2f}", xml)
        form = self.env["ev.einvoice.sandbox.red.form"].search(
            [("bill_id", "=", credit_note.ev_einvoice_submission_id.red_bill_id)])
        self.assertEqual(form.bill_status, "01", "a consumer's invoice needs no buyer confirmation")
        # Only once.
        with self.assertRaises(UserError):
            invoice.action_ev_einvoice_red_wizard()

    def test_partial_red_only_where_allowed(self):
        invoice = self._issued(partner=self.company_buyer)
        credit_note = invoice._reverse_moves([{"ev_einvoice_red_reason": "2"}])
        credit_note.invoice_line_ids.price_unit = 1000.0
        credit_note.action_post()
        self.assertEqual(credit_note.ev_einvoice_state, "to_issue")
        self.run_cron()
        self.assertEqual(credit_note.ev_einvoice_state, "failed")
        self.assertIn("partial red-letter invoice is only allowed", credit_note.ev_einvoice_error)
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertFalse(self.calls("saveInvoiceRedConfirm"))

    def test_reissue_with_corrected_title(self):
        invoice = self._issued()
        with self.assertRaises(ValidationError):
            self._wizard(invoice, mode="reissue", reason="2", buyer_is_company=True, buyer_name="杭州绿行科技有限公司",
                         buyer_tax_id="91330106MA2AYNWD8X").action_confirm()
        self._wizard(invoice, mode="reissue", reason="2", buyer_is_company=True, buyer_name="杭州绿行科技有限公司",
                     buyer_tax_id=BUYER_USCC).action_confirm()
        new_invoice = invoice.ev_einvoice_replaced_by_id
        credit_note = invoice.reversal_move_ids
        self.assertTrue(new_invoice)
        self.assertEqual(new_invoice.ev_einvoice_replaces_id, invoice)
        self.assertTrue(new_invoice.currency_id.is_zero(new_invoice.amount_residual), "paid by the credit note")
        self.assertEqual(new_invoice.payment_state, "paid", "the valid invoice is not shown as reversed (已撤销)")
        self.assertEqual(new_invoice.ev_einvoice_state, "to_issue")
        self.run_cron()

        self.assertEqual(credit_note.ev_einvoice_state, "issued")
        self.assertEqual(invoice.ev_einvoice_state, "replaced")
        self.assertEqual(new_invoice.ev_einvoice_state, "issued")
        xml = new_invoice.ev_einvoice_xml_id.raw.decode()
        self.assertIn("<BuyerName>杭州绿行科技有限公司</BuyerName>", xml)
        self.assertIn(f"<BuyerIdNum>{BUYER_USCC}</BuyerIdNum>", xml)
        # The red invoice came first.
        red_call = self.calls("saveInvoiceRedConfirm")
        blue_call = self.calls("requestBillingNew", new_invoice.ev_einvoice_submission_id.order_no)
        self.assertLess(red_call.id, blue_call.id)


@tagged("post_install", "-at_install")
class TestEInvoiceTour(EInvoiceCommon):

    def test_order_invoices_download_reissue_tour(self):
        invoice = self.make_invoice()
        self.pay(invoice)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        menu = self.env.ref("ev_pay_invoice.menu_ev_order_invoices")
        self.assertEqual(menu.action, self.env.ref("ev_pay_invoice.action_ev_order_invoices"))
        self.assertEqual(menu.parent_id, self.env.ref("ev_pay_invoice.menu_ev_store_sales"))
        self.start_tour("/odoo/action-ev_pay_invoice.action_ev_order_invoices", "ev_einvoice_order_invoices_tour",
                        login=self.manager.login)
        new_invoice = invoice.ev_einvoice_replaced_by_id
        self.assertTrue(new_invoice)
        self.assertEqual(new_invoice.ev_einvoice_buyer_name, "杭州绿行科技有限公司")
        self.assertEqual(new_invoice.ev_einvoice_replaces_id, invoice)
        self.assertEqual(new_invoice.ev_einvoice_state, "to_issue")
        self.assertEqual(invoice.reversal_move_ids.ev_einvoice_state, "to_issue")
        # (After a browser tour the test server refuses cookie-less requests, so the cron is not run here:
        # TestEInvoiceRedLetter.test_reissue_with_corrected_title issues the same flow end to end.)


@tagged("post_install", "-at_install")
class TestEInvoiceSubmission(EInvoiceCommon):
    """The e-invoice as its own document: one submission per chain of attempts, red linked to blue, and the
    queue on the cron's progress API."""

    def test_one_submission_per_attempt_chain(self):
        invoice = self.make_invoice()
        self.provider.sandbox_mode = "outage"
        invoice.action_ev_einvoice_issue()
        self.run_cron()
        submission = invoice.ev_einvoice_submission_id
        self.assertEqual((submission.state, submission.error_kind), ("failed", "unavailable"))
        order_no = submission.order_no
        self.assertTrue(order_no)
        # Asked again by hand and retried: still the same submission and order number, never a new one.
        self.provider.sandbox_mode = "normal"
        invoice.action_ev_einvoice_retry()
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_submission_ids, submission)
        self.assertEqual((submission.state, submission.order_no, submission.kind), ("issued", order_no, "blue"))
        self.assertGreaterEqual(submission.attempts, 2)
        self.assertEqual(invoice.ev_einvoice_number, submission.number)
        self.assertEqual(invoice.ev_einvoice_pdf_id, submission.pdf_id)
        self.assertEqual(submission.pdf_id.res_model, "account.move", "the files are the invoice's attachments")
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", order_no)]), 1)
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.Submission.create({"move_id": self.make_invoice().id, "order_no": order_no})

    def test_red_submission_is_linked_to_the_blue_one(self):
        invoice = self.make_invoice()
        self.pay(invoice)
        self.run_cron()
        blue = invoice.ev_einvoice_submission_id
        self.assertEqual(blue.state, "issued")
        self.env["ev.einvoice.red.wizard"].with_context(default_move_id=invoice.id).create(
            {"mode": "red", "reason": "1"}).action_confirm()
        credit_note = invoice.reversal_move_ids
        red = credit_note.ev_einvoice_submission_id
        self.assertEqual((red.kind, red.state, red.blue_submission_id), ("red", "to_issue", blue))
        self.run_cron()
        self.assertEqual(red.state, "issued")
        self.assertTrue(red.red_bill_no)
        self.assertNotEqual(red.order_no, blue.order_no)
        self.assertEqual(blue.red_submission_ids, red)
        self.assertEqual((blue.state, invoice.ev_einvoice_state), ("red_reversed", "red_reversed"))
        self.assertEqual(invoice.ev_einvoice_submission_ids, blue, "the red one lives on the credit note")
        self.assertEqual(credit_note.ev_einvoice_submission_ids, red)

    def test_crashed_in_flight_submission_is_queried_not_sent_again(self):
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        submission = invoice.ev_einvoice_submission_id.sudo()
        # A worker committed the attempt, sent the invoice and died before saving the answer.
        submission.write({"order_no": submission._new_order_no()})
        submission._start_attempt(self.provider)
        payload = nuonuo.build_billing_payload(invoice._ev_einvoice_blue_invoice(self.provider))
        self.assertTrue(self.provider._ev_call(nuonuo.ApiMethod.REQUEST_BILLING, payload).ok)
        self.assertEqual(invoice.ev_einvoice_state, "issuing", "checking (查询中), not failed")
        # While the call may still be in flight, no other worker picks it up.
        self.assertEqual(self.Submission._cron_process(), 0)
        self.assertEqual(len(self.calls("requestBillingNew", submission.order_no)), 1)
        # After the call's timeout the next run asks the platform first and finds it.
        submission.next_check = fields.Datetime.now()
        queries = self.calls("queryInvoiceResult", submission.order_no)
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertTrue(self.calls("queryInvoiceResult", submission.order_no) - queries)
        self.assertEqual(len(self.calls("requestBillingNew", submission.order_no)), 1, "never sent again")
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", submission.order_no)]), 1)

    def test_lost_answer_is_checked_not_failed(self):
        invoice = self.make_invoice()
        invoice.action_ev_einvoice_issue()
        Provider = type(self.provider)
        send = Provider._ev_request
        lost = []

        def answer_lost_once(provider, method, url, **kwargs):
            response = send(provider, method, url, **kwargs)
            if nuonuo.SERVICES_PATH in url and not lost:
                lost.append(url)
                raise requests.ReadTimeout("read timed out")  # the platform got it; its answer never came back
            return response

        with patch.object(Provider, "_ev_request", answer_lost_once):
            self.Submission._cron_process()
        submission = invoice.ev_einvoice_submission_id.sudo()
        self.assertTrue(lost)
        self.assertEqual((invoice.ev_einvoice_state, submission.error_kind), ("issuing", "unavailable"),
                         "checking (查询中), not failed")
        self.assertGreater(submission.next_check, fields.Datetime.now())
        self.assertEqual(len(self.calls("requestBillingNew", submission.order_no, code="E0000")), 1)
        # At its next check the platform is asked first: the invoice it holds is the one kept.
        submission.next_check = fields.Datetime.now()
        self.run_cron()
        self.assertEqual(invoice.ev_einvoice_state, "issued")
        self.assertFalse(submission.error)
        self.assertEqual(len(self.calls("requestBillingNew", submission.order_no)), 1, "never sent again")
        self.assertEqual(self.PlatformInvoices.search_count([("order_no", "=", submission.order_no)]), 1)

    def test_cron_reports_progress_so_it_runs_again_while_work_remains(self):
        # The platform's answers are not due within this test, however slow the machine: only the third
        # submission, never sent, is work left after the first call.
        self.provider.sandbox_issue_delay = 3600
        invoices = self.make_invoice() | self.make_invoice() | self.make_invoice()
        invoices.action_ev_einvoice_issue()
        cron = self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue")
        cron, progress = cron._add_progress()
        done = self.Submission.with_context(ir_cron_progress_id=progress.id)._cron_process(limit=2)
        self.assertEqual(done, 2)
        self.assertEqual((progress.done, progress.remaining), (2, 1), "one left: the cron runs again at once")
        self.assertEqual(sorted(invoices.mapped("ev_einvoice_state")), ["issuing", "issuing", "to_issue"])
        # (The platform's answers for the first two are not due before the next call, however slow this test.)
        submitted = invoices.ev_einvoice_submission_id.sudo().filtered(lambda s: s.state == "issuing")
        submitted.next_check = fields.Datetime.now() + timedelta(hours=1)
        cron, progress = cron._add_progress()
        self.Submission.with_context(ir_cron_progress_id=progress.id)._cron_process()
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(set(invoices.mapped("ev_einvoice_state")), {"issuing"})
        # The platform's answers are due later: the cron is triggered for then.
        next_check = min(invoices.ev_einvoice_submission_id.mapped("next_check"))
        self.assertGreater(next_check, progress.create_date)
        triggers = self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])
        self.assertIn(next_check, triggers.mapped("call_at"))
