from odoo import _, api, fields, models

DIFFERENCE_KINDS = [
    ("missing", "Payment missing from the bill"),
    ("unknown", "Unknown transaction in the bill"),
    ("amount", "Amount mismatch"),
    ("fee", "Fee mismatch"),
    ("unbooked", "Payment not booked"),
    ("no_payout", "No payout"),
    ("unrecognised", "Unrecognised bill row"),
    ("bill_layout", "Bill layout changed"),
]


class EvSettlementDifference(models.Model):
    """A difference between the bills and the books, with what the accountant should do about it."""

    _name = "ev.settlement.difference"
    _description = "Settlement Difference"
    _order = "date desc, id desc"

    settlement_id = fields.Many2one("ev.settlement", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="settlement_id.company_id", store=True, index=True)
    channel = fields.Selection(related="settlement_id.channel", store=True)
    date = fields.Date(related="settlement_id.date", store=True)
    kind = fields.Selection(DIFFERENCE_KINDS, required=True)
    transaction_id = fields.Many2one("payment.transaction", string="Transaction", ondelete="cascade",
                                     index="btree_not_null")
    line_id = fields.Many2one("ev.settlement.line", string="Bill Line", ondelete="cascade")
    bill_id = fields.Many2one("ev.settlement.bill", string="Bill", ondelete="cascade")
    detail = fields.Text(help="The bill row as printed (unrecognised row), or what changed in the bill's layout.")
    reference = fields.Char(help="Order or refund number concerned.")
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    expected = fields.Monetary(string="In the Books")
    actual = fields.Monetary(string="In the Bill")
    gap = fields.Monetary(compute="_compute_gap", store=True)
    cause = fields.Selection(
        [("late", "Paid just before midnight"), ("incomplete_bill", "Trade bill incomplete"),
         ("rate", "Fee rate changed")], string="Likely Cause", readonly=True,
        help="What the imported bills point to, when they point to something.")
    advice = fields.Text(string="What to Do", compute="_compute_advice")
    state = fields.Selection([("open", "Open"), ("resolved", "Resolved")], string="Status", default="open",
                             required=True)
    note = fields.Char()

    @api.depends("expected", "actual")
    def _compute_gap(self):
        for difference in self:
            difference.gap = difference.actual - difference.expected

    @api.depends("kind", "channel", "cause", "line_id.fee_rate", "settlement_id.provider_id.ev_fee_rate")
    def _compute_advice(self):
        advice = {
            "missing": _("The transaction is paid in Odoo but the provider's bill of that day does not list it. "
                         "Look it up in the merchant platform: if it was paid, it will be in the next day's bill "
                         "(import it); if it was not, refund or cancel the payment in Odoo."),
            "unknown": _("The provider settled a transaction that Odoo does not know. Look it up in the merchant "
                         "platform by its platform number: record the sale and its payment, or have the buyer "
                         "refunded. The amount stays open on the clearing account until then."),
            "amount": _("The bill and the payment in Odoo disagree on the amount. Compare the order with the "
                        "merchant platform: correct the payment in Odoo, or claim the difference from the "
                        "provider."),
            "fee": _("The fee differs from the channel's fee rate. Check the settlement rule (fee rate) of the "
                     "merchant account and the provider's fee rate in Odoo; claim wrongly charged fees from the "
                     "provider."),
            "unbooked": _("The transaction is paid but no payment is booked for it yet, so the clearing account "
                          "cannot be settled. Open the transaction and let its post-processing run (or register the "
                          "payment), then match the settlement again."),
            "no_payout": _("No bank line matches this settlement's net amount after the payout delay. Import the "
                           "bank statement; if the money is not there, check the withdrawals in the provider's "
                           "fund-flow bill and the settlement bank account at the provider, then click Match "
                           "Payout."),
            "unrecognised": _("The bill has a row of a kind this version does not know (see the row as printed): it "
                              "was imported without an amount. Look the order up in the merchant platform to see what "
                              "the row is (a frozen payment, a split, a new refund state…); if it moved money, record "
                              "it in Odoo (payment, refund or a manual entry), then mark the difference resolved. "
                              "Tell your IT provider, so that the next version reads such rows."),
            "bill_layout": _("The provider changed the layout of this bill (see what changed): the day was imported "
                             "with the columns this version knows, and its totals were checked. Nothing is to be "
                             "booked; tell your IT provider so that the new columns are read, then mark the "
                             "difference resolved."),
        }
        for difference in self:
            difference.advice = difference._ev_cause_advice() or advice.get(difference.kind, "")

    def _ev_cause_advice(self):
        """Advice naming the likely cause, from what was imported (None when the bills point to nothing)."""
        self.ensure_one()
        if self.cause == "late":
            return _("Paid a few minutes before midnight: the provider may have booked it on the next day. Import "
                     "the next day's bill (or download it again tomorrow morning); the difference is resolved by "
                     "itself when the payment is found there.")
        if self.cause == "incomplete_bill" and self.kind == "missing":
            return _("The fund-flow bill lists this payment but the trade bill does not: the trade bill was "
                     "incomplete when it was downloaded. Download the bills of this day again (Download Bills): the "
                     "new lines are booked as an adjustment.")
        if self.cause == "incomplete_bill":
            return _("The fund-flow bill charged fees on trades that the trade bill does not list: the trade bill "
                     "was incomplete, the fee rate is not the cause. Download the bills of this day again "
                     "(Download Bills): the new lines are booked as an adjustment.")
        if self.cause == "rate":
            return _("The bill charges %(printed)s on this line, the provider in Odoo is set to %(rate)s %%: the "
                     "settlement rule of the merchant account has changed. Set the new fee rate on the provider if "
                     "the change is right, or claim the fee from the provider.",
                     printed=self.line_id.fee_rate, rate=self.settlement_id.provider_id.ev_fee_rate)
        return None

    def action_resolve(self):
        self.state = "resolved"

    def action_reopen(self):
        self.state = "open"

    def action_open_transaction(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "payment.transaction", "view_mode": "form",
                "res_id": self.transaction_id.id}
