"""Settlement side of the QR wallet providers: clearing accounts, fee rate, daily bill download.

Each channel of a company gets a reconcilable "in transit" account under l10n_cn's 1012 其他货币资金 on which its
payments post (the provider's payment method line account), a payout account for the T+1 payout between the
settlement and the bank, the fee account (6603 财务费用) and a settlement journal. ``_ev_settlement_setup`` makes
them once per company and channel and can be called again at no cost. Which bills a channel publishes and how
one is fetched are channel hooks (``_ev_bill_types``, ``_ev_download_bill``), as are its accounts' names.
"""
import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .payment_provider import EV_PROVIDER_CODES

_logger = logging.getLogger(__name__)

SETTLEMENT_JOURNAL_CODE = "EVSTL"


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    ev_clearing_account_id = fields.Many2one(
        "account.account", string="Clearing Account", copy=False, check_company=True,
        help="Reconcilable 'in transit' account (1012xx) on which the payments of this channel are booked until "
        "the provider settles them.")
    ev_payout_account_id = fields.Many2one(
        "account.account", string="Payout Account", copy=False, check_company=True,
        help="Receives the net of each daily settlement until the payout reaches the bank account.")
    ev_fee_account_id = fields.Many2one("account.account", string="Fee Account", copy=False, check_company=True,
                                        help="Expense account of the provider's fees (6603 财务费用).")
    ev_settlement_journal_id = fields.Many2one(
        "account.journal", string="Settlement Journal", copy=False, check_company=True,
        help="Journal of the daily settlement entries.")
    ev_fee_rate = fields.Float(
        string="Fee Rate (%)", digits=(6, 3), default=0.6,
        help="Fee rate of the settlement rule chosen at onboarding (e.g. 0.6 % for rule 719). Bill lines whose fee "
        "differs from it by more than one fen are listed as differences.")
    ev_payout_days = fields.Integer(
        string="Payout Delay (days)", default=1,
        help="The provider pays the net of a day out this many days later (T+1); after that, and one day of "
        "grace, a settlement without a matched bank line is listed as a difference.")
    ev_bill_download = fields.Boolean(
        string="Download Bills Daily", default=True,
        help="Download yesterday's bills every morning (after 10:00 Beijing time the provider has them ready).")
    ev_bill_last_error = fields.Char(string="Last Bill Download Error", readonly=True, copy=False)

    # === SET-UP === #

    @api.model_create_multi
    def create(self, vals_list):
        providers = super().create(vals_list)
        providers._ev_settlement_setup_if_active()
        return providers

    def write(self, vals):
        res = super().write(vals)
        if {"state", "code", "company_id", "journal_id"} & set(vals):
            self._ev_settlement_setup_if_active()
        return res

    def _ensure_payment_method_line(self, allow_create=True):
        """Override of `account_payment`: a new method line of ours books on the clearing account."""
        super()._ensure_payment_method_line(allow_create=allow_create)
        if self.code in EV_PROVIDER_CODES and self.ev_clearing_account_id:
            self._ev_assign_clearing_account()

    def _ev_settlement_setup_if_active(self):
        active = self.filtered(lambda p: p.code in EV_PROVIDER_CODES and p.state in ("enabled", "test"))
        if active and not self.env.context.get("ev_settlement_setup_running"):
            active._ev_settlement_setup()

    @api.model
    def _ev_settlement_setup_all(self):
        """Every active WeChat Pay / Alipay provider of every company (module install, cron)."""
        self.sudo().search([("code", "in", EV_PROVIDER_CODES), ("state", "in", ("enabled", "test"))])\
            ._ev_settlement_setup()

    def _ev_settlement_setup(self):
        """Accounts, journal and method line of the settlement of each provider. Idempotent."""
        for provider in self.sudo().with_context(ev_settlement_setup_running=True):
            company = provider.company_id
            if provider.code not in EV_PROVIDER_CODES or not company.chart_template:
                continue
            values = {}
            if not provider.ev_clearing_account_id:
                values["ev_clearing_account_id"] = provider._ev_channel_account("clearing").id
            if not provider.ev_payout_account_id:
                values["ev_payout_account_id"] = provider._ev_channel_account("payout").id
            if not provider.ev_fee_account_id:
                values["ev_fee_account_id"] = provider._ev_fee_account().id
            if not provider.ev_settlement_journal_id:
                values["ev_settlement_journal_id"] = provider._ev_settlement_journal().id
            if values:
                provider.write(values)
            if not provider.journal_id:
                continue
            provider._ensure_payment_method_line()
            provider._ev_assign_clearing_account()

    def _ev_method_line(self):
        self.ensure_one()
        return self.env["account.payment.method.line"].sudo().search(
            [("payment_provider_id", "=", self.id), ("journal_id", "!=", False)], limit=1)

    def _ev_assign_clearing_account(self):
        """Point the provider's payment method line at the clearing account (payments then post on it)."""
        for provider in self:
            line = provider._ev_method_line()
            if line and provider.ev_clearing_account_id and line.payment_account_id != provider.ev_clearing_account_id:
                line.payment_account_id = provider.ev_clearing_account_id

    def _ev_channel_account(self, role):
        """The company's account of ``role`` (clearing / payout) for this channel, made once (1012xx)."""
        self.ensure_one()
        company = self.company_id
        xml_id = "ev_pay_invoice.%s_%s_%s" % (company.id, role, self.code)
        account = self.env.ref(xml_id, raise_if_not_found=False)
        if account:
            return account
        english, chinese = self._ev_channel_account_names(role)
        Account = self.env["account.account"].sudo().with_company(company).with_context(lang="en_US")
        prefix = company.transfer_account_code_prefix or "1012"
        start = prefix.ljust(6, "0") if len(prefix) < 6 else prefix
        account = Account.create({
            "name": english,
            "code": Account._search_new_account_code(start),
            "account_type": "asset_current",
            "reconcile": True,
            "company_ids": [company.root_id.id],
        })
        if self.env["res.lang"]._lang_get("zh_CN"):
            account.update_field_translations("name", {"zh_CN": chinese})
        self.env["ir.model.data"].sudo().create({
            "module": "ev_pay_invoice", "name": xml_id.split(".", 1)[1], "model": "account.account",
            "res_id": account.id, "noupdate": True,
        })
        return account

    def _ev_fee_account(self):
        """6603 财务费用 of l10n_cn, else the company's first expense account."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self.company_id)
        domain = [*Account._check_company_domain(self.company_id), ("account_type", "=", "expense")]
        return (Account.search([*domain, ("code", "=like", "6603%")], order="code", limit=1)
                or Account.search(domain, order="code", limit=1))

    def _ev_settlement_journal(self):
        self.ensure_one()
        Journal = self.env["account.journal"].sudo()
        company = self.company_id
        journal = Journal.search([*Journal._check_company_domain(company), ("code", "=", SETTLEMENT_JOURNAL_CODE)],
                                 limit=1)
        return journal or Journal.create({
            "name": _("Payment Settlements"), "code": SETTLEMENT_JOURNAL_CODE, "type": "general",
            "company_id": company.id,
        })

    # === BILL DOWNLOAD === #

    @api.model
    def _cron_ev_download_bills(self, bill_date=None):
        """Every morning: download, import, match and post yesterday's bills of every provider, and download the
        day before again (rows the platform published late are booked as an adjustment; an unchanged file changes
        nothing); then look for payouts."""
        providers = self.sudo().search([("code", "in", EV_PROVIDER_CODES), ("state", "in", ("enabled", "test")),
                                        ("ev_bill_download", "=", True)])
        commit = not self.env.registry.in_test_mode()
        for provider in providers:
            yesterday = bill_date or provider.company_id._ev_today() - datetime.timedelta(days=1)
            provider._ev_download_and_import(yesterday - datetime.timedelta(days=1), redownload=True)
            provider._ev_download_and_import(yesterday)
            if commit:
                self.env.cr.commit()
        self.env["ev.settlement"]._cron_ev_match_payouts()

    def _ev_download_and_import(self, bill_date, redownload=False):
        """Fetch the bills of ``bill_date`` and import them; returns the bills imported (new files).

        Without ``redownload``, a bill type imported already for the day is not fetched again. Each bill is
        imported whole or not at all; a bill that cannot be fetched or read is reported in ``ev_bill_last_error``
        and does not stop the others. See ``_ev_download_day`` for what happened to each bill."""
        outcomes = self._ev_download_day(bill_date, redownload=redownload)
        return self.env["ev.settlement.bill"].concat(*[bill for status, bill, _msg in outcomes.values()
                                                        if status == "imported"])

    def _ev_download_day(self, bill_date, redownload=True, post=True):
        """Download and import the bills of one day. Returns {bill type: (status, bill, message)}, status one of
        imported / unchanged / skipped (imported already) / not_ended / not_published / error."""
        self.ensure_one()
        self._ev_settlement_setup()
        Bill = self.env["ev.settlement.bill"]
        labels = dict(Bill._fields["bill_type"]._description_selection(self.env))
        outcomes, errors = {}, []
        if bill_date >= self.company_id._ev_today():
            message = _("%(day)s has not ended yet (Beijing time): its bills are downloaded from the next morning.",
                        day=bill_date)
            return dict.fromkeys(self._ev_bill_types(), ("not_ended", Bill, message))
        for bill_type in self._ev_bill_types():
            if not redownload and Bill.search_count([("provider_id", "=", self.id), ("bill_type", "=", bill_type),
                                                     ("bill_date", "=", bill_date)], limit=1):
                outcomes[bill_type] = ("skipped", Bill, "")
                continue
            try:
                with self.env.cr.savepoint():
                    data = self._ev_download_bill(bill_type, bill_date)
                    if data is None:
                        outcomes[bill_type] = ("not_published", Bill, _(
                            "%(type)s of %(day)s: not published by the provider yet (or no trade that day).",
                            type=labels.get(bill_type), day=bill_date))
                        continue
                    filename = "%s_%s_%s.csv" % (self.code, bill_type, bill_date.isoformat())
                    bill, created = self.env["ev.settlement"]._ev_import_bill(
                        self, data, filename, bill_date=bill_date, bill_type=bill_type, post=post)
                    outcomes[bill_type] = ("imported" if created else "unchanged", bill, "")
            except UserError as error:
                _logger.warning("%s: the %s bill of %s was not imported: %s", self.name, bill_type, bill_date, error)
                message = "%s %s: %s" % (labels.get(bill_type), bill_date, error)
                errors.append(message)
                outcomes[bill_type] = ("error", Bill, message)
        self.ev_bill_last_error = "\n".join(errors) or False
        return outcomes

    def _ev_channel_account_names(self, role):
        """Channel hook: (English, Chinese) name of the channel's account of ``role`` (clearing / payout)."""
        self.ensure_one()
        raise UserError(_("%(provider)s is not a WeChat Pay or Alipay provider.", provider=self.name))

    def _ev_bill_types(self):
        """Channel hook: the ``ev.settlement.bill`` types the channel publishes each day."""
        self.ensure_one()
        return ()

    def _ev_download_bill(self, bill_type, bill_date):
        """Channel hook: bytes of one bill (UTF-8 / GBK / zip, as served), or None when the provider has none for
        the day."""
        self.ensure_one()
        return None

    def action_ev_download_bills(self):
        """Download bills of a chosen day or range for this provider (wizard)."""
        return {"type": "ir.actions.act_window", "res_model": "ev.settlement.download.wizard", "view_mode": "form",
                "target": "new", "name": _("Download Bills"), "context": {"default_provider_ids": self.ids}}

    def action_ev_open_settlements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_settlement_action")
        action["domain"] = [("provider_id", "=", self.id)]
        return action

