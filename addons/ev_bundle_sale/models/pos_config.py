from odoo import _, models
from odoo.exceptions import UserError

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .product_template import SERIAL_ROLES


class PosConfig(models.Model):
    """Code checks for the Point of Sale: the POS calls these with the ORM service while the cashier scans.

    They run the bundle sale's server checks (``stock.lot._ev_scan``: format, role, bound or sold, compatibility)
    with one more condition: the unit must be on hand in this point of sale's stock location (the source location
    of its operation type), not just somewhere in the store. A refusal is returned as data (``ok: False`` and the
    message), not raised, so that the scan popup shows it under the field and the cashier scans again.
    """

    _inherit = "pos.config"

    def _ev_stock_location(self):
        self.ensure_one()
        return self.picking_type_id.default_location_src_id

    def _ev_check_code(self, role, code, vehicle_code=None, entry_product=None, product=None):
        """``(lot, warnings)`` for a code of ``role`` sold at this POS; raises ``EvCodeError``.

        ``vehicle_code``: the bundle's vehicle (batteries and chargers must be compatible with it);
        ``entry_product``: the product the cashier chose (a vehicle or its bundle product): the vehicle code must
        be of that model; ``product``: the code must be a unit of exactly this product (plain lot entry).
        """
        self.ensure_one()
        if role not in SERIAL_ROLES:
            raise UserError(_("Unknown code role %(role)s.", role=role))
        Lot = self.env["stock.lot"]
        company, location = self.company_id, self._ev_stock_location()
        vehicle_lot = None
        if role != "vehicle" and vehicle_code:
            vehicle_lot, _warnings = Lot._ev_scan("vehicle", vehicle_code, company=company, location=location)
        lot, warnings = Lot._ev_scan(role, code, vehicle_lot=vehicle_lot, company=company, location=location)
        if role == "vehicle" and entry_product:
            model = entry_product._ev_bundle_vehicle_template()
            if model and lot.product_id.product_tmpl_id != model:
                raise EvCodeError(_(
                    "Vehicle code %(code)s is a %(actual)s, not a %(model)s. Scan a %(model)s, or choose the "
                    "%(actual)s bundle.", code=lot.name, actual=lot.product_id.product_tmpl_id.name, model=model.name),
                    role, lot.name, "other_model")
        if product and lot.product_id != product:
            raise EvCodeError(_(
                "Code %(code)s is a %(actual)s, not a %(product)s: scan the code on the %(product)s.",
                code=lot.name, actual=lot.product_id.display_name, product=product.display_name),
                role, lot.name, "other_product")
        return lot, warnings

    def ev_pos_scan_code(self, role, code, vehicle_code=False, entry_product_id=False, product_id=False):
        """RPC of the POS scan popup and lot entry: check one code. Returns ``{ok, lot_name, product_id,
        product_name, warnings}`` or ``{ok: False, role, reason, message}``."""
        self.ensure_one()
        self.check_access("read")
        Product = self.env["product.product"]
        try:
            lot, warnings = self._ev_check_code(
                role, code or "", vehicle_code=vehicle_code or None,
                entry_product=Product.browse(entry_product_id) if entry_product_id else None,
                product=Product.browse(product_id) if product_id else None)
        except EvCodeError as error:
            return {"ok": False, "role": role, "reason": error.reason, "message": error.args[0]}
        return {"ok": True, "role": role, "lot_name": lot.name, "product_id": lot.product_id.id,
                "product_name": lot.product_id.display_name, "warnings": warnings}

    def ev_pos_bundle_lines(self, codes, entry_product_id):
        """RPC of the POS scan popup's confirm button: check the three codes together and return the bundle
        product and, per role, the combo choice and the code to put on its line: ``{ok, combo_product_id,
        items: [{role, combo_item_id, product_id, lot_name}]}``, or the first refusal as ``ev_pos_scan_code``."""
        self.ensure_one()
        self.check_access("read")
        lots = {}
        for role in SERIAL_ROLES:
            result = self.ev_pos_scan_code(role, codes.get(role), vehicle_code=codes.get("vehicle"),
                                           entry_product_id=entry_product_id)
            if not result["ok"]:
                return result
            lots[role] = self.env["stock.lot"].sudo().search(
                [("name", "=", result["lot_name"]), ("product_id", "=", result["product_id"])], limit=1)
        vehicle = lots["vehicle"].product_id.product_tmpl_id
        combo_product = vehicle.ev_combo_product_id
        items = self.env["ev.bundle.wizard"]._ev_combo_items(combo_product, lots)
        if not items:
            return {"ok": False, "role": "vehicle", "reason": "no_bundle", "message": _(
                "Vehicle model %(vehicle)s has no bundle product with these battery and charger models: a store "
                "manager sets its compatible batteries and chargers.", vehicle=vehicle.name)}
        return {
            "ok": True, "combo_product_id": combo_product.product_variant_id.id,
            "items": [{"role": role, "combo_item_id": item.id, "product_id": item.product_id.id,
                       "lot_name": lots[role].name} for role, item in zip(SERIAL_ROLES, items)],
        }
