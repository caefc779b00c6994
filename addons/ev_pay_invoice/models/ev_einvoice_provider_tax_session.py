import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..protocols import nuonuo
from ..protocols.nuonuo import ApiMethod, TaxLoginState
from .ev_einvoice_provider import EInvoiceUnavailable

_logger = logging.getLogger(__name__)

# While the drawer's login needs a check, the issuing queue asks the platform again this often (seconds).
TAX_LOGIN_RECHECK = 60


class EvEinvoiceProvider(models.Model):
    """The drawer's tax-bureau session and the month's credit line (授信额度) of a provider account, read from
    the platform. While the login needs a face or SMS check, issuing pauses (see ``ev.einvoice.submission``): the
    store managers get one activity, and the queue resumes by itself once the platform reports the login again."""

    _name = "ev.einvoice.provider"
    _inherit = ["ev.einvoice.provider", "mail.activity.mixin"]

    currency_id = fields.Many2one(related="company_id.currency_id")
    tax_login_state = fields.Selection(
        [("ok", "Logged in"), ("needs_face", "Needs a face check"), ("needs_sms", "Needs an SMS check")],
        string="Drawer's Tax-bureau Login", default="ok", required=True, readonly=True, tracking=True,
    )
    tax_login_message = fields.Char(string="Tax Bureau's Message", readonly=True)
    tax_login_checked_at = fields.Datetime(string="Login Checked On", readonly=True)
    tax_login_todo = fields.Char(string="What To Do", compute="_compute_tax_login_todo")
    credit_line_total = fields.Monetary(string="Monthly Credit Line (授信额度)", readonly=True)
    credit_line_remaining = fields.Monetary(string="Remaining Credit Line", readonly=True)
    credit_line_checked_at = fields.Datetime(string="Credit Line Checked On", readonly=True)

    @api.depends("tax_login_state", "drawer")
    def _compute_tax_login_todo(self):
        for provider in self:
            if provider.tax_login_state == "needs_face":
                provider.tax_login_todo = _(
                    "The drawer %(drawer)s must log in to the electronic tax bureau again: open the tax app "
                    "(个人所得税 / 电子税务局) and scan the face-recognition QR code in the provider's workbench. "
                    "Invoices wait meanwhile and are issued by themselves after the check.", drawer=provider.drawer)
            elif provider.tax_login_state == "needs_sms":
                provider.tax_login_todo = _(
                    "The drawer %(drawer)s must log in to the electronic tax bureau again with the SMS code sent to "
                    "the drawer's mobile, in the provider's workbench. Invoices wait meanwhile and are issued by "
                    "themselves after the check.", drawer=provider.drawer)
            else:
                provider.tax_login_todo = False

    # ------------------------------------------------------------------------------------------------------------
    # Reading the session and the credit line from the platform
    # ------------------------------------------------------------------------------------------------------------

    def _ev_tax_session_payload(self):
        return nuonuo.build_tax_session_payload((self.seller_tax_id or "").strip().upper(),
                                                extension_number=self.extension_number or "")

    def _ev_refresh_tax_session(self):
        """Ask the platform for the drawer's login state and the credit line; returns the login state.
        A call that fails leaves what was known (and is logged): the queue's own calls will tell."""
        self.ensure_one()
        status = nuonuo.parse_tax_login_status(self._ev_call(ApiMethod.TAX_LOGIN_STATUS,
                                                             self._ev_tax_session_payload()))
        if status.ok:
            self._ev_tax_login_restored()
        else:
            self._ev_tax_login_lost(status.state, status.message)
        try:
            credit = nuonuo.parse_credit_line(self._ev_call(ApiMethod.CREDIT_LINE, self._ev_tax_session_payload()))
        except (EInvoiceUnavailable, nuonuo.NuonuoError) as error:
            _logger.info("E-invoice provider %s: credit line not read (%s)", self.id, error)
        else:
            self.sudo().write({
                "credit_line_total": float(credit.total) if credit.total is not None else False,
                "credit_line_remaining": float(credit.remaining),
                "credit_line_checked_at": fields.Datetime.now(),
            })
        return self.tax_login_state

    def _ev_tax_login_recheck_due(self):
        self.ensure_one()
        return not self.tax_login_checked_at or \
            fields.Datetime.now() - self.tax_login_checked_at >= timedelta(seconds=TAX_LOGIN_RECHECK)

    def _ev_tax_login_lost(self, state=TaxLoginState.NEEDS_FACE, message=""):
        """The login needs a check: remember it and alert the store managers, once per lapse."""
        self.ensure_one()
        self.sudo().write({"tax_login_state": str(state), "tax_login_message": message or False,
                           "tax_login_checked_at": fields.Datetime.now()})
        summary = _("Log in to the tax bureau again")
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        open_alerts = self.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type and a.summary == summary)
        for user in self._ev_store_managers():
            if user in open_alerts.user_id:
                continue
            self.sudo().activity_schedule("mail.mail_activity_data_todo", user_id=user.id, summary=summary,
                                          note=self.tax_login_todo)

    def _ev_tax_login_restored(self):
        """The platform reports the drawer logged in: close the alert and wake the paused invoices."""
        self.ensure_one()
        was_paused = self.tax_login_state != "ok"
        self.sudo().write({"tax_login_state": "ok", "tax_login_message": False,
                           "tax_login_checked_at": fields.Datetime.now()})
        if not was_paused:
            return
        summary = _("Log in to the tax bureau again")
        self.sudo().activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=_("The drawer is logged in again; the waiting e-invoices are being issued."))
        Submission = self.env["ev.einvoice.submission"].sudo()
        paused = Submission.search([("provider_id", "=", self.id), ("error_kind", "=", "tax_login"),
                                    ("state", "in", ("to_issue", "issuing"))])
        if paused:
            paused.write({"next_check": fields.Datetime.now()})
            Submission._trigger_cron()

    def _ev_store_managers(self):
        companies = self.company_id | self.company_id.child_ids
        stores = self.env["ev.store"].sudo().search([("company_id", "in", companies.ids)])
        users = stores.manager_id
        return users or self.env.ref("base.user_admin", raise_if_not_found=False) or self.env["res.users"]

    @api.model
    def _cron_ev_tax_session(self):
        """Keep every active account's login state and credit line fresh (the cashier's warning reads them)."""
        can_commit = self.env["account.move"]._can_commit()
        for provider in self.sudo().search([("state", "in", ("test", "enabled"))]):
            try:
                # A new token is stored by a transaction of its own: take it, and a new snapshot, before this
                # transaction writes the provider, or that write fails to serialise.
                provider._ev_get_token()
                if can_commit:
                    self.env.cr.commit()
                provider._ev_refresh_tax_session()
            except (EInvoiceUnavailable, nuonuo.NuonuoError, UserError) as error:
                _logger.info("E-invoice provider %s: tax-bureau session not read (%s)", provider.id, error)
            if can_commit:
                self.env.cr.commit()

    def action_ev_check_tax_session(self):
        self.ensure_one()
        try:
            self._ev_refresh_tax_session()
        except EInvoiceUnavailable as error:
            raise UserError(str(error)) from None
        except nuonuo.NuonuoError as error:
            raise UserError(_("The platform answered %(code)s: %(describe)s", code=error.code,
                              describe=error.describe)) from None
        return True

    def _ev_credit_line_short(self, amount):
        """True when the last known remaining credit line is below ``amount`` (tax included)."""
        self.ensure_one()
        return bool(self.credit_line_checked_at) and self.credit_line_remaining < amount

    def _ev_issuing_notices(self, amount=0.0):
        """What stands in the way of the next e-invoice of ``amount`` (tax included), in words for the store: shown
        before the sale (cashier, collection, invoice), so that nobody learns it from a waiting invoice."""
        self.ensure_one()
        notices = []
        if self.tax_login_state != "ok":
            notices.append(self.tax_login_todo)
        if amount and self._ev_credit_line_short(amount):
            currency = self.currency_id
            notices.append(_(
                "The remaining monthly credit line (授信额度) of %(remaining)s is below this sale's %(amount)s, so its "
                "e-invoice cannot be issued now. Ask the accountant to apply for a higher credit line at the "
                "electronic tax bureau; the invoice can be issued once the bureau grants it.",
                remaining=currency.format(self.credit_line_remaining), amount=currency.format(amount)))
        return notices
