from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import einvoice_rules as rules
from ..protocols import nuonuo
from ..protocols.uscc import validate_taxpayer_id
from .ev_einvoice_submission import SUBMISSION_STATES

EINVOICE_STATES = [("none", "Not requested"), *SUBMISSION_STATES]
RED_REASONS = [
    ("2", "Invoicing error (开票有误)"),
    ("1", "Sales return (销货退回)"),
    ("3", "Service termination (服务中止)"),
    ("4", "Sales allowance (销售折让)"),
]


class AccountMove(models.Model):
    """The invoice side of the e-invoice: what goes on it (title, type, remark, the red-letter reason) and its
    submissions to the tax platform (``ev.einvoice.submission``). The state, number and files shown on the invoice
    are those of its current submission."""

    _inherit = "account.move"

    ev_einvoice_submission_ids = fields.One2many("ev.einvoice.submission", "move_id", string="E-invoice Submissions",
                                                 readonly=True)
    ev_einvoice_submission_id = fields.Many2one("ev.einvoice.submission", string="Current E-invoice Submission",
                                                copy=False, readonly=True, index="btree_not_null")
    ev_einvoice_state = fields.Selection(
        EINVOICE_STATES, string="E-invoice", compute="_compute_ev_einvoice_state", store=True, required=True,
        default="none", copy=False, tracking=True, index=True,
        help="The fully digital e-invoice (数电票) of this invoice on the tax platform.",
    )
    ev_einvoice_number = fields.Char(related="ev_einvoice_submission_id.number", store=True,
                                     string="E-invoice Number", index="btree_not_null",
                                     help="The 20-digit number of the fully digital e-invoice.")
    ev_einvoice_issued_at = fields.Datetime(related="ev_einvoice_submission_id.issued_at", store=True,
                                            string="E-invoice Issued On")
    ev_einvoice_provider_id = fields.Many2one(related="ev_einvoice_submission_id.provider_id",
                                              string="E-invoice Provider")
    ev_einvoice_error = fields.Text(related="ev_einvoice_submission_id.error", string="E-invoice Error")
    ev_einvoice_red_form_id = fields.Many2one(related="ev_einvoice_submission_id.red_form_id",
                                              string="Red-letter Confirmation Form")
    ev_einvoice_red_form_status = fields.Selection(related="ev_einvoice_submission_id.red_form_id.bill_status",
                                                   string="Red Form Status at the Bureau")
    ev_einvoice_tax_notice = fields.Text(
        string="E-invoice Notice", compute="_compute_ev_einvoice_tax_notice",
        help="The tax bureau's obstacles to this invoice's e-invoice: the drawer's login, the credit line.")
    ev_einvoice_error_kind = fields.Selection(related="ev_einvoice_submission_id.error_kind",
                                              string="E-invoice Error Kind")
    ev_einvoice_next_check = fields.Datetime(related="ev_einvoice_submission_id.next_check",
                                             string="E-invoice Next Check")
    ev_einvoice_pdf_id = fields.Many2one(related="ev_einvoice_submission_id.pdf_id", string="E-invoice PDF")
    ev_einvoice_xml_id = fields.Many2one(related="ev_einvoice_submission_id.xml_id", string="E-invoice XML")
    ev_einvoice_type = fields.Selection(
        [("pc", "数电普票 (general)"), ("bs", "数电专票 (special VAT)")], string="E-invoice Type", copy=False,
        help="Empty: a general e-invoice for individuals, the provider's default type for companies.",
    )
    ev_einvoice_buyer_is_company = fields.Boolean(
        string="Buyer is a Company", compute="_compute_ev_einvoice_buyer", store=True, readonly=False,
        precompute=True,
    )
    ev_einvoice_buyer_name = fields.Char(
        string="Invoice Title (发票抬头)", compute="_compute_ev_einvoice_buyer", store=True, readonly=False,
        precompute=True, help="The buyer's name as printed on the e-invoice.",
    )
    ev_einvoice_buyer_tax_id = fields.Char(
        string="Buyer Taxpayer ID", compute="_compute_ev_einvoice_buyer", store=True, readonly=False,
        precompute=True,
        help="Company: its unified social credit code (required). Individual: optional resident ID number.",
    )
    ev_einvoice_remark = fields.Char(string="E-invoice Remark", help="Printed in the remarks (备注) box.")
    ev_einvoice_red_reason = fields.Selection(RED_REASONS, string="Red-letter Reason", copy=False)
    ev_einvoice_red_buyer_booked = fields.Boolean(
        string="Buyer Booked the Invoice", copy=False,
        help="The buyer confirmed use of (booked) the blue invoice: only then may a red-letter invoice be partial, "
             "and the buyer must confirm the form within 72 hours.",
    )
    ev_einvoice_replaces_id = fields.Many2one("account.move", string="Reissue Of", copy=False, readonly=True,
                                              index="btree_not_null")
    ev_einvoice_replaced_by_id = fields.Many2one("account.move", string="Reissued As",
                                                 compute="_compute_ev_einvoice_replaced_by_id")
    ev_einvoice_is_reissue_red = fields.Boolean(
        string="Red Reversal of a Reissue", compute="_compute_ev_einvoice_is_reissue_red",
        help="A credit note that red-reverses an invoice reissued (换开) as another one.")
    ev_einvoice_public_url = fields.Char(string="Buyer Download Link", compute="_compute_ev_einvoice_public_url")
    ev_einvoice_public_qr_url = fields.Char(string="Buyer Download QR", compute="_compute_ev_einvoice_public_url")

    # ------------------------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------------------------

    @api.depends("amount_total", "ev_einvoice_state", "company_id")
    def _compute_ev_einvoice_tax_notice(self):
        Provider = self.env["ev.einvoice.provider"]
        for move in self:
            provider = Provider._get_for_company(move.company_id) \
                if move.move_type == "out_invoice" and move.ev_einvoice_state in ("none", "to_issue", "failed") \
                else Provider
            move.ev_einvoice_tax_notice = "\n".join(provider._ev_issuing_notices(move.amount_total)) \
                if provider else False

    @api.depends("ev_einvoice_replaces_id")
    def _compute_payment_state(self):
        super()._compute_payment_state()
        # A reissue (换开) is settled by the credit note of the invoice it replaces: Odoo calls an invoice matched
        # with a credit note only "reversed" (已撤销), which the dealer reads as a cancelled invoice. It is paid.
        for move in self.filtered(lambda m: m.ev_einvoice_replaces_id and m.payment_state == "reversed"):
            move.payment_state = "paid"

    @api.depends("ev_einvoice_submission_id.state")
    def _compute_ev_einvoice_state(self):
        for move in self:
            move.ev_einvoice_state = move.ev_einvoice_submission_id.state or "none"

    def _compute_ev_einvoice_replaced_by_id(self):
        reissues = self.search([("ev_einvoice_replaces_id", "in", self.ids)], order="id") if self.ids else self
        for move in self:
            move.ev_einvoice_replaced_by_id = reissues.filtered(
                lambda reissue, move=move: reissue.ev_einvoice_replaces_id == move)[-1:]

    @api.depends("reversed_entry_id")
    def _compute_ev_einvoice_is_reissue_red(self):
        for move in self:
            move.ev_einvoice_is_reissue_red = move.move_type == "out_refund" and bool(
                move.reversed_entry_id.ev_einvoice_replaced_by_id)

    def _ev_einvoice_state_changed(self):
        """Hook: the state of the current submission changed (the POS till is told, see account_move_pos)."""

    def _ev_einvoice_note(self, body, attachment_ids=None):
        """A note of the e-invoice queue in the invoice's chatter. Logged, not posted: it notifies nobody either
        way, and message_post's hooks (author, alias, main attachment: a write on the posted invoice, Odoo's
        attempt to import an attached XML as a bill) took a third of the queue's time under load."""
        self.ensure_one()
        return self._message_log(body=body, attachment_ids=attachment_ids or False)

    @api.depends("partner_id")
    def _compute_ev_einvoice_buyer(self):
        for move in self:
            if move.ev_einvoice_state not in (False, "none", "failed", "to_issue"):
                continue
            partner = move.partner_id.commercial_partner_id
            move.ev_einvoice_buyer_is_company = partner.is_company
            move.ev_einvoice_buyer_name = partner.name or False
            move.ev_einvoice_buyer_tax_id = partner.vat or False

    def _ev_einvoice_buyer_link(self):
        """The buyer's public link to this invoice's e-invoice PDF (access token, no login). It can be printed
        before the e-invoice exists (a POS receipt): until it is issued the link says so, then it serves the PDF.
        False without an access token (see ``_portal_ensure_token``)."""
        self.ensure_one()
        if not self.access_token or self.move_type not in ("out_invoice", "out_refund"):
            return False
        return f"{self.get_base_url()}/ev_pay/einvoice/{self.id}/pdf?access_token={self.access_token}"

    def _ev_einvoice_not_yet_message(self):
        self.ensure_one()
        if self.ev_einvoice_state == "failed":
            return _("The e-invoice of %(invoice)s could not be issued yet; the store has been told. Please scan "
                     "this code again later.", invoice=self.name)
        return _("The e-invoice of %(invoice)s is being issued by the tax platform. Please scan this code again "
                 "in a few minutes.", invoice=self.name)

    @api.depends("access_token", "ev_einvoice_pdf_id")
    def _compute_ev_einvoice_public_url(self):
        for move in self:
            if move.ev_einvoice_pdf_id and move.access_token:
                url = move._ev_einvoice_buyer_link()
                move.ev_einvoice_public_url = url
                move.ev_einvoice_public_qr_url = f"/report/barcode/QR/{quote(url, safe='')}?width=240&height=240"
            else:
                move.ev_einvoice_public_url = False
                move.ev_einvoice_public_qr_url = False

    # ------------------------------------------------------------------------------------------------------------
    # Requesting (never calls the provider: the cron does)
    # ------------------------------------------------------------------------------------------------------------

    def _ev_store(self):
        self.ensure_one()
        Store = self.env["ev.store"].sudo()
        return Store.browse(Store._store_id_of_company(self.company_id.id))

    def _ev_einvoice_red_origin(self):
        """For a credit note: the blue invoice whose e-invoice it red-reverses."""
        self.ensure_one()
        origin = self.reversed_entry_id
        if self.move_type == "out_refund" and origin.ev_einvoice_number:
            return origin
        return self.browse()

    def _ev_einvoice_is_applicable(self):
        self.ensure_one()
        if self.state != "posted" or self.currency_id.is_zero(self.amount_total):
            return False
        if self.move_type == "out_invoice":
            pass
        elif self.move_type != "out_refund" or not self._ev_einvoice_red_origin():
            return False
        return bool(self.env["ev.einvoice.provider"]._get_for_company(self.company_id))

    def _ev_einvoice_request(self):
        """Mark the invoices (or red-letter credit notes) to issue and wake the issuing cron up. Safe to call
        inside any transaction, e.g. the one reconciling a payment: the provider is called later, by the cron.
        A first request opens the invoice's submission; a failed one is requested again under its own order
        number (the platform may hold it), never as a new submission."""
        requested = self.browse()
        Submission = self.env["ev.einvoice.submission"].sudo()
        for move in self.sudo():
            if move.ev_einvoice_state not in ("none", "failed") or not move._ev_einvoice_is_applicable():
                continue
            submission = move.ev_einvoice_submission_id
            if submission:
                submission.write({"state": "to_issue", "next_check": False, "error": False, "error_kind": False})
            else:
                move.ev_einvoice_submission_id = Submission.create({
                    "move_id": move.id,
                    "kind": "red" if move.move_type == "out_refund" else "blue",
                    "provider_id": self.env["ev.einvoice.provider"]._get_for_company(move.company_id).id,
                    "blue_submission_id": move._ev_einvoice_red_origin().ev_einvoice_submission_id.id,
                })
            requested |= move
        if requested:
            Submission._trigger_cron()
        return requested

    def _ev_einvoice_auto_on_payment(self):
        self.ensure_one()
        store = self._ev_store()
        return self.move_type == "out_invoice" and (not store or store.ev_einvoice_on_payment)

    def _invoice_paid_hook(self):
        # EXTENDS 'account': a paid customer invoice gets its e-invoice, issued in the background.
        res = super()._invoice_paid_hook()
        self.filtered(
            lambda m: m.ev_einvoice_state == "none" and m.move_type == "out_invoice"
            and m._ev_einvoice_auto_on_payment() and m._ev_einvoice_is_applicable()
        )._ev_einvoice_request()
        return res

    def _post(self, soft=True):
        # EXTENDS 'account': the invoices of a store (or a Chinese company) keep the company's day, as their
        # payments do. Odoo takes "today" from the posting user's time zone, UTC for the cron: a sale paid at 03:00
        # Beijing time would be invoiced on the day before, and an invoice dated on the Beijing day would count as
        # future-dated and be left unposted. So an undated one gets the company's day, and the posting runs in the
        # company's time zone.
        local = self.filtered(lambda m: m.is_sale_document() and (
            m.company_id.country_id.code == "CN" or m._ev_store()))
        for move in local.filtered(lambda m: not m.invoice_date):
            move.invoice_date = move.company_id._ev_today()
        time_zones = {move.company_id._ev_tz().key for move in local}
        moves = self.with_context(tz=time_zones.pop()) if local == self and len(time_zones) == 1 else self
        # A credit note of an issued e-invoice needs its red-letter e-invoice.
        posted = super(AccountMove, moves)._post(soft=soft)
        posted.filtered(
            lambda m: m.move_type == "out_refund" and m.ev_einvoice_state == "none" and m._ev_einvoice_red_origin()
        )._ev_einvoice_request()
        return posted

    def button_draft(self):
        # EXTENDS 'account': a 数电票 cannot be voided; only a red-letter credit note corrects it.
        for move in self:
            submission = move.ev_einvoice_submission_id
            platform_may_hold_it = submission.serial or (
                submission.attempts and submission.error_kind != "validation")
            if move.ev_einvoice_state in ("to_issue", "issuing", "issued", "red_reversed", "replaced") \
                    or platform_may_hold_it:
                raise UserError(_(
                    "%(move)s has a fully digital e-invoice (%(state)s) and can no longer be reset to draft or "
                    "cancelled: a 数电票 cannot be voided. Use a red-letter reversal instead.",
                    move=move.display_name,
                    state=dict(self._fields["ev_einvoice_state"]._description_selection(self.env)).get(
                        move.ev_einvoice_state),
                ))
        return super().button_draft()

    # ------------------------------------------------------------------------------------------------------------
    # Content and validation
    # ------------------------------------------------------------------------------------------------------------

    def _ev_einvoice_lines(self):
        self.ensure_one()
        return self.invoice_line_ids.filtered(lambda line: line.display_type == "product")

    def _ev_einvoice_line_label(self, line):
        """How an error names an invoice line: its position among the e-invoice lines and its product."""
        self.ensure_one()
        line_ids = self._ev_einvoice_lines().ids
        return _("line %(index)s (%(product)s)", index=line_ids.index(line.id) + 1 if line.id in line_ids else "?",
                 product=line.product_id.display_name or line.name or "?")

    def _ev_einvoice_line_rate(self, line):
        """The 数电票 rate of the line's sales tax. Raises ``UserError`` naming the line when the line has no tax,
        several taxes, or a tax the tax platform has no rate for."""
        taxes = line.tax_ids
        label = self._ev_einvoice_line_label(line)
        if not taxes:
            raise UserError(_(
                "The %(line)s has no VAT: set the sales tax of the product (13%%, or 1%% / 3%% for a small-scale "
                "taxpayer) and the line's tax.", line=label))
        if len(taxes) > 1:
            raise UserError(_(
                "The %(line)s carries several taxes (%(taxes)s): a fully digital e-invoice line has exactly one VAT "
                "rate.", line=label, taxes=", ".join(taxes.mapped("name"))))
        rate = taxes._ev_einvoice_rate()
        if rate is None:
            raise UserError(_(
                "The tax %(tax)s of the %(line)s has no fully digital e-invoice rate (13, 9, 6, 5, 3, 1 or 0%%, "
                "免税 or 不征税): choose another tax for the line.", tax=taxes.name, line=label))
        return rate

    def _ev_einvoice_line_amounts(self):
        """{invoice line: LineAmounts} from Odoo's own tax computation: amount without tax, tax and amount with tax
        of each product line, rounded the way the invoice's tax lines are (round per line or globally), so that the
        e-invoice's totals are the invoice's ``amount_untaxed`` and ``amount_tax`` to the fen. Amounts are positive
        for an invoice and for a credit note alike. Lines without a 数电票 rate raise ``UserError``."""
        self.ensure_one()
        AccountTax = self.env["account.tax"]
        product_lines = self._ev_einvoice_lines()
        base_lines = [self._prepare_product_base_line_for_taxes_computation(line) for line in product_lines]
        tax_lines = [self._prepare_tax_line_for_taxes_computation(line)
                     for line in self.line_ids.filtered(lambda line: line.display_type == "tax")]
        AccountTax._add_tax_details_in_base_lines(base_lines, self.company_id)
        AccountTax._round_base_lines_tax_details(base_lines, self.company_id, tax_lines=tax_lines)
        amounts = {}
        for base_line in base_lines:
            line = base_line["record"]
            details = base_line["tax_details"]
            excl = self._ev_fen(details["total_excluded_currency"] + details["delta_total_excluded_currency"])
            tax = self._ev_fen(sum(data["tax_amount_currency"] for data in details["taxes_data"]))
            amounts[line] = rules.LineAmounts(excl, tax, excl + tax, self._ev_einvoice_line_rate(line))
        return amounts

    def _ev_einvoice_goods_name(self, line):
        """The product's name; for the cashier's plain collection ("Store sale"), what the cashier typed was sold (the
        sale line's description: the invoice line's label is prefixed with the product's name)."""
        collection = self.env.ref("ev_pay_invoice.product_ev_collection", raise_if_not_found=False)
        if collection and line.product_id == collection:
            name = line.sale_line_ids[:1].name or line.name
        else:
            name = line.product_id.name
        return (name or line.name or "").split("\n")[0][:90]

    def _ev_fen(self, amount):
        """An Odoo amount as a Decimal with 2 decimals (fen)."""
        return Decimal(f"{self.currency_id.round(amount):.2f}")

    def _ev_einvoice_line_serials(self, line):
        """Serial codes sold on ``line``, grouped by kind: ``{kind: [code, ...]}``. Hook: this addon knows no
        serials (it does not deliver); an addon that delivers tracked products overrides it and
        ``_ev_einvoice_serial_remarks``."""
        return {}

    def _ev_einvoice_serial_remarks(self, serials):
        """Remark parts (备注) naming ``serials`` (all lines' ``_ev_einvoice_line_serials`` merged). Hook."""
        codes = [code for kind_codes in serials.values() for code in kind_codes]
        return ["序列号：" + "、".join(codes)] if codes else []

    def _ev_einvoice_invoice_line_type(self):
        self.ensure_one()
        if not self.ev_einvoice_buyer_is_company:
            return nuonuo.InvoiceLine.GENERAL
        provider = self.ev_einvoice_provider_id or self.env["ev.einvoice.provider"]._get_for_company(self.company_id)
        return nuonuo.InvoiceLine(self.ev_einvoice_type or provider.invoice_line or "pc")

    def _ev_einvoice_check(self, with_payload=True):
        """Every problem that would make the platform refuse this invoice, in the user's language. ``with_payload``:
        also build the e-invoice data and check it against the platform's rules (the queue, which builds it to send
        it anyway, reports those problems with ``_ev_einvoice_payload_error`` instead)."""
        self.ensure_one()
        errors = []
        provider = self.ev_einvoice_provider_id or self.env["ev.einvoice.provider"]._get_for_company(self.company_id)
        if not provider:
            errors.append(_("The company %(company)s has no active e-invoice provider.", company=self.company_id.name))
        if self.currency_id.name != "CNY":
            errors.append(_("A fully digital e-invoice is issued in CNY, not in %(currency)s.",
                            currency=self.currency_id.name))
        name = (self.ev_einvoice_buyer_name or "").strip()
        if not name:
            errors.append(_("The invoice title (buyer name) is missing."))
        elif len(name) > 100:
            errors.append(_("The invoice title has %(count)s characters; at most 100 are allowed.", count=len(name)))
        tax_id = (self.ev_einvoice_buyer_tax_id or "").strip()
        if self.ev_einvoice_buyer_is_company and not tax_id:
            errors.append(_("The buyer %(buyer)s is a company: its unified social credit code (taxpayer ID) is "
                            "required.", buyer=name))
        elif tax_id:
            check = validate_taxpayer_id(tax_id, organisation=self.ev_einvoice_buyer_is_company)
            if not check:
                errors.append(_("The buyer taxpayer ID %(tax_id)s is not valid: %(detail)s",
                                tax_id=tax_id, detail=check.detail))
        if self.ev_einvoice_type == "bs" and not self.ev_einvoice_buyer_is_company:
            errors.append(_("A special VAT e-invoice (专票) can only be issued to a company buyer."))
        if len(self.ev_einvoice_remark or "") > 200:
            errors.append(_("The remark has %(count)s characters; at most 200 are allowed.",
                            count=len(self.ev_einvoice_remark)))
        lines = self._ev_einvoice_lines()
        if not lines:
            errors.append(_("The invoice has no product line to put on the e-invoice."))
        for line in lines:
            label = line.product_id.display_name or line.name or "?"
            template = line.product_id.product_tmpl_id
            code = template._ev_get_tax_classification_code() if template else ""
            check = rules.validate_tax_classification_code(code)
            if not check:
                if check.reason is rules.Reason.EMPTY:
                    errors.append(_("The product %(product)s has no tax classification code (税收分类编码); set it on "
                                    "the product or its category.", product=label))
                else:
                    errors.append(_("The tax classification code %(code)s of %(product)s is not valid: %(detail)s",
                                    code=code, product=label, detail=check.detail))
            if self.move_type == "out_invoice" and self.currency_id.compare_amounts(line.price_total, 0) <= 0:
                errors.append(_("The line %(product)s has no positive amount (%(amount)s): discounts and free items "
                                "cannot be put on a fully digital e-invoice line by line.",
                                product=label, amount=line.price_total))
            try:
                self._ev_einvoice_line_rate(line)
            except UserError as error:
                errors.append(error.args[0])
        if self.move_type == "out_refund":
            errors.extend(self._ev_einvoice_check_red())
        if not errors and provider and with_payload:
            try:
                if self.move_type == "out_invoice":
                    nuonuo.build_billing_payload(self._ev_einvoice_blue_invoice(provider, order_no="CHECK"))
                else:
                    nuonuo.build_red_confirm_payload(self._ev_einvoice_red_request(provider, "CHECK", "CHECK"))
            except (nuonuo.InvoiceDataError, rules.AmountError) as error:
                errors.append(self._ev_einvoice_payload_error(error))
        return errors

    @api.model
    def _ev_einvoice_payload_error(self, error):
        """The user's message for e-invoice data refused by the protocol's rules (``InvoiceDataError``,
        ``AmountError``)."""
        return _("The e-invoice data breaks a rule of the tax platform: %(detail)s",
                 detail="; ".join(getattr(error, "problems", [str(error)])))

    def _ev_einvoice_check_red(self):
        origin = self._ev_einvoice_red_origin()
        errors = []
        if not origin:
            return [_("This credit note does not reverse an issued e-invoice.")]
        if origin.ev_einvoice_state != "issued":
            errors.append(_("The e-invoice %(number)s is %(state)s: only an issued e-invoice can be red-reversed.",
                            number=origin.ev_einvoice_number, state=origin.ev_einvoice_state))
        partial = self.currency_id.compare_amounts(self.amount_total, origin.amount_total) != 0
        if self.currency_id.compare_amounts(self.amount_total, origin.amount_total) > 0:
            errors.append(_("The credit note (%(amount)s) is larger than the invoice it reverses (%(origin)s).",
                            amount=self.amount_total, origin=origin.amount_total))
        elif partial:
            if not self.ev_einvoice_red_buyer_booked:
                errors.append(_("A partial red-letter invoice is only allowed once the buyer has booked the blue "
                                "invoice; otherwise reverse it in full."))
            if self.ev_einvoice_red_reason not in ("1", "4"):
                errors.append(_("A partial red-letter invoice is only allowed for a sales return or a sales "
                                "allowance; an invoicing error is always reversed in full."))
        return errors

    def _ev_einvoice_blue_invoice(self, provider, order_no=None):
        """The ``BlueInvoice`` of this customer invoice (protocols.nuonuo), amounts tax-inclusive."""
        self.ensure_one()
        company_partner = self.company_id.partner_id
        lines, serials_by_kind = [], {}
        for line, amounts in self._ev_einvoice_line_amounts().items():
            template = line.product_id.product_tmpl_id
            serials = self._ev_einvoice_line_serials(line)
            for kind, codes in serials.items():
                serials_by_kind.setdefault(kind, []).extend(codes)
            spec = "、".join(code for codes in serials.values() for code in codes)
            quantity = Decimal(str(line.quantity)) if line.quantity else None
            lines.append(nuonuo.BillingLine(
                goods_name=self._ev_einvoice_goods_name(line),
                goods_code=template._ev_get_tax_classification_code() or "",
                tax_rate=amounts.rate,
                amount_incl=amounts.incl,
                amounts=amounts,
                quantity=quantity.normalize() if quantity else None,
                unit=(line.product_uom_id.name or "")[:20],
                spec_type=spec if len(spec) <= 40 else "",
            ))
        remark_parts = [self.ev_einvoice_remark or "", *self._ev_einvoice_serial_remarks(serials_by_kind)]
        remark = "；".join(p for p in remark_parts if p)
        store = self._ev_store()
        return nuonuo.BlueInvoice(
            order_no=order_no or self.ev_einvoice_submission_id.order_no,
            invoice_date=datetime.now(UTC),
            clerk=provider.drawer,
            seller=nuonuo.Seller(
                tax_num=(provider.seller_tax_id or "").strip().upper(),
                tel=(store.phone if store else "") or company_partner.phone or "",
                address=(company_partner.contact_address or "").replace("\n", " ").strip()[:80],
            ),
            buyer=nuonuo.Buyer(
                name=(self.ev_einvoice_buyer_name or "").strip(),
                tax_num=(self.ev_einvoice_buyer_tax_id or "").strip(),
                is_company=self.ev_einvoice_buyer_is_company,
            ),
            lines=lines,
            invoice_line=self._ev_einvoice_invoice_line_type(),
            remark=remark[:200],
            callback_url=provider._ev_callback_url(),
            extension_number=provider.extension_number or "",
            survey_answer_type="3" if store and store.taxpayer_kind == "small_scale" else "",
        )

    def _ev_einvoice_red_request(self, provider, bill_id, order_no):
        self.ensure_one()
        origin = self._ev_einvoice_red_origin()
        reason = nuonuo.RedReason.from_nuonuo(self.ev_einvoice_red_reason or "2")
        red_lines = []
        if self.currency_id.compare_amounts(self.amount_total, origin.amount_total) != 0:
            blue_lines = list(origin._ev_einvoice_lines())
            for line, amounts in self._ev_einvoice_line_amounts().items():
                index = next((i for i, blue in enumerate(blue_lines, 1) if blue.product_id == line.product_id), 0)
                red_lines.append(nuonuo.RedLine(
                    blue_detail_index=index, goods_name=self._ev_einvoice_goods_name(line),
                    goods_code=line.product_id.product_tmpl_id._ev_get_tax_classification_code() or "",
                    tax_rate=amounts.rate, amount_excl=-amounts.excl, tax=-amounts.tax,
                    quantity=-Decimal(str(line.quantity)).normalize() if line.quantity else None,
                ))
        return nuonuo.RedConfirmRequest(
            bill_id=bill_id,
            blue_invoice_number=origin.ev_einvoice_number,
            blue_invoice_line=origin._ev_einvoice_invoice_line_type(),
            seller_tax_num=(provider.seller_tax_id or "").strip().upper(),
            seller_name=self.company_id.name,
            buyer_name=(origin.ev_einvoice_buyer_name or "").strip(),
            buyer_tax_num=(origin.ev_einvoice_buyer_tax_id or "").strip(),
            reason=reason,
            order_no=order_no,
            callback_url=provider._ev_callback_url(),
            extension_number=provider.extension_number or "",
            buyer_has_booked=self.ev_einvoice_red_buyer_booked,
            lines=red_lines,
        )

    # ------------------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------------------

    def action_ev_einvoice_issue(self):
        for move in self:
            if not move._ev_einvoice_is_applicable():
                raise UserError(_("%(move)s cannot get a fully digital e-invoice: it must be a posted customer "
                                  "invoice of a company with an active e-invoice provider.", move=move.display_name))
            errors = move._ev_einvoice_check()
            if errors:
                raise UserError("\n".join(str(e) for e in errors))
        self._ev_einvoice_request()
        for move in self:
            move.message_post(body=_("E-invoice requested."))
        return True

    def action_ev_einvoice_retry(self):
        for move in self:
            if move.ev_einvoice_state != "failed":
                raise UserError(_("Only a failed e-invoice can be retried."))
            submission = move.ev_einvoice_submission_id
            if not submission.serial and not submission.red_bill_no:
                errors = move._ev_einvoice_check()
                if errors:
                    raise UserError("\n".join(str(e) for e in errors))
            # Stays "failed" until the cron has asked the platform; a failed invoice is retried under its own
            # order number (and serial), never as a new one.
            submission.sudo()._retry()
            move.message_post(body=_("E-invoice retry requested by %(user)s.", user=self.env.user.name))
        return True

    def _ev_einvoice_download_action(self, attachment):
        if not attachment:
            raise UserError(_("The e-invoice file is not available yet."))
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "download"}

    def action_ev_einvoice_download_pdf(self):
        self.ensure_one()
        return self._ev_einvoice_download_action(self.ev_einvoice_pdf_id)

    def action_ev_einvoice_download_xml(self):
        self.ensure_one()
        return self._ev_einvoice_download_action(self.ev_einvoice_xml_id)

    def action_ev_einvoice_red_wizard(self):
        self.ensure_one()
        if self.ev_einvoice_state != "issued" or self.move_type != "out_invoice":
            raise UserError(_("Only an issued e-invoice of a customer invoice can be red-reversed or reissued."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Red-letter reversal / Reissue"),
            "res_model": "ev.einvoice.red.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id,
                        "default_mode": self.env.context.get("ev_einvoice_mode", "red")},
        }

    def action_ev_einvoice_send(self):
        """Odoo's send & print, with the e-invoice PDF and XML attached."""
        self.ensure_one()
        return self.action_invoice_sent()

    def action_ev_einvoice_open_related(self):
        self.ensure_one()
        related = self.ev_einvoice_replaced_by_id | self.ev_einvoice_replaces_id | self.reversal_move_ids \
            | self.reversed_entry_id
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.action_ev_order_invoices")
        action["domain"] = [("id", "in", related.ids)]
        return action
