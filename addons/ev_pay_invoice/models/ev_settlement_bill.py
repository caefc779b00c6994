from odoo import api, fields, models

BILL_TYPES = [
    ("wechat_trade", "WeChat Pay trade bill"),
    ("wechat_fundflow", "WeChat Pay fund-flow bill"),
    ("alipay_trade", "Alipay business detail bill"),
    ("alipay_fundflow", "Alipay account detail bill"),
]
FUND_BILL_TYPES = ("wechat_fundflow", "alipay_fundflow")


class EvSettlementBill(models.Model):
    """One imported bill file. Its SHA-256 makes a second import of the same file a no-op."""

    _name = "ev.settlement.bill"
    _description = "Imported Settlement Bill"
    _order = "bill_date desc, id desc"

    name = fields.Char(string="File Name", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    provider_id = fields.Many2one("payment.provider", string="Payment Provider", required=True, readonly=True,
                                  ondelete="restrict")
    channel = fields.Selection(related="provider_id.code", string="Channel", store=True)
    bill_type = fields.Selection(BILL_TYPES, required=True, readonly=True)
    bill_date = fields.Date(required=True, readonly=True, index=True)
    settlement_id = fields.Many2one("ev.settlement", string="Settlement", readonly=True, ondelete="cascade",
                                    index=True, help="Empty for a bill without trades: no settlement that day.")
    sha256 = fields.Char(string="SHA-256", required=True, readonly=True)
    file = fields.Binary(string="Bill File", attachment=True, readonly=True)
    line_count = fields.Integer(string="Lines in File", readonly=True)
    new_line_count = fields.Integer(string="New Lines", readonly=True,
                                    help="Lines not already imported from another file of the same day.")
    layout_notes = fields.Text(
        string="Layout Changes", readonly=True,
        help="What the provider changed in this bill's layout (new columns or totals): the file was read all the same.")
    origin = fields.Selection([("upload", "Uploaded"), ("download", "Downloaded")], string="Source", default="upload",
                              required=True, readonly=True)

    _sql_constraints = [
        ("sha256_company_unique", "unique(company_id, sha256)", "This bill file has already been imported."),
    ]

    @api.depends("name", "bill_date")
    def _compute_display_name(self):
        for bill in self:
            bill.display_name = "%s (%s)" % (bill.name, bill.bill_date) if bill.bill_date else bill.name
