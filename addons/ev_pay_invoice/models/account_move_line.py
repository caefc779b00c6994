from odoo import fields, models

SETTLEMENT_ROLES = [
    ("collections", "Collections (batch)"),
    ("refunds", "Refunds (batch)"),
    ("unmatched", "Not Matched to a Payment"),
    ("fees", "Fees"),
    ("payout", "Payout"),
]


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ev_settlement_role = fields.Selection(
        SETTLEMENT_ROLES, string="Settlement Role", readonly=True, copy=False,
        help="What this line of a payment settlement entry books: a batch of collections or refunds (reconciled with "
        "the payments' clearing lines), the billed amount matched to no payment, the fees, or the payout to come.")
