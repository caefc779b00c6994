"""Simulator side of the drawer's tax-bureau session, the credit line and the red forms buyers raise: what the
sandbox tax platform can be told to produce, on demand, for tests and demos."""
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from odoo import api, fields, models

from odoo.addons.ev_pay_invoice.protocols import nuonuo
from odoo.addons.ev_pay_invoice.protocols.nuonuo import ApiMethod

from .ev_einvoice_sandbox import _LOCK_NAMESPACE
from .ev_einvoice_sandbox_invoice import _decode, _encode


class EvEinvoiceProvider(models.Model):
    _inherit = "ev.einvoice.provider"

    sandbox_login_check = fields.Selection(
        [("face", "Face check"), ("sms", "SMS check")], string="Simulated Login Check", default="face",
        required=True, help="What the simulated bureau asks a logged-out drawer for.")
    sandbox_credit_line = fields.Float(
        string="Simulated Remaining Credit Line", digits=(16, 2), default=1000000.0,
        help="The month's remaining 授信额度 the simulated bureau reports.")


class EvEinvoiceSandbox(models.AbstractModel):
    _inherit = "ev.einvoice.sandbox"

    @api.model
    def _new_platform(self, provider):
        sandbox = super()._new_platform(provider)
        sandbox.login_check = provider.sandbox_login_check or "face"
        sandbox.credit_line_remaining = Decimal(str(provider.sandbox_credit_line or 0.0)).quantize(Decimal("0.01"))
        sandbox.credit_line_total = max(sandbox.credit_line_total, sandbox.credit_line_remaining)
        return sandbox

    @api.model
    def _keys(self, api_method, payload):
        keys = super()._keys(api_method, payload)
        if api_method == ApiMethod.QUERY_RED_CONFIRM and not any(v for values in keys.values() for v in values):
            keys = {"all_forms": True}  # a query by period: every form of the account
        return keys

    @api.model
    def _load(self, sandbox, provider, *, all_forms=False, **keys):
        if all_forms:
            keys["bill_ids"] = self.env["ev.einvoice.sandbox.red.form"].sudo().search(
                [("provider_id", "=", provider.id)]).mapped("bill_id")
        return super()._load(sandbox, provider, **keys)

    @api.model
    def _sandbox_act(self, provider, action, **keys):
        """Run ``action(sandbox)`` on the simulated platform as the buyer or the bureau would act, outside any API
        call: the records named by ``keys`` are loaded, changed and saved under the account's lock."""
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_NAMESPACE, provider.id))
        sandbox = self._new_platform(provider)
        before = self._load(sandbox, provider, **keys)
        result = action(sandbox)
        self._save(sandbox, provider, before)
        return result

    @api.model
    def _sandbox_buyer_raises_red_form(self, provider, blue_number, reason="1"):
        """The company buyer raises a red form against our blue e-invoice at the bureau (→ 03). Returns its
        application ID."""
        bill_id = f"BUYER{provider.id}T{secrets.token_hex(8).upper()}"
        self._sandbox_act(provider, lambda sandbox: sandbox.raise_buyer_form(blue_number, bill_id=bill_id,
                                                                            reason=reason), numbers=[blue_number])
        return bill_id

    @api.model
    def _sandbox_buyer_books(self, provider, blue_number):
        """The company buyer books (confirms the use of) our blue e-invoice: a red form then needs its confirmation."""
        self._sandbox_act(provider, lambda sandbox: sandbox.mark_booked(blue_number), numbers=[blue_number])

    @api.model
    def _sandbox_buyer_decides(self, provider, bill_id, agree):
        """The buyer confirms (→ 04, the red e-invoice is issued) or refuses (→ 05) a form we raised."""
        self._sandbox_act(provider, lambda sandbox: sandbox.buyer_decides(bill_id, agree), bill_ids=[bill_id])

    @api.model
    def _sandbox_age_red_form(self, provider, bill_id, hours):
        """Move a form's creation back by ``hours``: the next query lapses it if it waited more than 72 hours."""
        form = self.env["ev.einvoice.sandbox.red.form"].sudo().search(
            [("provider_id", "=", provider.id), ("bill_id", "=", bill_id)], limit=1)
        data = _decode(form.data or {})
        data["created_at"] = (data.get("created_at") or datetime.now(nuonuo.CHINA_TZ)) - timedelta(hours=hours)
        form.data = _encode(data)
