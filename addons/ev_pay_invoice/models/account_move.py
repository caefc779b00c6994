import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import psycopg2
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..protocols import einvoice_rules as rules
from ..protocols import nuonuo
from ..protocols.nuonuo import ApiMethod, InvoiceState, Outcome
from ..protocols.uscc import validate_taxpayer_id
from .ev_einvoice_provider import EInvoiceUnavailable

_logger = logging.getLogger(__name__)

EINVOICE_STATES = [
    ("none", "Not requested"),
    ("to_issue", "To issue"),
    ("issuing", "Issuing"),
    ("issued", "Issued"),
    ("failed", "Failed"),
    ("red_reversed", "Red-reversed"),
    ("replaced", "Replaced"),
]
RED_REASONS = [
    ("2", "Invoicing error (开票有误)"),
    ("1", "Sales return (销货退回)"),
    ("3", "Service termination (服务中止)"),
    ("4", "Sales allowance (销售折让)"),
]
# Automatic retries after a transient failure (seconds): 1, 2, 5, 10, 30 minutes, then hourly.
RETRY_DELAYS = (60, 120, 300, 600, 1800, 3600)
MAX_AUTO_RETRIES = 24
POLL_MIN_DELAY = 1.0
CRON_TIME_BUDGET = 60  # seconds per cron run; the cron re-triggers itself for the rest
# A check due this soon (seconds) is waited for within the cron run: a trigger in the future only wakes the cron
# worker at its next poll, up to a minute later, while the cashier waits for the e-invoice on screen.
WAIT_FOR_SOON_CHECK = 10


class AccountMove(models.Model):
    _inherit = "account.move"

    ev_einvoice_state = fields.Selection(
        EINVOICE_STATES, string="E-invoice", default="none", required=True, copy=False, tracking=True, index=True,
        help="The fully digital e-invoice (数电票) of this invoice on the tax platform.",
    )
    ev_einvoice_provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", copy=False,
                                              readonly=True)
    ev_einvoice_order_no = fields.Char(
        string="E-invoice Order Number", size=20, copy=False, readonly=True, index="btree_not_null",
        help="Our own idempotency key at the provider, stored before the first call and never changed.",
    )
    ev_einvoice_serial = fields.Char(string="E-invoice Serial", copy=False, readonly=True)
    ev_einvoice_number = fields.Char(string="E-invoice Number", copy=False, readonly=True, index="btree_not_null",
                                     help="The 20-digit number of the fully digital e-invoice.")
    ev_einvoice_issued_at = fields.Datetime(string="E-invoice Issued On", copy=False, readonly=True)
    ev_einvoice_qr_code = fields.Char(string="Tax QR Payload", copy=False, readonly=True)
    ev_einvoice_error = fields.Text(string="E-invoice Error", copy=False, readonly=True)
    ev_einvoice_error_kind = fields.Selection(
        [("validation", "Invoice data"), ("unavailable", "Platform unavailable"),
         ("tax_login", "Tax-bureau login expired"), ("platform", "Refused by the platform")],
        string="E-invoice Error Kind", copy=False, readonly=True,
    )
    ev_einvoice_attempts = fields.Integer(string="E-invoice Submissions", copy=False, readonly=True)
    ev_einvoice_retry_count = fields.Integer(string="E-invoice Retries", copy=False, readonly=True)
    ev_einvoice_next_check = fields.Datetime(string="E-invoice Next Check", copy=False, readonly=True)
    ev_einvoice_pdf_id = fields.Many2one("ir.attachment", string="E-invoice PDF", copy=False, readonly=True)
    ev_einvoice_xml_id = fields.Many2one("ir.attachment", string="E-invoice XML", copy=False, readonly=True)
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
    ev_einvoice_red_bill_id = fields.Char(string="Red Form Application ID", size=32, copy=False, readonly=True)
    ev_einvoice_red_bill_no = fields.Char(string="Red Confirmation Form", copy=False, readonly=True)
    ev_einvoice_red_form_state = fields.Char(string="Red Form Status", copy=False, readonly=True)
    ev_einvoice_replaced_by_id = fields.Many2one("account.move", string="Reissued As", copy=False, readonly=True)
    ev_einvoice_replaces_id = fields.Many2one("account.move", string="Reissue Of", copy=False, readonly=True)
    ev_einvoice_is_reissue_red = fields.Boolean(copy=False, readonly=True)
    ev_einvoice_public_url = fields.Char(string="Buyer Download Link", compute="_compute_ev_einvoice_public_url")
    ev_einvoice_public_qr_url = fields.Char(string="Buyer Download QR", compute="_compute_ev_einvoice_public_url")

    # ------------------------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------------------------

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
        company = self.company_id
        return self.env["ev.store"].sudo().search([("company_id", "in", [company.id, company.root_id.id])], limit=1)

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
        inside any transaction, e.g. the one reconciling a payment: the provider is called later, by the cron."""
        requested = self.browse()
        for move in self.sudo():
            if move.ev_einvoice_state not in ("none", "failed") or not move._ev_einvoice_is_applicable():
                continue
            provider = self.env["ev.einvoice.provider"]._get_for_company(move.company_id)
            move.write({
                "ev_einvoice_state": "to_issue",
                "ev_einvoice_provider_id": move.ev_einvoice_provider_id.id or provider.id,
                "ev_einvoice_next_check": False,
                "ev_einvoice_error": False,
                "ev_einvoice_error_kind": False,
            })
            requested |= move
        if requested:
            self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()._trigger()
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
        # EXTENDS 'account': a credit note of an issued e-invoice needs its red-letter e-invoice.
        posted = super()._post(soft=soft)
        posted.filtered(
            lambda m: m.move_type == "out_refund" and m.ev_einvoice_state == "none" and m._ev_einvoice_red_origin()
        )._ev_einvoice_request()
        return posted

    def button_draft(self):
        # EXTENDS 'account': a 数电票 cannot be voided; only a red-letter credit note corrects it.
        for move in self:
            platform_may_hold_it = move.ev_einvoice_serial or (
                move.ev_einvoice_attempts and move.ev_einvoice_error_kind != "validation")
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
        """Serial codes delivered on the line's sale order lines, by role: {'vehicle': [...], ...}."""
        lots = line.sale_line_ids.move_ids.filtered(lambda m: m.state == "done").lot_ids \
            if "sale_line_ids" in line._fields else self.env["stock.lot"]
        serials = {}
        for lot in lots:
            template = lot.product_id.product_tmpl_id
            role = template.ev_role if "ev_role" in template._fields else False
            serials.setdefault(role or "other", []).append(lot.name)
        return serials

    def _ev_einvoice_invoice_line_type(self):
        self.ensure_one()
        if not self.ev_einvoice_buyer_is_company:
            return nuonuo.InvoiceLine.GENERAL
        return nuonuo.InvoiceLine(self.ev_einvoice_type or self.ev_einvoice_provider_id.invoice_line or "pc")

    def _ev_einvoice_check(self):
        """Every problem that would make the platform refuse this invoice, in the user's language."""
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
        if not errors and provider:
            try:
                if self.move_type == "out_invoice":
                    nuonuo.build_billing_payload(self._ev_einvoice_blue_invoice(provider, order_no="CHECK"))
                else:
                    nuonuo.build_red_confirm_payload(self._ev_einvoice_red_request(provider, "CHECK", "CHECK"))
            except (nuonuo.InvoiceDataError, rules.AmountError) as error:
                errors.append(_("The e-invoice data breaks a rule of the tax platform: %(detail)s",
                                detail="; ".join(getattr(error, "problems", [str(error)]))))
        return errors

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
        lines, remark_codes = [], {}
        for line, amounts in self._ev_einvoice_line_amounts().items():
            template = line.product_id.product_tmpl_id
            serials = self._ev_einvoice_line_serials(line)
            for role, codes in serials.items():
                remark_codes.setdefault(role, []).extend(codes)
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
        remark_parts = [self.ev_einvoice_remark or ""]
        codes_remark = nuonuo.vehicle_remark(
            vehicle_code="、".join(remark_codes.get("vehicle", [])),
            battery_codes=remark_codes.get("battery", []),
            charger_codes=remark_codes.get("charger", []),
        ) if any(remark_codes.get(r) for r in ("vehicle", "battery", "charger")) else ""
        remark_parts.append(codes_remark)
        if remark_codes.get("other"):
            remark_parts.append("序列号：" + "、".join(remark_codes["other"]))
        remark = "；".join(p for p in remark_parts if p)
        store = self._ev_store()
        return nuonuo.BlueInvoice(
            order_no=order_no or self.ev_einvoice_order_no,
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
    # The issuing cron
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _ev_einvoice_due_domain(self):
        now = fields.Datetime.now()
        return [
            ("move_type", "in", ("out_invoice", "out_refund")),
            "|",
            "&", ("ev_einvoice_state", "in", ("to_issue", "issuing")),
            "|", ("ev_einvoice_next_check", "=", False), ("ev_einvoice_next_check", "<=", now),
            "&", ("ev_einvoice_state", "=", "failed"),
            "&", ("ev_einvoice_next_check", "!=", False), ("ev_einvoice_next_check", "<=", now),
        ]

    def _ev_commit(self):
        if self._can_commit():
            self.env.cr.commit()

    @api.model
    def _cron_ev_einvoice_process(self, limit=None):
        """Issue, poll and retry e-invoices, one invoice at a time, each in its own transaction. Rows another
        worker is busy with are skipped (FOR UPDATE SKIP LOCKED), so several cron runs may work side by side."""
        started = datetime.now()
        done = 0
        seen = set()
        while True:
            candidates = self.sudo().search(self._ev_einvoice_due_domain() + [("id", "not in", list(seen))],
                                            order="ev_einvoice_next_check asc nulls first, id", limit=50)
            if not candidates:
                wait = self._ev_einvoice_wait_for_soon_check(started) if self.env.context.get("cron_id") else 0
                if not wait:
                    break
                time.sleep(wait)
                seen.clear()
                continue
            prefetched = candidates._ev_einvoice_batch_query()
            for move_id in candidates.ids:
                seen.add(move_id)
                try:
                    with mute_logger("odoo.sql_db"):
                        self.env.cr.execute(
                            "SELECT id FROM account_move WHERE id = %s FOR UPDATE SKIP LOCKED", (move_id,))
                except psycopg2.errors.SerializationFailure:
                    # Another worker changed it since our snapshot: it is (being) handled there.
                    if not self._can_commit():
                        raise
                    self.env.cr.rollback()
                    continue
                if not self.env.cr.fetchone():
                    continue
                move = self.sudo().browse(move_id)
                move.invalidate_recordset()
                if not move.filtered_domain(self._ev_einvoice_due_domain()):
                    self._ev_commit()
                    continue
                try:
                    move._ev_einvoice_process_one(prefetched)
                except psycopg2.errors.SerializationFailure:
                    # A concurrent update: drop this transaction. The order number and the attempt were committed
                    # before any call, so the next run queries the platform before doing anything else.
                    if not self._can_commit():
                        raise
                    self.env.cr.rollback()
                    continue
                except Exception:
                    if not self._can_commit():
                        raise
                    self.env.cr.rollback()
                    _logger.exception("E-invoice of move %s: unexpected error", move_id)
                    move = self.sudo().browse(move_id)
                    move._ev_einvoice_fail("unavailable", _("Unexpected error; see the server log."))
                done += 1
                self._ev_commit()
                if limit and done >= limit:
                    break
                if (datetime.now() - started).total_seconds() > CRON_TIME_BUDGET:
                    break
            if (limit and done >= limit) or (datetime.now() - started).total_seconds() > CRON_TIME_BUDGET:
                break
        self._ev_einvoice_schedule_next()
        return done

    @api.model
    def _ev_einvoice_wait_for_soon_check(self, started):
        """Seconds to wait for the next check when it is due soon and the run has time left, else 0."""
        pending = self.sudo().search([
            ("move_type", "in", ("out_invoice", "out_refund")), ("ev_einvoice_state", "in", ("to_issue", "issuing")),
            ("ev_einvoice_next_check", "!=", False),
        ], order="ev_einvoice_next_check asc", limit=1)
        if not pending:
            return 0
        wait = max((pending.ev_einvoice_next_check - fields.Datetime.now()).total_seconds(), POLL_MIN_DELAY)
        elapsed = (datetime.now() - started).total_seconds()
        return wait if wait <= WAIT_FOR_SOON_CHECK and elapsed + wait < CRON_TIME_BUDGET else 0

    @api.model
    def _ev_einvoice_schedule_next(self):
        pending = self.sudo().search([
            ("move_type", "in", ("out_invoice", "out_refund")),
            "|", ("ev_einvoice_state", "in", ("to_issue", "issuing")),
            "&", ("ev_einvoice_state", "=", "failed"), ("ev_einvoice_next_check", "!=", False),
        ], order="ev_einvoice_next_check asc nulls first", limit=1)
        if pending:
            at = max(pending.ev_einvoice_next_check or fields.Datetime.now(), fields.Datetime.now())
            for cron in self._ev_einvoice_crons():
                cron._trigger(at=at)

    @api.model
    def _ev_einvoice_crons(self):
        """The issuing cron, plus any extra "lanes" (copies of it) that let several cron workers share the work."""
        main = self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()
        lanes = self.env["ir.cron"].sudo().search([
            ("id", "!=", main.id), ("code", "=", main.code), ("model_id", "=", main.model_id.id)])
        return main | lanes

    def _ev_einvoice_batch_query(self):
        """Ask the platform about the pending invoices among ``self`` in as few calls as possible: one
        ``queryInvoiceResult`` per provider account and per 50 serial numbers, instead of one call per invoice.
        Returns {(provider id, serial): InvoiceResult}. Best effort: an invoice missing from the answer (or a
        failed call) is queried on its own, as before. Nothing is written here; each invoice still applies its
        result in its own locked transaction, and an invoice without a serial is still queried by its order
        number first (query-first idempotency)."""
        by_provider = {}
        for move in self.sudo():
            if move.move_type == "out_invoice" and move.ev_einvoice_state == "issuing" and move.ev_einvoice_serial \
                    and move.ev_einvoice_provider_id.state in ("test", "enabled") \
                    and not move.ev_einvoice_replaces_id:
                by_provider.setdefault(move.ev_einvoice_provider_id, []).append(move.ev_einvoice_serial)
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

    def _ev_einvoice_process_one(self, prefetched=None):
        self.ensure_one()
        provider = self.ev_einvoice_provider_id
        if not provider or provider.state == "disabled":
            self._ev_einvoice_fail("validation", _("The e-invoice provider is missing or disabled."))
            return
        retrying = self.ev_einvoice_state == "failed"
        try:
            if self.move_type == "out_refund":
                self._ev_einvoice_process_red(provider, retrying)
            else:
                self._ev_einvoice_process_blue(provider, retrying, prefetched=prefetched)
        except EInvoiceUnavailable as error:
            self._ev_einvoice_fail("unavailable", str(error))
        except nuonuo.NuonuoError as error:
            self._ev_einvoice_fail_outcome(error.outcome, f"{error.code}: {error.describe}")

    def _ev_einvoice_fail_outcome(self, outcome, message):
        if outcome is Outcome.TAX_LOGIN_REQUIRED:
            self._ev_einvoice_fail("tax_login", message)
        elif outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.TOKEN_INVALID, Outcome.UNKNOWN,
                         Outcome.RETRY_LIMIT):
            self._ev_einvoice_fail("unavailable", message)
        else:
            self._ev_einvoice_fail("validation" if outcome is Outcome.VALIDATION else "platform", message)

    def _ev_einvoice_fail(self, kind, message):
        """Failed, with the reason; transient problems (and an expired tax-bureau login) retry by themselves."""
        self.ensure_one()
        auto_retry = kind in ("unavailable", "tax_login") and self.ev_einvoice_retry_count < MAX_AUTO_RETRIES
        delay = RETRY_DELAYS[min(self.ev_einvoice_retry_count, len(RETRY_DELAYS) - 1)]
        first_time = self.ev_einvoice_state != "failed" or self.ev_einvoice_error != message
        self.write({
            "ev_einvoice_state": "failed",
            "ev_einvoice_retry_count": self.ev_einvoice_retry_count + 1,
            "ev_einvoice_error": message,
            "ev_einvoice_error_kind": kind,
            "ev_einvoice_next_check": fields.Datetime.now() + timedelta(seconds=delay) if auto_retry else False,
        })
        if first_time:
            self.message_post(body=Markup("%s<br/>%s") % (
                _("The e-invoice could not be issued:"), message))
        if kind == "tax_login":
            self._ev_einvoice_alert_tax_login()

    def _ev_einvoice_alert_tax_login(self):
        store = self._ev_store()
        user = (store.manager_id if store else False) or self.env.ref("base.user_admin", raise_if_not_found=False)
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        if not user or self.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type and a.user_id == user
                and a.summary == _("Log in to the tax bureau again")):
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id, summary=_("Log in to the tax bureau again"),
            note=_("The drawer %(drawer)s is no longer logged in to the electronic tax bureau, so e-invoices cannot "
                   "be issued. Log in again (scan the face-recognition QR code in the provider's workbench); the "
                   "waiting invoices are then issued by themselves.", drawer=self.ev_einvoice_provider_id.drawer),
        )

    def _ev_einvoice_new_order_no(self, prefix="E"):
        """≤ 20 characters, unique: prefix + move id + random tail (never reused)."""
        return f"{prefix}{self.id}T{secrets.token_hex(4).upper()}"[:20]

    def _ev_einvoice_in_flight_until(self, provider):
        """While this worker's call is in flight (the row lock is released by the commit before it), another cron
        worker must not pick the invoice up and submit it a second time: it is not due before the call's timeout.
        If this worker dies, the invoice is due again then, and the next run queries the platform first."""
        return fields.Datetime.now() + timedelta(seconds=(provider.timeout or 15) + 5)

    def _ev_einvoice_poll_later(self, provider):
        delay = max(POLL_MIN_DELAY, provider._ev_poll_delay())
        self.ev_einvoice_next_check = fields.Datetime.now() + timedelta(seconds=delay)

    def _ev_einvoice_process_blue(self, provider, retrying=False, prefetched=None):
        if self.ev_einvoice_replaces_id and self.ev_einvoice_replaces_id.ev_einvoice_state != "replaced":
            # A reissue waits for the red-letter reversal of the invoice it replaces.
            self.ev_einvoice_next_check = fields.Datetime.now() + timedelta(seconds=POLL_MIN_DELAY)
            return
        if not self.ev_einvoice_order_no:
            errors = self._ev_einvoice_check()
            if errors:
                self._ev_einvoice_fail("validation", "\n".join(str(e) for e in errors))
                return
            self.write({"ev_einvoice_order_no": self._ev_einvoice_new_order_no()})
            self.message_post(body=_("E-invoice order number %(order_no)s reserved.",
                                     order_no=self.ev_einvoice_order_no))
        if not self.ev_einvoice_serial:
            # Commit the order number and the attempt BEFORE calling: after a crash or a timeout the next run
            # finds the attempt and asks the platform first, so a second invoice can never be issued.
            self.write({"ev_einvoice_attempts": self.ev_einvoice_attempts + 1, "ev_einvoice_state": "issuing",
                        "ev_einvoice_next_check": self._ev_einvoice_in_flight_until(provider)})
            self._ev_commit()
            if self.ev_einvoice_attempts > 1 and self._ev_einvoice_query_blue(provider, by_order=True,
                                                                              retrying=retrying):
                return
            errors = self._ev_einvoice_check()
            if errors:
                self._ev_einvoice_fail("validation", "\n".join(str(e) for e in errors))
                return
            payload = nuonuo.build_billing_payload(self._ev_einvoice_blue_invoice(provider))
            answer = provider._ev_call(ApiMethod.REQUEST_BILLING, payload)
            if answer.outcome is Outcome.DUPLICATE_ORDER:
                if not self._ev_einvoice_query_blue(provider, by_order=True, retrying=retrying):
                    self._ev_einvoice_poll_later(provider)
                return
            serial = nuonuo.parse_billing_response(answer)
            self.write({"ev_einvoice_serial": serial, "ev_einvoice_state": "issuing",
                        "ev_einvoice_error": False, "ev_einvoice_error_kind": False})
            self.message_post(body=_("E-invoice accepted by the platform (serial %(serial)s).", serial=serial))
            self._ev_einvoice_poll_later(provider)
            return
        if not self._ev_einvoice_query_blue(provider, retrying=retrying, prefetched=prefetched):
            self._ev_einvoice_poll_later(provider)

    def _ev_einvoice_query_blue(self, provider, by_order=False, retrying=False, prefetched=None):
        """Query the platform and apply the answer. Returns False when the platform does not know the invoice.
        ``prefetched``: the answers of the cron's batch query ({(provider id, serial): result}), used instead of
        a call of its own when they hold this invoice's serial."""
        result = None if by_order or retrying else (prefetched or {}).get((provider.id, self.ev_einvoice_serial))
        if result:
            self._ev_einvoice_apply_result(provider, result, retrying=retrying)
            return True
        if by_order or not self.ev_einvoice_serial:
            payload = nuonuo.build_query_payload(order_nos=[self.ev_einvoice_order_no])
        else:
            payload = nuonuo.build_query_payload(serial_nos=[self.ev_einvoice_serial])
        results = nuonuo.parse_invoice_results(provider._ev_call(ApiMethod.QUERY_INVOICE, payload))
        result = next((r for r in results if r.order_no == self.ev_einvoice_order_no or
                       r.serial_no == self.ev_einvoice_serial), None)
        if not result:
            return False
        self._ev_einvoice_apply_result(provider, result, retrying=retrying)
        return True

    def _ev_einvoice_apply_result(self, provider, result, retrying=False):
        if result.serial_no and result.serial_no != self.ev_einvoice_serial:
            self.ev_einvoice_serial = result.serial_no
        if result.state is InvoiceState.ISSUED:
            self._ev_einvoice_mark_issued(provider, result)
        elif result.state is InvoiceState.FAILED and not retrying:
            self._ev_einvoice_fail_outcome(result.failure or Outcome.VALIDATION,
                                           result.fail_cause or result.status_message)
        elif result.state in (InvoiceState.FAILED, InvoiceState.SIGN_FAILED):
            # A retry of an invoice the platform failed (22), or issued but not signed (24): reInvoice, under the
            # same serial and order number; never a new invoice.
            answer = provider._ev_call(ApiMethod.REINVOICE,
                                       nuonuo.build_reinvoice_payload(result.serial_no, result.order_no))
            answer.raise_for_outcome()
            self.ev_einvoice_state = "issuing"
            self._ev_einvoice_poll_later(provider)
        else:
            self.ev_einvoice_state = "issuing"
            self._ev_einvoice_poll_later(provider)

    def _ev_einvoice_mark_issued(self, provider, result):
        if not result.invoice_number:
            raise nuonuo.NuonuoProtocolError("an issued invoice without a 20-digit number")
        pdf = provider._ev_download(result.pdf_url) if result.pdf_url else b""
        xml = provider._ev_download(result.xml_url) if result.xml_url else b""
        Attachment = self.env["ir.attachment"].sudo()
        prefix = "红字数电票" if self.move_type == "out_refund" else "数电票"
        vals = {
            "ev_einvoice_state": "issued",
            "ev_einvoice_number": result.invoice_number,
            "ev_einvoice_issued_at": (result.issued_at.astimezone(UTC).replace(tzinfo=None)
                                      if result.issued_at else fields.Datetime.now()),
            "ev_einvoice_qr_code": result.qr_code or False,
            "ev_einvoice_error": False,
            "ev_einvoice_error_kind": False,
            "ev_einvoice_next_check": False,
            "ev_einvoice_retry_count": 0,
        }
        for kind, content, mimetype in (("pdf", pdf, "application/pdf"), ("xml", xml, "application/xml")):
            if content:
                vals[f"ev_einvoice_{kind}_id"] = Attachment.create({
                    "name": f"{prefix}_{result.invoice_number}.{kind}", "raw": content, "mimetype": mimetype,
                    "res_model": self._name, "res_id": self.id,
                }).id
        self.write(vals)
        self._portal_ensure_token()
        self.message_post(
            body=_("Fully digital e-invoice %(number)s issued.", number=result.invoice_number),
            attachment_ids=[a for a in (vals.get("ev_einvoice_pdf_id"), vals.get("ev_einvoice_xml_id")) if a],
        )
        if self.move_type == "out_refund":
            origin = self._ev_einvoice_red_origin()
            new_state = "replaced" if self.ev_einvoice_is_reissue_red else "red_reversed"
            origin.write({"ev_einvoice_state": new_state})
            origin.message_post(body=_("Red-reversed by the red-letter e-invoice %(number)s (%(credit_note)s).",
                                       number=result.invoice_number, credit_note=self.name))
            if origin.ev_einvoice_replaced_by_id:
                origin.ev_einvoice_replaced_by_id.write({"ev_einvoice_next_check": False})
                self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()._trigger()

    # -- red letter ------------------------------------------------------------------------------------------

    def _ev_einvoice_process_red(self, provider, retrying=False):
        if not self.ev_einvoice_red_bill_id:
            errors = self._ev_einvoice_check()
            if errors:
                self._ev_einvoice_fail("validation", "\n".join(str(e) for e in errors))
                return
            self.write({
                "ev_einvoice_red_bill_id": f"RB{self.id}T{secrets.token_hex(6).upper()}"[:32],
                "ev_einvoice_order_no": self._ev_einvoice_new_order_no("R"),
            })
        if not self.ev_einvoice_red_bill_no:
            self.write({"ev_einvoice_attempts": self.ev_einvoice_attempts + 1, "ev_einvoice_state": "issuing",
                        "ev_einvoice_next_check": self._ev_einvoice_in_flight_until(provider)})
            self._ev_commit()
            form = self._ev_einvoice_query_red_form(provider) if self.ev_einvoice_attempts > 1 else None
            if form is None:
                request = self._ev_einvoice_red_request(provider, self.ev_einvoice_red_bill_id,
                                                        self.ev_einvoice_order_no)
                answer = provider._ev_call(ApiMethod.SAVE_RED_CONFIRM, nuonuo.build_red_confirm_payload(request))
                if answer.outcome is not Outcome.DUPLICATE_ORDER:
                    nuonuo.parse_red_confirm_saved(answer)
                    self.message_post(body=_("Red-letter confirmation form requested (reason: %(reason)s).",
                                             reason=request.reason.label))
                form = self._ev_einvoice_query_red_form(provider)
            if form is None:
                self._ev_einvoice_poll_later(provider)
                return
        else:
            form = self._ev_einvoice_query_red_form(provider)
            if form is None:
                self._ev_einvoice_poll_later(provider)
                return
        self.write({"ev_einvoice_red_bill_no": form.bill_no or self.ev_einvoice_red_bill_no,
                    "ev_einvoice_red_form_state": form.status_label or form.bill_status})
        if form.state is nuonuo.RedFormState.CANCELLED or form.state is nuonuo.RedFormState.APPLY_FAILED:
            self._ev_einvoice_fail("platform", _("The red-letter confirmation form was refused: %(status)s %(msg)s",
                                                 status=form.status_label, msg=form.message))
            return
        if not (form.state.red_invoice_due and form.invoice_serial_num):
            self.ev_einvoice_state = "issuing"
            self._ev_einvoice_poll_later(provider)
            return
        self.ev_einvoice_serial = form.invoice_serial_num
        results = nuonuo.parse_invoice_results(provider._ev_call(
            ApiMethod.QUERY_INVOICE, nuonuo.build_query_payload(serial_nos=[form.invoice_serial_num])))
        if results:
            self._ev_einvoice_apply_result(provider, results[0], retrying=retrying)
        else:
            self._ev_einvoice_poll_later(provider)

    def _ev_einvoice_query_red_form(self, provider):
        answer = provider._ev_call(ApiMethod.QUERY_RED_CONFIRM,
                                   nuonuo.build_red_confirm_query(bill_id=self.ev_einvoice_red_bill_id))
        page = nuonuo.parse_red_confirm_query(answer)
        return next((f for f in page.forms if f.bill_id == self.ev_einvoice_red_bill_id), None)

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
            if not move.ev_einvoice_serial and not move.ev_einvoice_red_bill_no:
                errors = move._ev_einvoice_check()
                if errors:
                    raise UserError("\n".join(str(e) for e in errors))
            # Stays "failed" until the cron has asked the platform; a failed invoice is retried under its own
            # order number (and serial), never as a new one.
            move.write({"ev_einvoice_next_check": fields.Datetime.now(), "ev_einvoice_retry_count": 0})
            move.message_post(body=_("E-invoice retry requested by %(user)s.", user=self.env.user.name))
        self.env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").sudo()._trigger()
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

    @api.model
    def _ev_einvoice_cron_now(self):
        """Run the issuing cron now (tests, the "Check now" button)."""
        return self._cron_ev_einvoice_process()
