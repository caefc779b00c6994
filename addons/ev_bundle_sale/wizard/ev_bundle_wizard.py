import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from odoo.addons.ev_bundle_sale.models.ev_tradein_subsidy_rule import OLD_BATTERY_TYPES
from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

STEPS = [("start", "Start"), ("vehicle", "Vehicle"), ("parts", "Battery and Charger"), ("buyer", "Buyer"),
         ("tradein", "Old Vehicle"), ("confirm", "Confirm")]
ROLES = ("vehicle", "battery", "charger")


class EvBundleWizard(models.TransientModel):
    """The bundle sale (捆绑销售) / trade-in (以旧换新) flow, one step per screen, made for a hardware scanner
    (it types the code and Enter, which checks it on the server) and for a phone."""

    _name = "ev.bundle.wizard"
    _description = "Bundle Sale"

    step = fields.Selection(STEPS, default="start", required=True)
    mode = fields.Selection([("sale", "Bundle sale"), ("trade_in", "Trade-in")], default="sale", required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Vehicle
    vehicle_code = fields.Char(string="Vehicle Code")
    vehicle_lot_id = fields.Many2one("stock.lot", string="Vehicle")
    vehicle_message = fields.Char(readonly=True)
    vehicle_warning = fields.Char(readonly=True)
    vehicle_template_id = fields.Many2one(related="vehicle_lot_id.product_id.product_tmpl_id", string="Model")
    vehicle_image = fields.Image(related="vehicle_template_id.image_256")
    colour_product_id = fields.Many2one(
        "product.product", string="Colour", domain="[('product_tmpl_id', '=', vehicle_template_id)]")
    stock_info = fields.Text(string="In Stock", compute="_compute_stock_info")
    compatible_info = fields.Text(string="Compatible", compute="_compute_compatible_info")
    # Battery and charger
    battery_code = fields.Char(string="Battery Code")
    battery_lot_id = fields.Many2one("stock.lot", string="Battery")
    battery_message = fields.Char(readonly=True)
    charger_code = fields.Char(string="Charger Code")
    charger_lot_id = fields.Many2one("stock.lot", string="Charger")
    charger_message = fields.Char(readonly=True)
    # Buyer
    buyer_name = fields.Char(string="Buyer Name")
    buyer_mobile = fields.Char(string="Mobile")
    province_id = fields.Many2one("ev.division", string="Province", domain="[('level', '=', 'province')]")
    city_id = fields.Many2one("ev.division", string="City", domain="[('parent_id', '=', province_id)]")
    county_id = fields.Many2one("ev.division", string="County", domain="[('parent_id', '=', city_id)]")
    address = fields.Char(string="Detailed Address")
    # Trade-in
    old_brand = fields.Char(string="Old Vehicle Brand")
    old_code = fields.Char(string="Old Vehicle Code or Plate")
    old_plate = fields.Char(string="Licence Plate")
    old_battery_type = fields.Selection(OLD_BATTERY_TYPES, string="Old Battery", default="lead_acid")
    photo_ids = fields.Many2many("ir.attachment", string="Photos")
    plate_collected = fields.Boolean(string="Plate Collected")
    battery_collected = fields.Boolean(string="Battery Collected")
    charger_collected = fields.Boolean(string="Charger Collected")
    # Amounts
    bundle_price = fields.Monetary(compute="_compute_amounts")
    subsidy_amount = fields.Monetary(string="Trade-in Subsidy", compute="_compute_amounts")
    amount_total = fields.Monetary(string="To Collect", compute="_compute_amounts")

    # ------------------------------------------------------------------------------------------------ computes
    @api.depends("vehicle_template_id", "company_id")
    def _compute_stock_info(self):
        for wizard in self:
            variants = wizard.vehicle_template_id.product_variant_ids
            if not variants:
                wizard.stock_info = False
                continue
            counts = dict(self.env["stock.quant"].sudo()._read_group(
                [("product_id", "in", variants.ids), ("company_id", "=", wizard.company_id.id),
                 ("location_id.usage", "=", "internal"), ("quantity", ">", 0), ("lot_id.ev_bundle_id", "=", False)],
                ["product_id"], ["quantity:sum"]))
            wizard.stock_info = "\n".join(  # env._: a generator has no `self` for `_` to find the language in
                wizard.env._("%(colour)s: %(count)s in stock", colour=wizard._ev_colour_name(variant),
                             count=int(counts.get(variant, 0))) for variant in variants)

    @api.depends("vehicle_template_id")
    def _compute_compatible_info(self):
        for wizard in self:
            vehicle = wizard.vehicle_template_id
            wizard.compatible_info = vehicle and _(
                "Batteries: %(batteries)s\nChargers: %(chargers)s",
                batteries=", ".join(vehicle.ev_compatible_battery_ids.mapped("name")) or "-",
                chargers=", ".join(vehicle.ev_compatible_charger_ids.mapped("name")) or "-")

    @api.depends("vehicle_template_id", "mode", "province_id", "city_id", "county_id", "old_battery_type",
                 "battery_lot_id")
    def _compute_amounts(self):
        for wizard in self:
            price = wizard._ev_bundle_price()
            rules = wizard._ev_subsidy_rules(price)
            subsidy = min(sum(rules.mapped("amount")), price)
            wizard.bundle_price, wizard.subsidy_amount, wizard.amount_total = price, subsidy, price - subsidy

    def _ev_bundle_price(self):
        vehicle = self.vehicle_template_id
        if not vehicle:
            return 0.0
        return vehicle.ev_combo_product_id.list_price if vehicle.ev_combo_product_id \
            else vehicle._ev_bundle_list_price()

    def _ev_subsidy_rules(self, price):
        if self.mode != "trade_in" or not self.vehicle_template_id:
            return self.env["ev.tradein.subsidy.rule"]
        return self.env["ev.tradein.subsidy.rule"].sudo()._ev_matching(
            self.company_id, fields.Date.context_today(self), price, self.county_id or self.city_id or self.province_id,
            self.old_battery_type, self.battery_lot_id.ev_battery_chemistry)

    @api.model
    def _ev_colour_name(self, variant):
        return ", ".join(variant.product_template_attribute_value_ids.mapped("name")) or variant.name

    # ------------------------------------------------------------------------------------------------ scans
    def _ev_scan(self, role):
        """Check the code typed in ``<role>_code``; fills the lot or the message (no exception: a scanner user
        sees the reason under the field and scans again)."""
        code = self[f"{role}_code"]
        values = {f"{role}_lot_id": False}
        if code:  # an emptied field keeps the last reason on screen
            values[f"{role}_message"] = False
            if role == "vehicle":
                values["vehicle_warning"] = False
            try:
                lot, warnings = self.env["stock.lot"]._ev_scan(
                    role, code, vehicle_lot=self.vehicle_lot_id if role != "vehicle" else None,
                    company=self.company_id)
            except EvCodeError as error:
                values[f"{role}_message"] = error.args[0]
            else:
                values[f"{role}_lot_id"] = lot.id
                values[f"{role}_code"] = lot.name
                if role == "vehicle":
                    values["vehicle_warning"] = " ".join(warnings) or False
        self.update(values)
        if role == "vehicle" and self.vehicle_lot_id:
            if not self.colour_product_id or self.colour_product_id.product_tmpl_id != self.vehicle_template_id:
                self.colour_product_id = self.vehicle_lot_id.product_id
            else:
                self._ev_check_colour()

    def _ev_check_colour(self):
        lot = self.vehicle_lot_id
        if lot and self.colour_product_id and lot.product_id != self.colour_product_id:
            self.update({"vehicle_message": _(
                "Vehicle code %(code)s is %(actual)s, but the buyer chose %(chosen)s: scan a %(chosen)s vehicle.",
                code=lot.name, actual=self._ev_colour_name(lot.product_id),
                chosen=self._ev_colour_name(self.colour_product_id)), "vehicle_lot_id": False, "vehicle_code": False})

    @api.onchange("vehicle_code")
    def _onchange_vehicle_code(self):
        self._ev_scan("vehicle")
        for role in ("battery", "charger"):  # compatibility depends on the vehicle
            if self[f"{role}_lot_id"]:
                self._ev_scan(role)

    @api.onchange("colour_product_id")
    def _onchange_colour_product_id(self):
        self._ev_check_colour()

    @api.onchange("battery_code")
    def _onchange_battery_code(self):
        self._ev_scan("battery")

    @api.onchange("charger_code")
    def _onchange_charger_code(self):
        self._ev_scan("charger")

    @api.onchange("province_id")
    def _onchange_province_id(self):
        if self.city_id.parent_id != self.province_id:
            self.city_id = False
        if not self.city_id and self.province_id and len(self.province_id.child_ids) == 1:
            self.city_id = self.province_id.child_ids  # municipalities: the only city level is the city itself

    @api.onchange("city_id")
    def _onchange_city_id(self):
        if self.county_id.parent_id != self.city_id:
            self.county_id = False

    # ------------------------------------------------------------------------------------------------ steps
    def _reopen(self):
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
            "target": "new", "name": _("Trade-in") if self.mode == "trade_in" else _("Bundle Sale"),
            "context": dict(self.env.context, dialog_size="medium"),
        }

    def _ev_next_step(self, step, forward=True):
        order = [key for key, _label in STEPS if key != "tradein" or self.mode == "trade_in"]
        index = order.index(step) + (1 if forward else -1)
        return order[max(0, min(index, len(order) - 1))]

    def action_start(self):
        self.step = "vehicle"
        return self._reopen()

    def action_back(self):
        self.step = self._ev_next_step(self.step, forward=False)
        return self._reopen()

    def action_next(self):
        self.ensure_one()
        getattr(self, f"_ev_validate_{self.step}")()
        self.step = self._ev_next_step(self.step)
        return self._reopen()

    def _ev_checked_lot(self, role):
        """Re-run the server checks of a code (stock and bindings may have changed since the scan)."""
        code = self[f"{role}_code"]
        lot, _warnings = self.env["stock.lot"]._ev_scan(
            role, code or "", vehicle_lot=self.vehicle_lot_id if role != "vehicle" else None, company=self.company_id)
        return lot

    def _ev_validate_start(self):
        return True

    def _ev_validate_vehicle(self):
        lot = self._ev_checked_lot("vehicle")
        if self.colour_product_id and lot.product_id != self.colour_product_id:
            raise UserError(_(
                "Vehicle code %(code)s is %(actual)s, but the buyer chose %(chosen)s: scan a %(chosen)s vehicle.",
                code=lot.name, actual=self._ev_colour_name(lot.product_id),
                chosen=self._ev_colour_name(self.colour_product_id)))
        self.vehicle_lot_id = lot

    def _ev_validate_parts(self):
        self.battery_lot_id = self._ev_checked_lot("battery")
        self.charger_lot_id = self._ev_checked_lot("charger")

    def _ev_validate_buyer(self):
        if not (self.buyer_name or "").strip():
            raise UserError(_("Enter the buyer's name."))
        self.buyer_mobile = self.env["res.partner"]._ev_normalize_cn_mobile(self.buyer_mobile)
        if not self.province_id:
            raise UserError(_("Choose the buyer's province."))
        if self.province_id.child_ids and not self.city_id:
            raise UserError(_("Choose the buyer's city in %(province)s.", province=self.province_id.name))
        if self.city_id and self.city_id.parent_id != self.province_id:
            raise UserError(_("%(city)s is not in %(province)s.", city=self.city_id.name,
                              province=self.province_id.name))
        if self.city_id.child_ids and not self.county_id:
            raise UserError(_("Choose the buyer's county or district in %(city)s.", city=self.city_id.name))
        if self.county_id and self.county_id.parent_id != self.city_id:
            raise UserError(_("%(county)s is not in %(city)s.", county=self.county_id.name, city=self.city_id.name))
        if not (self.address or "").strip():
            raise UserError(_("Enter the buyer's detailed address (street, building, room)."))

    def _ev_validate_tradein(self):
        if not (self.old_brand or "").strip() or not (self.old_code or "").strip():
            raise UserError(_("Enter the old vehicle's brand and its vehicle code or licence plate."))

    def _ev_validate_confirm(self):
        return True

    # ------------------------------------------------------------------------------------------------ submit
    def action_submit(self):
        """Create the confirmed order, deliver exactly the scanned serials, bind them, hand over to collection."""
        self.ensure_one()
        for step in ("vehicle", "parts", "buyer") + (("tradein",) if self.mode == "trade_in" else ()):
            getattr(self, f"_ev_validate_{step}")()
        lots = {role: self[f"{role}_lot_id"] for role in ROLES}
        self._ev_lock_codes(lots, self.company_id)
        company = self.company_id
        partner = self._ev_buyer_partner()
        order = self._ev_create_order(partner, lots)
        order.with_context(ev_reserve_lots={str(lot.product_id.id): lot.id for lot in lots.values()}).action_confirm()
        self._ev_deliver(order, lots)
        try:
            with self.env.cr.savepoint(flush=True):
                bundle = self.env["ev.bundle"].sudo().create({
                    "company_id": company.id, "user_id": self.env.uid, "mode": self.mode,
                    "sale_order_id": order.id, "partner_id": partner.id, "buyer_name": partner.name,
                    "buyer_mobile": self.buyer_mobile,
                    "division_id": (self.county_id or self.city_id or self.province_id).id,
                    "province_id": self.province_id.id, "address": self.address,
                    **{f"{role}_lot_id": lot.id for role, lot in lots.items()},
                    **{f"{role}_product_id": lot.product_id.id for role, lot in lots.items()},
                })
        except psycopg2.errors.UniqueViolation:
            raise UserError(_(
                "One of the codes %(codes)s was bound by another sale at the same moment. Nothing was saved: scan "
                "the codes again.", codes=", ".join(lot.name for lot in lots.values()))) from None
        if self.mode == "trade_in":
            bundle.tradein_id = self._ev_create_tradein(order, bundle, partner)
        return self._ev_collect_action(order)

    @api.model
    def _ev_lock_codes(self, lots, company):
        """Lock the codes (``{role: lot}``) so that two salespeople cannot bind the same one: the second one gets
        a clear error at once instead of waiting, and nothing of their sale is written."""
        for role, lot in lots.items():
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute("SELECT id FROM stock_lot WHERE id = %s FOR UPDATE NOWAIT", [lot.id])
            except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
                label = self.env["stock.lot"]._ev_role_label(role)
                raise EvCodeError(_(
                    "%(role)s code %(code)s is being bound by another salesperson right now. Nothing was saved: "
                    "scan another %(role_lower)s, or scan again in a moment.", role=label, code=lot.name,
                    role_lower=label.lower()), role, lot.name, "concurrent") from None
        lots_all = self.env["stock.lot"].concat(*lots.values())
        lots_all.invalidate_recordset(["ev_bundle_id"])
        for role, lot in lots.items():
            if lot.sudo().ev_bundle_id.state == "bound":
                self.env["stock.lot"]._ev_scan(role, lot.name, company=company)  # raises "bound"

    def _ev_buyer_partner(self):
        Partner = self.env["res.partner"].sudo()
        division = self.county_id or self.city_id or self.province_id
        values = {
            "street": self.address, "city": self.city_id.name if self.city_id.name != self.province_id.name
            else self.province_id.name, "state_id": self.province_id.state_id.id,
            "country_id": self.env.ref("base.cn").id, "ev_division_id": division.id, "mobile": self.buyer_mobile,
        }
        partner = Partner.search([("mobile", "=", self.buyer_mobile), ("name", "=", self.buyer_name.strip()),
                                  ("company_id", "in", [self.company_id.id, False])], limit=1)
        if partner:
            partner.write(values)
        else:
            partner = Partner.create({"name": self.buyer_name.strip(), "company_id": self.company_id.id, **values})
        return partner.sudo(False)

    def _ev_create_order(self, partner, lots):
        """One combo line (the bundle, price 0) and one line per item carrying its share of the bundle price
        (Odoo 18 combo products), plus the trade-in deduction."""
        vehicle = lots["vehicle"].product_id.product_tmpl_id
        combo_product = vehicle.ev_combo_product_id
        items = self._ev_combo_items(combo_product, lots)
        if not items:
            vehicle._ev_sync_combo()
            combo_product = vehicle.ev_combo_product_id
            items = self._ev_combo_items(combo_product, lots)
        if not items:
            raise UserError(_("Vehicle model %(vehicle)s has no bundle product: set its compatible batteries and "
                              "chargers first.", vehicle=vehicle.name))
        order = self.env["sale.order"].with_company(self.company_id).create({
            "partner_id": partner.id, "company_id": self.company_id.id, "user_id": self.env.uid,
            "order_line": [Command.create({"product_id": combo_product.product_variant_id.id,
                                           "product_uom_qty": 1, "sequence": 10})],
        })
        combo_line = order.order_line
        order.write({"order_line": [Command.create({
            "product_id": item.product_id.id, "product_uom_qty": 1, "combo_item_id": item.id,
            "linked_line_id": combo_line.id, "sequence": 11 + index,
        }) for index, item in enumerate(items)]})
        if self.mode == "trade_in" and self.subsidy_amount:
            rules = self._ev_subsidy_rules(self.bundle_price)
            product = self.env.ref("ev_bundle_sale.product_tradein_subsidy").product_variant_id
            order.write({"order_line": [Command.create({
                "product_id": product.id, "product_uom_qty": 1, "price_unit": -self.subsidy_amount,
                "name": _("Trade-in subsidy (%(rules)s)", rules=", ".join(rules.mapped("name"))), "sequence": 20,
                "tax_id": [Command.clear()],
            })]})
        return order

    @api.model
    def _ev_combo_items(self, combo_product, lots):
        if not combo_product or len(combo_product.combo_ids) != 3:
            return None
        items = self.env["product.combo.item"]
        for combo, role in zip(combo_product.combo_ids.sorted("sequence"), ROLES):
            product = lots[role].product_id
            item = combo.combo_item_ids.filtered(lambda i, p=product: i.product_id == p)[:1]
            if not item:
                return None
            items |= item
        return items

    def _ev_deliver(self, order, lots):
        """Reserve and validate exactly the scanned serials on the order's delivery (odoo-anchors §4.2)."""
        by_product = {lot.product_id: lot for lot in lots.values()}
        for _round in range(3):  # 1 to 3 steps of delivery, each validated in turn
            pickings = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            if not pickings:
                break
            for picking in pickings.sorted("id"):
                for move in picking.move_ids:
                    lot = by_product.get(move.product_id)
                    if not lot:
                        continue
                    if move.move_line_ids.lot_id != lot:  # reserved another serial (e.g. a chained step)
                        move._do_unreserve()
                        move.lot_ids = [Command.set(lot.ids)]
                    move.move_line_ids.quantity = 1
                    move.picked = True
                result = picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=picking.ids,
                                              skip_sms=True).button_validate()
                if picking.state != "done":
                    raise UserError(_("Delivery %(picking)s could not be validated with the scanned codes "
                                      "(%(result)s).", picking=picking.name, result=result))
        delivered = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing").move_line_ids.lot_id
        expected = self.env["stock.lot"].concat(*lots.values())
        if delivered != expected:
            raise UserError(_("The delivery of %(order)s holds codes %(delivered)s instead of the scanned "
                              "%(expected)s.", order=order.name, delivered=", ".join(delivered.mapped("name")),
                              expected=", ".join(expected.mapped("name"))))

    def _ev_create_tradein(self, order, bundle, partner):
        rules = self._ev_subsidy_rules(self.bundle_price)
        tradein = self.env["ev.tradein"].sudo().create({
            "company_id": self.company_id.id, "bundle_id": bundle.id, "sale_order_id": order.id,
            "partner_id": partner.id, "old_brand": self.old_brand, "old_code": self.old_code,
            "old_plate": self.old_plate, "old_battery_type": self.old_battery_type,
            "photo_ids": [Command.set(self.photo_ids.ids)], "plate_collected": self.plate_collected,
            "battery_collected": self.battery_collected, "charger_collected": self.charger_collected,
            "subsidy_amount": self.subsidy_amount, "subsidy_rule_ids": [Command.set(rules.ids)],
        })
        self.photo_ids.sudo().write({"res_model": "ev.tradein", "res_id": tradein.id})
        tradein._ev_receive_old_vehicle()
        tradein._ev_invoice_payers(rules, order)
        return tradein

    def _ev_collect_action(self, order):
        collect = getattr(order, "action_ev_collect", None)
        if collect and order._ev_collection_providers():  # no QR provider yet (booking pending): the order
            return collect()
        return {
            "type": "ir.actions.act_window", "res_model": "sale.order", "res_id": order.id, "view_mode": "form",
            "views": [(False, "form")], "target": "current",
        }
