import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.payment_provider import EV_PROVIDER_CODES

MAX_DAYS = 31  # one month at a time: each day is one call per bill to the provider


class EvSettlementDownloadWizard(models.TransientModel):
    """Download the bills of a chosen day or range, per channel and store (provider), from the settlement list."""

    _name = "ev.settlement.download.wizard"
    _description = "Download Settlement Bills"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    provider_ids = fields.Many2many(
        "payment.provider", string="Channels", required=True,
        domain="[('code', 'in', %s), ('company_id', '=', company_id), ('state', 'in', ('enabled', 'test'))]"
        % (list(EV_PROVIDER_CODES),),
        default=lambda self: self._default_providers(),
        help="The WeChat Pay and Alipay accounts (one per store and channel) whose bills are downloaded.")
    date_from = fields.Date(string="From", required=True, default=lambda self: self._default_day())
    date_to = fields.Date(string="To", required=True, default=lambda self: self._default_day())
    post = fields.Boolean(string="Post the Settlements", default=True,
                          help="Book the settlement entries right away; untick to review the differences first.")
    result = fields.Text(readonly=True)

    @api.model
    def _default_day(self):
        return self.env.company._ev_today() - datetime.timedelta(days=1)

    @api.model
    def _default_providers(self):
        return self.env["payment.provider"].sudo().search(
            [("code", "in", EV_PROVIDER_CODES), ("company_id", "=", self.env.company.id),
             ("state", "in", ("enabled", "test"))])

    def action_download(self):
        """Each day that has ended, each provider: its bills fetched and imported (a day downloaded before is
        fetched again: only new lines are added). A day that has not ended or is not published is left for later."""
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The last day comes before the first one."))
        if (self.date_to - self.date_from).days >= MAX_DAYS:
            raise UserError(_("Download at most %(days)s days at a time.", days=MAX_DAYS))
        today = self.company_id._ev_today()
        if self.date_from >= today:
            raise UserError(_("%(day)s has not ended yet (Beijing time): its bills can be downloaded from the next "
                              "morning. Choose yesterday or an earlier day.", day=self.date_from))
        lines, settlements = [], self.env["ev.settlement"]
        day = self.date_from
        while day <= self.date_to:
            for provider in self.provider_ids.sudo():
                outcomes = provider._ev_download_day(day, post=self.post)
                for status, bill, message in outcomes.values():
                    if status == "imported":
                        settlements |= bill.settlement_id
                        lines.append(_("%(provider)s %(day)s: %(file)s, %(new)s new lines of %(total)s.",
                                       provider=provider.name, day=day, file=bill.name, new=bill.new_line_count,
                                       total=bill.line_count))
                    elif status == "unchanged":
                        lines.append(_("%(provider)s %(day)s: %(file)s unchanged since its last download.",
                                       provider=provider.name, day=day, file=bill.name))
                    elif message:
                        lines.append("%s %s" % (provider.name, message) if status != "error" else message)
            day += datetime.timedelta(days=1)
        self.result = "\n".join(dict.fromkeys(lines)) or _("Nothing to download.")
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new", "name": _("Download Bills"), "context": {"ev_settlement_ids": settlements.ids}}

    def action_open_settlements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_settlement_action")
        action["domain"] = [("date", ">=", self.date_from), ("date", "<=", self.date_to),
                            ("provider_id", "in", self.provider_ids.ids)]
        return action
