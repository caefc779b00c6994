import base64
import binascii

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.ev_settlement_bill import BILL_TYPES
from ..models.payment_provider import EV_PROVIDER_CODES


class EvSettlementImportWizard(models.TransientModel):
    _name = "ev.settlement.import.wizard"
    _description = "Import a Settlement Bill"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    provider_id = fields.Many2one(
        "payment.provider", string="Payment Provider", required=True,
        domain="[('code', 'in', %s), ('company_id', '=', company_id)]" % (list(EV_PROVIDER_CODES),),
        default=lambda self: self._default_provider())
    file = fields.Binary(string="Bill File", required=True,
                         help="WeChat Pay trade or fund-flow bill (CSV, gzip), or Alipay bill (zip or CSV).")
    filename = fields.Char()
    bill_type = fields.Selection(BILL_TYPES, help="Leave empty: it is recognised from the file.")
    bill_date = fields.Date(string="Bill Day", help="Leave empty: it is read from the bill.")
    post = fields.Boolean(string="Post the Settlement", default=True,
                          help="Book the settlement entry and reconcile the clearing account right away.")

    @api.model
    def _default_provider(self):
        return self.env["payment.provider"].sudo().search(
            [("code", "in", EV_PROVIDER_CODES), ("company_id", "=", self.env.company.id),
             ("state", "in", ("enabled", "test"))], limit=1)

    def action_import(self):
        self.ensure_one()
        try:
            data = base64.b64decode(self.file or b"", validate=True)
        except (binascii.Error, ValueError):
            raise UserError(_("The uploaded file could not be read.")) from None
        if not data:
            raise UserError(_("The bill file is empty."))
        provider = self.provider_id.sudo()
        bill, created = self.env["ev.settlement"]._ev_import_bill(
            provider, data, self.filename or _("bill"), bill_date=self.bill_date, bill_type=self.bill_type or None,
            post=self.post, origin="upload")
        if not created:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "warning", "sticky": False,
                "message": _("%(file)s was imported already on %(date)s: nothing changed.",
                             file=self.filename or bill.name, date=fields.Datetime.to_string(
                                 bill.company_id._ev_local_datetime(bill.create_date))),
                "next": {"type": "ir.actions.act_window_close"}}}
        if not bill.settlement_id:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "info", "sticky": False,
                "message": _("%(file)s lists no trade on %(day)s: no settlement for that day.",
                             file=self.filename or bill.name, day=bill.bill_date),
                "next": {"type": "ir.actions.act_window_close"}}}
        return {"type": "ir.actions.act_window", "res_model": "ev.settlement", "view_mode": "form",
                "res_id": bill.settlement_id.id, "target": "current"}
