from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from odoo.addons.ev_bundle_sale.tools import ccc_rules, certificate_qr, code_rules

from .product_template import BATTERY_CHEMISTRIES, SERIAL_ROLES


class EvCodeError(UserError):
    """A scanned code is refused. ``reason`` is a stable key (tests, UI), the message says which code and why."""

    def __init__(self, message, role=None, code=None, reason=None):
        super().__init__(message)
        self.role, self.code, self.reason = role, code, reason


class StockLot(models.Model):
    _inherit = "stock.lot"

    ev_role = fields.Selection(related="product_id.product_tmpl_id.ev_role", store=True, index=True,
                               string="E-bike Role")
    ev_motor_code = fields.Char(string="Motor Code", help="电动机编码, as stamped on the motor.")
    ev_certificate_no = fields.Char(string="Product Certificate No.", help="产品合格证编号 of this vehicle.")
    ev_ccc_no = fields.Char(string="CCC Certificate No.", help="CCC certificate number (vehicle, battery or charger).")
    ev_battery_maker = fields.Char(
        string="Battery Maker", compute="_compute_ev_battery", store=True, readonly=False, precompute=True)
    ev_battery_chemistry = fields.Selection(
        BATTERY_CHEMISTRIES, string="Battery Chemistry", compute="_compute_ev_battery", store=True,
        readonly=False, precompute=True)
    ev_battery_capacity = fields.Float(
        string="Capacity (Ah)", compute="_compute_ev_battery", store=True, readonly=False, precompute=True)
    ev_battery_voltage = fields.Float(
        string="Voltage (V)", compute="_compute_ev_battery", store=True, readonly=False, precompute=True)
    # The model's CCC data, stored on the serial so that the scan's check reads no other table.
    ev_ccc_standard = fields.Selection(related="product_id.product_tmpl_id.ev_ccc_standard", store=True)
    ev_model_ccc_no = fields.Char(related="product_id.product_tmpl_id.ev_ccc_no", store=True,
                                  string="Model CCC Certificate No.")
    ev_sale_block = fields.Char(
        string="Cannot Be Sold Because", compute="_compute_ev_sale_block", search="_search_ev_sale_block",
        help="Why this unit may no longer be sold under the CCC rules (old vehicle standard, no CCC certificate).")
    ev_bundle_id = fields.Many2one(
        "ev.bundle", string="Bound in Bundle", readonly=True, copy=False, index="btree_not_null",
        help="The bundle sale this code is currently bound to. Empty once the bundle is unbound.")

    def init(self):
        super().init()
        # Scans look lots up by exact code; the standard index on name is a trigram index.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS stock_lot_ev_name_idx ON stock_lot (name, company_id)")

    @api.depends("product_id")
    def _compute_ev_battery(self):
        for lot in self:
            template = lot.product_id.product_tmpl_id
            if template.ev_role == "battery":
                lot.ev_battery_maker = lot.ev_battery_maker or template.ev_battery_maker
                lot.ev_battery_chemistry = lot.ev_battery_chemistry or template.ev_battery_chemistry
                lot.ev_battery_capacity = lot.ev_battery_capacity or template.ev_battery_capacity
                lot.ev_battery_voltage = lot.ev_battery_voltage or template.ev_battery_voltage
            else:
                lot.ev_battery_maker = lot.ev_battery_chemistry = False
                lot.ev_battery_capacity = lot.ev_battery_voltage = 0

    # ------------------------------------------------------------------------------------------------ CCC
    def _ev_sale_block_reason(self, on_date=None):
        """Why this unit may not be sold on ``on_date`` (default: today) under the CCC rules, or None."""
        self.ensure_one()
        return ccc_rules.sale_block(
            self.ev_role or "", on_date or fields.Date.context_today(self), standard=self.ev_ccc_standard,
            ccc_no=self.ev_ccc_no or self.ev_model_ccc_no, chemistry=self.ev_battery_chemistry)

    def _ev_sale_block_message(self, reason):
        self.ensure_one()
        template = self.product_id.product_tmpl_id
        params = {"role": self._ev_role_label(self.ev_role), "code": self.name, "product": template.display_name}
        if reason == ccc_rules.SaleBlock.OLD_STANDARD:
            return _("%(role)s %(code)s (%(product)s) is certified to the old standard GB 17761-2018: since "
                     "2025-12-01 such vehicles may no longer be sold (CCC certificates cancelled).", **params)
        return _("%(role)s %(code)s (%(product)s) has no CCC certificate: since 2025-11-01 lithium batteries and "
                 "chargers for e-bikes may only be sold with CCC. A store manager records the CCC certificate "
                 "number on the product.", **params)

    @api.depends("ev_role", "ev_ccc_standard", "ev_model_ccc_no", "ev_ccc_no", "ev_battery_chemistry")
    @api.depends_context("tz")
    def _compute_ev_sale_block(self):
        for lot in self:
            reason = lot._ev_sale_block_reason() if lot.ev_role else None
            lot.ev_sale_block = lot._ev_sale_block_message(reason) if reason else False

    def _search_ev_sale_block(self, operator, value):
        """Only ``!= False`` / ``= False``: units that can (not) be sold today."""
        if operator not in ("=", "!=") or value not in (False, None, ""):
            raise UserError(_("Search the units that cannot be sold with “is set” or “is not set”."))
        today = fields.Date.context_today(self)
        blocked = []
        if today >= ccc_rules.OLD_VEHICLE_STANDARD_BANNED_FROM:
            blocked.append([("ev_role", "=", "vehicle"), ("ev_ccc_standard", "=", ccc_rules.OLD_VEHICLE_STANDARD)])
        if today >= ccc_rules.PART_CCC_REQUIRED_FROM:
            blocked.append(["&", "&", "|", ("ev_role", "=", "charger"), "&", ("ev_role", "=", "battery"),
                            ("ev_battery_chemistry", "in", list(ccc_rules.LITHIUM_CHEMISTRIES)),
                            ("ev_ccc_no", "in", (False, "")), ("ev_model_ccc_no", "in", (False, ""))])
        domain = expression.OR(blocked) if blocked else expression.FALSE_DOMAIN
        return domain if operator == "!=" else ["!", *domain]

    @api.model_create_multi
    def create(self, vals_list):
        products = self.env["product.product"].browse([v["product_id"] for v in vals_list if v.get("product_id")])
        roles = {p.id: p.product_tmpl_id.ev_role for p in products}
        for vals in vals_list:
            role = roles.get(vals.get("product_id"))
            if role in SERIAL_ROLES and vals.get("name"):
                vals["name"] = code_rules.normalize_for_role(role, vals["name"])
        return super().create(vals_list)

    @api.constrains("name", "product_id", "ev_battery_maker", "ev_battery_chemistry")
    def _check_ev_code_format(self):
        patterns_by_maker = {}
        for lot in self:
            role = lot.product_id.product_tmpl_id.ev_role
            if role not in SERIAL_ROLES:
                continue
            maker = (lot.ev_battery_maker or "").strip().lower()
            if role == "battery" and maker not in patterns_by_maker:
                patterns_by_maker[maker] = self.env["ev.battery.code.rule"]._ev_patterns(maker, lot.company_id)
            error = lot._ev_format_error(role, lot.name, patterns_by_maker.get(maker, ()), lot.ev_battery_chemistry)
            if error:
                raise ValidationError(error.args[0])

    # ------------------------------------------------------------------------------------------------ scanning
    @api.model
    def _ev_role_label(self, role):
        return dict(self.env["product.template"]._fields["ev_role"]._description_selection(self.env)).get(role, role)

    @api.model
    def _ev_format_error(self, role, code, patterns=(), chemistry=None):
        """An ``EvCodeError`` when ``code`` breaks the format rules of ``role`` (a battery's: those of its maker's
        ``patterns`` and of its ``chemistry``), else None."""
        checker = code_rules.CHECKERS[role]
        check = checker(code, patterns, chemistry) if role == "battery" else checker(code)
        if check:
            return None
        params = {"code": check.value or code or "", "role": self._ev_role_label(role)}
        messages = {
            code_rules.CodeReason.EMPTY: _("Scan or type the %(role)s code.", **params),
            code_rules.CodeReason.VIN: _(
                "%(code)s is a 17-character VIN: it identifies an electric motorcycle or moped, which cannot be "
                "sold as an e-bike. An e-bike's vehicle code has 15 digits (GB 17761).", **params),
            code_rules.CodeReason.LENGTH: {
                "vehicle": _("Vehicle code %(code)s has %(length)s characters: a vehicle code has 15 digits "
                             "(GB 17761).", length=len(check.value), **params),
                "charger": _("Charger code %(code)s has %(length)s characters: a charger code has 13 characters "
                             "(GB 42296).", length=len(check.value), **params),
                "battery": _("Battery code %(code)s has %(length)s characters: a battery code has 4 to 40.",
                             length=len(check.value), **params),
            }[role],
            code_rules.CodeReason.CHARSET: {
                "vehicle": _("Vehicle code %(code)s contains letters or symbols: a vehicle code has only digits "
                             "(GB 17761).", **params),
                "charger": _("Charger code %(code)s contains symbols: a charger code has only letters and digits.",
                             **params),
                "battery": _("Battery code %(code)s contains characters other than letters, digits and '-'.",
                             **params),
            }[role],
            code_rules.CodeReason.MAKER: _(
                "Charger code %(code)s: characters 1 to 9 must be the maker's credit-code part (no I, O, Z, S or V) "
                "or JW followed by 7 characters.", **params),
            code_rules.CodeReason.YEAR: _(
                "Charger code %(code)s: characters 10 and 11 must be the 2-digit production year.", **params),
            code_rules.CodeReason.MODEL: _(
                "Charger code %(code)s: characters 12 and 13 are the model code, which never uses I, O or Z.",
                **params),
            code_rules.CodeReason.LITHIUM_CHARSET: _(
                "Battery code %(code)s is not a lithium battery code: a lithium battery's code (GB/T 45565-2025) "
                "has only capital letters and digits, without '-' or other signs.", **params),
            code_rules.CodeReason.PATTERN: _(
                "Battery code %(code)s does not follow its maker's code format (see Configuration > Battery Code "
                "Formats).", **params),
        }
        return EvCodeError(messages[check.reason], role, check.value, f"format_{check.reason.value}")

    @api.model
    def _ev_unreadable_certificate_error(self, raw_code):
        return EvCodeError(_(
            "This QR code cannot be read as a product certificate (合格证): no vehicle code found in it. Scan the "
            "vehicle code label on the frame, or type the 15-digit vehicle code."), "vehicle", raw_code,
            "unreadable_certificate")

    @api.model
    def _ev_scan(self, role, raw_code, vehicle_lot=None, company=None, location=None):
        """Check a scanned code of ``role`` for a bundle sold by ``company`` (default: the current one).

        Returns ``(lot, warnings)``; raises ``EvCodeError`` saying which code failed and why: bad format, unknown
        code, code of another role, already sold or bound, not in this store's stock, not compatible with
        ``vehicle_lot``'s model. With ``location`` (a point of sale's stock location), the unit must be on hand
        in that location or below it, not just somewhere in the store.
        """
        company = company or self.env.company
        if role == "vehicle":  # the product certificate's QR code stands for the vehicle code (POS, cashier)
            scan = certificate_qr.parse_vehicle_scan(raw_code)
            if raw_code and not scan.recognised:
                raise self._ev_unreadable_certificate_error(raw_code)
            raw_code = scan.vehicle_code if scan.is_certificate else raw_code
        code = code_rules.normalize_for_role(role, raw_code)
        label = self._ev_role_label(role)
        if not code:
            raise self._ev_format_error(role, code)
        lots = self.sudo().search([("name", "=", code)])
        own = lots.filtered(lambda lot: lot.company_id.id in (company.id, False))
        if not own:
            if lots:
                raise EvCodeError(_(
                    "%(role)s code %(code)s is not in this store's stock: it is registered to another store "
                    "(%(company)s).", role=label, code=code, company=lots[0].company_id.name), role, code,
                    "other_store")
            raise self._ev_format_error(role, code) or EvCodeError(_(
                "%(role)s code %(code)s is unknown: no %(role_lower)s with this code was received in stock. Check "
                "the code or receive the product first.", role=label, code=code, role_lower=label.lower()),
                role, code, "unknown")
        matching = own.filtered(lambda lot: lot.ev_role == role)
        if not matching:
            other = own[0]
            raise EvCodeError(_(
                "%(code)s is the code of a %(other_role)s (%(product)s), not a %(role)s code. Scan the code on the "
                "%(role_lower)s.", code=code, other_role=self._ev_role_label(other.ev_role).lower() if other.ev_role
                else _("product without e-bike role"), product=other.product_id.display_name, role=label.lower(),
                role_lower=label.lower()), role, code, "wrong_role")
        lot = matching[0]
        if len(matching) > 1:  # the same code on two products of this role: prefer the one in stock here
            in_stock = matching.filtered(lambda lot: lot.quant_ids.filtered(
                lambda q: q.location_id.usage == "internal" and q.quantity > 0 and q.company_id == company))
            lot = in_stock[:1] or lot
        patterns, chemistry = (), None
        if role == "battery":
            patterns = self.env["ev.battery.code.rule"]._ev_patterns(lot.ev_battery_maker, company)
            chemistry = lot.ev_battery_chemistry
        error = self._ev_format_error(role, code, patterns, chemistry)
        if error:
            raise error
        block = lot.sudo()._ev_sale_block_reason()
        if block:
            raise EvCodeError(lot.sudo()._ev_sale_block_message(block), role, code, block.value)
        if lot.ev_bundle_id and lot.ev_bundle_id.state == "bound":
            bundle = lot.ev_bundle_id
            raise EvCodeError(_(
                "%(role)s code %(code)s is already sold and bound in bundle %(bundle)s (order %(order)s, "
                "%(date)s). Scan another %(role_lower)s.", role=label, code=code, bundle=bundle.name,
                order=bundle.sale_order_id.name or "-", date=bundle.date_bound.date() if bundle.date_bound else "-",
                role_lower=label.lower()), role, code, "bound")
        self._ev_check_stock(lot, role, code, company, location=location)
        if role in ("battery", "charger") and vehicle_lot:
            self._ev_check_compatible(lot, role, code, vehicle_lot)
        warnings = []
        if role == "vehicle":
            check = code_rules.check_vehicle_code(code)
            if code_rules.CodeWarning.VEHICLE_TYPE in check.warnings:
                warnings.append(_("Digit 5 of vehicle code %(code)s is not 2 (e-bike): check the vehicle type on "
                                  "its certificate.", code=code))
            if code_rules.CodeWarning.VEHICLE_YEAR in check.warnings:
                warnings.append(_("The production year in vehicle code %(code)s is in the future.", code=code))
        return lot.with_env(self.env), warnings

    @api.model
    def _ev_check_stock(self, lot, role, code, company, location=None):
        label = self._ev_role_label(role)
        # One query on the happy path (no display names: they are fetched only to explain a refusal).
        quants = self.env["stock.quant"].sudo().search_fetch(
            [("lot_id", "=", lot.id), ("quantity", ">", 0), ("location_id.usage", "=", "internal")],
            ["company_id", "location_id", "quantity", "reserved_quantity"])
        here = quants.filtered(lambda q: q.company_id == company)
        if here and location:
            at_location = here.filtered(lambda q: q.location_id.parent_path.startswith(location.parent_path))
            if not at_location:
                raise EvCodeError(_(
                    "%(role)s code %(code)s is not in stock at this point of sale (%(pos_location)s): it is at "
                    "%(location)s. Transfer it here first or scan another %(role_lower)s.", role=label, code=code,
                    pos_location=location.display_name, location=here[0].location_id.display_name,
                    role_lower=label.lower()), role, code, "other_location")
            here = at_location
        if here:
            if all(q.reserved_quantity >= q.quantity for q in here):
                raise EvCodeError(_(
                    "%(role)s code %(code)s is reserved for another delivery in %(location)s. Scan another "
                    "%(role_lower)s or cancel that delivery first.", role=label, code=code,
                    location=here[0].location_id.display_name, role_lower=label.lower()), role, code, "reserved")
            return
        if quants:
            raise EvCodeError(_(
                "%(role)s code %(code)s is not in this store's stock: it is at %(location)s of another store.",
                role=label, code=code, location=quants[0].location_id.display_name), role, code, "other_store")
        delivered = self.env["stock.move.line"].sudo().search(
            [("lot_id", "=", lot.id), ("state", "=", "done"), ("location_dest_id.usage", "=", "customer")],
            order="date desc", limit=1)
        if delivered:
            raise EvCodeError(_(
                "%(role)s code %(code)s is already sold: it left the store on %(date)s (%(reference)s).",
                role=label, code=code, date=delivered.date.date(), reference=delivered.reference or "-"),
                role, code, "sold")
        raise EvCodeError(_(
            "%(role)s code %(code)s is not in this store's stock (no unit with this code is on hand).",
            role=label, code=code), role, code, "not_in_stock")

    @api.model
    def _ev_check_compatible(self, lot, role, code, vehicle_lot):
        # Happy path in one query; the ORM explains a refusal.
        table, column = (("ev_vehicle_battery_rel", "battery_tmpl_id") if role == "battery"
                         else ("ev_vehicle_charger_rel", "charger_tmpl_id"))
        self.env.cr.execute(f"""
            SELECT 1 FROM stock_lot vehicle_lot
              JOIN product_product vehicle ON vehicle.id = vehicle_lot.product_id
              JOIN {table} rel ON rel.vehicle_tmpl_id = vehicle.product_tmpl_id
              JOIN product_product part ON part.product_tmpl_id = rel.{column}
             WHERE vehicle_lot.id = %s AND part.id = %s
        """, [vehicle_lot.id, lot.product_id.id])
        if self.env.cr.fetchone():
            return
        vehicle = vehicle_lot.sudo().product_id.product_tmpl_id
        allowed = vehicle.ev_compatible_battery_ids if role == "battery" else vehicle.ev_compatible_charger_ids
        model = lot.sudo().product_id.product_tmpl_id
        if model in allowed:
            return
        label = self._ev_role_label(role)
        if not allowed:
            raise EvCodeError(_(
                "No compatible %(role_lower)s is set for vehicle model %(vehicle)s, so %(role_lower)s code %(code)s "
                "cannot be bound to it. A store manager sets the compatible models on the vehicle model.",
                role_lower=label.lower(), vehicle=vehicle.name, code=code), role, code, "incompatible")
        raise EvCodeError(_(
            "%(role)s code %(code)s (%(model)s) is not compatible with vehicle model %(vehicle)s. Compatible "
            "%(role_lower)s models: %(allowed)s.", role=label, code=code, model=model.name, vehicle=vehicle.name,
            role_lower=label.lower(), allowed=", ".join(allowed.mapped("name"))), role, code, "incompatible")

    def _ev_deliver_to_customer(self, partner, origin):
        """Deliver exactly this serial (one unit) from its company's stock to ``partner``; returns the picking."""
        self.ensure_one()
        lot = self.sudo()
        company = lot.company_id or self.env.company
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        product = lot.product_id.with_company(company)
        picking = self.env["stock.picking"].sudo().with_company(company).create({
            "picking_type_id": warehouse.out_type_id.id, "partner_id": partner.id, "origin": origin,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
            "move_ids": [fields.Command.create({
                "name": product.display_name, "product_id": product.id, "product_uom_qty": 1,
                "product_uom": product.uom_id.id, "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id, "company_id": company.id,
            })],
        })
        picking.action_confirm()
        move = picking.move_ids
        move._do_unreserve()
        move.lot_ids = [fields.Command.set(lot.ids)]
        move.picked = True
        picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=picking.ids).button_validate()
        return picking
