"""Daily settlement of one channel (WeChat Pay / Alipay) of one company, from the provider's bills.

Import (``_ev_import_bill``): the bill is parsed whole by protocols/bills.py (a malformed or truncated file
raises before anything is written); new lines only are added (``line_key``), so re-importing a file or an
overlapping one changes nothing. Each line is matched to its payment.transaction by our own numbers
(out_trade_no for collections, out_refund_no for refunds; the platform number as a fallback) in a few searches,
then created through the ORM in batches of LINE_BATCH with the cache emptied between them (a busy day has 10,000
lines; ORM records of them all at once would cost ~50 MB). The differences are computed from light rows read in
one query (``_ev_line_rows``, the one bulk read in SQL). Only public ORM APIs write: no raw INSERT or UPDATE.

Posting (``action_post``): one entry per settlement — the clearing account credited with what our payments
booked on it, the part of the bill matched to no payment credited apart (left open for the accountant), the fees
debited to the fee account and the net debited to the payout account — then the clearing lines of all matched
payments and refunds reconciled with the settlement entry. The collections (and the refunds) are split in batches
of RECONCILE_BATCH payments, each with its own line in the entry, so that each ``reconcile()`` call fully
reconciles its batch and the ORM cache can be emptied between calls: memory stays bounded by one batch.

Posted is posted: an entry is never deleted. Lines a later bill adds to a posted day are booked in an adjustment
entry of their own (each line remembers the entry that booked it, ``move_id``); Reset to Draft reverses the entries
(Odoo's reversal, on the same date unless it is locked) and the next posting books a new one. Every entry, adjustment
and reversal stays listed on the settlement and in its chatter.

Payout (``_ev_match_payout``): the bank line of a payout is booked against the payout account and reconciled with
the open net of the settlements it pays: one bank line can pay several days of a channel (a weekend paid on
Monday), several bank lines one day (wizard). The totals must agree to the fen, or nothing is linked.

Dates: the bill day is the platform's (Beijing time); "today" and the payments' dates are the company's day
(res.company._ev_today, Asia/Shanghai for a Chinese store).
"""
import base64
import datetime
import hashlib
import logging
from collections import Counter, namedtuple
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..protocols import bills
from .ev_settlement_bill import BILL_TYPES, FUND_BILL_TYPES
from .ev_settlement_line import CHANNELS
from .payment_provider import EV_PROVIDER_CODES

_logger = logging.getLogger(__name__)

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
BILL_CHANNEL = {"wechat_trade": "wechatpay", "wechat_fundflow": "wechatpay", "alipay_trade": "alipay",
                "alipay_fundflow": "alipay"}
BILL_PARSERS = {"wechat_trade": bills.parse_wechat_trade_bill, "wechat_fundflow": bills.parse_wechat_fundflow_bill,
                "alipay_trade": bills.parse_alipay_trade_bill, "alipay_fundflow": bills.parse_alipay_account_bill}
PAYOUT_KEYWORDS = {"wechatpay": ("微信", "财付通", "tenpay", "wechat"), "alipay": ("支付宝", "alipay")}
FEE_BUSINESS_TYPES = ("扣除交易手续费", "退还交易手续费", "收费")  # WeChat fund flow; Alipay 账务明细 (service fee)
TRADE_BUSINESS_NAMES = ("交易", "退款", "在线支付", "交易退款")  # fund movements of a trade: WeChat, Alipay
TOLERANCE = 0.01  # one fen: fees are rounded per line by the platforms
PAYOUT_SEARCH_DAYS = 7
LINE_BATCH = 1000  # bill lines created per create() call
RECONCILE_BATCH = 500  # payments per reconcile() call and per line of the entry (see _ev_reconcile_in_batches)
LATE_PAYMENT_MINUTES = 10  # paid this close to midnight, a payment may be in the next day's bill


def _to_utc_naive(moment):
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment else False


def _beijing_day_bounds(day):
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=BEIJING)
    return _to_utc_naive(start), _to_utc_naive(start + datetime.timedelta(days=1))


_LineRow = namedtuple("_LineRow", "id kind gross_amount refund_amount fee out_trade_no out_refund_no platform_trade_no "
                                  "match_state tx_id tx_amount tx_state tx_payment_id tx_reference fee_rate raw_row")


def _batches(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def _printed_rate_differs(printed, rate_percent):
    """The bill prints each line's rate ("0.60%"): a rate other than the provider's means the rule changed."""
    try:
        return abs(float((printed or "").strip().rstrip("%")) - rate_percent) > 1e-6 if printed else False
    except ValueError:
        return False


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
    provider_id = fields.Many2one("payment.provider", string="Payment Provider", required=True, readonly=True,
                                  ondelete="restrict", check_company=True)
    channel = fields.Selection(CHANNELS, string="Payment Channel", required=True, readonly=True)
    date = fields.Date(string="Settlement Day", required=True, readonly=True, index=True,
                       help="The day of the bill (Beijing time): collections and refunds of that day.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("draft", "Imported"), ("posted", "Posted"), ("paid", "Paid Out")], string="Status", default="draft",
        required=True,
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
    net_amount = fields.Monetary(string="Net Amount", compute="_compute_amounts", store=True,
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
    move_ids = fields.Many2many(
        "account.move", "ev_settlement_account_move_rel", "settlement_id", "move_id", string="Entries",
        readonly=True, copy=False,
        help="Every entry booked for this day: the settlement entry, adjustments for lines a later bill added, "
        "and the reversals of corrected entries. None is ever deleted.")
    statement_line_ids = fields.Many2many(
        "account.bank.statement.line", "ev_settlement_statement_line_rel", "settlement_id", "statement_line_id",
        string="Payout Bank Lines", readonly=True, copy=False,
        help="The bank lines of the payout. One bank line can pay several days (a weekend paid on Monday).")
    expected_payout_date = fields.Date(
        compute="_compute_expected_payout_date", store=True,
        help="When the payout should reach the bank: the payout delay counted in Chinese working days.")
    payout_date = fields.Date(readonly=True, copy=False, tracking=True)
    withdrawal_ref = fields.Char(string="Withdrawal", readonly=True, copy=False,
                                 help="Fund-flow bill: the withdrawal (提现) that paid this settlement out.")
    withdrawal_date = fields.Date(readonly=True, copy=False)

    _sql_constraints = [
        ("day_channel_unique", "unique(company_id, channel, date)", "One settlement per day and channel."),
    ]

    @api.depends("date", "provider_id.ev_payout_days")
    def _compute_expected_payout_date(self):
        Calendar = self.env["ev.cn.calendar.day"]
        for settlement in self:
            settlement.expected_payout_date = settlement.date and Calendar._ev_add_working_days(
                settlement.date, settlement.provider_id.ev_payout_days or 1)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_booked(self):
        booked = self.filtered(lambda s: s.state != "draft" or s.move_ids)
        if booked:
            raise UserError(_("%(settlements)s has booked entries and cannot be deleted: entries are never deleted. "
                              "Use Reset to Draft to reverse them.",
                              settlements=", ".join(booked.mapped("display_name"))))

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
            try:
                data = bills.extract_alipay_detail_csv(data)
            except bills.BillFormatError as error:
                raise UserError(_("The file cannot be read: %(error)s",
                                  error=self._ev_bill_error_text(error))) from None
        try:
            head = bills._gunzip(data)[:4096]
        except bills.BillFormatError as error:
            raise UserError(_("The file cannot be read: %(error)s", error=self._ev_bill_error_text(error))) from None
        text = head.decode("utf-8", "ignore") + "\n" + head.decode("gb18030", "ignore")
        first_line = text.lstrip("\ufeff").split("\n", 1)[0]
        if "支付宝" in text or first_line.startswith("#"):
            return "alipay_fundflow" if "账务明细" in text or "账务流水号" in text else "alipay_trade"
        if "记账时间" in first_line:
            return "wechat_fundflow"
        if "交易时间" in first_line:
            return "wechat_trade"
        raise UserError(_("The file is neither a WeChat Pay trade or fund-flow bill nor an Alipay bill: its first "
                          "line is %(line)s.", line=first_line[:80]))

    @api.model
    def _ev_parse_bill(self, bill_type, data, filename):
        parser = BILL_PARSERS[bill_type]
        try:
            return parser(data)
        except bills.BillFormatError as error:
            label = dict(self.env["ev.settlement.bill"]._fields["bill_type"]._description_selection(self.env))
            raise UserError(_("%(file)s is not a complete %(type)s, nothing was imported: %(error)s",
                              file=filename, type=label[bill_type], error=self._ev_bill_error_text(error))) from None

    @api.model
    def _ev_bill_error_text(self, error):
        """The parser's reason in the user's language (its English template is the translation key)."""
        kinds = {"trade bill": _("trade bill"), "fund-flow bill": _("fund-flow bill")}
        params = {name: kinds.get(value, value) if name == "kind" else value for name, value in error.params.items()}
        detail = _(error.template, **params) if params else _(error.template)
        return _("line %(line)s: %(detail)s", line=error.line_no, detail=detail) if error.line_no else detail

    @api.model
    def _ev_layout_notes(self, parsed):
        """What changed in the bill's layout (new columns, new totals), in the user's language; False if nothing."""
        notes = []
        for notice in parsed.notices:
            if notice.kind is bills.NoticeKind.ROW_KIND:
                continue  # kept on its line (raw_row) and listed as an unrecognised-row difference
            detail = _(notice.template, **notice.params) if notice.params else _(notice.template)
            notes.append(_("line %(line)s: %(detail)s", line=notice.line_no, detail=detail) if notice.line_no
                         else detail)
        return "\n".join(notes) or False

    @api.model
    def _ev_bill_day(self, bill_type, parsed, bill_date):
        if bill_date:
            return bill_date
        if bill_type.startswith("alipay") and parsed.period_start:
            return parsed.period_start.date()
        moments = (line.booked_at if bill_type in FUND_BILL_TYPES else line.trade_time for line in parsed.lines)
        days = Counter(moment.date() for moment in moments if moment)
        if not days:
            raise UserError(_("The bill has no lines and tells no date: give the day of the bill."))
        return days.most_common(1)[0][0]

    @api.model
    def _ev_check_merchant(self, provider, bill_type, parsed, filename):
        """Refuse a bill of another merchant: WeChat's 商户号 / 特约商户号, Alipay's account (PID)."""
        if bill_type == "wechat_trade":
            mchid = provider.wechatpay_mchid
            sub_mchid = provider.wechatpay_sub_mchid if provider.wechatpay_mode == "partner" else None
            for line in parsed.lines:
                billed_mchid = (line.raw.get("商户号") or "").strip()
                if mchid and billed_mchid and billed_mchid != mchid:
                    found = billed_mchid
                elif sub_mchid and line.sub_merchant_id and line.sub_merchant_id != sub_mchid:
                    found = line.sub_merchant_id
                else:
                    continue
                raise UserError(_(
                    "%(file)s is the bill of another merchant (merchant number %(found)s; %(provider)s is %(ours)s). "
                    "Nothing was imported: download or upload the bill of this merchant account.",
                    file=filename, found=found, provider=provider.name,
                    ours=" / ".join(filter(None, [mchid, sub_mchid]))))
        elif bill_type.startswith("alipay"):
            pid = provider.alipay_seller_id
            if pid and parsed.partner_id and parsed.partner_id != pid:
                raise UserError(_(
                    "%(file)s is the bill of another Alipay account (PID %(found)s; %(provider)s is %(ours)s). "
                    "Nothing was imported: download or upload the bill of this merchant account.",
                    file=filename, found=parsed.partner_id, provider=provider.name, ours=pid))

    @api.model
    def _ev_import_bill(self, provider, data, filename, bill_date=None, bill_type=None, post=True, origin="download"):
        """Import one bill file of ``provider``; returns (bill record, created). Same file again: (old bill,
        False), and nothing changes. Raises UserError (nothing written) on a bad file, a bill of another merchant
        or of a day that has not ended. A bill without a line leaves no settlement (the bill is kept, to show that
        the day was fetched). New lines for a posted day are booked in an adjustment entry."""
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
        self._ev_check_merchant(provider, bill_type, parsed, filename)
        day = self._ev_bill_day(bill_type, parsed, bill_date)
        if day >= company._ev_today():
            raise UserError(_("%(day)s has not ended yet (Beijing time): its bill would be incomplete. Nothing was "
                              "imported; download the bill after the day, from 10:00 the next morning.", day=day))
        provider._ev_settlement_setup()
        bill_vals = {
            "name": filename, "company_id": company.id, "provider_id": provider.id, "bill_type": bill_type,
            "bill_date": day, "sha256": sha256, "line_count": len(parsed.lines),
            "origin": origin, "layout_notes": self._ev_layout_notes(parsed),
        }
        settlement = self._ev_find(provider, day)
        if bill_type in FUND_BILL_TYPES and not settlement and not any(
                line.business_name in TRADE_BUSINESS_NAMES for line in parsed.lines):
            # No trade that day: the withdrawals it lists still pay earlier days out; no empty settlement is made.
            self._ev_apply_withdrawals(provider, [self._ev_fund_line_vals(line, provider) for line in parsed.lines],
                                       day)
            return Bill.create(dict(bill_vals, file=base64.b64encode(data), new_line_count=0)), True
        if not parsed.lines:
            return Bill.create(dict(bill_vals, file=base64.b64encode(data), new_line_count=0,
                                    settlement_id=settlement.id)), True
        settlement = settlement or self._ev_get_or_create(provider, day)
        line_count = len(parsed.lines)
        bill = Bill.create(dict(bill_vals, settlement_id=settlement.id))
        lines = settlement._ev_add_bill_lines(bill, parsed.lines, fund=bill_type in FUND_BILL_TYPES)
        del parsed
        # The file is stored once the parsed lines are freed: a busy day's copies of it (base64, the attachment's
        # text index) and its 10,000 parsed lines are not in memory together.
        bill.write({"file": base64.b64encode(data), "new_line_count": len(lines)})
        new_count = len(lines)
        Line = self.env["ev.settlement.line"]
        new_trade = bool(lines) and bill_type not in FUND_BILL_TYPES
        if bill_type in FUND_BILL_TYPES:
            settlement._ev_apply_fund_flow(lines)
        matched = Line._read_group([("bill_id", "=", bill.id), ("transaction_id", "!=", False)], ["transaction_id"])
        matched_ids = [transaction.id for transaction, in matched]
        if matched_ids:
            self.env["ev.settlement.difference"].search([
                ("kind", "=", "missing"), ("state", "=", "open"), ("transaction_id", "in", matched_ids),
            ]).write({"state": "resolved", "note": _("Found in the bill of %(day)s.", day=day)})
        settlement.message_post(body=_("%(file)s imported: %(new)s new lines of %(total)s.", file=filename,
                                       new=new_count, total=line_count))
        if new_trade and settlement.state != "draft":
            # Posted is posted: what the bill adds is booked apart, the posted entry stays as it is.
            settlement._ev_book_new_lines(adjustment=True)
            settlement._ev_match_payout()
        settlement._ev_compute_differences()
        if post and settlement.state == "draft" and settlement.line_ids:
            settlement.action_post()
        return bill, True

    @api.model
    def _ev_find(self, provider, day):
        return self.search([("company_id", "=", provider.company_id.id), ("channel", "=", provider.code),
                            ("date", "=", day)], limit=1)

    @api.model
    def _ev_get_or_create(self, provider, day):
        settlement = self._ev_find(provider, day)
        return settlement or self.create({"company_id": provider.company_id.id, "provider_id": provider.id,
                                          "channel": provider.code, "date": day})

    def _ev_add_bill_lines(self, bill, parsed_lines, fund=False):
        """Create the lines of ``bill`` that no earlier file brought (``line_key``), matched to their transactions
        (trade bills); returns them. A busy day has 10,000 lines: they are read, matched and created LINE_BATCH at a
        time, the cache emptied between batches, so that memory holds one batch of values and records."""
        self.ensure_one()
        Line = self.env["ev.settlement.line"]
        line_vals = self._ev_fund_line_vals if fund else self._ev_trade_line_vals
        line_ids = []
        for batch in _batches(parsed_lines, LINE_BATCH):
            vals_list = [line_vals(line) for line in batch]
            # Lines of an earlier file, or of an earlier batch of this one, are in the database already.
            known = set(Line.search_fetch([("company_id", "=", self.company_id.id), ("channel", "=", self.channel),
                                           ("line_key", "in", [vals["line_key"] for vals in vals_list])],
                                          ["line_key"]).mapped("line_key"))
            new_vals = []
            for vals in vals_list:
                if vals["line_key"] not in known:
                    known.add(vals["line_key"])
                    new_vals.append(vals)
            if not fund:
                self._ev_match_vals(new_vals)
            for vals in new_vals:
                vals.update(bill_id=bill.id, match_state="none" if vals["kind"] in ("fund", "unrecognised") else
                            "matched" if vals.get("transaction_id") else "unknown")
            line_ids += Line.create(new_vals).ids
            Line.env.flush_all()
            Line.invalidate_model()
            self.env["payment.transaction"].invalidate_model(["reference", "provider_reference"])
        return Line.browse(line_ids)

    def _ev_trade_line_vals(self, line):
        kind = line.kind.value
        platform_no = line.transaction_id or line.out_trade_no
        raw_row = False
        if kind == "unrecognised":
            # Its row as printed is what the accountant reads; the key is the row itself (the same row in a later
            # file adds nothing, two different rows of one order are both kept).
            raw_row = "\n".join("%s: %s" % (name, value) for name, value in line.raw.items())
            key = "U:%s:%s" % (platform_no, hashlib.sha1(raw_row.encode()).hexdigest()[:16])
        elif kind == "refund":
            key = "R:%s:%s" % (platform_no, line.refund_id or line.out_refund_no)
        else:
            key = "%s:%s" % ("P" if kind == "payment" else "V", platform_no)
        return {
            "settlement_id": self.id, "company_id": self.company_id.id, "channel": self.channel, "line_key": key,
            "kind": kind, "trade_time": _to_utc_naive(line.trade_time), "out_trade_no": line.out_trade_no,
            "platform_trade_no": line.transaction_id, "out_refund_no": line.out_refund_no,
            "gross_amount": float(line.gross_amount), "refund_amount": float(line.refund_amount),
            "fee": float(line.fee), "net_amount": float(line.net_amount), "business_type": line.status,
            "fee_rate": line.fee_rate or False, "raw_row": raw_row,
        }

    def _ev_fund_line_vals(self, line, provider=None):
        company, channel = (provider.company_id, provider.code) if provider else (self.company_id, self.channel)
        return {
            "settlement_id": self.id, "company_id": company.id, "channel": channel,
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
        for vals in vals_list:
            vals.update(transaction_id=False, match_state="none" if vals["kind"] == "unrecognised" else "unknown")
        vals_list = [vals for vals in vals_list if vals["kind"] != "unrecognised"]  # not a payment nor a refund
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
        self._ev_apply_withdrawals(self.provider_id, lines.read(["business_type", "flow_amount", "trade_time",
                                                                 "out_trade_no", "line_key"]), self.date)

    @api.model
    def _ev_apply_withdrawals(self, provider, movements, bill_day):
        """Record on the settlements they paid the withdrawals (提现) among fund-flow ``movements`` (dicts)."""
        for movement in movements:
            if "提现" not in (movement["business_type"] or "") or movement["flow_amount"] >= 0:
                continue
            moment = movement["trade_time"]
            day = (moment + datetime.timedelta(hours=8)).date() if moment else bill_day
            amount = -movement["flow_amount"]
            paid = self.search([
                ("company_id", "=", provider.company_id.id), ("channel", "=", provider.code), ("date", "<", day),
                ("withdrawal_ref", "=", False), ("net_amount", ">=", amount - 0.005),
                ("net_amount", "<=", amount + 0.005),
            ], order="date desc", limit=1)
            if paid:
                paid.write({"withdrawal_ref": movement["out_trade_no"] or movement["line_key"][2:],
                            "withdrawal_date": day})

    # === DIFFERENCES === #

    def _ev_compute_differences(self):
        """Recompute the open differences of the settlements (the ones the accountant resolved stay resolved)."""
        Difference = self.env["ev.settlement.difference"].sudo()
        for settlement in self:
            rate = settlement.provider_id.ev_fee_rate
            found = []
            to_state = {"matched": [], "mismatch": []}
            for line in settlement._ev_line_rows():
                billed = line.gross_amount - line.refund_amount
                if line.kind == "unrecognised":
                    found.append({"kind": "unrecognised", "line_id": line.id, "expected": 0.0, "actual": 0.0,
                                  "reference": line.out_trade_no or line.platform_trade_no, "detail": line.raw_row})
                    continue
                if not line.tx_id:
                    found.append({"kind": "unknown", "line_id": line.id, "expected": 0.0, "actual": billed,
                                  "reference": line.out_refund_no or line.out_trade_no or line.platform_trade_no})
                    continue
                ref = line.tx_reference
                mismatch = False
                if line.kind == "payment":
                    if float_compare(line.tx_amount, line.gross_amount, precision_digits=2):
                        mismatch = True
                        found.append({"kind": "amount", "line_id": line.id, "transaction_id": line.tx_id,
                                      "expected": line.tx_amount, "actual": line.gross_amount, "reference": ref})
                    expected_fee = _expected_fee(line.gross_amount, rate)
                elif line.kind == "refund":
                    if float_compare(-line.tx_amount, line.refund_amount, precision_digits=2):
                        mismatch = True
                        found.append({"kind": "amount", "line_id": line.id, "transaction_id": line.tx_id,
                                      "expected": line.tx_amount, "actual": -line.refund_amount, "reference": ref})
                    expected_fee = -_expected_fee(line.refund_amount, rate)
                else:
                    expected_fee = line.fee
                if abs(line.fee - expected_fee) > TOLERANCE + 1e-9:
                    mismatch = True
                    found.append({"kind": "fee", "line_id": line.id, "transaction_id": line.tx_id,
                                  "expected": expected_fee, "actual": line.fee, "reference": ref,
                                  "cause": "rate" if _printed_rate_differs(line.fee_rate, rate) else False})
                if line.tx_state != "done" or (line.kind in ("payment", "refund") and not line.tx_payment_id):
                    mismatch = True
                    found.append({"kind": "unbooked", "line_id": line.id, "transaction_id": line.tx_id,
                                  "expected": 0.0, "actual": billed, "reference": ref})
                new_state = "mismatch" if mismatch else "matched"
                if line.match_state != new_state:
                    to_state[new_state].append(line.id)
            Line = self.env["ev.settlement.line"]
            for state, line_ids in to_state.items():
                if line_ids:
                    Line.browse(line_ids).write({"match_state": state})
            Line.env.flush_all()
            Line.invalidate_model()
            missing = settlement._ev_missing_from_bill()
            found += missing
            if settlement.fund_line_ids and settlement.line_ids and \
                    abs(settlement.fund_fee_amount - settlement.fee_amount) > TOLERANCE + 1e-9:
                # Fund flow charging more fees than the trade bill lists: the trade bill lacks trades, usually.
                incomplete = missing or settlement._ev_trades_only_in_fund_flow()
                found.append({"kind": "fee", "expected": settlement.fee_amount, "actual": settlement.fund_fee_amount,
                              "reference": _("Fund-flow bill"),
                              "cause": "incomplete_bill" if incomplete else False})
            if settlement._ev_payout_overdue():
                found.append({"kind": "no_payout", "expected": settlement.net_amount, "actual": 0.0,
                              "reference": settlement.name})
            for bill in settlement.bill_ids.filtered("layout_notes"):
                found.append({"kind": "bill_layout", "bill_id": bill.id, "expected": 0.0, "actual": 0.0,
                              "reference": bill.name, "detail": bill.layout_notes})
            current = Difference.search([("settlement_id", "=", settlement.id)])
            resolved = {(d.kind, d.transaction_id.id, d.line_id.id, d.bill_id.id) for d in current
                        if d.state == "resolved"}
            current.filtered(lambda d: d.state == "open").unlink()
            Difference.create([
                dict(values, settlement_id=settlement.id) for values in found
                if (values["kind"], values.get("transaction_id", False), values.get("line_id", False),
                    values.get("bill_id", False)) not in resolved
            ])

    def _ev_line_rows(self):
        """The bill lines (not fund movements) with their transaction, as light rows read in one query.

        The settlement's one bulk read in SQL: a busy day has 10,000 lines, and ORM records of the lines and their
        transactions would cost tens of MB for six columns. It reads the lines of this settlement only, once the
        user's access to it (record rules: the user's companies) is checked, and their transactions as the
        settlement's other steps do (sudo)."""
        self.ensure_one()
        self.check_access("read")
        self.env["ev.settlement.line"].flush_model()
        self.env["payment.transaction"].flush_model(["amount", "state", "payment_id", "reference"])
        self.env.cr.execute("""
            SELECT l.id, l.kind, COALESCE(l.gross_amount, 0), COALESCE(l.refund_amount, 0), COALESCE(l.fee, 0),
                   l.out_trade_no, l.out_refund_no, l.platform_trade_no, l.match_state,
                   tx.id, tx.amount, tx.state, tx.payment_id, tx.reference, l.fee_rate, l.raw_row
              FROM ev_settlement_line l
         LEFT JOIN payment_transaction tx ON tx.id = l.transaction_id
             WHERE l.settlement_id = %s AND l.company_id = %s AND l.kind != 'fund'
          ORDER BY l.trade_time, l.id""", [self.id, self.company_id.id])
        # Read LINE_BATCH rows at a time: Python rows of 10,000 lines at once would cost several MB.
        while rows := self.env.cr.fetchmany(LINE_BATCH):
            for row in rows:
                yield _LineRow(*row)

    def _ev_missing_from_bill(self):
        """Transactions done on the settlement's day (Beijing) that no bill line lists."""
        self.ensure_one()
        Line = self.env["ev.settlement.line"]
        if not self.bill_ids.filtered(lambda b: b.bill_type not in FUND_BILL_TYPES) and not Line.search_count(
                [("settlement_id", "=", self.id), ("kind", "!=", "fund")], limit=1):
            return []
        Tx, _providers = self._ev_channel_transactions()
        start, end = _beijing_day_bounds(self.date)
        late = end - datetime.timedelta(minutes=LATE_PAYMENT_MINUTES)
        in_fund_flow = {line.out_trade_no for line in self.fund_line_ids if line.out_trade_no}
        done = Tx.search_fetch([
            ("provider_id", "=", self.provider_id.id), ("state", "=", "done"),
            ("operation", "in", ("online_redirect", "online_direct", "online_token", "offline", "refund")),
            ("last_state_change", ">=", start), ("last_state_change", "<", end),
        ], ["amount", "reference", "last_state_change", "provider_reference"], order="id")
        billed = {transaction.id for transaction, in Line._read_group([("transaction_id", "in", done.ids)],
                                                                      ["transaction_id"])}
        missing = [{"kind": "missing", "transaction_id": tx.id, "expected": tx.amount, "actual": 0.0,
                    "reference": tx.reference,
                    "cause": "late" if tx.last_state_change >= late
                    else "incomplete_bill" if tx.provider_reference in in_fund_flow else False}
                   for tx in done if tx.id not in billed]
        Tx.invalidate_model(["amount", "reference", "last_state_change", "provider_reference"])
        return missing

    def _ev_trades_only_in_fund_flow(self):
        """Does the fund-flow bill list trades that the trade bill of the day lacks?"""
        self.ensure_one()
        billed = set(self.line_ids.mapped("platform_trade_no"))
        return any((line.business_type or "").startswith("交易/") and line.out_trade_no not in billed
                   for line in self.fund_line_ids)

    def _ev_payout_overdue(self):
        """Posted, money owed, and a day of grace after the expected payout date gone by."""
        self.ensure_one()
        if self.state != "posted" or float_compare(self._ev_payout_residual(), 0, 2) <= 0:
            return False
        return self.company_id._ev_today() > self.expected_payout_date + datetime.timedelta(days=1)

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
        """Open clearing-account lines of the payments of ``transactions`` (only the fields needed are read)."""
        clearing = self.provider_id.sudo().ev_clearing_account_id
        if not transactions:
            return self.env["account.move.line"]
        payments = transactions.search_fetch([("id", "in", transactions.ids), ("payment_id", "!=", False)],
                                             ["payment_id"]).payment_id
        if not payments:
            return self.env["account.move.line"]
        return self.env["account.move.line"].sudo().search([
            ("payment_id", "in", payments.ids), ("account_id", "=", clearing.id), ("reconciled", "=", False),
            ("parent_state", "=", "posted"),
        ], order="id")

    def _ev_unbooked_lines(self):
        """The bill lines (not fund movements) that no entry has booked yet."""
        self.ensure_one()
        return self.env["ev.settlement.line"].search([("settlement_id", "=", self.id), ("kind", "!=", "fund"),
                                                      ("move_id", "=", False)])

    def _ev_matched_transactions(self):
        """Transactions matched by the bill lines not booked yet (grouped in the database: no line is loaded)."""
        self.ensure_one()
        groups = self.env["ev.settlement.line"]._read_group(
            [("settlement_id", "=", self.id), ("kind", "!=", "fund"), ("transaction_id", "!=", False),
             ("move_id", "=", False)], ["transaction_id"])
        return self.env["payment.transaction"].sudo().browse(sorted(transaction.id for transaction, in groups))

    def _ev_unbooked_totals(self):
        """(collected, refunded, fees) of the bill lines no entry has booked yet."""
        self.ensure_one()
        [(gross, refunded, fees)] = self.env["ev.settlement.line"]._read_group(
            [("settlement_id", "=", self.id), ("kind", "!=", "fund"), ("move_id", "=", False)], [],
            ["gross_amount:sum", "refund_amount:sum", "fee:sum"])
        return gross or 0.0, refunded or 0.0, fees or 0.0

    def action_post(self):
        """Book the settlement entry and reconcile the clearing account in batches of RECONCILE_BATCH payments."""
        for settlement in self:
            if settlement.state != "draft":
                raise UserError(_("%(settlement)s is posted already.", settlement=settlement.name))
            settlement._ev_book_new_lines()
            settlement.state = "posted"
            settlement._ev_match_payout()
            settlement._ev_compute_differences()
        return True

    def _ev_book_new_lines(self, adjustment=False):
        """Book the bill lines no entry has booked yet: the settlement entry, or an adjustment of a posted day.

        The clearing account is credited with what the matched payments booked on it (and reconciled with them),
        the part of the lines matched to no payment apart (left open for the accountant), the fees debited to the
        fee account and the net to the payout account. Returns the entry (empty when everything nets to zero)."""
        self.ensure_one()
        settlement = self
        clearing, payout, fee_account, journal = settlement._ev_accounts()
        transactions = settlement._ev_matched_transactions()
        if transactions:
            unbooked = transactions.search([("id", "in", transactions.ids), ("state", "=", "done"),
                                            ("payment_id", "=", False)])
            if unbooked:
                unbooked._ev_post_process_locked()
        clearing_lines = settlement._ev_clearing_lines(transactions)
        balances = [(aml.id, aml.balance) for aml in clearing_lines.with_context(prefetch_fields=False)]
        del clearing_lines
        self.env["account.move.line"].invalidate_model()
        currency = settlement.currency_id
        gross, refunded_billed, fees = settlement._ev_unbooked_totals()
        # Batches of payments: each batch gets its own line in the settlement entry, so each reconcile() call
        # is complete (fully reconciled) on its own and the cache can be emptied between calls.
        collected_batches = _batches([(aml_id, bal) for aml_id, bal in balances if bal > 0], RECONCILE_BATCH)
        refunded_batches = _batches([(aml_id, bal) for aml_id, bal in balances if bal <= 0], RECONCILE_BATCH)
        del balances
        collected = currency.round(sum(bal for batch in collected_batches for _id, bal in batch))
        refunded = currency.round(-sum(bal for batch in refunded_batches for _id, bal in batch))
        billed = currency.round(gross - refunded_billed)
        unmatched = currency.round(billed - collected + refunded)
        net = currency.round(gross - refunded_billed - fees)
        channel = settlement.name.rsplit(" ", 1)[0]
        if adjustment:
            label = _("%(channel)s settlement of %(day)s, adjustment", channel=channel, day=settlement.date)
        else:
            label = _("%(channel)s settlement of %(day)s", channel=channel, day=settlement.date)

        def line(account, balance, name, role):
            return Command.create({"account_id": account.id, "name": name, "debit": max(balance, 0.0),
                                   "credit": max(-balance, 0.0), "ev_settlement_role": role})

        # (No comprehension around _(): it finds the language in the calling frame.)
        amounts = []
        for batch in collected_batches:
            amounts.append(("collections", clearing, -currency.round(sum(bal for _id, bal in batch)),
                            _("%(label)s: %(count)s collections", label=label, count=len(batch))))
        for batch in refunded_batches:
            amounts.append(("refunds", clearing, -currency.round(sum(bal for _id, bal in batch)),
                            _("%(label)s: %(count)s refunds", label=label, count=len(batch))))
        amounts += [
            ("unmatched", clearing, -unmatched, _("%(label)s: amounts not matched to a payment", label=label)),
            ("fees", fee_account, currency.round(fees), _("%(label)s: fees", label=label)),
            ("payout", payout, net, _("%(label)s: payout", label=label)),
        ]
        line_commands = [line(account, balance, name, role) for role, account, balance, name in amounts
                         if not currency.is_zero(balance)]
        move = self.env["account.move"]
        if line_commands:
            move = self.env["account.move"].sudo().create({
                "move_type": "entry", "journal_id": journal.id, "date": settlement.date, "ref": label,
                "company_id": settlement.company_id.id, "line_ids": line_commands,
            })
            move.action_post()
            # The collections and refunds lines are in the order of the batches (same order as the commands).
            batch_lines = [(ln.id, ln.ev_settlement_role) for ln in move.line_ids.sorted("id")
                           if ln.ev_settlement_role in ("collections", "refunds")]
            batches = [batch for batch in collected_batches + refunded_batches
                       if not currency.is_zero(sum(bal for _id, bal in batch))]
            move_id = move.id
            self.env.invalidate_all()  # nothing read so far is needed by the reconciliation: memory for one batch
            settlement._ev_reconcile_in_batches(list(zip([line_id for line_id, _role in batch_lines], batches)))
            move = self.env["account.move"].sudo().browse(move_id)
        if move:
            settlement._ev_unbooked_lines().write({"move_id": move.id})
            self.env["ev.settlement.line"].invalidate_model()
        if move:
            values = {"move_ids": [Command.link(move.id)]}
            if not adjustment:
                values["move_id"] = move.id
            elif settlement.state == "paid" and not currency.is_zero(net):
                values["state"] = "posted"  # the adjustment's net is still to be paid out
            settlement.write(values)
            if adjustment:
                settlement.message_post(body=_(
                    "The new lines are booked in the adjustment entry %(entry)s (net %(net)s); the posted entry "
                    "is unchanged.", entry=move._get_html_link(), net=net))
        return move

    def _ev_reconcile_in_batches(self, pairs):
        """Reconcile each settlement line with its batch of clearing lines, one reconcile() call per batch. Each batch
        sums exactly to its settlement line, so every call fully reconciles its lines and nothing is left
        half-matched; between calls the cache is flushed and emptied, so memory stays bounded by one batch.

        account.move's amounts depend on the amounts of every move reconciled with any of its lines, so reconciling
        one more batch against the shared settlement entry makes Odoo walk from the entry through the partials of all
        the earlier batches to their payment moves and payments, and recompute them (payment state, due date, signed
        amounts…). Three things keep that walk small:
        - those batches are fully reconciled and nothing of theirs changes any more: their moves and payments are
          protected from the recomputation (Environment.protecting(); it keeps a set of their ids per field,
          about 0.5 MB per field on a busy day, which is why batches are of RECONCILE_BATCH = 500);
        - the walk reads only the columns it follows (``prefetch_fields=False``), not every column of 10,000 lines,
          partials and moves (about 40 MB on a busy day); the batch's own moves are still read whole;
        - no chatter tracking (see below).
        """
        AccountMoveLine = self.env["account.move.line"].sudo()
        AccountMove, AccountPayment = self.env["account.move"].sudo(), self.env["account.payment"].sudo()
        # The stored fields of moves and payments that reconciling a line can change (Odoo's own dependencies).
        changed = {
            dependent for name in ("amount_residual", "amount_residual_currency", "reconciled", "full_reconcile_id",
                                   "matched_debit_ids", "matched_credit_ids")
            for dependent in self.env.registry.get_dependent_fields(AccountMoveLine._fields[name])
            if dependent.store and dependent.compute
        }
        move_fields = [field for field in changed if field.model_name == "account.move"]
        payment_fields = [field for field in changed if field.model_name == "account.payment"]
        # No chatter tracking: the tracked fields of these entries (payment state, untaxed amount) cannot change by
        # reconciling a clearing line, yet tracking would hold every move until the commit and read them all back.
        AccountMoveLine = AccountMoveLine.with_context(mail_notrack=True, prefetch_fields=False)
        settled_move_ids, settled_payment_ids = [], []
        for settlement_line_id, batch in pairs:
            batch_line_ids = [aml_id for aml_id, _bal in batch]
            settled_moves = AccountMove.browse(settled_move_ids)
            settled_payments = AccountPayment.browse(settled_payment_ids)
            with self.env.protecting(move_fields, settled_moves), \
                    self.env.protecting(payment_fields, settled_payments):
                batch_lines = AccountMoveLine.browse([settlement_line_id] + batch_line_ids)
                # This batch's own moves are read whole, in a few queries (as usual), not a column at a time.
                batch_lines.with_context(prefetch_fields=True).move_id.line_ids.mapped("currency_id")
                batch_lines.reconcile()
                AccountMoveLine.env.flush_all()
            if len(pairs) > 1:
                for move, payment in AccountMoveLine._read_group([("id", "in", batch_line_ids)],
                                                                 ["move_id", "payment_id"]):
                    settled_move_ids.append(move.id)
                    if payment:
                        settled_payment_ids.append(payment.id)
                self.env.invalidate_all()

    def action_reset_to_draft(self):
        """Correct a posted day: undo its payout match and reverse its entries (Odoo's reversal, dated as the entry
        unless that period is locked); the payments' clearing lines are open again and the next posting books a new
        entry. Nothing is deleted."""
        for settlement in self:
            if settlement.state == "draft":
                continue
            settlement._ev_undo_payout()
            entries = settlement.move_ids.filtered(
                lambda m: m.state == "posted" and not m.reversed_entry_id and not m.reversal_move_ids)
            reversals = self.env["account.move"]
            if entries:
                entries = entries.sudo()
                entries.line_ids.remove_move_reconcile()
                defaults = []
                for entry in entries:  # (no comprehension around _(): it finds the language in the calling frame)
                    defaults.append({"date": entry.date,
                                     "ref": _("Reversal of: %(entry)s", entry=entry.ref or entry.name)})
                reversals = entries._reverse_moves(defaults, cancel=True)
            self.env["ev.settlement.line"].search([("settlement_id", "=", settlement.id),
                                                   ("move_id", "!=", False)]).write({"move_id": False})
            self.env["ev.settlement.line"].invalidate_model()
            settlement.write({"state": "draft", "move_id": False, "payout_date": False,
                              "move_ids": [Command.link(move.id) for move in reversals]})
            if reversals:
                settlement.message_post(body=_(
                    "Reset to draft: %(entries)s reversed by %(reversals)s. Post again to book the corrected entry.",
                    entries=", ".join(entries.mapped("name")), reversals=", ".join(reversals.mapped("name"))))
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

    def _ev_payout_lines(self):
        """Open lines of the payout account in this settlement's entries (the net still to be paid out)."""
        lines = self.env["account.move.line"]
        for settlement in self:
            payout = settlement.provider_id.sudo().ev_payout_account_id
            lines |= settlement.move_ids.sudo().line_ids.filtered(
                lambda ln, account=payout: ln.account_id == account and not ln.reconciled
                and ln.parent_state == "posted")
        return lines

    def _ev_payout_residual(self):
        return self.currency_id.round(sum(self._ev_payout_lines().mapped("amount_residual"))) if self else 0.0

    def _ev_payout_candidates(self, named_only=False):
        """Unreconciled bank lines that can pay these settlements: credited after the first day, within the payout
        delay and a week of the last; the ones naming the channel (财付通, 支付宝…) first, or only."""
        if not self:
            return self.env["account.bank.statement.line"]
        last = max(self.mapped("date"))
        delay = max(self.mapped("provider_id.ev_payout_days") or [1]) or 1
        candidates = self.env["account.bank.statement.line"].sudo().search([
            ("company_id", "in", self.company_id.ids), ("journal_id.type", "=", "bank"), ("is_reconciled", "=", False),
            ("amount", ">", 0), ("date", ">", min(self.mapped("date"))),
            ("date", "<=", last + datetime.timedelta(days=delay + PAYOUT_SEARCH_DAYS)),
        ], order="date, id")
        keywords = [k for channel in set(self.mapped("channel")) for k in PAYOUT_KEYWORDS[channel]]
        named = candidates.filtered(lambda ln: any(k in (ln.payment_ref or "").lower() for k in keywords))
        return named if named_only else named + (candidates - named)

    def _ev_check_payout(self, st_lines):
        """Why ``st_lines`` cannot pay these settlements (a translated sentence), or None when they can."""
        if not self or not st_lines:
            return _("Choose at least one settlement and one bank line.")
        if len(self.provider_id.sudo().ev_payout_account_id) != 1 or len(self.company_id) != 1:
            return _("A payout pays the settlements of one channel of one company: match %(channels)s apart.",
                     channels=", ".join(sorted(set(self.mapped("name")))))
        not_posted = self.filtered(lambda s: s.state != "posted")
        if not_posted:
            return _("%(settlements)s: only posted settlements waiting for their payout can be matched.",
                     settlements=", ".join(not_posted.mapped("name")))
        reconciled = st_lines.filtered("is_reconciled")
        if reconciled:
            return _("The bank line %(lines)s is reconciled already: undo its reconciliation first, or choose "
                     "another line.", lines=", ".join(reconciled.mapped("display_name")))
        if st_lines.company_id != self.company_id:
            return _("The bank lines belong to another company.")
        early = st_lines.filtered(lambda ln: ln.date <= max(self.mapped("date")))
        if early:
            return _("The bank line of %(date)s is not later than the settlement day %(day)s: a payout comes after "
                     "the day it pays.", date=min(early.mapped("date")), day=max(self.mapped("date")))
        currency = self.currency_id[:1]
        due, paid = self._ev_payout_residual(), currency.round(sum(st_lines.mapped("amount")))
        if not currency.is_zero(due - paid):
            return _("The bank lines total %(paid)s, the settlements are owed %(due)s: %(gap)s apart. Add the "
                     "bank line or the day that is missing (a weekend is often paid as one line), or remove the one "
                     "that does not belong; if the provider paid another amount, look at the withdrawals in its "
                     "fund-flow bill and at the differences of these days.",
                     paid=paid, due=due, gap=currency.round(abs(due - paid)))
        return None

    def _ev_reconcile_payout(self, st_lines):
        """Book ``st_lines`` (bank lines) against the payout account and reconcile them with the open net of these
        settlements, all at once. The totals must agree to the fen: otherwise a UserError says what differs and
        nothing is linked."""
        st_lines = st_lines.sudo()
        problem = self._ev_check_payout(st_lines)
        if problem:
            raise UserError(problem)
        payout = self.provider_id.sudo().ev_payout_account_id
        counterparts = self.env["account.move.line"]
        for st_line in st_lines:
            # The bank line's entry waits on the journal's suspense account: it is reset to draft, its suspense
            # line moved to the payout account and posted again, as an accountant would do by hand.
            suspense_account = st_line.journal_id.suspense_account_id
            entry = st_line.move_id
            suspense = entry.line_ids.filtered(lambda ln, account=suspense_account: ln.account_id == account)
            entry.button_draft()
            entry.write({"line_ids": [Command.update(line.id, {"account_id": payout.id}) for line in suspense]})
            entry.action_post()
            counterparts |= entry.line_ids.filtered(lambda ln: ln.account_id == payout)
        (counterparts | self._ev_payout_lines()).reconcile()
        for settlement in self:
            settlement.write({"statement_line_ids": [Command.link(line.id) for line in st_lines],
                              "payout_date": max(st_lines.mapped("date")), "state": "paid"})
            settlement.message_post(body=_("Paid out: %(lines)s (%(amount)s) for %(settlements)s.",
                                           lines=", ".join(st_lines.mapped("display_name")),
                                           amount=sum(st_lines.mapped("amount")),
                                           settlements=", ".join(self.mapped("name"))))
        self._ev_compute_differences()  # their "no payout" differences are gone
        return True

    def _ev_undo_payout(self):
        """Unmatch the payout bank lines; the other days they paid are waiting for their payout again."""
        st_lines = self.sudo().statement_line_ids
        if not st_lines:
            return
        sharing = self.search([("statement_line_ids", "in", st_lines.ids)])
        for st_line in st_lines.filtered("is_reconciled"):
            st_line.action_undo_reconciliation()
        sharing.filtered(lambda s: s.state == "paid").write({"state": "posted"})
        sharing.write({"statement_line_ids": [Command.clear()], "payout_date": False})
        for settlement in sharing - self:
            settlement.message_post(body=_("The payout bank lines %(lines)s were unmatched (a day they paid was "
                                           "reset): match the payout again.",
                                           lines=", ".join(st_lines.mapped("display_name"))))

    def _ev_match_payout(self):
        """Look for the payouts of these settlements: a bank line naming the channel (财付通, 支付宝…) of the open net
        of one day, or of consecutive days of one channel (T+1 over a weekend: Friday to Sunday paid on Monday as
        one line). A bank line that does not name the channel may be any customer's transfer: it is only matched by
        the accountant (Match Payout). A run that cannot be matched is reported on its settlements and does not
        stop the others. Returns the settlements paid."""
        matched = self.browse()
        todo = self.filtered(lambda s: s.state == "posted")
        for (company, provider) in {(s.company_id, s.provider_id) for s in todo}:
            pending = self.search([("company_id", "=", company.id), ("provider_id", "=", provider.id),
                                   ("state", "=", "posted")], order="date")
            owed = {s.id: s._ev_payout_residual() for s in pending}
            pending = pending.filtered(lambda s, owed=owed: float_compare(owed[s.id], 0, 2) > 0)
            wanted = pending & todo
            for st_line in wanted._ev_payout_candidates(named_only=True):
                run = pending._ev_run_paid_by(st_line, owed) - matched
                if not run or not run & wanted:
                    continue
                try:
                    with self.env.cr.savepoint():
                        run._ev_reconcile_payout(st_line)
                except (UserError, ValidationError) as error:
                    _logger.warning("Payout %s not matched with %s: %s", st_line.display_name,
                                    run.mapped("name"), error)
                    run.message_post(body=_("The bank line %(line)s could not be matched: %(error)s",
                                            line=st_line.display_name, error=error))
                    continue
                matched |= run
                pending -= run
                wanted -= run
                if not wanted:
                    break
        return matched

    def _ev_run_paid_by(self, st_line, owed):
        """Consecutive settlements (in date order) before the bank line whose open nets sum to its amount; the
        run ending latest wins (the payout pays the days just before it)."""
        before = self.filtered(lambda s: s.date < st_line.date).sorted("date")
        amount = st_line.amount
        for end in range(len(before) - 1, -1, -1):
            total = 0.0
            for start in range(end, -1, -1):
                total += owed[before[start].id]
                if float_compare(total, amount, precision_digits=2) == 0:
                    return before[start:end + 1]
                if float_compare(total, amount, precision_digits=2) > 0:
                    break
        return self.browse()

    def action_match_payout(self):
        """Open the payout wizard for these settlements, with the bank lines it proposes."""
        return {"type": "ir.actions.act_window", "res_model": "ev.settlement.payout.wizard", "view_mode": "form",
                "target": "new", "name": _("Match Payout"),
                "context": {"default_settlement_ids": self.ids}}

    @api.model
    def _cron_ev_match_payouts(self):
        """Match the payouts of every posted settlement; a settlement that fails is logged and skipped."""
        pending = self.search([("state", "=", "posted")])
        pending._ev_match_payout()
        for settlement in pending:
            try:
                with self.env.cr.savepoint():
                    settlement._ev_compute_differences()
            except (UserError, ValidationError) as error:
                _logger.warning("Differences of %s not computed: %s", settlement.name, error)

    # === ACTIONS === #

    def action_open_entry(self):
        """The journal items of the settlement's entries (adjustments and reversals included), readable by an
        Invoicing user, whose entry form shows no journal items."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_settlement_move_line_action")
        action["domain"] = [("move_id", "in", self.move_ids.ids)]
        action["display_name"] = _("Entries of %(settlement)s", settlement=self.name)
        return action

    def action_open_download_wizard(self):
        """List header button (shown without a selection): the Download Bills wizard."""
        return {"type": "ir.actions.act_window", "res_model": "ev.settlement.download.wizard", "view_mode": "form",
                "target": "new", "name": _("Download Bills")}

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
