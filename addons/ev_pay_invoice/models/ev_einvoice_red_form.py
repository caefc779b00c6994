import logging
from datetime import UTC, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import nuonuo
from ..protocols.nuonuo import ApiMethod
from .ev_einvoice_provider import EInvoiceUnavailable

_logger = logging.getLogger(__name__)

# The bureau's form states (billStatus); the labels are translated with the bureau's own words (zh_CN.po).
BILL_STATUSES = [
    ("01", "01 No confirmation needed"),
    ("02", "02 Raised by the seller, awaiting the buyer's confirmation"),
    ("03", "03 Raised by the buyer, awaiting the seller's confirmation"),
    ("04", "04 Confirmed by both parties"),
    ("05", "05 Void: refused by the buyer"),
    ("06", "06 Void: refused by the seller"),
    ("07", "07 Void: not confirmed within 72 hours"),
    ("08", "08 Void: withdrawn by the party that raised it"),
    ("09", "09 Void: withdrawn after confirmation"),
    ("10", "10 Void: abnormal invoice"),
    ("15", "15 Being applied for"),
    ("16", "16 Application failed"),
]
WAITING_STATUSES = ("02", "03", "15")
VOID_STATUSES = ("05", "06", "07", "08", "09", "10", "16")
# Forms are read back over this many days: a waiting form lapses after 72 hours, so a week sees every change.
POLL_DAYS = 7


class EvEinvoiceRedForm(models.Model):
    """A red-letter confirmation form (红字发票信息确认单) as the tax bureau holds it: raised by us for a credit
    note (its red submission), or raised by a company buyer against one of our invoices, for the store to confirm
    or refuse. Its state is the bureau's, read back by a cron; the red e-invoice exists only once the form allows
    it (01 or 04)."""

    _name = "ev.einvoice.red.form"
    _description = "Red-letter Confirmation Form (红字确认单)"
    _inherit = ["mail.thread"]
    _order = "requested_at desc, id desc"
    _rec_name = "bill_no"

    provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", required=True, readonly=True,
                                  index=True, ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    raised_by = fields.Selection([("seller", "Us (the seller)"), ("buyer", "The buyer")], string="Raised By",
                                 required=True, readonly=True, default="seller")
    bill_id = fields.Char(string="Application ID", readonly=True, index=True)
    bill_no = fields.Char(string="Form Number", readonly=True, index=True)
    bill_uuid = fields.Char(string="Form UUID", readonly=True, index=True)
    bill_status = fields.Selection(BILL_STATUSES, string="Bureau Status", readonly=True, tracking=True, index=True)
    bureau_message = fields.Char(string="Bureau's Message", readonly=True)
    requested_at = fields.Datetime(string="Raised On", readonly=True)
    lapses_at = fields.Datetime(string="Lapses On", readonly=True,
                                help="A form waiting for a confirmation lapses 72 hours after it was raised.")
    blue_invoice_number = fields.Char(string="Blue E-invoice Number", readonly=True, index=True)
    blue_submission_id = fields.Many2one("ev.einvoice.submission", string="Blue E-invoice", readonly=True)
    blue_move_id = fields.Many2one(related="blue_submission_id.move_id", string="Invoice")
    submission_id = fields.Many2one("ev.einvoice.submission", string="Red Submission", readonly=True, index=True,
                                    help="Our red-letter submission that raised this form.")
    credit_note_id = fields.Many2one(related="submission_id.move_id", string="Credit Note")
    buyer_name = fields.Char(string="Buyer", readonly=True)
    buyer_tax_no = fields.Char(string="Buyer Taxpayer ID", readonly=True)
    reason = fields.Selection([("1", "销货退回 Sales return"), ("2", "开票有误 Invoicing error"),
                               ("3", "服务中止 Service stopped"), ("4", "销售折让 Sales allowance")],
                              string="Red Reason", readonly=True)
    amount_excl = fields.Float(string="Amount without Tax", readonly=True, digits=(16, 2))
    tax_amount = fields.Float(string="Tax", readonly=True, digits=(16, 2))
    red_invoice_serial = fields.Char(string="Red E-invoice Serial", readonly=True)
    red_invoice_issued = fields.Boolean(string="Red E-invoice Issued", readonly=True)
    needs_our_decision = fields.Boolean(compute="_compute_needs_our_decision", store=True,
                                        string="Awaiting Our Confirmation")
    todo = fields.Text(string="What To Do", compute="_compute_todo")

    @api.depends("bill_status", "raised_by")
    def _compute_needs_our_decision(self):
        for form in self:
            form.needs_our_decision = form.raised_by == "buyer" and form.bill_status == "03"

    @api.depends("bill_status", "raised_by", "lapses_at")
    def _compute_todo(self):
        for form in self:
            status = form.bill_status
            if status == "02":
                form.todo = _("Ask the buyer to confirm this form in the tax bureau's app before %(deadline)s; "
                              "otherwise it lapses and the red-letter e-invoice must be requested again.",
                              deadline=form._ev_deadline_text())
            elif status == "03":
                form.todo = _("The buyer asks to red-reverse our e-invoice. Check the return or the error with the "
                              "buyer, then Confirm or Refuse before %(deadline)s.", deadline=form._ev_deadline_text())
            elif status == "07":
                form.todo = _("Nobody confirmed within 72 hours, so the bureau voided the form. If the correction is "
                              "still needed, agree with the buyer first, then retry the red-letter e-invoice on the "
                              "credit note: a new form is raised.")
            elif status in ("05", "06"):
                form.todo = _("The form was refused, so no red-letter e-invoice is issued. Settle the disagreement "
                              "with the buyer; to try again, retry the red-letter e-invoice on the credit note.")
            elif status == "16":
                form.todo = _("The platform could not apply for the form; read the bureau's message, fix the cause "
                              "and retry the red-letter e-invoice on the credit note.")
            elif status == "04" and form.raised_by == "buyer":
                form.todo = _("Confirmed: the bureau issues the red-letter e-invoice by itself. Record the matching "
                              "credit note in Odoo (reverse the invoice) and refund the buyer if money is due.")
            else:
                form.todo = False

    def _ev_deadline_text(self):
        if not self.lapses_at:
            return "—"
        return fields.Datetime.to_string(fields.Datetime.context_timestamp(self, self.lapses_at))[:16]

    # ------------------------------------------------------------------------------------------------------------
    # Recording what the platform says
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _ev_record(self, provider, form):
        """Create or update the record of ``form`` (a ``nuonuo.RedConfirmForm``); returns it. Linked to our red
        submission by the application ID, and to the blue submission by the blue e-invoice number."""
        Submission = self.env["ev.einvoice.submission"].sudo()
        record = self.sudo().browse()
        for key, value in (("bill_uuid", form.bill_uuid), ("bill_no", form.bill_no), ("bill_id", form.bill_id)):
            if value and not record:
                record = self.sudo().search([("provider_id", "=", provider.id), (key, "=", value)], limit=1)
        raised = nuonuo.parse_beijing_time(str(form.raw.get("billTime") or ""))
        lapses = nuonuo.red_form_lapses_at(form)
        status = form.bill_status if form.bill_status in dict(BILL_STATUSES) else False
        vals = {
            "bill_id": form.bill_id or record.bill_id or False,
            "bill_no": form.bill_no or record.bill_no or False,
            "bill_uuid": form.bill_uuid or record.bill_uuid or False,
            "bill_status": status,
            "bureau_message": form.message or False,
            "red_invoice_serial": form.invoice_serial_num or False,
            "red_invoice_issued": form.red_invoice_issued,
            "amount_excl": float(form.amount_excl) if form.amount_excl is not None else 0.0,
            "tax_amount": float(form.tax_amount) if form.tax_amount is not None else 0.0,
            "reason": form.reason.nuonuo_code if form.reason else False,
        }
        if raised:
            vals["requested_at"] = raised.astimezone(UTC).replace(tzinfo=None)
        vals["lapses_at"] = lapses.astimezone(UTC).replace(tzinfo=None) if lapses else False
        if not record:
            blue = Submission.search([("number", "=", form.blue_invoice_number), ("kind", "=", "blue")], limit=1) \
                if form.blue_invoice_number else Submission
            red = Submission.search([("kind", "=", "red"), ("red_bill_id", "=", form.bill_id)], limit=1) \
                if form.bill_id else Submission
            vals.update({
                "provider_id": provider.id,
                "raised_by": "buyer" if form.apply_source == nuonuo.BUYER_IDENTITY else "seller",
                "blue_invoice_number": form.blue_invoice_number or False,
                "blue_submission_id": blue.id or False,
                "submission_id": red.id or False,
                "buyer_name": str(form.raw.get("buyerName") or "") or False,
                "buyer_tax_no": str(form.raw.get("buyerTaxNo") or "") or False,
            })
            record = self.sudo().create(vals)
            if record.needs_our_decision and record.blue_move_id:
                record.blue_move_id.message_post(body=_(
                    "The buyer raised the red-letter confirmation form %(form)s against this e-invoice; confirm or "
                    "refuse it under E-invoice > Red-letter Confirmation Forms.", form=record.bill_no))
            return record
        changed = record.bill_status != status
        record.write(vals)
        if changed and record.submission_id.state in ("to_issue", "issuing"):
            # Our red submission acts on the new state at once (issue the red e-invoice, or stop).
            record.submission_id.next_check = fields.Datetime.now()
            self.env["ev.einvoice.submission"]._trigger_cron()
        return record

    @api.model
    def _cron_poll(self):
        """Read back every form of the last days from each active account: our forms' progress, and forms buyers
        raised against us (which only this query reveals)."""
        for provider in self.env["ev.einvoice.provider"].sudo().search([("state", "in", ("test", "enabled"))]):
            try:
                self._ev_poll_provider(provider)
            except (EInvoiceUnavailable, nuonuo.NuonuoError) as error:
                _logger.info("E-invoice provider %s: red forms not read (%s)", provider.id, error)
            if self.env["account.move"]._can_commit():
                self.env.cr.commit()

    @api.model
    def _ev_poll_provider(self, provider):
        today = fields.Date.context_today(self)
        date_from = today - timedelta(days=POLL_DAYS)
        # Pull the bureau's latest states into the platform first: forms the buyer acts on change there.
        provider._ev_call(ApiMethod.REFRESH_RED_CONFIRM, nuonuo.build_red_confirm_refresh(
            date_from=date_from, date_to=today, extension_number=provider.extension_number or ""))
        page_no = 1
        while True:
            page = nuonuo.parse_red_confirm_query(provider._ev_call(
                ApiMethod.QUERY_RED_CONFIRM,
                nuonuo.build_red_confirm_query(date_from=date_from, date_to=today, page_no=page_no)))
            for form in page.forms:
                self._ev_record(provider, form)
            if not page.forms or page_no * nuonuo.RED_FORM_PAGE_MAX >= page.total:
                return
            page_no += 1

    # ------------------------------------------------------------------------------------------------------------
    # The store's decision on a form a buyer raised
    # ------------------------------------------------------------------------------------------------------------

    def _ev_decide(self, agree):
        self.ensure_one()
        if not self.needs_our_decision:
            raise UserError(_("Only a form raised by the buyer and awaiting our confirmation can be confirmed or "
                              "refused; this one is: %(status)s.", status=dict(
                                  self._fields["bill_status"]._description_selection(self.env)).get(
                                  self.bill_status, self.bill_status or "—")))
        provider = self.provider_id.sudo()
        payload = nuonuo.build_red_confirm_decision(
            agree=agree, bill_id=self.bill_id or None, bill_no=self.bill_no or None,
            extension_number=provider.extension_number or "")
        try:
            provider._ev_call(ApiMethod.CONFIRM_RED_CONFIRM, payload).raise_for_outcome()
        except EInvoiceUnavailable as error:
            raise UserError(str(error)) from None
        except nuonuo.NuonuoError as error:
            raise UserError(_("The tax platform refused: %(describe)s", describe=error.describe)) from None
        self.message_post(body=_("Confirmed by %(user)s.", user=self.env.user.name) if agree
                          else _("Refused by %(user)s.", user=self.env.user.name))
        self.action_refresh()
        return True

    def action_confirm(self):
        return self._ev_decide(True)

    def action_refuse(self):
        return self._ev_decide(False)

    def action_refresh(self):
        for form in self:
            provider = form.provider_id.sudo()
            query = nuonuo.build_red_confirm_query(bill_id=form.bill_id or None, bill_no=form.bill_no or None)
            try:
                page = nuonuo.parse_red_confirm_query(provider._ev_call(ApiMethod.QUERY_RED_CONFIRM, query))
            except EInvoiceUnavailable as error:
                raise UserError(str(error)) from None
            for found in page.forms:
                self._ev_record(provider, found)
        return True
