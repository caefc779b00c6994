from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError


class EvBundleReplace(models.TransientModel):
    """Replace the battery (or charger) of a bound bundle, e.g. under warranty: the new code passes the same checks
    (stock, not bound, compatible with the vehicle), leaves the store on a delivery, and the history keeps both."""

    _name = "ev.bundle.replace"
    _description = "Replace a Bundle Part"

    bundle_id = fields.Many2one("ev.bundle", required=True)
    role = fields.Selection([("battery", "Battery"), ("charger", "Charger")], required=True, default="battery")
    code = fields.Char(string="New Code")
    lot_id = fields.Many2one("stock.lot", string="New Part")
    message = fields.Char(readonly=True)
    note = fields.Char(string="Reason")

    @api.onchange("code", "role")
    def _onchange_code(self):
        self.lot_id, self.message = False, False
        if self.code:
            try:
                self.lot_id = self._ev_check()
            except EvCodeError as error:
                self.message = error.args[0]

    def _ev_check(self):
        lot, _warnings = self.env["stock.lot"]._ev_scan(
            self.role, self.code or "", vehicle_lot=self.bundle_id.vehicle_lot_id, company=self.bundle_id.company_id)
        return lot

    def action_confirm(self):
        self.ensure_one()
        if self.bundle_id.state != "bound":
            raise UserError(_("Bundle %(bundle)s is unbound: nothing to replace.", bundle=self.bundle_id.name))
        lot = self._ev_check()
        self.env["ev.bundle.wizard"]._ev_lock_codes({self.role: lot}, self.bundle_id.company_id)
        picking = lot._ev_deliver_to_customer(self.bundle_id.partner_id, self.bundle_id.name)
        self.bundle_id._ev_replace(self.role, lot, note=self.note or picking.name)
        return {"type": "ir.actions.act_window_close"}
