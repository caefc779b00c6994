import csv
import io

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ev_bundle_sale.tools import id_number

ROLE_FIELDS = {"vehicle": "vehicle_lot_id", "battery": "battery_lot_id", "charger": "charger_lot_id"}


class EvBundle(models.Model):
    """The binding register: which vehicle, battery and charger went to which buyer, on which order and day.

    A code is bound in at most one bundle at a time (partial unique indexes on the three lot columns); a return
    through Odoo's return picking unbinds it and the history keeps the trace.
    """

    _name = "ev.bundle"
    _description = "E-bike Bundle Binding"
    _inherit = ["mail.thread"]
    _order = "date_bound desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    store_id = fields.Many2one("ev.store", string="Store", compute="_compute_store_id", store=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True, default=lambda self: self.env.user,
                              index=True)
    mode = fields.Selection([("sale", "Bundle sale"), ("trade_in", "Trade-in")], string="Sale Type", required=True,
                            readonly=True, default="sale")
    state = fields.Selection([("bound", "Bound"), ("unbound", "Unbound")], string="Status", required=True,
                             readonly=True, default="bound", index=True, tracking=True)
    date_bound = fields.Datetime(string="Sale Date", required=True, readonly=True, default=fields.Datetime.now)
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", readonly=True, index=True,
                                    ondelete="restrict", check_company=True)
    pos_order_id = fields.Many2one("pos.order", string="POS Order", readonly=True, index="btree_not_null",
                                   ondelete="restrict", check_company=True,
                                   help="The Point of Sale order that sold this bundle (a sales order otherwise).")
    amount_total = fields.Monetary(string="Amount", compute="_compute_amount_total")
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id")
    # Buyer (snapshot at sale time; the partner may change later).
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, readonly=True, index=True)
    buyer_name = fields.Char(required=True, readonly=True)
    buyer_mobile = fields.Char(string="Buyer Mobile", readonly=True, index=True)
    division_id = fields.Many2one("ev.division", string="Administrative Division", readonly=True)
    province_id = fields.Many2one("ev.division", string="Province", readonly=True)
    address = fields.Char(string="Detailed Address", readonly=True)
    # Personal data: readable by store managers only; everyone else sees it masked (buyer_id_number_masked).
    buyer_id_number = fields.Char(string="Buyer ID Number", readonly=True, copy=False,
                                  groups="ev_pay_invoice.group_ev_store_manager")
    buyer_id_number_masked = fields.Char(string="Buyer ID No. (masked)", compute="_compute_buyer_id_number_masked")
    # The three codes.
    vehicle_lot_id = fields.Many2one("stock.lot", string="Vehicle Code", readonly=True, ondelete="restrict",
                                     check_company=True)
    battery_lot_id = fields.Many2one("stock.lot", string="Battery Code", readonly=True, ondelete="restrict",
                                     check_company=True)
    charger_lot_id = fields.Many2one("stock.lot", string="Charger Code", readonly=True, ondelete="restrict",
                                     check_company=True)
    vehicle_product_id = fields.Many2one("product.product", string="Vehicle Model", readonly=True)
    battery_product_id = fields.Many2one("product.product", string="Battery Model", readonly=True)
    charger_product_id = fields.Many2one("product.product", string="Charger Model", readonly=True)
    motor_code = fields.Char(related="vehicle_lot_id.ev_motor_code")
    certificate_no = fields.Char(related="vehicle_lot_id.ev_certificate_no")
    battery_maker = fields.Char(related="battery_lot_id.ev_battery_maker")
    tradein_id = fields.Many2one("ev.tradein", string="Trade-in", readonly=True)
    history_ids = fields.One2many("ev.bundle.history", "bundle_id", string="History", readonly=True)
    invoice_ids = fields.Many2many("account.move", string="Invoices", compute="_compute_invoice_ids",
                                   help="The customer invoices and credit notes of the bundle's order.")
    invoice_count = fields.Integer(string="Invoice Count", compute="_compute_invoice_ids")
    einvoice_state = fields.Selection(
        # Translated labels: a callable selection has no stored labels of its own to translate.
        selection=lambda self: self.env["account.move"]._fields["ev_einvoice_state"]._description_selection(self.env),
        string="E-invoice", compute="_compute_invoice_ids",
        help="The fully digital e-invoice of the order's latest invoice.")

    def init(self):
        super().init()
        for column in ROLE_FIELDS.values():
            # At most one *bound* bundle per code: the database refuses a second binding even if two salespeople
            # submit at the same moment.
            self.env.cr.execute(f"""
                CREATE UNIQUE INDEX IF NOT EXISTS ev_bundle_{column}_bound_uniq
                    ON ev_bundle ({column}) WHERE state = 'bound' AND {column} IS NOT NULL
            """)

    @api.depends_context("uid")
    def _compute_buyer_id_number_masked(self):
        for bundle, number in zip(self, self.sudo().mapped("buyer_id_number"), strict=True):
            bundle.buyer_id_number_masked = id_number.mask(number) if number else False

    def _ev_buyer_id_number_for_export(self):
        """The full ID number for a store manager, the masked one for anyone else."""
        self.ensure_one()
        if self.env.user.has_group("ev_pay_invoice.group_ev_store_manager"):
            return self.buyer_id_number or ""
        return self.buyer_id_number_masked or ""

    @api.depends("sale_order_id.amount_total", "pos_order_id.amount_total")
    def _compute_amount_total(self):
        for bundle in self:
            bundle.amount_total = (bundle.sale_order_id or bundle.pos_order_id).amount_total

    @api.depends("sale_order_id.invoice_ids", "pos_order_id.account_move")
    def _compute_invoice_ids(self):
        for bundle in self:
            moves = bundle.sale_order_id.invoice_ids | bundle.pos_order_id.account_move
            moves |= moves.reversal_move_ids
            bundle.invoice_ids = moves.filtered(
                lambda m: m.move_type in ("out_invoice", "out_refund") and m.state == "posted").sorted("id")
            bundle.invoice_count = len(bundle.invoice_ids)
            latest = bundle.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")[-1:]
            bundle.einvoice_state = latest.ev_einvoice_state or False

    def action_view_invoices(self):
        """The order invoices of these bundles, with their e-invoice state and download buttons."""
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.action_ev_order_invoices")
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        return action

    @api.depends("company_id")
    def _compute_store_id(self):
        stores = self.env["ev.store"].sudo().search([("company_id", "in", self.company_id.ids)])
        for bundle in self:
            bundle.store_id = stores.filtered(lambda s, c=bundle.company_id: s.company_id == c)[:1]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("ev.bundle") or _("New")
        bundles = super().create(vals_list)
        for bundle in bundles:
            lots = bundle.vehicle_lot_id | bundle.battery_lot_id | bundle.charger_lot_id
            lots.sudo().write({"ev_bundle_id": bundle.id})
            bundle._ev_log("bound", lots, note=_("Sold to %(buyer)s on order %(order)s.", buyer=bundle.buyer_name,
                                                 order=(bundle.sale_order_id or bundle.pos_order_id).name or "-"))
        return bundles

    def _ev_log(self, event, lots=None, previous_lots=None, picking=None, note=None):
        self.env["ev.bundle.history"].sudo().create([{
            "bundle_id": bundle.id, "event": event,
            "lot_ids": [fields.Command.set(lots.ids if lots else [])],
            "previous_lot_ids": [fields.Command.set(previous_lots.ids if previous_lots else [])],
            "picking_id": picking.id if picking else False, "note": note,
        } for bundle in self])

    def _ev_release(self, roles, event, picking=None, note=None):
        """Free the codes of ``roles`` (all three: the bundle becomes unbound) and log ``event``."""
        for bundle in self:
            lots = self.env["stock.lot"]
            values = {}
            for role in roles:
                lot = bundle[ROLE_FIELDS[role]]
                if lot.ev_bundle_id == bundle:
                    lots |= lot
            if set(roles) >= set(ROLE_FIELDS):
                values["state"] = "unbound"
            lots.sudo().write({"ev_bundle_id": False})
            if values:
                bundle.sudo().write(values)
            bundle._ev_log(event, lots, picking=picking, note=note)

    def _ev_unbind_returned(self, lots, picking, reference=None):
        """Called when ``lots`` come back through a return picking (or a POS refund, ``reference``): a returned
        vehicle unbinds the whole bundle; a returned battery or charger alone frees that code (its bundle stays
        bound, waiting for a replacement)."""
        reference = reference or picking.name
        for bundle in self:
            returned = {role for role, field in ROLE_FIELDS.items() if bundle[field] in lots}
            if "vehicle" in returned:
                bundle._ev_release(list(ROLE_FIELDS), "unbound", picking=picking,
                                   note=_("Vehicle returned with %(picking)s.", picking=reference))
            elif returned:
                bundle._ev_release(sorted(returned), "part_returned", picking=picking,
                                   note=_("Returned with %(picking)s.", picking=reference))

    def action_replace_battery(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": _("Replace Battery"), "res_model": "ev.bundle.replace",
            "view_mode": "form", "target": "new", "context": {"default_bundle_id": self.id},
        }

    def _ev_replace(self, role, new_lot, note=None):
        """Bind ``new_lot`` in place of the bundle's current code of ``role`` (e.g. a battery replaced under
        warranty); the old code is freed and both appear in the history."""
        self.ensure_one()
        if self.state != "bound":
            raise UserError(_("Bundle %(bundle)s is unbound: nothing to replace.", bundle=self.name))
        field = ROLE_FIELDS[role]
        old = self[field]
        if old.ev_bundle_id == self:
            old.sudo().ev_bundle_id = False
        self.sudo().write({field: new_lot.id, field.replace("lot_id", "product_id"): new_lot.product_id.id})
        new_lot.sudo().ev_bundle_id = self
        self._ev_log(f"{role}_replaced", new_lot, previous_lots=old, note=note)

    # ------------------------------------------------------------------------------------------------ export
    def _ev_export_rows(self):
        """Traceability rows (CQC: vehicle model and code, battery maker/model/code, sale date, buyer …)."""
        header = [_("Bundle"), _("Store"), _("Sale Date"), _("Vehicle Model"), _("Vehicle Code"), _("Motor Code"),
                  _("Product Certificate No."), _("Battery Maker"), _("Battery Model"), _("Battery Code"),
                  _("Charger Model"), _("Charger Code"), _("Buyer"), _("Buyer Mobile"), _("Buyer ID Number"),
                  _("Division Code"),
                  _("Administrative Division"), _("Detailed Address"), _("Sales Order"), _("Status")]
        states = dict(self._fields["state"]._description_selection(self.env))
        rows = []
        for bundle in self:
            rows.append([
                bundle.name, bundle.store_id.name or bundle.company_id.name,
                fields.Datetime.context_timestamp(bundle, bundle.date_bound).strftime("%Y-%m-%d %H:%M"),
                bundle.vehicle_product_id.display_name or "", bundle.vehicle_lot_id.name or "",
                bundle.vehicle_lot_id.ev_motor_code or "", bundle.vehicle_lot_id.ev_certificate_no or "",
                bundle.battery_lot_id.ev_battery_maker or "", bundle.battery_product_id.display_name or "",
                bundle.battery_lot_id.name or "", bundle.charger_product_id.display_name or "",
                bundle.charger_lot_id.name or "", bundle.buyer_name or "", bundle.buyer_mobile or "",
                bundle._ev_buyer_id_number_for_export(),
                bundle.division_id.code or "", bundle.division_id._ev_full_name() if bundle.division_id else "",
                bundle.address or "", bundle.sale_order_id.name or "", states.get(bundle.state, bundle.state),
            ])
        return header, rows

    def action_export_csv(self):
        return self._ev_export_action("csv")

    def action_export_xlsx(self):
        return self._ev_export_action("xlsx")

    def _ev_export_action(self, file_format):
        bundles = self or self.search([])
        data, mimetype = bundles._ev_export_file(file_format)
        attachment = self.env["ir.attachment"].create({
            "name": f"ev-bundles-{fields.Date.context_today(self)}.{file_format}", "raw": data,
            "mimetype": mimetype, "res_model": self._name,
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "download"}

    def _ev_export_file(self, file_format):
        header, rows = self._ev_export_rows()
        if file_format == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            writer.writerows(rows)
            # BOM: Excel in China opens UTF-8 CSV correctly only with it.
            return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv"
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(_("Bindings"))
        bold = workbook.add_format({"bold": True})
        text = workbook.add_format({"num_format": "@"})  # codes of 15 digits must not become numbers
        for column, title in enumerate(header):
            sheet.write_string(0, column, title, bold)
            sheet.set_column(column, column, 18)
        for row_index, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                sheet.write_string(row_index, column, str(value), text)
        workbook.close()
        return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
