"""The cashier (收银台): one guided screen from scan to invoice, resumable.

One draft per salesperson and company: the values typed so far (``draft``), the path (``mode``) and the step.
Leaving the screen keeps it; coming back resumes it. Each step is checked on the server by the same methods the
forms use (the collection wizard here, the bundle wizard in ``ev_bundle_sale``). The sale order is created only
at submit, in one savepoint with the start of the collection: either both exist or neither does. An order that
already has an open QR code is shown again rather than collected twice.

Paths register themselves: ``_ev_cashier_paths`` lists them; a path's step ``<step>`` of mode ``<mode>`` is
checked by ``_ev_cashier_check_<step>`` and its order made by ``_ev_cashier_create_order_<mode>``.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .payment_provider import EV_PROVIDER_CODES

SALESPERSON_GROUP = "ev_pay_invoice.group_ev_store_salesperson"
FINAL_STEPS = ["pay", "invoice"]
EINVOICE_WAITING = ("to_issue", "issuing")


class EvCashierSession(models.Model):
    _name = "ev.cashier.session"
    _description = "Cashier Draft"
    _order = "write_date desc"

    user_id = fields.Many2one("res.users", string="Salesperson", required=True, readonly=True, index=True,
                              default=lambda self: self.env.user, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company, ondelete="cascade")
    mode = fields.Selection([("collect", "Plain collection")], string="Sale Type")
    step = fields.Char(string="Cashier Step", help="The step shown on the cashier screen.")
    draft = fields.Json(help="What the salesperson typed or scanned so far.")
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", readonly=True, check_company=True,
                                    ondelete="set null", help="Set at submit, never before.")

    _sql_constraints = [
        ("user_company_unique", "unique(user_id, company_id)", "One cashier draft per salesperson and company."),
    ]

    # ------------------------------------------------------------------------------------------------ paths
    @api.model
    def _ev_cashier_paths(self):
        """The paths offered on the first screen, in order. Other addons add theirs. A path may name the label of
        a step's "next" button (``next_labels``: {step: label}); the default is "Next Step"."""
        return [{
            "mode": "collect", "label": _("Plain Collection"), "icon": "fa-qrcode", "sequence": 30,
            "help": _("Amount, invoice title, what was sold: collect with one QR code."),
            "steps": ["collect"] + FINAL_STEPS,
        }]

    def _ev_cashier_path(self):
        return next((path for path in self._ev_cashier_paths() if path["mode"] == self.mode), None)

    @api.model
    def _ev_cashier_step_labels(self):
        return {"start": _("Start"), "collect": _("Sale"), "pay": _("Pay"), "invoice": _("Invoice")}

    # ------------------------------------------------------------------------------------------------ API
    @api.model
    def _ev_cashier_session(self):
        """The current user's draft in the current company (created on first use), locked for this request."""
        if not self.env.user.has_group(SALESPERSON_GROUP):
            raise AccessError(_("The cashier is for the store's salespeople."))
        domain = [("user_id", "=", self.env.uid), ("company_id", "=", self.env.company.id)]
        session = self.search(domain, limit=1)
        if not session:
            session = self.create({"step": "start"})
        self.env.cr.execute("SELECT id FROM ev_cashier_session WHERE id = %s FOR UPDATE", [session.id])
        return session

    @api.model
    def ev_cashier_open(self):
        """Entry point of the client action: the draft to resume, or where a non-salesperson should go."""
        if not self.env.user.has_group(SALESPERSON_GROUP):
            return {"redirect": self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_booking_action")}
        return self._ev_cashier_session()._ev_cashier_state()

    @api.model
    def ev_cashier_start(self, mode):
        session = self._ev_cashier_session()
        if session.sale_order_id and session.step == "pay" and not session._ev_cashier_order_paid():
            raise UserError(_("Order %(order)s is waiting for its payment: finish or cancel its collection first.",
                              order=session.sale_order_id.name))
        if mode not in [path["mode"] for path in self._ev_cashier_paths()]:
            raise UserError(_("Unknown cashier path %(mode)s.", mode=mode))
        path = next(path for path in self._ev_cashier_paths() if path["mode"] == mode)
        session.write({"mode": mode, "step": path["steps"][0], "draft": {}, "sale_order_id": False})
        return session._ev_cashier_state()

    @api.model
    def ev_cashier_save(self, values):
        """Keep what was typed (no checks: the draft survives leaving the screen)."""
        session = self._ev_cashier_session()
        session._ev_cashier_merge(values)
        return session._ev_cashier_state()

    @api.model
    def ev_cashier_next(self, values=None):
        """Save ``values``, check the current step on the server, go to the next step (submit at the last one
        before payment). A refused check comes back as ``error`` with the draft intact."""
        session = self._ev_cashier_session()
        if values:
            session._ev_cashier_merge(values)
        path = session._ev_cashier_path()
        if not path or session.step not in path["steps"] or session.step in FINAL_STEPS:
            return session._ev_cashier_state()
        steps = path["steps"]
        next_step = steps[steps.index(session.step) + 1]
        try:
            with self.env.cr.savepoint():
                getattr(session, f"_ev_cashier_check_{session.step}")()
                if next_step == "pay":
                    session._ev_cashier_submit()
        except UserError as error:
            return session._ev_cashier_state(error=error.args[0])
        session.step = next_step
        return session._ev_cashier_state()

    @api.model
    def ev_cashier_back(self):
        session = self._ev_cashier_session()
        path = session._ev_cashier_path()
        if path and session.step in path["steps"] and session.step not in FINAL_STEPS:
            index = path["steps"].index(session.step)
            session.step = path["steps"][index - 1] if index else "start"
        elif session.step not in FINAL_STEPS:
            session.step = "start"
        return session._ev_cashier_state()

    @api.model
    def ev_cashier_refresh(self):
        """Pay step: move on to the invoice once the order is paid. Invoice step: its e-invoice state."""
        session = self._ev_cashier_session()
        if session.step in FINAL_STEPS and session._ev_cashier_order_paid():
            session.step = "invoice"
        return session._ev_cashier_state()

    @api.model
    def ev_cashier_reset(self):
        """New sale: forget the draft (a submitted order stays in the sales orders)."""
        session = self._ev_cashier_session()
        session.write({"mode": False, "step": "start", "draft": {}, "sale_order_id": False})
        return session._ev_cashier_state()

    # ------------------------------------------------------------------------------------------------ steps
    def _ev_cashier_merge(self, values):
        self.ensure_one()
        if self.step in FINAL_STEPS:
            return
        self.draft = {**(self.draft or {}), **(values or {})}

    def _ev_cashier_collection_wizard(self):
        draft = self.draft or {}
        try:
            amount = float(draft.get("amount") or 0)
        except (TypeError, ValueError):
            raise UserError(_("The sale amount %(amount)s is not a number.", amount=draft.get("amount"))) from None
        return self.env["ev.pay.collection.wizard"].new({
            "company_id": self.company_id.id, "amount": amount,
            "buyer_kind": draft.get("buyer_kind") or "person", "buyer_name": draft.get("buyer_name") or "",
            "buyer_vat": draft.get("buyer_vat") or False, "buyer_phone": draft.get("buyer_phone") or False,
            "description": draft.get("description") or "",
        })

    def _ev_cashier_check_collect(self):
        wizard = self._ev_cashier_collection_wizard()
        wizard._ev_check()
        if not (wizard.description or "").strip():
            raise UserError(_("Fill in what was sold (the e-bike's model, colour and vehicle code) for the "
                              "invoice line."))

    def _ev_cashier_create_order_collect(self):
        return self._ev_cashier_collection_wizard()._ev_create_order()

    def _ev_cashier_submit(self):
        """Create the order and open its QR codes, all or nothing (the caller's savepoint)."""
        self.ensure_one()
        if self.sale_order_id:
            return self.sale_order_id
        order = getattr(self, f"_ev_cashier_create_order_{self.mode}")()
        self.sale_order_id = order
        self._ev_cashier_collect()
        return order

    def _ev_cashier_collect(self):
        """Open the QR codes of the order, unless one is still open (never two QR codes for one order)."""
        order = self.sale_order_id
        if order.sudo().ev_collection_tx_ids.filtered(lambda tx: tx.state in ("draft", "pending")):
            return False
        return order.action_ev_collect()

    # ------------------------------------------------------------------------------------------------ state
    def _ev_cashier_order_paid(self):
        """Paid by QR: the paid transaction is post-processed (order confirmed, invoiced) if nobody did yet."""
        paid = self.sale_order_id.sudo().ev_collection_tx_ids.filtered(lambda tx: tx.state == "done")
        paid._ev_post_process_locked()
        return bool(paid)

    def _ev_cashier_invoice(self):
        invoices = self.sale_order_id.sudo().invoice_ids.filtered(
            lambda move: move.state == "posted" and move.move_type == "out_invoice")
        return invoices.sorted("id")[-1:]

    def _ev_cashier_invoice_state(self):
        invoice = self._ev_cashier_invoice()
        if not invoice:
            return False
        states = dict(invoice._fields["ev_einvoice_state"]._description_selection(self.env))
        return {
            "id": invoice.id, "name": invoice.name, "amount": invoice.amount_total,
            "partner_name": invoice.partner_id.display_name,
            "einvoice_state": invoice.ev_einvoice_state,
            "einvoice_state_label": states.get(invoice.ev_einvoice_state, ""),
            "einvoice_number": invoice.ev_einvoice_number or "",
            "einvoice_error": invoice.ev_einvoice_error or "",
            "waiting": invoice.ev_einvoice_state in EINVOICE_WAITING,
            "public_url": invoice.ev_einvoice_public_url or "",
            "public_qr_url": invoice.ev_einvoice_public_qr_url or "",
            "has_pdf": bool(invoice.ev_einvoice_pdf_id),
        }

    def _ev_cashier_state(self, error=None):
        self.ensure_one()
        path = self._ev_cashier_path()
        order = self.sale_order_id
        labels = self._ev_cashier_step_labels()
        return {
            "id": self.id,
            "mode": self.mode or False,
            "step": self.step or "start",
            "steps": [{"key": key, "label": labels.get(key, key)} for key in (path["steps"] if path else [])],
            "path_label": path["label"] if path else "",
            "next_label": path.get("next_labels", {}).get(self.step, False) if path else False,
            "draft": self.draft or {},
            "error": error or False,
            "paths": sorted(self._ev_cashier_paths(), key=lambda p: p.get("sequence", 50)),
            "currency_symbol": self.company_id.currency_id.symbol,
            "store_name": self.env["ev.store"].search([("company_id", "=", self.company_id.id)], limit=1).name
            or self.company_id.name,
            "order": {
                "id": order.id, "name": order.name, "amount": order._ev_amount_to_collect(),
                "partner_name": order.partner_id.display_name, "state": order.state,
            } if order else False,
            "invoice": self._ev_cashier_invoice_state() if self.step == "invoice" else False,
            "booking": self._ev_cashier_booking(),
        }

    def _ev_cashier_booking(self):
        """Whether the store can collect yet (its booking), for the first screen."""
        booking = self.env["ev.booking"].search([("company_id", "=", self.company_id.id)], limit=1,
                                                order="id desc")
        providers = self.env["payment.provider"].sudo().search_count([
            ("code", "in", EV_PROVIDER_CODES), ("state", "!=", "disabled"), ("company_id", "=", self.company_id.id)])
        states = dict(booking._fields["state"]._description_selection(self.env))
        return {
            "can_collect": bool(providers),
            "booking_id": booking.id or False,
            "booking_state": booking.state or False,
            "booking_state_label": states.get(booking.state, "") if booking else "",
        }

    # ------------------------------------------------------------------------------------------------ invoice
    @api.model
    def ev_cashier_invoice_action(self, kind):
        """Download or send the invoice of the finished sale (``kind``: pdf, send)."""
        session = self._ev_cashier_session()
        invoice = session._ev_cashier_invoice()
        if not invoice:
            raise UserError(_("Order %(order)s has no posted invoice yet.", order=session.sale_order_id.name))
        invoice = self.env["account.move"].browse(invoice.id)
        if kind == "pdf":
            if invoice.ev_einvoice_pdf_id:
                return invoice.action_ev_einvoice_download_pdf()
            return self.env.ref("account.account_invoices").report_action(invoice)
        if kind == "send":
            return invoice.action_ev_einvoice_send()
        if kind == "open":
            return {"type": "ir.actions.act_window", "res_model": "account.move", "res_id": invoice.id,
                    "views": [(False, "form")], "target": "current"}
        raise UserError(_("Unknown invoice action %(kind)s.", kind=kind))
