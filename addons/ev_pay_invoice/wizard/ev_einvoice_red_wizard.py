from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.account_move import RED_REASONS
from ..protocols.uscc import validate_taxpayer_id


class EvEinvoiceRedWizard(models.TransientModel):
    """Red-letter reversal (红冲) of an issued e-invoice, optionally followed by a reissue (换开).

    A 数电票 cannot be voided: the wizard posts an Odoo credit note, which raises the red-letter confirmation form
    and gets the red e-invoice; a reissue then posts a corrected copy of the invoice, paid by the credit note,
    whose blue e-invoice is issued once the red one is.
    """

    _name = "ev.einvoice.red.wizard"
    _description = "E-invoice Red-letter Reversal / Reissue"

    move_id = fields.Many2one("account.move", required=True, readonly=True, string="Invoice")
    einvoice_number = fields.Char(related="move_id.ev_einvoice_number", string="E-invoice Number")
    mode = fields.Selection(
        [("red", "Red-letter reversal only (红冲)"), ("reissue", "Reissue with corrected details (换开)")],
        string="Correction", required=True, default="red",
    )
    reason = fields.Selection(RED_REASONS, string="Reason", required=True, default="2")
    note = fields.Char(string="Explanation", help="Written on the credit note and in the chatter.")
    buyer_is_company = fields.Boolean(string="Buyer is a Company")
    buyer_name = fields.Char(string="Corrected Invoice Title")
    buyer_tax_id = fields.Char(string="Corrected Buyer Taxpayer ID")
    remark = fields.Char(string="Corrected Remark")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        move = self.env["account.move"].browse(values.get("move_id") or self.env.context.get("default_move_id"))
        if move:
            values.setdefault("buyer_is_company", move.ev_einvoice_buyer_is_company)
            values.setdefault("buyer_name", move.ev_einvoice_buyer_name)
            values.setdefault("buyer_tax_id", move.ev_einvoice_buyer_tax_id)
            values.setdefault("remark", move.ev_einvoice_remark)
        return values

    @api.onchange("mode")
    def _onchange_mode(self):
        if self.mode == "reissue":
            self.reason = "2"  # 开票有误: always a full red (einvoice.md#red-letter-invoices)

    def _check(self):
        move = self.move_id
        if move.move_type != "out_invoice" or move.ev_einvoice_state != "issued":
            raise UserError(_("Only an issued e-invoice of a customer invoice can be red-reversed or reissued."))
        if move.reversal_move_ids.filtered(lambda m: m.state == "posted" and m.ev_einvoice_state != "failed"):
            raise UserError(_("%(move)s already has a credit note; its red-letter e-invoice is under way.",
                              move=move.display_name))
        if self.mode == "reissue":
            if self.reason != "2":
                raise ValidationError(_("A reissue corrects an invoicing error: its reason is always 开票有误."))
            if not (self.buyer_name or "").strip():
                raise ValidationError(_("The corrected invoice title (buyer name) is missing."))
            if self.buyer_is_company and not (self.buyer_tax_id or "").strip():
                raise ValidationError(_("The buyer %(buyer)s is a company: its unified social credit code (taxpayer "
                                        "ID) is required.", buyer=self.buyer_name))
            if (self.buyer_tax_id or "").strip():
                check = validate_taxpayer_id(self.buyer_tax_id, organisation=self.buyer_is_company)
                if not check:
                    raise ValidationError(_("The buyer taxpayer ID %(tax_id)s is not valid: %(detail)s",
                                            tax_id=self.buyer_tax_id, detail=check.detail))

    def action_confirm(self):
        self.ensure_one()
        self._check()
        move = self.move_id
        reason_label = dict(RED_REASONS)[self.reason]
        new_invoice = self.env["account.move"]
        if self.mode == "reissue":
            # Made first: its credit note is then a reissue's red-letter reversal (换开), not a refund.
            new_invoice = move.copy({
                "invoice_date": fields.Date.context_today(self),
                "ev_einvoice_buyer_is_company": self.buyer_is_company,
                "ev_einvoice_buyer_name": self.buyer_name.strip(),
                "ev_einvoice_buyer_tax_id": (self.buyer_tax_id or "").strip().upper() or False,
                "ev_einvoice_remark": self.remark or False,
                "ev_einvoice_replaces_id": move.id,
                "ev_einvoice_type": move.ev_einvoice_type,
            })
            move.invalidate_recordset(["ev_einvoice_replaced_by_id"])
        credit_note = move._reverse_moves([{
            "ref": _("Red-letter reversal of %(move)s (%(number)s): %(reason)s", move=move.name,
                     number=move.ev_einvoice_number, reason=self.note or reason_label),
            "invoice_date": fields.Date.context_today(self),
            "date": fields.Date.context_today(self),
            "ev_einvoice_red_reason": self.reason,
        }])
        credit_note.action_post()
        move.message_post(body=_("Red-letter reversal requested: %(reason)s. Credit note: %(credit_note)s.",
                                 reason=self.note or reason_label, credit_note=credit_note.name))
        if new_invoice:
            new_invoice.action_post()
            receivable = (credit_note.line_ids | new_invoice.line_ids).filtered(
                lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled)
            if receivable:
                receivable.reconcile()
            new_invoice._ev_einvoice_request()
            new_invoice.message_post(body=_("Reissue (换开) of %(move)s (%(number)s).", move=move.name,
                                            number=move.ev_einvoice_number))
            move.message_post(body=_("Reissued as %(new)s.", new=new_invoice.name))
        target = new_invoice or credit_note
        return {
            "type": "ir.actions.act_window", "res_model": "account.move", "res_id": target.id,
            "view_mode": "form", "views": [(False, "form")],
        }
