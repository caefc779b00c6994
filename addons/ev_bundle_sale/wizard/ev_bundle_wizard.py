import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.fields import Command

from odoo.addons.ev_bundle_sale.models.ev_tradein import PHOTO_KINDS
from odoo.addons.ev_bundle_sale.models.ev_tradein_subsidy_rule import OLD_BATTERY_TYPES
from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError
from odoo.addons.ev_bundle_sale.tools import certificate_qr, code_rules, id_number, sale_amount

STEPS = [("start", "Start"), ("vehicle", "Vehicle"), ("parts", "Battery and Charger"), ("buyer", "Buyer"),
         ("tradein", "Old Vehicle"), ("confirm", "Confirm")]
ROLES = ("vehicle", "battery", "charger")


class EvBundleWizard(models.TransientModel):
    """The bundle sale (捆绑销售) / trade-in (以旧换新) flow, one step per screen, made for a hardware scanner
    (it types the code and Enter, which checks it on the server) and for a phone."""

    _name = "ev.bundle.wizard"
    _description = "Bundle Sale"

    step = fields.Selection(STEPS, string="Current Step", default="start", required=True)
    mode = fields.Selection([("sale", "Bundle sale"), ("trade_in", "Trade-in")], string="Sale Type", default="sale",
                            required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Vehicle
    vehicle_code = fields.Char(
        string="Vehicle Code", help="Scan the vehicle code label on the frame or the QR code of the product "
        "certificate (合格证); the vehicle code is read from the QR code.")
    vehicle_lot_id = fields.Many2one("stock.lot", string="Vehicle")
    vehicle_message = fields.Char(readonly=True)
    vehicle_warning = fields.Char(readonly=True)
    vehicle_certificate_no = fields.Char(
        string="Certificate No.",
        help="产品合格证编号, read from the certificate's QR code; kept on the vehicle's serial.")
    vehicle_certificate_model = fields.Char(string="Certificate Model",
                                            help="车辆型号 read from the certificate's QR code.")
    vehicle_motor_code = fields.Char(string="Motor Code", help="电动机编码 stamped on the motor (GB 17761-2024 §5.3).")
    vehicle_template_id = fields.Many2one(related="vehicle_lot_id.product_id.product_tmpl_id", string="Vehicle Model")
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
    buyer_id_number = fields.Char(
        string="ID Number", help="The buyer's resident ID number (身份证号), when the registration platform asks for "
        "it. Optional; once saved only store managers can read it.")
    # Trade-in
    old_brand = fields.Char(string="Old Vehicle Brand")
    old_code = fields.Char(string="Old Vehicle Code or Plate")
    old_plate = fields.Char(string="Licence Plate")
    old_battery_type = fields.Selection(OLD_BATTERY_TYPES, string="Old Battery", default="lead_acid")
    photo_ids = fields.Many2many("ir.attachment", string="Photos")
    # The audit photos of the old vehicle (ev.tradein.photo_<kind>).
    photo_front = fields.Image(string="Photo: Front", max_width=1920, max_height=1920)
    photo_side = fields.Image(string="Photo: Side", max_width=1920, max_height=1920)
    photo_frame_code = fields.Image(string="Photo: Frame Code", max_width=1920, max_height=1920)
    photo_plate = fields.Image(string="Photo: Licence Plate", max_width=1920, max_height=1920)
    plate_collected = fields.Boolean(string="Plate Collected")
    battery_collected = fields.Boolean(string="Battery Collected")
    charger_collected = fields.Boolean(string="Charger Collected")
    # Amounts
    bundle_price = fields.Monetary(string="List Price", compute="_compute_bundle_price")
    sale_amount = fields.Monetary(
        string="Sale Amount", compute="_compute_sale_amount", store=True, readonly=False, precompute=True,
        help="The actual sale amount (实际销售金额), the bundle's list price unless the store agrees another one. "
        "It is the invoice total; in a trade-in the buyer pays it less the subsidy.")
    floor_amount = fields.Monetary(string="Lowest Amount", compute="_compute_bundle_price",
                                   help="Below this a store manager approves (the store's share of the list price).")
    subsidy_amount = fields.Monetary(string="Trade-in Subsidy", compute="_compute_amounts")
    amount_total = fields.Monetary(string="To Collect", compute="_compute_amounts")
    approval_manager_ids = fields.Many2many("res.users", compute="_compute_approval_manager_ids")
    approval_manager_id = fields.Many2one(
        "res.users", string="Approved by", domain="[('id', 'in', approval_manager_ids)]",
        help="A sale amount below the lowest amount needs a store manager: they choose themselves and type their "
        "password.")
    approval_password = fields.Char(string="Manager Password")
    needs_approval = fields.Boolean(compute="_compute_amounts")

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
            wizard.stock_info = "\n".join(
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

    @api.depends("vehicle_template_id", "company_id")
    def _compute_bundle_price(self):
        for wizard in self:
            wizard.bundle_price = wizard._ev_bundle_price()
            store = self.env["ev.store"].sudo().search([("company_id", "=", wizard.company_id.id)], limit=1)
            percent = store.ev_min_sale_percent if store else 0.0
            wizard.floor_amount = wizard.currency_id.round(wizard.bundle_price * percent / 100)

    @api.depends("company_id")
    def _compute_approval_manager_ids(self):
        managers = self.env.ref("ev_pay_invoice.group_ev_store_manager").sudo().users.filtered(
            lambda user: not user.share and user.active)
        for wizard in self:
            wizard.approval_manager_ids = managers.filtered(lambda user, c=wizard.company_id: c in user.company_ids)

    @api.depends("vehicle_template_id", "company_id")
    def _compute_sale_amount(self):
        for wizard in self:
            wizard.sale_amount = wizard._ev_bundle_price()

    @api.depends("sale_amount", "bundle_price", "floor_amount", "mode", "province_id", "city_id", "county_id",
                 "old_battery_type", "battery_lot_id")
    def _compute_amounts(self):
        for wizard in self:
            price = wizard.sale_amount
            rules = wizard._ev_subsidy_rules(price)
            subsidy = max(min(sum(rules.mapped("amount")), price), 0.0)
            wizard.subsidy_amount, wizard.amount_total = subsidy, price - subsidy
            wizard.needs_approval = bool(
                wizard.vehicle_template_id and wizard.currency_id.compare_amounts(price, wizard.floor_amount) < 0
                and not self.env.user.has_group("ev_pay_invoice.group_ev_store_manager"))

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
        if role == "vehicle":
            self.update({"vehicle_certificate_no": False, "vehicle_certificate_model": False,
                         "vehicle_motor_code": False})
            self._ev_read_certificate()
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
                    try:
                        warnings += self._ev_check_certificate(lot)
                    except UserError as error:
                        values.update({"vehicle_lot_id": False, "vehicle_message": error.args[0]})
                    values["vehicle_warning"] = " ".join(warnings) or False
                    values["vehicle_motor_code"] = self.vehicle_motor_code or lot.ev_motor_code or False
        self.update(values)
        if role == "vehicle" and self.vehicle_lot_id:
            if not self.colour_product_id or self.colour_product_id.product_tmpl_id != self.vehicle_template_id:
                self.colour_product_id = self.vehicle_lot_id.product_id
            else:
                self._ev_check_colour()

    def _ev_read_certificate(self):
        """When ``vehicle_code`` holds a certificate's QR code, put the vehicle code read from it in its place and
        keep the certificate number, model and motor code (a QR code of unknown shape is refused by the scan)."""
        scan = certificate_qr.parse_vehicle_scan(self.vehicle_code)
        if not scan.is_certificate:
            return
        self.update({"vehicle_code": scan.vehicle_code, "vehicle_certificate_no": scan.certificate_no or False,
                     "vehicle_certificate_model": scan.model or False,
                     **({"vehicle_motor_code": scan.motor_code} if scan.motor_code else {})})

    def _ev_check_certificate(self, lot):
        """The certificate's model must be the vehicle's model, and the motor code the one received with it.
        Raises ``UserError``; returns warnings."""
        template = lot.sudo().product_id.product_tmpl_id
        warnings = []
        model = self.vehicle_certificate_model
        if model and not template.ev_certificate_model:
            warnings.append(_("The certificate names model %(model)s, but vehicle model %(product)s has no certified "
                              "model set: check them by eye.", model=model, product=template.name))
        elif model and not certificate_qr.same_model(model, template.ev_certificate_model):
            raise UserError(_(
                "The certificate is for model %(model)s, but vehicle code %(code)s is a %(product)s (certified model "
                "%(certified)s): check that the certificate belongs to this vehicle.", model=model, code=lot.name,
                product=template.name, certified=template.ev_certificate_model))
        if self.vehicle_motor_code:
            check = code_rules.check_motor_code(self.vehicle_motor_code)
            if not check:
                raise UserError(_("Motor code %(code)s is not valid: a motor code has 4 to 40 letters, digits or '-'.",
                                  code=check.value))
            recorded = lot.sudo().ev_motor_code
            if recorded and code_rules.normalize_code(recorded) != check.value:
                raise UserError(_(
                    "Motor code %(code)s does not match motor code %(recorded)s received with vehicle %(vehicle)s: "
                    "check the motor.", code=check.value, recorded=recorded, vehicle=lot.name))
        return warnings

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
        self._ev_read_certificate()
        lot = self._ev_checked_lot("vehicle")
        self._ev_check_certificate(lot)
        if self.colour_product_id and lot.product_id != self.colour_product_id:
            raise UserError(_(
                "Vehicle code %(code)s is %(actual)s, but the buyer chose %(chosen)s: scan a %(chosen)s vehicle.",
                code=lot.name, actual=self._ev_colour_name(lot.product_id),
                chosen=self._ev_colour_name(self.colour_product_id)))
        if self.vehicle_lot_id != lot:  # the same vehicle keeps the sale amount typed for it
            self.vehicle_lot_id = lot
        # What the certificate and the motor say is kept on the serial (registration exports and the invoice).
        values = {"ev_certificate_no": self.vehicle_certificate_no,
                  "ev_motor_code": code_rules.normalize_code(self.vehicle_motor_code)}
        values = {name: value for name, value in values.items() if value and value != lot[name]}
        if values:
            lot.sudo().write(values)

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
        if self.buyer_id_number:
            self.buyer_id_number = id_number.normalize(self.buyer_id_number)
            if not id_number.is_valid(self.buyer_id_number, fields.Date.context_today(self)):
                raise UserError(_(
                    "ID number %(number)s is not valid: a resident ID number has 18 characters (17 digits, then a "
                    "digit or X) and its last character must match the others. Check it or leave it empty.",
                    number=self.buyer_id_number))

    def _ev_validate_tradein(self):
        if not (self.old_brand or "").strip() or not (self.old_code or "").strip():
            raise UserError(_("Enter the old vehicle's brand and its vehicle code or licence plate."))

    def _ev_validate_confirm(self):
        """The sale amount the store entered: positive, not above the list price unless a store manager sells,
        not below the store's lowest amount unless a store manager approves."""
        currency, amount = self.currency_id, self.sale_amount
        fmt = self._ev_format_amount
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(_("The sale amount must be more than zero, not %(amount)s.", amount=fmt(amount)))
        if currency.compare_amounts(amount, self.subsidy_amount) <= 0:
            raise UserError(_("The sale amount %(amount)s does not exceed the trade-in subsidy %(subsidy)s: the "
                              "buyer would pay nothing.", amount=fmt(amount), subsidy=fmt(self.subsidy_amount)))
        is_manager = self.env.user.has_group("ev_pay_invoice.group_ev_store_manager")
        if currency.compare_amounts(amount, self.bundle_price) > 0 and not is_manager:
            raise UserError(_("The sale amount %(amount)s is above the list price %(price)s: only a store manager "
                              "may sell above the list price.", amount=fmt(amount), price=fmt(self.bundle_price)))
        if currency.compare_amounts(amount, self.floor_amount) < 0 and not is_manager:
            self._ev_check_manager_approval()

    @api.model
    def _ev_format_amount(self, amount):
        return f"¥{amount:,.2f}"

    def _ev_check_manager_approval(self):
        """Below the lowest amount: the store manager standing by types their password (checked as a login)."""
        manager, password = self.approval_manager_id, self.approval_password or self.env.context.get(
            "ev_approval_password")
        self.approval_password = False  # never kept in the wizard's table
        percent = f"{round(self.floor_amount / self.bundle_price * 100, 2) if self.bundle_price else 0:g}"
        message = _("The sale amount %(amount)s is below the lowest amount %(floor)s (%(percent)s %% of the list "
                    "price %(price)s): a store manager must approve it with their password.",
                    amount=self._ev_format_amount(self.sale_amount), floor=self._ev_format_amount(self.floor_amount),
                    percent=percent, price=self._ev_format_amount(self.bundle_price))
        if not manager or not password:
            raise UserError(message)
        manager = manager.sudo()
        if not manager.has_group("ev_pay_invoice.group_ev_store_manager") \
                or self.company_id not in manager.company_ids:
            raise UserError(_("%(user)s is not a store manager of %(company)s and cannot approve the sale amount.",
                              user=manager.name, company=self.company_id.name))
        try:
            manager.with_user(manager)._check_credentials({"type": "password", "password": password},
                                                          {"interactive": True})
        except AccessDenied:
            raise UserError(_("Wrong password for %(user)s: the sale amount is not approved.",
                              user=manager.name)) from None

    # ------------------------------------------------------------------------------------------------ submit
    def action_submit(self):
        """Create the confirmed order, deliver exactly the scanned serials, bind them, hand over to collection."""
        self.ensure_one()
        for step in ("vehicle", "parts", "buyer") + (("tradein",) if self.mode == "trade_in" else ()):
            getattr(self, f"_ev_validate_{step}")()
        self._ev_validate_confirm()
        approved_by = self.approval_manager_id if self.currency_id.compare_amounts(
            self.sale_amount, self.floor_amount) < 0 and not self.env.user.has_group(
            "ev_pay_invoice.group_ev_store_manager") else self.env["res.users"]
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
                    "buyer_id_number": self.buyer_id_number or False,
                    **{f"{role}_lot_id": lot.id for role, lot in lots.items()},
                    **{f"{role}_product_id": lot.product_id.id for role, lot in lots.items()},
                })
        except psycopg2.errors.UniqueViolation:
            raise UserError(_(
                "One of the codes %(codes)s was bound by another sale at the same moment. Nothing was saved: scan "
                "the codes again.", codes=", ".join(lot.name for lot in lots.values()))) from None
        if self.mode == "trade_in":
            bundle.tradein_id = self._ev_create_tradein(order, bundle, partner)
        if approved_by:
            # As OdooBot: a chatter message needs an author with an e-mail address, which store staff seldom have.
            order.sudo().message_post(
                body=_("Sale amount %(amount)s (list price %(price)s) approved by %(manager)s.",
                       amount=self._ev_format_amount(self.sale_amount),
                       price=self._ev_format_amount(self.bundle_price), manager=approved_by.name),
                author_id=self.env.ref("base.partner_root").id)
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
        (Odoo 18 combo products); a sale amount other than the list price is a discount spread over the items so
        that the lines add up to it to the fen. A trade-in's order is for the full amount: the subsidy is not a
        deduction of the buyer's invoice but a part of its payment (ev.tradein)."""
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
        self._ev_apply_sale_amount(order)
        return order

    def _ev_apply_sale_amount(self, order):
        currency = order.currency_id
        if currency.compare_amounts(order.amount_total, self.sale_amount) == 0:
            return
        lines = order.order_line.filtered(lambda line: line.combo_item_id)
        digits = self.env["decimal.precision"].precision_get("Discount")
        discounts = sale_amount.spread_discounts(lines.mapped("price_total"), self.sale_amount, digits=digits)
        if discounts is not None:
            for line, discount in zip(lines, discounts):
                line.discount = float(discount)
        if discounts is None or currency.compare_amounts(order.amount_total, self.sale_amount) != 0:
            raise UserError(_("The sale amount %(amount)s cannot be spread over the bundle's lines to the fen "
                              "(%(total)s): enter an amount one fen more or less.",
                              amount=self._ev_format_amount(self.sale_amount),
                              total=self._ev_format_amount(order.amount_total)))

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
        """Reserve and validate exactly the scanned serials on the order's delivery (stock lots on the move lines)."""
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
        rules = self._ev_subsidy_rules(self.sale_amount)
        tradein = self.env["ev.tradein"].sudo().create({
            "company_id": self.company_id.id, "bundle_id": bundle.id, "sale_order_id": order.id,
            "partner_id": partner.id, "old_brand": self.old_brand, "old_code": self.old_code,
            "old_plate": self.old_plate, "old_battery_type": self.old_battery_type,
            "photo_ids": [Command.set(self.photo_ids.ids)], "plate_collected": self.plate_collected,
            **{f"photo_{kind}": self[f"photo_{kind}"] for kind in PHOTO_KINDS},
            "battery_collected": self.battery_collected, "charger_collected": self.charger_collected,
            "subsidy_amount": self.subsidy_amount, "subsidy_rule_ids": [Command.set(rules.ids)],
            "subsidy_partner_id": rules.payer_id[:1].id,
        })
        self.photo_ids.sudo().write({"res_model": "ev.tradein", "res_id": tradein.id})
        tradein._ev_receive_old_vehicle()
        return tradein

    def _ev_collect_action(self, order):
        collect = getattr(order, "action_ev_collect", None)
        if collect and order._ev_collection_providers():  # no QR provider yet (booking pending): the order
            return collect()
        return {
            "type": "ir.actions.act_window", "res_model": "sale.order", "res_id": order.id, "view_mode": "form",
            "views": [(False, "form")], "target": "current",
        }
