import collections
import logging
import secrets
import threading
import time
from datetime import UTC, timedelta

import psycopg2
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..protocols import einvoice_rules as rules
from ..protocols import nuonuo
from ..protocols.nuonuo import ApiMethod, InvoiceState, Outcome
from .ev_einvoice_provider import EInvoiceUnavailable
from .ev_einvoice_provider_tax_session import TAX_LOGIN_RECHECK

_logger = logging.getLogger(__name__)

SUBMISSION_STATES = [
    ("to_issue", "To issue"),
    ("issuing", "Issuing"),
    ("issued", "Issued"),
    ("failed", "Failed"),
    ("red_reversed", "Red-reversed"),
    ("replaced", "Replaced"),
]
# Automatic retries after a transient failure (seconds): 1, 2, 5, 10, 30 minutes, then hourly.
RETRY_DELAYS = (60, 120, 300, 600, 1800, 3600)
MAX_AUTO_RETRIES = 24
POLL_MIN_DELAY = 1.0
# Submissions handled per cron call; the cron's progress API runs it again at once while more are due.
CRON_BATCH_SIZE = 50
# A check due this soon (seconds) is waited for by the cron worker (see _cron_process).
WAIT_FOR_SOON_CHECK = 10
# Submissions the cron worker handles side by side (threads, each with its own cursor): mostly waiting for the
# platform's answers, they overlap.
PARALLEL_SUBMISSIONS = 4
# For this long (seconds) the threads also take the submissions that fall due while they work, then the cron call
# ends and reports its progress.
REFILL_SECONDS = 30
# The due submissions in this order: a retry, then one the platform has accepted (its result, the e-invoice the
# buyer waits for), then a new one ('failed' < 'issuing' < 'to_issue'); each kind the longest due first. Taking the
# new ones first (their check date is empty) kept the accepted ones waiting for as long as invoices kept coming.
DUE_ORDER = "state, next_check asc nulls first, id"
# While it waits, the cron worker looks for newly due submissions this often (seconds).
WAIT_SLICE = 0.25
# The cron call ends once its threads have had nothing to do, nor anything due soon, for this long (seconds).
IDLE_END_SECONDS = 1.0
# A submission another worker held when a thread came to it is taken again after this long (seconds).
SKIPPED_RETRY_AFTER = 1.0
# A red form waiting for the other party's confirmation (up to 72 h) is asked about this often (seconds); the red
# form cron also wakes the submission as soon as it sees the form change.
RED_FORM_WAIT_POLL = 300


class EvEinvoiceSubmission(models.Model):
    """One submission of an invoice to the tax platform: a blue e-invoice of a customer invoice, or the red-letter
    e-invoice (with its red confirmation form) of a credit note. It keeps one order number for its whole chain of
    attempts and retries, so that an order number reaches the platform once; a correction is a new submission on
    the credit note (red) or on the reissued invoice (blue), linked to the blue one it corrects."""

    _name = "ev.einvoice.submission"
    _description = "E-invoice Submission (数电票)"
    _order = "id desc"

    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, index=True,
                              ondelete="cascade")
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    kind = fields.Selection([("blue", "Blue e-invoice"), ("red", "Red-letter e-invoice")], required=True,
                            readonly=True, default="blue")
    provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", readonly=True, index=True)
    state = fields.Selection(SUBMISSION_STATES, default="to_issue", required=True, readonly=True, index=True)
    order_no = fields.Char(
        string="E-invoice Order Number", size=20, readonly=True, index="btree_not_null", copy=False,
        help="Our own idempotency key at the provider, stored before the first call and never changed.",
    )
    serial = fields.Char(string="Platform Serial", readonly=True, copy=False)
    number = fields.Char(string="E-invoice Number", readonly=True, index="btree_not_null", copy=False,
                         help="The 20-digit number of the fully digital e-invoice.")
    issued_at = fields.Datetime(string="Issued On", readonly=True)
    qr_code = fields.Char(string="Tax QR Payload", readonly=True)
    error = fields.Text(readonly=True)
    error_kind = fields.Selection(
        [("validation", "Invoice data"), ("unavailable", "Platform unavailable"),
         ("tax_login", "Paused: tax-bureau login needs a check"), ("platform", "Refused by the platform")],
        string="Error Kind", readonly=True,
    )
    attempts = fields.Integer(string="Submissions", readonly=True,
                              help="Calls that may have reached the platform; after the first, it is asked first.")
    retry_count = fields.Integer(string="Retries", readonly=True)
    next_check = fields.Datetime(string="Next Check", readonly=True, index=True)
    pdf_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    xml_id = fields.Many2one("ir.attachment", string="XML", readonly=True)
    blue_submission_id = fields.Many2one(
        "ev.einvoice.submission", string="Red-reverses", readonly=True, index="btree_not_null",
        help="For a red-letter e-invoice: the blue e-invoice it reverses.")
    red_submission_ids = fields.One2many("ev.einvoice.submission", "blue_submission_id", string="Red-letter")
    red_bill_id = fields.Char(string="Red Form Application ID", size=32, readonly=True)
    red_bill_no = fields.Char(string="Red Confirmation Form", readonly=True)
    red_form_state = fields.Char(string="Red Form Status", readonly=True)
    red_form_id = fields.Many2one("ev.einvoice.red.form", string="Red Confirmation Form Record", readonly=True,
                                  index="btree_not_null")

    _sql_constraints = [
        ("order_no_unique", "UNIQUE(order_no)", "An e-invoice order number is used once."),
    ]

    @api.depends("move_id.name", "kind", "order_no")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for submission in self:
            submission.display_name = " · ".join(
                part for part in (submission.move_id.name, kinds.get(submission.kind), submission.order_no) if part)

    @api.model_create_multi
    def create(self, vals_list):
        submissions = super().create(vals_list)
        submissions.move_id._ev_einvoice_state_changed()
        return submissions

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            self.move_id._ev_einvoice_state_changed()
        return result

    # ------------------------------------------------------------------------------------------------------------
    # The issuing cron: Odoo's progress API, one submission per transaction
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _due_domain(self):
        now = fields.Datetime.now()
        return [
            "|",
            "&", ("state", "in", ("to_issue", "issuing")),
            "|", ("next_check", "=", False), ("next_check", "<=", now),
            "&", ("state", "=", "failed"),
            "&", ("next_check", "!=", False), ("next_check", "<=", now),
        ]

    @api.model
    def _pending_domain(self):
        """Due now or later: waiting for the platform, or for an automatic retry."""
        return ["|", ("state", "in", ("to_issue", "issuing")),
                "&", ("state", "=", "failed"), ("next_check", "!=", False)]

    @api.model
    def _can_commit(self):
        return self.env["account.move"]._can_commit()

    @api.model
    def _commit(self):
        """The one commit point of the queue: after each submission's step, and before any call that may reach the
        platform (see ``_start_attempt``). Tests and the demo history run in one transaction."""
        if self._can_commit():
            self.env.cr.commit()

    @api.model
    def _cron_process(self, limit=CRON_BATCH_SIZE):
        """Issue, poll and retry the due submissions, each step in its own transaction (several side by side in
        the cron worker, see ``_process_side_by_side``); rows another worker holds are skipped. Reports its
        progress to the cron, which runs it again at once while some are due, and triggers itself for the next
        check that is due later. Returns how many it handled.

        Run by the cron worker, a check due within seconds (the platform's answer to what was just submitted)
        counts as remaining work and the next call waits for it: a trigger in the future only wakes the cron worker
        at its next poll, up to a minute later, while the cashier waits for the e-invoice on screen."""
        by_cron_worker = bool(self.env.context.get("cron_id"))
        if by_cron_worker and not self.sudo().search_count(self._due_domain(), limit=1):
            self._wait_for_due(self._soon_check_wait())
        due = self.sudo().search(self._due_domain(), order=DUE_ORDER, limit=limit)
        prefetched = due._batch_query()
        if by_cron_worker and due and self._can_commit():
            done, skipped = due._process_side_by_side(prefetched)
            self._commit()  # a new snapshot: count what the threads left due
        else:
            done, skipped = due._process_each(prefetched)
        remaining = max(self.sudo().search_count(self._due_domain()) - skipped, 0)
        if not remaining and done and by_cron_worker and self._soon_check_wait():
            remaining = 1
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        self._schedule_next()
        return done

    def _process_each(self, prefetched):
        """Process the submissions ``self`` one after the other, each in its own transaction, skipping the rows
        another worker holds. Returns (handled, skipped)."""
        done = skipped = 0
        for submission in self:
            if not submission._lock():
                skipped += 1
                continue
            submission.invalidate_recordset()
            if not submission.filtered_domain(self._due_domain()):
                self._commit()
                continue
            try:
                submission._process(prefetched)
                self._commit()
            except psycopg2.errors.SerializationFailure:
                # A concurrent update (e.g. the platform's callback making it due while its answer was being
                # recorded): drop this step. The order number and the attempt were committed before any call, so
                # the next run asks the platform before doing anything else.
                if not self._can_commit():
                    raise
                self.env.cr.rollback()
                continue
            except Exception:
                if not self._can_commit():
                    raise
                self.env.cr.rollback()
                _logger.exception("E-invoice submission %s: unexpected error", submission.id)
                submission = self.sudo().browse(submission.id)
                submission._fail("unavailable", _("Unexpected error; see the server log."))
                self._commit()
            done += 1
        return done, skipped

    def _process_side_by_side(self, prefetched):
        """Process the submissions ``self`` in PARALLEL_SUBMISSIONS threads of the cron worker, each with its own
        database cursor. Most of a submission's time is spent waiting for the platform's answer, so one worker
        issues several invoices in the time of one. Each thread takes the next submission from a shared queue, and
        when the queue is empty it looks for those that fell due meanwhile (an invoice just paid, the platform's
        callback), for up to REFILL_SECONDS: a submission due now is not kept waiting for the slowest step of a
        batch, nor for the next cron call. The threads wait while a check is due within seconds or one of them is
        at work (which may make one due); once nothing is, for a second, they all end and so does the call. The
        guarantees are those of several workers running the queue at once: each step holds its row lock, and an
        order number and its attempt are committed before any call. Returns (handled, skipped)."""
        for provider in self.provider_id.filtered(lambda p: p.state in ("test", "enabled")):
            try:  # one token call, not one per thread, when the token has expired: the platform limits them
                provider._ev_get_token()
            except (EInvoiceUnavailable, nuonuo.NuonuoError, UserError):
                pass  # each submission meets (and records) the problem itself
        self._commit()
        queue = collections.deque(self.ids)
        first_pass = set(self.ids)  # the batch query's answers are only fresh for their first step
        in_progress, skipped_until = set(), {}
        idle_since = None  # since when no thread had anything to do, nor anything due soon
        queue_lock = threading.Lock()
        refill_until = time.monotonic() + REFILL_SECONDS
        counts = []
        dbname, uid, context = self.env.cr.dbname, self.env.uid, dict(self.env.context)

        def next_submission(submissions):
            """The next submission for this thread, and the batch query's answers for it; (None, None) when the
            refill time is over, or when for a second nothing was due, nor due within seconds, and no thread was at
            work."""
            nonlocal idle_since
            while True:
                submissions.env.cr.commit()  # nothing pending (each step commits): a new snapshot for the search
                with queue_lock:
                    now = time.monotonic()
                    if not queue and now < refill_until:
                        held = [sid for sid, until in skipped_until.items() if until > now]
                        queue.extend(submissions.search(
                            self._due_domain() + [("id", "not in", list(in_progress) + held)],
                            order=DUE_ORDER, limit=PARALLEL_SUBMISSIONS).ids)
                    if queue:
                        idle_since = None
                        submission_id = queue.popleft()
                        in_progress.add(submission_id)
                        answers = prefetched if submission_id in first_pass else {}
                        first_pass.discard(submission_id)
                        return submissions.browse(submission_id), answers
                    if now >= refill_until:
                        return None, None
                    if in_progress or submissions._soon_check_wait():
                        idle_since = None
                    elif idle_since is None:
                        idle_since = now
                    elif now - idle_since >= IDLE_END_SECONDS:
                        # All the threads end together: one ending at a lull between two sales left fewer and
                        # fewer of them for the rest of the call.
                        return None, None
                time.sleep(WAIT_SLICE)

        def work():
            thread = threading.current_thread()
            thread.dbname, thread.uid = dbname, uid  # for the log lines
            done = skipped = 0
            try:
                with self.pool.cursor() as cr:
                    submissions = api.Environment(cr, uid, context)[self._name].sudo()
                    while True:
                        submission, answers = next_submission(submissions)
                        if not submission:
                            break
                        step_done, step_skipped = submission._process_each(answers)
                        done += step_done
                        with queue_lock:
                            in_progress.discard(submission.id)
                            if step_skipped:
                                # Another worker holds it (the platform's callback marking it due): not taken
                                # again for a moment.
                                skipped += submission.id not in skipped_until
                                skipped_until[submission.id] = time.monotonic() + SKIPPED_RETRY_AFTER
            except Exception:
                _logger.exception("E-invoice submissions: unexpected error in %s", thread.name)
            counts.append((done, skipped))

        threads = [threading.Thread(target=work, name="einvoice-%d" % index, daemon=True)
                   for index in range(PARALLEL_SUBMISSIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done for done, _skipped in counts), sum(skipped for _done, skipped in counts)

    def _lock(self):
        """Lock the row for this transaction, or False when another worker holds (or just changed) it."""
        self.ensure_one()
        try:
            with mute_logger("odoo.sql_db"):
                return self.env["res.company"]._with_locked_records(self, allow_raising=False)
        except psycopg2.errors.SerializationFailure:
            # Another worker changed it since our snapshot: it is (being) handled there.
            if not self._can_commit():
                raise
            self.env.cr.rollback()
            return False

    @api.model
    def _wait_for_due(self, seconds):
        """Wait up to ``seconds`` for a check that is due soon, but stop as soon as any submission is due: a new
        invoice paid meanwhile, or one the platform's callback made due, is not kept waiting behind it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(WAIT_SLICE, max(deadline - time.monotonic(), 0)))
            if not self._can_commit():
                continue
            self.env.cr.commit()  # nothing written: only a new snapshot, to see what other workers committed
            if self.sudo().search_count(self._due_domain(), limit=1):
                return

    @api.model
    def _soon_check_wait(self):
        """Seconds until the next check of a submission waiting for the platform, if due within seconds; else 0."""
        pending = self.sudo().search([("state", "in", ("to_issue", "issuing")), ("next_check", "!=", False)],
                                     order="next_check asc", limit=1)
        if not pending:
            return 0
        wait = max((pending.next_check - fields.Datetime.now()).total_seconds(), POLL_MIN_DELAY)
        return wait if wait <= WAIT_FOR_SOON_CHECK else 0

    @api.model
    def _schedule_next(self):
        pending = self.sudo().search(self._pending_domain(), order="next_check asc nulls first", limit=1)
        if pending:
            at = max(pending.next_check or fields.Datetime.now(), fields.Datetime.now())
            self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()._trigger(at=at)

    @api.model
    def _trigger_cron(self):
        self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()._trigger()

    def _batch_query(self):
        """Ask the platform about the issuing blue submissions among ``self`` in as few calls as possible: one
        ``queryInvoiceResult`` per provider account and per 50 serial numbers, instead of one call per invoice.
        Returns {(provider id, serial): InvoiceResult}. Best effort: a submission missing from the answer (or a
        failed call) is queried on its own. Nothing is written here; each submission applies its result in its
        own locked transaction, and one without a serial is still queried by its order number first."""
        by_provider = {}
        for submission in self.sudo():
            if submission.kind == "blue" and submission.state == "issuing" and submission.serial \
                    and submission.provider_id.state in ("test", "enabled") \
                    and not submission.move_id.ev_einvoice_replaces_id:
                by_provider.setdefault(submission.provider_id, []).append(submission.serial)
        results = {}
        for provider, serials in by_provider.items():
            if len(serials) < 2:
                continue  # a single invoice: its own query costs the same
            for start in range(0, len(serials), nuonuo.MAX_QUERY_NUMBERS):
                chunk = serials[start:start + nuonuo.MAX_QUERY_NUMBERS]
                try:
                    answer = provider._ev_call(ApiMethod.QUERY_INVOICE, nuonuo.build_query_payload(serial_nos=chunk))
                    found = nuonuo.parse_invoice_results(answer)
                except (EInvoiceUnavailable, nuonuo.NuonuoError) as error:
                    _logger.info("E-invoice provider %s: batch query of %s invoices failed (%s); querying them "
                                 "one by one", provider.id, len(chunk), error)
                    continue
                wanted = set(chunk)
                for result in found:
                    if result.serial_no in wanted:
                        results[provider.id, result.serial_no] = result
        return results

    # ------------------------------------------------------------------------------------------------------------
    # One step of a submission
    # ------------------------------------------------------------------------------------------------------------

    def _process(self, prefetched=None):
        self.ensure_one()
        provider = self.provider_id
        if not provider or provider.state == "disabled":
            self._fail("validation", _("The e-invoice provider is missing or disabled."))
            return
        if not self._tax_login_ready(provider):
            return
        # After a pause for the tax-bureau login, an invoice the bureau failed for that reason is retried
        # (reInvoice, same serial), never submitted again.
        retrying = self.state == "failed" or self.error_kind == "tax_login"
        if self.error_kind == "tax_login":
            self.write({"error": False, "error_kind": False})
        try:
            if self.kind == "red":
                self._process_red(provider, retrying)
            else:
                self._process_blue(provider, retrying, prefetched=prefetched)
        except EInvoiceUnavailable as error:
            self._fail("unavailable", str(error))
        except nuonuo.NuonuoError as error:
            self._fail_outcome(error.outcome, f"{error.code}: {error.describe}")

    def _tax_login_ready(self, provider):
        """False while the drawer's tax-bureau login needs a check: the submission waits (it does not fail) and
        the platform is asked again about the login at most once a minute; True once it is logged in."""
        if provider.tax_login_state == "ok":
            return True
        if provider._ev_tax_login_recheck_due():
            try:
                provider._ev_refresh_tax_session()
            except (EInvoiceUnavailable, nuonuo.NuonuoError) as error:
                _logger.info("E-invoice provider %s: login state not read (%s)", provider.id, error)
                provider.sudo().tax_login_checked_at = fields.Datetime.now()
        if provider.tax_login_state == "ok":
            return True
        self._pause_for_tax_login(provider.tax_login_message or self.error or "")
        return False

    def _pause_for_tax_login(self, message):
        """Issuing pauses (not a failure): the store managers are alerted once, by the provider, and the queue
        resumes by itself when the platform reports the drawer logged in again."""
        provider = self.provider_id
        if provider.tax_login_state == "ok":
            try:  # learn which check the bureau wants
                provider._ev_refresh_tax_session()
            except (EInvoiceUnavailable, nuonuo.NuonuoError) as error:
                _logger.info("E-invoice provider %s: login state not read (%s)", provider.id, error)
        if provider.tax_login_state == "ok":  # the failure itself says the login lapsed: trust it
            provider._ev_tax_login_lost(nuonuo.TaxLoginState.NEEDS_FACE, message)
        if self.retry_count >= MAX_AUTO_RETRIES:
            self._fail("tax_login", provider.tax_login_todo)
            return
        first_time = self.error_kind != "tax_login"
        self.write({
            "retry_count": self.retry_count + 1,
            "state": "issuing" if self.serial or self.red_bill_no else "to_issue",
            "error": provider.tax_login_todo,
            "error_kind": "tax_login",
            "next_check": fields.Datetime.now() + timedelta(seconds=TAX_LOGIN_RECHECK),
        })
        if first_time:
            self.move_id._ev_einvoice_note(Markup("%s<br/>%s") % (
                _("E-invoice paused: the tax bureau asks the drawer to log in again."), provider.tax_login_todo))

    def _validation_errors(self, with_payload=True):
        return "\n".join(str(e) for e in self.move_id._ev_einvoice_check(with_payload=with_payload))

    def _start_attempt(self, provider):
        """Commit the order number and the attempt BEFORE calling: after a crash or a timeout the next run finds
        the attempt and asks the platform first, so a second invoice can never be issued. While the call is in
        flight (the commit releases the row lock) another worker must not pick the submission up: it is not due
        before the call's timeout; if this worker dies, it is due again then, and queried first."""
        self.write({"attempts": self.attempts + 1, "state": "issuing",
                    "next_check": fields.Datetime.now() + timedelta(seconds=(provider.timeout or 15) + 5)})
        self._commit()

    def _process_blue(self, provider, retrying=False, prefetched=None):
        move = self.move_id
        replaces = move.ev_einvoice_replaces_id
        if replaces and replaces.ev_einvoice_state != "replaced":
            # A reissue waits for the red-letter reversal of the invoice it replaces (days, when the buyer must
            # confirm the red form): that reversal makes it due at once (see _mark_issued); this is the fallback.
            self.next_check = fields.Datetime.now() + timedelta(seconds=RED_FORM_WAIT_POLL)
            return
        if not self.serial:
            if self.attempts:
                # An earlier attempt may have reached the platform: ask it first, whatever the invoice says now.
                self._start_attempt(provider)
                if self._query_blue(provider, by_order=True, retrying=retrying):
                    return
            # The data is checked as it is built to be sent: once per attempt.
            order_no = self.order_no or self._new_order_no()
            errors = self._validation_errors(with_payload=False)
            if not errors:
                try:
                    payload = nuonuo.build_billing_payload(move._ev_einvoice_blue_invoice(provider, order_no=order_no))
                except (nuonuo.InvoiceDataError, rules.AmountError) as error:
                    errors = move._ev_einvoice_payload_error(error)
            if errors:
                self._fail("validation", errors)
                return
            if not self.attempts:
                self.order_no = order_no
                self._start_attempt(provider)  # the order number and the attempt committed before the call
            answer = self._send(provider, ApiMethod.REQUEST_BILLING, payload)
            if answer is None:
                return
            if answer.outcome is Outcome.DUPLICATE_ORDER:
                if not self._query_blue(provider, by_order=True, retrying=retrying):
                    self._poll_later(provider)
                return
            serial = nuonuo.parse_billing_response(answer)
            self.write({"serial": serial, "state": "issuing", "error": False, "error_kind": False})
            move._ev_einvoice_note(_("E-invoice accepted by the platform (order number %(order_no)s, serial "
                                     "%(serial)s).", order_no=self.order_no, serial=serial))
            self._poll_later(provider)
            return
        if not self._query_blue(provider, retrying=retrying, prefetched=prefetched):
            self._poll_later(provider)

    def _send(self, provider, api_method, payload):
        """The call that may create an invoice or a red form on the platform. When its answer is lost (a timeout, a
        broken connection) the outcome is unknown: the submission stays issuing (查询中), is not failed, and at its
        next check the platform is asked about its order number first. Returns None then. A refusal (an HTTP error
        such as 503 while the platform is down) fails it as usual, retried by itself."""
        provider._ev_get_token()  # a token problem is known not to have reached the platform: it fails as usual
        try:
            return provider._ev_call(api_method, payload)
        except EInvoiceUnavailable as error:
            if not error.answer_lost or self.retry_count >= MAX_AUTO_RETRIES:
                raise
            self.write({
                "state": "issuing",
                "error": str(error),
                "error_kind": "unavailable",
                "retry_count": self.retry_count + 1,
                "next_check": fields.Datetime.now() + timedelta(
                    seconds=RETRY_DELAYS[min(self.retry_count, len(RETRY_DELAYS) - 1)]),
            })
            return None

    def _query_blue(self, provider, by_order=False, retrying=False, prefetched=None):
        """Query the platform and apply the answer. Returns False when the platform does not know the invoice.
        ``prefetched``: the answers of the cron's batch query ({(provider id, serial): result}), used instead of
        a call of its own when they hold this submission's serial."""
        result = None if by_order or retrying else (prefetched or {}).get((provider.id, self.serial))
        if result:
            self._apply_result(provider, result, retrying=retrying)
            return True
        if by_order or not self.serial:
            payload = nuonuo.build_query_payload(order_nos=[self.order_no])
        else:
            payload = nuonuo.build_query_payload(serial_nos=[self.serial])
        results = nuonuo.parse_invoice_results(provider._ev_call(ApiMethod.QUERY_INVOICE, payload))
        result = next((r for r in results if r.order_no == self.order_no or r.serial_no == self.serial), None)
        if not result:
            return False
        self._apply_result(provider, result, retrying=retrying)
        return True

    def _apply_result(self, provider, result, retrying=False):
        if result.serial_no and result.serial_no != self.serial:
            self.serial = result.serial_no
        if result.state is InvoiceState.ISSUED:
            self._mark_issued(provider, result)
        elif result.state is InvoiceState.FAILED and not retrying:
            self._fail_outcome(result.failure or Outcome.VALIDATION, result.fail_cause or result.status_message)
        elif result.state in (InvoiceState.FAILED, InvoiceState.SIGN_FAILED):
            # A retry of an invoice the platform failed (22), or issued but not signed (24): reInvoice, under the
            # same serial and order number; never a new invoice.
            answer = provider._ev_call(ApiMethod.REINVOICE,
                                       nuonuo.build_reinvoice_payload(result.serial_no, result.order_no))
            answer.raise_for_outcome()
            self.state = "issuing"
            self._poll_later(provider)
        else:
            self.state = "issuing"
            self._poll_later(provider)

    def _mark_issued(self, provider, result):
        if not result.invoice_number:
            raise nuonuo.NuonuoProtocolError("an issued invoice without a 20-digit number")
        move = self.move_id
        pdf = provider._ev_download(result.pdf_url) if result.pdf_url else b""
        xml = provider._ev_download(result.xml_url) if result.xml_url else b""
        Attachment = self.env["ir.attachment"].sudo()
        prefix = "红字数电票" if self.kind == "red" else "数电票"
        vals = {
            "state": "issued",
            "number": result.invoice_number,
            "issued_at": (result.issued_at.astimezone(UTC).replace(tzinfo=None)
                          if result.issued_at else fields.Datetime.now()),
            "qr_code": result.qr_code or False,
            "error": False,
            "error_kind": False,
            "next_check": False,
            "retry_count": 0,
        }
        for kind, content, mimetype in (("pdf", pdf, "application/pdf"), ("xml", xml, "application/xml")):
            if content:
                # Attached to the invoice: its chatter, e-mail and portal find them there.
                vals[f"{kind}_id"] = Attachment.create({
                    "name": f"{prefix}_{result.invoice_number}.{kind}", "raw": content, "mimetype": mimetype,
                    "res_model": move._name, "res_id": move.id,
                }).id
        self.write(vals)
        move._portal_ensure_token()
        move._ev_einvoice_note(_("Fully digital e-invoice %(number)s issued.", number=result.invoice_number),
                               attachment_ids=[a for a in (vals.get("pdf_id"), vals.get("xml_id")) if a])
        if self.kind == "red":
            blue = self.blue_submission_id
            origin = blue.move_id
            reissue = origin.ev_einvoice_replaced_by_id
            blue.state = "replaced" if reissue else "red_reversed"
            origin._ev_einvoice_note(_("Red-reversed by the red-letter e-invoice %(number)s (%(credit_note)s).",
                                       number=result.invoice_number, credit_note=move.name))
            if reissue.ev_einvoice_submission_id:
                reissue.ev_einvoice_submission_id.next_check = False
                self._trigger_cron()

    def _process_red(self, provider, retrying=False):
        move = self.move_id
        if not self.red_bill_id:
            errors = self._validation_errors()
            if errors:
                self._fail("validation", errors)
                return
            self.write({
                "red_bill_id": f"RB{move.id}T{secrets.token_hex(6).upper()}"[:32],
                "order_no": self._new_order_no("R"),
            })
        if not self.red_bill_no:
            self._start_attempt(provider)
            form = self._query_red_form(provider) if self.attempts > 1 else None
            if form is None:
                request = move._ev_einvoice_red_request(provider, self.red_bill_id, self.order_no)
                answer = self._send(provider, ApiMethod.SAVE_RED_CONFIRM, nuonuo.build_red_confirm_payload(request))
                if answer is None:
                    return
                if answer.outcome is not Outcome.DUPLICATE_ORDER:
                    nuonuo.parse_red_confirm_saved(answer)
                    move._ev_einvoice_note(_("Red-letter confirmation form requested (reason: %(reason)s).",
                                             reason=request.reason.label))
                form = self._query_red_form(provider)
        else:
            form = self._query_red_form(provider)
        if form is None:
            self._poll_later(provider)
            return
        record = self.env["ev.einvoice.red.form"]._ev_record(provider, form)
        if not record.submission_id:
            record.submission_id = self
        self.write({"red_bill_no": form.bill_no or self.red_bill_no,
                    "red_form_state": form.status_label or form.bill_status, "red_form_id": record.id})
        if form.state is nuonuo.RedFormState.CANCELLED or form.state is nuonuo.RedFormState.APPLY_FAILED:
            self._fail("platform", "%s %s\n%s" % (form.status_label or form.bill_status, form.message or "",
                                                   record.todo or ""))
            return
        if not (form.state.red_invoice_due and form.invoice_serial_num):
            # Only a form at 01 or 04 lets the bureau issue the red e-invoice; until then, wait.
            self.state = "issuing"
            if form.state is nuonuo.RedFormState.AWAITING_BUYER:
                if self.error != record.todo:
                    self.error = record.todo
                    self.move_id._ev_einvoice_note(record.todo)
                self.next_check = fields.Datetime.now() + timedelta(seconds=RED_FORM_WAIT_POLL)
            else:
                self._poll_later(provider)
            return
        self.serial = form.invoice_serial_num
        results = nuonuo.parse_invoice_results(provider._ev_call(
            ApiMethod.QUERY_INVOICE, nuonuo.build_query_payload(serial_nos=[form.invoice_serial_num])))
        if results:
            self._apply_result(provider, results[0], retrying=retrying)
        else:
            self._poll_later(provider)

    def _query_red_form(self, provider):
        answer = provider._ev_call(ApiMethod.QUERY_RED_CONFIRM,
                                   nuonuo.build_red_confirm_query(bill_id=self.red_bill_id))
        page = nuonuo.parse_red_confirm_query(answer)
        return next((f for f in page.forms if f.bill_id == self.red_bill_id), None)

    # ------------------------------------------------------------------------------------------------------------
    # Failures and retries
    # ------------------------------------------------------------------------------------------------------------

    def _fail_outcome(self, outcome, message):
        if outcome is Outcome.TAX_LOGIN_REQUIRED:
            self._pause_for_tax_login(message)
        elif outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.TOKEN_INVALID, Outcome.UNKNOWN,
                         Outcome.RETRY_LIMIT):
            self._fail("unavailable", message)
        else:
            self._fail("validation" if outcome is Outcome.VALIDATION else "platform", message)

    def _fail(self, kind, message):
        """Failed, with the reason; transient problems (and an expired tax-bureau login) retry by themselves."""
        self.ensure_one()
        auto_retry = kind in ("unavailable", "tax_login") and self.retry_count < MAX_AUTO_RETRIES
        delay = RETRY_DELAYS[min(self.retry_count, len(RETRY_DELAYS) - 1)]
        first_time = self.state != "failed" or self.error != message
        self.write({
            "state": "failed",
            "retry_count": self.retry_count + 1,
            "error": message,
            "error_kind": kind,
            "next_check": fields.Datetime.now() + timedelta(seconds=delay) if auto_retry else False,
        })
        if first_time:
            self.move_id._ev_einvoice_note(Markup("%s<br/>%s") % (_("The e-invoice could not be issued:"), message))

    def _new_order_no(self, prefix="E"):
        """≤ 20 characters, unique: prefix + move id + random tail (never reused)."""
        return f"{prefix}{self.move_id.id}T{secrets.token_hex(4).upper()}"[:20]

    def _poll_later(self, provider):
        delay = max(POLL_MIN_DELAY, provider._ev_poll_delay())
        self.next_check = fields.Datetime.now() + timedelta(seconds=delay)

    def _retry(self):
        """Due now, under its own order number (and serial): a failed submission is never sent as a new one.
        A red submission whose form the bureau voided (refused, lapsed) raises a new form: the voided one issued
        no red e-invoice, so its application ID and red order number were never used for an invoice."""
        for submission in self.filtered(lambda s: s.kind == "red" and s.state == "failed"
                                        and s.red_form_id.bill_status in ("05", "06", "07", "08", "09", "10", "16")):
            submission.move_id._ev_einvoice_note(_("A new red-letter confirmation form is requested; form "
                                                   "%(form)s was voided.", form=submission.red_bill_no))
            submission.write({"red_bill_id": False, "red_bill_no": False, "red_form_state": False,
                              "red_form_id": False, "order_no": False, "attempts": 0})
        self.write({"next_check": fields.Datetime.now(), "retry_count": 0})
        self._trigger_cron()
