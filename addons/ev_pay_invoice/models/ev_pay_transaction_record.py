from odoo import fields, models, tools

from .ev_settlement_line import CHANNELS


class EvPayTransactionRecord(models.Model):
    """交易记录: every WeChat Pay / Alipay collection and refund of the store, with its fee and payout.

    A read-only SQL view over payment.transaction and the settlement lines, so that salespeople see the
    payment flow (amount, fee, net, payout day) without access to the payment engine itself.
    """

    _name = "ev.pay.transaction.record"
    _description = "Transaction Record"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "reference"
    _depends = {
        "payment.transaction": ["company_id", "reference", "provider_reference", "provider_id", "operation",
                                "last_state_change", "partner_id", "currency_id", "amount", "state",
                                "source_transaction_id", "invoice_ids", "pos_order_id"],
        "pos.order": ["account_move"],
        "ev.settlement": ["state", "payout_date", "expected_payout_date"],
        "ev.settlement.line": ["fee", "settlement_id", "transaction_id"],
        "ev.settlement.difference": ["transaction_id", "state"],
        "sale.order": ["transaction_ids"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    reference = fields.Char(string="Order Number", readonly=True)
    provider_reference = fields.Char(string="Platform Number", readonly=True)
    channel = fields.Selection(CHANNELS, string="Payment Channel", readonly=True)
    kind = fields.Selection([("collection", "Collection"), ("refund", "Refund")], readonly=True)
    date = fields.Datetime(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, help="Negative for refunds.")
    fee = fields.Monetary(readonly=True, help="Fee of the provider, from its bill (negative when given back).")
    net_amount = fields.Monetary(string="Net Amount", readonly=True)
    state = fields.Selection([
        ("draft", "Draft"), ("pending", "Pending"), ("authorized", "Authorized"), ("done", "Paid"),
        ("cancel", "Cancelled"), ("error", "Error"),
    ], string="Status", readonly=True)
    settlement_state = fields.Selection([
        ("unsettled", "Not in a bill yet"), ("settled", "Settled"), ("paid", "Paid out"),
        ("difference", "Difference"),
    ], string="Settlement", readonly=True)
    settlement_id = fields.Many2one("ev.settlement", string="Settlement Day", readonly=True)
    payout_date = fields.Date(readonly=True)
    expected_payout_date = fields.Date(readonly=True, help="When the settlement's payout should reach the bank.")
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", readonly=True)
    pos_order_id = fields.Many2one("pos.order", string="POS Order", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW %s AS (
                SELECT tx.id,
                       tx.company_id,
                       tx.reference,
                       tx.provider_reference,
                       pp.code AS channel,
                       CASE WHEN tx.operation = 'refund' THEN 'refund' ELSE 'collection' END AS kind,
                       COALESCE(tx.last_state_change, tx.create_date) AS date,
                       tx.partner_id,
                       tx.currency_id,
                       tx.amount,
                       COALESCE(bill.fee, 0) AS fee,
                       tx.amount - COALESCE(bill.fee, 0) AS net_amount,
                       tx.state,
                       CASE WHEN diff.open THEN 'difference'
                            WHEN st.state = 'paid' THEN 'paid'
                            WHEN st.id IS NOT NULL THEN 'settled'
                            ELSE 'unsettled' END AS settlement_state,
                       st.id AS settlement_id,
                       st.payout_date,
                       st.expected_payout_date,
                       COALESCE(so.order_id, so_src.order_id) AS sale_order_id,
                       COALESCE(pos.id, pos_src.id) AS pos_order_id,
                       COALESCE(inv.invoice_id, inv_src.invoice_id, pos.account_move, pos_src.account_move)
                           AS invoice_id
                  FROM payment_transaction tx
                  JOIN payment_provider pp ON pp.id = tx.provider_id AND pp.code IN ('wechatpay', 'alipay')
             LEFT JOIN LATERAL (SELECT SUM(l.fee) AS fee, MIN(l.settlement_id) AS settlement_id
                                  FROM ev_settlement_line l WHERE l.transaction_id = tx.id) bill ON TRUE
             LEFT JOIN ev_settlement st ON st.id = bill.settlement_id
             LEFT JOIN LATERAL (SELECT TRUE AS open FROM ev_settlement_difference d
                                 WHERE d.transaction_id = tx.id AND d.state = 'open' LIMIT 1) diff ON TRUE
             LEFT JOIN LATERAL (SELECT MIN(r.sale_order_id) AS order_id FROM sale_order_transaction_rel r
                                 WHERE r.transaction_id = tx.id) so ON TRUE
             LEFT JOIN LATERAL (SELECT MIN(r.sale_order_id) AS order_id FROM sale_order_transaction_rel r
                                 WHERE r.transaction_id = tx.source_transaction_id) so_src ON TRUE
             LEFT JOIN LATERAL (SELECT MIN(r.invoice_id) AS invoice_id FROM account_invoice_transaction_rel r
                                 WHERE r.transaction_id = tx.id) inv ON TRUE
             LEFT JOIN LATERAL (SELECT MIN(r.invoice_id) AS invoice_id FROM account_invoice_transaction_rel r
                                 WHERE r.transaction_id = tx.source_transaction_id) inv_src ON TRUE
             LEFT JOIN payment_transaction src ON src.id = tx.source_transaction_id
             LEFT JOIN pos_order pos ON pos.id = tx.pos_order_id
             LEFT JOIN pos_order pos_src ON pos_src.id = src.pos_order_id
                 WHERE tx.state != 'draft'
            )
        """ % self._table)
