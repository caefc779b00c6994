from odoo import fields, models

CHANNELS = [("wechatpay", "WeChat Pay"), ("alipay", "Alipay")]
LINE_KINDS = [
    ("payment", "Collection"),
    ("refund", "Refund"),
    ("revoked", "Revoked"),
    ("unrecognised", "Unrecognised"),
    ("fund", "Fund movement"),
]


class EvSettlementLine(models.Model):
    """One line of a bill: a collection, a refund (trade bills) or an account movement (fund-flow bill).

    ``line_key`` identifies the line across files (platform numbers, never our row numbers), so that importing
    the same day twice, or a bill that overlaps another, adds nothing.
    """

    _name = "ev.settlement.line"
    _description = "Settlement Bill Line"
    _order = "settlement_id, trade_time, id"

    settlement_id = fields.Many2one("ev.settlement", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    channel = fields.Selection(CHANNELS, string="Payment Channel", required=True)
    bill_id = fields.Many2one("ev.settlement.bill", string="Bill", ondelete="set null")
    line_key = fields.Char(required=True)
    kind = fields.Selection(LINE_KINDS, required=True)
    trade_time = fields.Datetime(string="Time")
    out_trade_no = fields.Char(string="Order Number", index=True,
                               help="商户订单号: our transaction reference.")
    platform_trade_no = fields.Char(string="Platform Trade Number",
                                    help="微信订单号 / 支付宝交易号: the provider reference of the payment.")
    out_refund_no = fields.Char(string="Refund Number", index=True,
                                help="商户退款单号 / 退款请求号: our refund reference.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    gross_amount = fields.Monetary(string="Collected")
    refund_amount = fields.Monetary(string="Refunded")
    fee = fields.Monetary(help="Fee charged (positive) or given back with a refund (negative).")
    net_amount = fields.Monetary(string="Net Amount")
    flow_amount = fields.Monetary(string="Movement", help="Fund-flow bill: income positive, expense negative.")
    business_type = fields.Char(help="Bill status / 业务类型 as printed.")
    fee_rate = fields.Char(help="Fee rate as printed in the bill (e.g. 0.60%).")
    raw_row = fields.Text(string="Row as Printed",
                          help="An unrecognised row: every column of the bill row, as the provider printed it.")
    move_id = fields.Many2one("account.move", string="Posted In", readonly=True, index="btree_not_null",
                              ondelete="set null",
                              help="The settlement entry (or adjustment) that booked this line; empty until posted.")
    transaction_id = fields.Many2one("payment.transaction", string="Transaction", index="btree_not_null",
                                     ondelete="set null")
    match_state = fields.Selection(
        [("matched", "Matched"), ("unknown", "Unknown transaction"), ("mismatch", "Difference"), ("none", "—")],
        string="Matching", default="none", required=True)

    _sql_constraints = [
        ("line_key_unique", "unique(company_id, channel, line_key)",
         "A bill line is imported once (same platform number)."),
    ]
