from odoo import fields, models

from ..protocols import nuonuo, nuonuo_platform
from .ev_einvoice_sandbox_invoice import _decode, _encode


class EvEinvoiceSandboxRedForm(models.Model):
    """A red-letter confirmation form (红字确认单) held by the simulated tax platform."""

    _name = "ev.einvoice.sandbox.red.form"
    _description = "Sandbox Tax Platform Red-letter Confirmation Form"
    _order = "id desc"
    _rec_name = "bill_no"

    provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", required=True, index=True,
                                  ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    bill_id = fields.Char(string="Application ID", required=True, index=True, readonly=True)
    bill_no = fields.Char(string="Form Number", index=True, readonly=True)
    bill_uuid = fields.Char(string="Form UUID", index=True, readonly=True)
    bill_status = fields.Char(string="Form Status", readonly=True)
    bill_status_label = fields.Char(compute="_compute_bill_status_label", string="Form Status Label")
    blue_id = fields.Many2one("ev.einvoice.sandbox.invoice", string="Blue Invoice", readonly=True)
    red_serial_no = fields.Char(string="Red Invoice Serial", readonly=True)
    data = fields.Json(readonly=True)

    _sql_constraints = [
        ("bill_unique", "unique(provider_id, bill_id)", "An application ID is unique per platform account."),
    ]

    def _compute_bill_status_label(self):
        for form in self:
            form.bill_status_label = nuonuo.BILL_STATUS_LABELS.get(form.bill_status or "", form.bill_status or "")

    def _to_sandbox(self, blue):
        self.ensure_one()
        data = _decode(self.data or {})
        return nuonuo_platform.SandboxRedForm(
            bill_id=self.bill_id, bill_no=self.bill_no or "", bill_uuid=self.bill_uuid or "",
            payload=data.get("payload") or {}, blue=blue, bill_status=self.bill_status or "",
            created_at=data.get("created_at"), red_serial_no=self.red_serial_no or "",
        )

    def _values_from_sandbox(self, form):
        return {
            "bill_id": form.bill_id, "bill_no": form.bill_no, "bill_uuid": form.bill_uuid,
            "bill_status": form.bill_status, "red_serial_no": form.red_serial_no or False,
            "data": _encode({"payload": form.payload, "created_at": form.created_at}),
        }
