"""Daily settlement of one channel (WeChat Pay / Alipay) of one company, from the provider's bills.

Import (``_ev_import_bill``): the bill is parsed whole by protocols/bills.py (a malformed or truncated file
raises before anything is written), each line is matched to its payment.transaction by our own numbers
(out_trade_no for collections, out_refund_no for refunds; the platform number as a fallback), and new lines
only are added (``line_key``), so re-importing a file or an overlapping one changes nothing.

Posting (``action_post``): one entry per settlement — the clearing account credited with what our payments
booked on it, the part of the bill matched to no payment credited apart (left open for the accountant), the fees
debited to the fee account and the net debited to the payout account — then the clearing lines of all matched
payments and refunds reconciled with the settlement line in ONE ``reconcile()`` call.

Payout (``_ev_match_payout``): the bank statement line of the payout (amount = net, a few days after the
settlement) is booked against the payout account and reconciled with the settlement's net line.
"""
import base64
import datetime
import hashlib
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

from ..protocols import bills
from .ev_settlement_bill import BILL_TYPES
from .ev_settlement_line import CHANNELS
from .payment_provider import EV_PROVIDER_CODES

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
BILL_CHANNEL = {"wechat_trade": "wechatpay", "wechat_fundflow": "wechatpay", "alipay_trade": "alipay"}
PAYOUT_KEYWORDS = {"wechatpay": ("微信", "财付通", "tenpay", "wechat"), "alipay": ("支付宝", "alipay")}
FEE_BUSINESS_TYPES = ("扣除交易手续费", "退还交易手续费")
TOLERANCE = 0.01  # one fen: fees are rounded per line by the platforms
PAYOUT_SEARCH_DAYS = 7
RECONCILE_BATCH = 20000


def _to_utc_naive(moment):
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment else False


def _beijing_day_bounds(day):
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=BEIJING)
    return _to_utc_naive(start), _to_utc_naive(start + datetime.timedelta(days=1))


def _expected_fee(amount, rate_percent):
    fee = (Decimal(str(amount)) * Decimal(str(rate_percent)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(fee)


class EvSettlement(models.Model):
    _name = "ev.settlement"
    _inherit = ["mail.thread"]
    _description = "Payment Settlement"
    _order = "date desc, channel, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    provider_id = fields.Many2one("payment.provider", string="Provider", required=True, readonly=True,
                                  ondelete="restrict", check_company=True)
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    date = fields.Date(string="Settlement Day", required=True, readonly=True, index=True,
                       help="The day of the bill (Beijing time): collections and refunds of that day.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("draft", "Imported"), ("posted", "Posted"), ("paid", "Paid Out")], default="draft", required=True,
        readonly=True, tracking=True,
        help="Imported: the bill lines are matched. Posted: the settlement entry is booked and the clearing "
        "account reconciled. Paid out: the payout's bank line is matched.")
    line_ids = fields.One2many("ev.settlement.line", "settlement_id", string="Bill Lines",
                               domain=[("kind", "!=", "fund")])
    fund_line_ids = fields.One2many("ev.settlement.line", "settlement_id", string="Fund Movements",
                                    domain=[("kind", "=", "fund")])
    bill_ids = fields.One2many("ev.settlement.bill", "settlement_id", string="Bills")
    difference_ids = fields.One2many("ev.settlement.difference", "settlement_id", string="Differences")
    gross_amount = fields.Monetary(string="Collected", compute="_compute_amounts", store=True)
    refund_amount = fields.Monetary(string="Refunded", compute="_compute_amounts", store=True)
    fee_amount = fields.Monetary(string="Fees", compute="_compute_amounts", store=True)
    net_amount = fields.Monetary(string="Net", compute="_compute_amounts", store=True,
                                 help="Collected − refunded − fees: what the provider pays out.")
    payment_count = fields.Integer(string="Collections", compute="_compute_amounts", store=True)
    refund_count = fields.Integer(string="Refunds", compute="_compute_amounts", store=True)
    fund_fee_amount = fields.Monetary(
        string="Fees in Fund Flow", readonly=True,
        help="Fees taken from the account according to the fund-flow bill of the day (WeChat Pay).")
    open_difference_count = fields.Integer(string="Open Differences", compute="_compute_open_difference_count",
                                           store=True)
    move_id = fields.Many2one("account.move", string="Settlement Entry", readonly=True, copy=False,
                              check_company=True)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Payout Bank Line", copy=False, check_company=True,
        domain="[('company_id', '=', company_id), ('is_reconciled', '=', False)]", tracking=True,
        help="The bank line of the payout. Left empty, Match Payout looks for the bank line of the net amount.")
    payout_date = fields.Date(readonly=True, copy=False, tracking=True)
    withdrawal_ref = fields.Char(string="Withdrawal", readonly=True, copy=False,
                                 help="Fund-flow bill: the withdrawal (提现) that paid this settlement out.")
    withdrawal_date = fields.Date(readonly=True, copy=False)

    _sql_constraints = [
        ("day_channel_unique", "unique(company_id, channel, date)", "One settlement per day and channel."),
    ]

    @api.depends("channel", "date")
    def _compute_name(self):
        labels = dict(CHANNELS)
        for settlement in self:
            settlement.name = "%s %s" % (dict(self._fields["channel"]._description_selection(self.env)).get(
                settlement.channel, labels.get(settlement.channel, "")), settlement.date or "")

    @api.depends("line_ids.gross_amount", "line_ids.refund_amount", "line_ids.fee", "line_ids.kind")
    def _compute_amounts(self):
        totals = {}
        if self.ids:
            for settlement, kind, gross, refund, fee, count in self.env["ev.settlement.line"]._read_group(
                    [("settlement_id", "in", self.ids), ("kind", "!=", "fund")], ["settlement_id", "kind"],
                    ["gross_amount:sum", "refund_amount:sum", "fee:sum", "__count"]):
                total = totals.setdefault(settlement.id, Counter())
                total.update({"gross": gross, "refunded": refund, "fee": fee, "n_" + kind: count})
        for settlement in self:
            total = totals.get(settlement.id, Counter())
            settlement.update({
                "gross_amount": total["gross"], "refund_amount": total["refunded"], "fee_amount": total["fee"],
                "net_amount": total["gross"] - total["refunded"] - total["fee"],
                "payment_count": total["n_payment"], "refund_count": total["n_refund"],
            })

    @api.depends("difference_ids.state")
    def _compute_open_difference_count(self):
        for settlement in self:
            settlement.open_difference_count = len(settlement.difference_ids.filtered(lambda d: d.state == "open"))

    # === IMPORT === #

    @api.model
    def _ev_detect_bill_type(self, data):
        if data[:4] == b"PK\x03\x04":
            return "alipay_trade"
        try:
            head = bills._gunzip(data)[:4096]
        except bills.BillFormatError as error:
            raise UserError(_("The file cannot be read: %(error)s", error=error)) from None
        text = head.decode("utf-8", "ignore") + "\n" + head.decode("gb18030", "ignore")
        first_line = text.lstrip("\ufeff").split("\n", 1)[0]
        if "支付宝" in text or first_line.startswith("#"):
            return "alipay_trade"
        if "记账时间" in first_line:
            return "wechat_fundflow"
        if "交易时间" in first_line:
            return "wechat_trade"
        raise UserError(_("The file is neither a WeChat Pay trade or fund-flow bill nor an Alipay bill: its first "
                          "line is %(line)s.", line=first_line[:80]))

    @api.model
    def _ev_parse_bill(self, bill_type, data, filename):
        parser = {"wechat_trade": bills.parse_wechat_trade_bill, "wechat_fundflow": bills.parse_wechat_fundflow_bill,
                  "alipay_trade": bills.parse_alipay_trade_bill}[bill_type]
        try:
            return parser(data)
        except bills.BillFormatError as error:
            label = dict(self.env["ev.settlement.bill"]._fields["bill_type"]._description_selection(self.env))
            raise UserError(_("%(file)s is not a complete %(type)s, nothing was imported: %(error)s",
                              file=filename, type=label[bill_type], error=error)) from None

    @api.model
    def _ev_bill_day(self, bill_type, parsed, bill_date):
        if bill_date:
            return bill_date
        if bill_type == "alipay_trade" and parsed.period_start:
            return parsed.period_start.date()
        days = Counter((line.trade_time if bill_type != "wechat_fundflow" else line.booked_at).date()
                       for line in parsed.lines)
        if not days:
            raise UserError(_("The bill has no lines and tells no date: give the day of the bill."))
        return days.most_common(1)[0][0]

    @api.model
    def _ev_import_bill(self, provider, data, filename, bill_date=None, bill_type=None, post=True, origin="download"):
        """Import one bill file of ``provider``; returns (bill record, created). Same file again: (old bill,
        False), and nothing changes. Raises UserError (nothing written) on a bad file."""
        provider.ensure_one()
        if provider.code not in EV_PROVIDER_CODES:
            raise UserError(_("%(provider)s is not a WeChat Pay or Alipay provider.", provider=provider.name))
        company = provider.company_id
        sha256 = hashlib.sha256(data).hexdigest()
        Bill = self.env["ev.settlement.bill"]
        existing = Bill.search([("company_id", "=", company.id), ("sha256", "=", sha256)], limit=1)
        if existing:
            return existing, False
        bill_type = bill_type or self._ev_detect_bill_type(data)
        if BILL_CHANNEL[bill_type] != provider.code:
            label = dict(Bill._fields["bill_type"]._description_selection(self.env))[bill_type]
            raise UserError(_("%(file)s is a %(type)s, it cannot be imported for %(provider)s.", file=filename,
                              type=label, provider=provider.name))
        parsed = self._ev_parse_bill(bill_type, data, filename)
        day = self._ev_bill_day(bill_type, parsed, bill_date)
        provider._ev_settlement_setup()
        settlement = self._ev_get_or_create(provider, day)
        if bill_type == "wechat_fundflow":
            vals_list = [settlement._ev_fund_line_vals(line) for line in parsed.lines]
        else:
            vals_list = [settlement._ev_trade_line_vals(line) for line in parsed.lines]
        existing_keys = set(self.env["ev.settlement.line"].sudo().search_fetch(
            [("company_id", "=", company.id), ("channel", "=", provider.code),
             ("line_key", "in", [vals["line_key"] for vals in vals_list])], ["line_key"]).mapped("line_key"))
        new_vals = [vals for vals in vals_list if vals["line_key"] not in existing_keys]
        new_trade = [vals for vals in new_vals if vals["kind"] != "fund"]
        if new_trade and settlement.state == "paid":
            raise UserError(_("%(settlement)s is paid out already; %(count)s new lines of %(file)s cannot be added. "
                              "Reset the settlement to draft first.", settlement=settlement.name,
                              count=len(new_trade), file=filename))
        if new_trade and settlement.state == "posted":
            settlement.action_reset_to_draft()
        bill = Bill.create({
            "name": filename, "company_id": company.id, "provider_id": provider.id, "bill_type": bill_type,
            "bill_date": day, "settlement_id": settlement.id, "sha256": sha256, "file": base64.b64encode(data),
            "line_count": len(vals_list), "new_line_count": len(new_vals), "origin": origin,
        })
        settlement._ev_match_vals(new_trade)
        for vals in new_vals:
            vals["bill_id"] = bill.id
        lines = self.env["ev.settlement.line"].create(new_vals)
        if bill_type == "wechat_fundflow":
            settlement._ev_apply_fund_flow(lines)
        matched = lines.transaction_id
        if matched:
            self.env["ev.settlement.difference"].search([
                ("kind", "=", "missing"), ("state", "=", "open"), ("transaction_id", "in", matched.ids),
            ]).write({"state": "resolved", "note": _("Found in the bill of %(day)s.", day=day)})
        settlement._ev_compute_differences()
        settlement.message_post(body=_("%(file)s imported: %(new)s new lines of %(total)s.", file=filename,
                                       new=len(new_vals), total=len(vals_list)))
        if post and settlement.state == "draft" and settlement.line_ids:
            settlement.action_post()
        return bill, True

    @api.model
    def _ev_get_or_create(self, provider, day):
        settlement = self.search([("company_id", "=", provider.company_id.id), ("channel", "=", provider.code),
                                  ("date", "=", day)], limit=1)
        return settlement or self.create({"company_id": provider.company_id.id, "provider_id": provider.id,
                                          "channel": provider.code, "date": day})

    def _ev_trade_line_vals(self, line):
        kind = line.kind.value
        platform_no = line.transaction_id or line.out_trade_no
        if kind == "refund":
            key = "R:%s:%s" % (platform_no, line.refund_id or line.out_refund_no)
        else:
            key = "%s:%s" % ("P" if kind == "payment" else "V", platform_no)
        return {
            "settlement_id": self.id, "company_id": self.company_id.id, "channel": self.channel, "line_key": key,
            "kind": kind, "trade_time": _to_utc_naive(line.trade_time), "out_trade_no": line.out_trade_no,
            "platform_trade_no": line.transaction_id, "out_refund_no": line.out_refund_no,
            "gross_amount": float(line.gross_amount), "refund_amount": float(line.refund_amount),
            "fee": float(line.fee), "net_amount": float(line.net_amount), "business_type": line.status,
        }

    def _ev_fund_line_vals(self, line):
        return {
            "settlement_id": self.id, "company_id": self.company_id.id, "channel": self.channel,
            "line_key": "F:%s" % line.flow_id, "kind": "fund", "trade_time": _to_utc_naive(line.booked_at),
            "out_trade_no": line.business_id, "platform_trade_no": line.voucher_no or False,
            "flow_amount": float(line.signed_amount),
            "business_type": "%s/%s" % (line.business_name, line.business_type),
        }

    def _ev_channel_transactions(self):
        self.ensure_one()
        providers = self.env["payment.provider"].sudo().search([("code", "=", self.channel),
                                                                ("company_id", "=", self.company_id.id)])
        return self.env["payment.transaction"].sudo().with_context(active_test=False), providers

    def _ev_match_vals(self, vals_list):
        """Find the transaction of each trade line (in a few queries) and write it into the values."""
        self.ensure_one()
        Tx, providers = self._ev_channel_transactions()
        base = [("provider_id", "in", providers.ids)]
        payment_refs = {v["out_trade_no"] for v in vals_list if v["kind"] != "refund" and v["out_trade_no"]}
        refund_refs = {v["out_refund_no"] for v in vals_list if v["kind"] == "refund" and v["out_refund_no"]}
        payments, refunds = {}, {}
        if payment_refs:
            for tx in Tx.search_fetch(base + [("operation", "!=", "refund"), ("reference", "in", list(payment_refs))],
                                      ["reference"]):
                payments[tx.reference] = tx.id
        unmatched = {vals["platform_trade_no"] for vals in vals_list if vals["kind"] != "refund"
                     and vals["out_trade_no"] not in payments and vals["platform_trade_no"]}
        by_platform = {}
        if unmatched:
            for tx in Tx.search_fetch(base + [("operation", "!=", "refund"),
                                              ("provider_reference", "in", list(unmatched))], ["provider_reference"]):
                by_platform[tx.provider_reference] = tx.id
        if refund_refs:
            for tx in Tx.search_fetch(base + [("operation", "=", "refund"), ("reference", "in", list(refund_refs))],
                                      ["reference"]):
                refunds[tx.reference] = tx.id
        for vals in vals_list:
            if vals["kind"] == "refund":
                tx_id = refunds.get(vals["out_refund_no"])
            else:
                tx_id = payments.get(vals["out_trade_no"]) or by_platform.get(vals["platform_trade_no"])
            vals["transaction_id"] = tx_id or False
            vals["match_state"] = "matched" if tx_id else "unknown"

    def _ev_apply_fund_flow(self, lines):
        """Fund-flow bill: the day's fees as the account saw them, and the withdrawals that paid days out."""
        self.ensure_one()
        fee_lines = self.fund_line_ids.filtered(lambda ln: ln.business_type.split("/")[-1] in FEE_BUSINESS_TYPES)
        self.fund_fee_amount = -sum(fee_lines.mapped("flow_amount"))
        for line in lines.filtered(lambda ln: "提现" in (ln.business_type or "") and ln.flow_amount < 0):
            day = (line.trade_time + datetime.timedelta(hours=8)).date() if line.trade_time else self.date
            paid = self.search([
                ("company_id", "=", self.company_id.id), ("channel", "=", self.channel), ("date", "<", day),
                ("withdrawal_ref", "=", False), ("net_amount", ">=", -line.flow_amount - 0.005),
                ("net_amount", "<=", -line.flow_amount + 0.005),
            ], order="date desc", limit=1)
            if paid:
                paid.write({"withdrawal_ref": line.out_trade_no or line.line_key[2:], "withdrawal_date": day})

    # === DIFFERENCES === #

    def _ev_compute_differences(self):
        """Recompute the open differences of the settlements (the ones the accountant resolved stay resolved)."""
        Difference = self.env["ev.settlement.difference"].sudo()
        for settlement in self:
            rate = settlement.provider_id.ev_fee_rate
            found = []
            for line in settlement.line_ids:
                tx = line.transaction_id
                billed = line.gross_amount - line.refund_amount
                if not tx:
                    found.append({"kind": "unknown", "line_id": line.id, "expected": 0.0, "actual": billed,
                                  "reference": line.out_refund_no or line.out_trade_no or line.platform_trade_no})
                    continue
                ref = tx.reference
                mismatch = False
                if line.kind == "payment":
                    if float_compare(tx.amount, line.gross_amount, precision_digits=2):
                        mismatch = True
                        found.append({"kind": "amount", "line_id": line.id, "transaction_id": tx.id,
                                      "expected": tx.amount, "actual": line.gross_amount, "reference": ref})
                    expected_fee = _expected_fee(line.gross_amount, rate)
                elif line.kind == "refund":
                    if float_compare(-tx.amount, line.refund_amount, precision_digits=2):
                        mismatch = True
                        found.append({"kind": "amount", "line_id": line.id, "transaction_id": tx.id,
                                      "expected": tx.amount, "actual": -line.refund_amount, "reference": ref})
                    expected_fee = -_expected_fee(line.refund_amount, rate)
                else:
                    expected_fee = line.fee
                if abs(line.fee - expected_fee) > TOLERANCE + 1e-9:
                    mismatch = True
                    found.append({"kind": "fee", "line_id": line.id, "transaction_id": tx.id,
                                  "expected": expected_fee, "actual": line.fee, "reference": ref})
                if tx.state != "done" or (line.kind in ("payment", "refund") and not tx.payment_id):
                    mismatch = True
                    found.append({"kind": "unbooked", "line_id": line.id, "transaction_id": tx.id,
                                  "expected": 0.0, "actual": billed, "reference": ref})
                new_state = "mismatch" if mismatch else "matched"
                if line.match_state != new_state:
                    line.match_state = new_state
            found += settlement._ev_missing_from_bill()
            if settlement.fund_line_ids and settlement.line_ids and \
                    abs(settlement.fund_fee_amount - settlement.fee_amount) > TOLERANCE + 1e-9:
                found.append({"kind": "fee", "expected": settlement.fee_amount, "actual": settlement.fund_fee_amount,
                              "reference": _("Fund-flow bill")})
            if settlement._ev_payout_overdue():
                found.append({"kind": "no_payout", "expected": settlement.net_amount, "actual": 0.0,
                              "reference": settlement.name})
            current = Difference.search([("settlement_id", "=", settlement.id)])
            resolved = {(d.kind, d.transaction_id.id, d.line_id.id) for d in current if d.state == "resolved"}
            current.filtered(lambda d: d.state == "open").unlink()
            Difference.create([
                dict(values, settlement_id=settlement.id) for values in found
                if (values["kind"], values.get("transaction_id", False), values.get("line_id", False)) not in resolved
            ])

    def _ev_missing_from_bill(self):
        """Transactions done on the settlement's day (Beijing) that no bill line lists."""
        self.ensure_one()
        if not self.line_ids and not self.bill_ids.filtered(lambda b: b.bill_type != "wechat_fundflow"):
            return []
        Tx, _providers = self._ev_channel_transactions()
        start, end = _beijing_day_bounds(self.date)
        txs = Tx.search([
            ("provider_id", "=", self.provider_id.id), ("state", "=", "done"),
            ("operation", "in", ("online_redirect", "online_direct", "online_token", "offline", "refund")),
            ("last_state_change", ">=", start), ("last_state_change", "<", end),
        ])
        if not txs:
            return []
        listed = set(self.env["ev.settlement.line"].sudo().search_fetch(
            [("transaction_id", "in", txs.ids)], ["transaction_id"]).transaction_id.ids)
        return [{"kind": "missing", "transaction_id": tx.id, "expected": tx.amount, "actual": 0.0,
                 "reference": tx.reference} for tx in txs if tx.id not in listed]

    def _ev_payout_overdue(self):
        self.ensure_one()
        if self.state != "posted" or self.statement_line_id or float_compare(self.net_amount, 0, 2) <= 0:
            return False
        today = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)).date()
        return today > self.date + datetime.timedelta(days=(self.provider_id.ev_payout_days or 1) + 1)

    # === POSTING === #

    def _ev_accounts(self):
        self.ensure_one()
        provider = self.provider_id.sudo()
        provider._ev_settlement_setup()
        missing = [provider._fields[name].get_description(self.env)["string"]
                   for name in ("ev_clearing_account_id", "ev_payout_account_id", "ev_fee_account_id",
                                "ev_settlement_journal_id") if not provider[name]]
        if missing:
            raise UserError(_("%(provider)s has no %(fields)s: set them on the provider (a chart of accounts is "
                              "needed).", provider=provider.name, fields=", ".join(missing)))
        return provider.ev_clearing_account_id, provider.ev_payout_account_id, provider.ev_fee_account_id, \
            provider.ev_settlement_journal_id

    def _ev_clearing_lines(self, transactions):
        """Open clearing-account lines of the payments of ``transactions`` (one search)."""
        clearing = self.provider_id.sudo().ev_clearing_account_id
        payments = transactions.payment_id
        if not payments:
            return self.env["account.move.line"]
        return self.env["account.move.line"].sudo().search([
            ("payment_id", "in", payments.ids), ("account_id", "=", clearing.id), ("reconciled", "=", False),
            ("parent_state", "=", "posted"),
        ])

    def action_post(self):
        """Book the settlement entry and reconcile the clearing account, in one reconcile() per settlement."""
        for settlement in self:
            if settlement.state != "draft":
                raise UserError(_("%(settlement)s is posted already.", settlement=settlement.name))
            clearing, payout, fee_account, journal = settlement._ev_accounts()
            transactions = settlement.line_ids.transaction_id
            unbooked = transactions.filtered(lambda t: t.state == "done" and not t.payment_id)
            if unbooked:
                unbooked._ev_post_process_locked()
            clearing_lines = settlement._ev_clearing_lines(transactions)
            currency = settlement.currency_id
            collected_lines = clearing_lines.filtered(lambda ln: ln.balance > 0)
            refunded_lines = clearing_lines - collected_lines
            collected = currency.round(sum(collected_lines.mapped("balance")))
            refunded = currency.round(-sum(refunded_lines.mapped("balance")))
            billed = currency.round(settlement.gross_amount - settlement.refund_amount)
            unmatched = currency.round(billed - collected + refunded)
            label = _("%(channel)s settlement of %(day)s", channel=settlement.name.rsplit(" ", 1)[0],
                      day=settlement.date)

            def line(account, balance, name, role):
                return Command.create({"account_id": account.id, "name": name, "debit": max(balance, 0.0),
                                       "credit": max(-balance, 0.0), "sequence": role})

            # Roles (kept in `sequence`) find the lines back: 1 collections, 2 refunds, 3 unmatched, 4 fees, 5 net.
            amounts = [
                (clearing, -collected, _("%(label)s: %(count)s collections", label=label,
                                         count=len(collected_lines))),
                (clearing, refunded, _("%(label)s: %(count)s refunds", label=label, count=len(refunded_lines))),
                (clearing, -unmatched, _("%(label)s: amounts not matched to a payment", label=label)),
                (fee_account, settlement.fee_amount, _("%(label)s: fees", label=label)),
                (payout, settlement.net_amount, _("%(label)s: payout", label=label)),
            ]
            line_commands = [line(account, balance, name, role)
                             for role, (account, balance, name) in enumerate(amounts, 1)
                             if not currency.is_zero(balance)]
            move = self.env["account.move"]
            if line_commands:
                move = self.env["account.move"].sudo().create({
                    "move_type": "entry", "journal_id": journal.id, "date": settlement.date, "ref": label,
                    "company_id": settlement.company_id.id, "line_ids": line_commands,
                })
                move.action_post()
                by_role = {ln.sequence: ln for ln in move.line_ids}
                # Collections (debits) against the settlement's credit, refunds (credits) against its debit:
                # each side sums exactly to its settlement line, so every batch leaves nothing half-matched.
                if collected_lines and 1 in by_role:
                    settlement._ev_reconcile_in_batches(by_role[1], collected_lines)
                if refunded_lines and 2 in by_role:
                    settlement._ev_reconcile_in_batches(by_role[2], refunded_lines)
            settlement.write({"state": "posted", "move_id": move.id})
            settlement._ev_match_payout()
            settlement._ev_compute_differences()
        return True

    def _ev_reconcile_in_batches(self, settlement_line, lines):
        """Reconcile ``settlement_line`` with ``lines`` in one reconcile() call per RECONCILE_BATCH lines (one call
        for any realistic day). All ``lines`` are on the same side (debits or credits) and sum to the settlement
        line, so a batch never leaves a line half-matched; between batches the cache is flushed and emptied to
        bound memory (it costs re-reads, hence the large batch). The last call completes the full reconcile."""
        AccountMoveLine = self.env["account.move.line"]
        ids = lines.ids
        for start in range(0, len(ids), RECONCILE_BATCH):
            (settlement_line | AccountMoveLine.browse(ids[start:start + RECONCILE_BATCH])).reconcile()
            if len(ids) > RECONCILE_BATCH:
                self.env.flush_all()
                self.env.invalidate_all()

    def action_reset_to_draft(self):
        """Undo the payout match and the settlement entry (the payments' clearing lines are open again)."""
        for settlement in self:
            if settlement.statement_line_id:
                settlement.statement_line_id.sudo().action_undo_reconciliation()
            move = settlement.move_id.sudo()
            if move:
                if move.state == "posted":
                    move.button_draft()
                move.with_context(force_delete=True).unlink()
            settlement.write({"state": "draft", "statement_line_id": False, "payout_date": False})
        return True

    def action_match(self):
        """Match the bill lines again (a transaction recorded since the import is found now)."""
        for settlement in self:
            if settlement.state != "draft":
                raise UserError(_("Reset %(settlement)s to draft before matching it again.",
                                  settlement=settlement.name))
            lines = settlement.line_ids.filtered(lambda ln: not ln.transaction_id)
            vals_list = [{"kind": ln.kind, "out_trade_no": ln.out_trade_no, "out_refund_no": ln.out_refund_no,
                          "platform_trade_no": ln.platform_trade_no} for ln in lines]
            settlement._ev_match_vals(vals_list)
            for line, vals in zip(lines, vals_list):
                if vals["transaction_id"]:
                    line.write({"transaction_id": vals["transaction_id"], "match_state": "matched"})
            settlement._ev_compute_differences()
        return True

    # === PAYOUT === #

    def _ev_find_payout_line(self, used_ids):
        self.ensure_one()
        StLine = self.env["account.bank.statement.line"].sudo()
        candidates = StLine.search([
            ("company_id", "=", self.company_id.id), ("journal_id.type", "=", "bank"), ("is_reconciled", "=", False),
            ("amount", ">=", self.net_amount - 0.005), ("amount", "<=", self.net_amount + 0.005),
            ("date", ">", self.date),
            ("date", "<=", self.date + datetime.timedelta(days=(self.provider_id.ev_payout_days or 1)
                                                          + PAYOUT_SEARCH_DAYS)),
            ("id", "not in", list(used_ids)),
        ], order="date, id")
        keywords = PAYOUT_KEYWORDS[self.channel]
        named = candidates.filtered(lambda ln: any(k in (ln.payment_ref or "").lower() for k in keywords))
        return (named or candidates)[:1]

    def _ev_match_payout(self, statement_line=None):
        """Book the payout's bank line against the payout account and reconcile it with the settlement's net."""
        used = set(self.search([("statement_line_id", "!=", False)]).statement_line_id.ids)
        matched = self.browse()
        for settlement in self.filtered(lambda s: s.state == "posted" and s.move_id):
            if float_compare(settlement.net_amount, 0, precision_digits=2) <= 0:
                continue
            st_line = (statement_line or settlement.statement_line_id or settlement._ev_find_payout_line(used)).sudo()
            if not st_line:
                continue
            if st_line.is_reconciled and st_line != settlement.statement_line_id:
                raise UserError(_("The bank line %(line)s is reconciled already.", line=st_line.display_name))
            if not float_is_zero(st_line.amount - settlement.net_amount, precision_digits=2):
                raise UserError(_("The bank line %(line)s is %(amount)s, the settlement's net is %(net)s.",
                                  line=st_line.display_name, amount=st_line.amount, net=settlement.net_amount))
            payout = settlement.provider_id.sudo().ev_payout_account_id
            st_line.with_context(force_delete=True, skip_readonly_check=True).write({
                "line_ids": [Command.clear()] + [Command.create(vals) for vals in
                                                 st_line._prepare_move_line_default_vals(payout.id)],
            })
            counterpart = st_line.move_id.line_ids.filtered(lambda ln, account=payout: ln.account_id == account)
            settlement_line = settlement.move_id.line_ids.filtered(lambda ln, account=payout: ln.account_id == account)
            (counterpart | settlement_line).reconcile()
            used.add(st_line.id)
            settlement.write({"statement_line_id": st_line.id, "payout_date": st_line.date, "state": "paid"})
            matched |= settlement
        return matched

    def action_match_payout(self):
        matched = self._ev_match_payout()
        self._ev_compute_differences()
        if not matched:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "warning", "message": _("No bank line of the net amount was found. Import the bank "
                                                "statement, or choose the payout bank line on the settlement.")}}
        return True

    @api.model
    def _cron_ev_match_payouts(self):
        pending = self.search([("state", "=", "posted")])
        pending._ev_match_payout()
        pending._ev_compute_differences()

    # === ACTIONS === #

    def action_open_entry(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "account.move", "view_mode": "form",
                "res_id": self.move_id.id}

    def action_open_differences(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_settlement_difference_action")
        action["domain"] = [("settlement_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_open_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_pay_transaction_record_action")
        action["domain"] = [("settlement_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def _ev_bill_type_label(self, bill_type):
        return dict(BILL_TYPES).get(bill_type, bill_type)
