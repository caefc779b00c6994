import dataclasses
import re
from datetime import date, datetime

from odoo import fields, models

from ..protocols import nuonuo_platform

_DATE_KEY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _encode(value):
    """JSON-safe copy of a sandbox dataclass value (datetimes and date keys kept recognisable)."""
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {(k.isoformat() if isinstance(k, date) else k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__datetime__"}:
            return datetime.fromisoformat(value["__datetime__"])
        if set(value) == {"__date__"}:
            return date.fromisoformat(value["__date__"])
        return {(date.fromisoformat(k) if isinstance(k, str) and _DATE_KEY.fullmatch(k) else k): _decode(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class EvEinvoiceSandboxInvoice(models.Model):
    """An invoice held by the simulated tax platform (the sandbox provider's own side, not an Odoo invoice)."""

    _name = "ev.einvoice.sandbox.invoice"
    _description = "Sandbox Tax Platform Invoice"
    _order = "id desc"
    _rec_name = "serial_no"

    provider_id = fields.Many2one("ev.einvoice.provider", string="E-invoice Provider", required=True, index=True,
                                  ondelete="cascade")
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    serial_no = fields.Char(string="Serial Number", required=True, index=True, readonly=True)
    order_no = fields.Char(string="Order Number", required=True, index=True, readonly=True)
    number = fields.Char(string="Invoice Number", index=True, readonly=True)
    status = fields.Char(readonly=True)
    status_label = fields.Char(compute="_compute_status_label", string="Status Label")
    is_red = fields.Boolean(string="Red", readonly=True)
    buyer_name = fields.Char(readonly=True)
    amount_total = fields.Char(string="Amount with Tax", readonly=True)
    status_changed_at = fields.Datetime(readonly=True)
    data = fields.Json(readonly=True)

    _sql_constraints = [
        ("serial_unique", "unique(provider_id, serial_no)", "A serial number is unique per platform account."),
        ("order_unique", "unique(provider_id, order_no)", "An order number is unique per platform account."),
    ]

    def _compute_status_label(self):
        for invoice in self:
            invoice.status_label = nuonuo_platform.STATUS_MESSAGES.get(invoice.status or "", invoice.status or "")

    def _to_sandbox(self):
        """→ ``SandboxInvoice`` (only the dataclass's own fields are restored)."""
        self.ensure_one()
        names = {f.name for f in dataclasses.fields(nuonuo_platform.SandboxInvoice)}
        data = _decode(self.data or {})
        return nuonuo_platform.SandboxInvoice(**{k: v for k, v in data.items() if k in names})

    def _values_from_sandbox(self, invoice):
        data = _encode({f.name: getattr(invoice, f.name) for f in dataclasses.fields(invoice)})
        lines = invoice.order.get("invoiceDetail") or []
        total = sum(float(line.get("taxIncludedAmount") or 0) for line in lines)
        return {
            "serial_no": invoice.serial_no, "order_no": invoice.order_no, "number": invoice.number or False,
            "status": invoice.status, "is_red": invoice.is_red, "buyer_name": invoice.order.get("buyerName"),
            "amount_total": f"{total:.2f}", "data": data,
        }
