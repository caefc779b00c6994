"""The bundle sale and trade-in paths of the cashier (收银台): every check and the submission are the bundle
wizard's (``ev.bundle.wizard``), run on a wizard rebuilt from the cashier's draft."""
import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.ev_bundle_sale.models.ev_tradein import PHOTO_KINDS
from odoo.addons.ev_bundle_sale.models.ev_tradein_subsidy_rule import OLD_BATTERY_TYPES

ROLES = ("vehicle", "battery", "charger")
WIZARD_CHARS = ("vehicle_code", "vehicle_certificate_no", "vehicle_certificate_model", "vehicle_motor_code",
                "battery_code", "charger_code", "buyer_name", "buyer_mobile", "address",
                "buyer_id_number", "old_brand", "old_code", "old_plate")
WIZARD_IDS = ("colour_product_id", "province_id", "city_id", "county_id", "approval_manager_id")
WIZARD_BOOLS = ("plate_collected", "battery_collected", "charger_collected")


class EvCashierSession(models.Model):
    _inherit = "ev.cashier.session"

    mode = fields.Selection(selection_add=[("sale", "Bundle sale"), ("trade_in", "Trade-in")],
                            ondelete={"sale": "set null", "trade_in": "set null"})

    @api.model
    def _ev_cashier_paths(self):
        bundle_steps = ["vehicle", "parts", "buyer", "confirm", "pay", "invoice"]
        next_labels = {"vehicle": _("Start Binding")}
        return super()._ev_cashier_paths() + [
            {"mode": "sale", "label": _("Bundle Sale"), "icon": "fa-motorcycle", "sequence": 10,
             "help": _("Scan the vehicle, battery and charger codes, bind them to the buyer, collect."),
             "steps": bundle_steps, "next_labels": next_labels},
            {"mode": "trade_in", "label": _("Trade-in"), "icon": "fa-refresh", "sequence": 20,
             "help": _("A bundle sale that takes the buyer's old e-bike back, with the trade-in subsidy."),
             "steps": bundle_steps[:3] + ["tradein"] + bundle_steps[3:], "next_labels": next_labels,
             "old_battery_types": self.env["ev.bundle.wizard"]._fields["old_battery_type"]
             ._description_selection(self.env)},
        ]

    # The trade-in photos taken with the phone's camera, kept here (as attachments) until the sale is submitted.
    ev_photo_front = fields.Image(string="Photo: Front", attachment=True, max_width=1920, max_height=1920)
    ev_photo_side = fields.Image(string="Photo: Side", attachment=True, max_width=1920, max_height=1920)
    ev_photo_frame_code = fields.Image(string="Photo: Frame Code", attachment=True, max_width=1920,
                                       max_height=1920)
    ev_photo_plate = fields.Image(string="Photo: Licence Plate", attachment=True, max_width=1920, max_height=1920)

    @api.model
    def _ev_cashier_step_labels(self):
        return {**super()._ev_cashier_step_labels(), "vehicle": _("Vehicle"), "parts": _("Battery and Charger"),
                "buyer": _("Buyer"), "tradein": _("Old Vehicle"), "confirm": _("Confirm")}

    # ------------------------------------------------------------------------------------------------ wizard
    def _ev_cashier_bundle_wizard(self):
        """A bundle wizard holding the draft (a transient record: its checks read and write its fields)."""
        draft = self.draft or {}
        values = {"mode": self.mode, "company_id": self.company_id.id, "step": "confirm"}
        for name in WIZARD_CHARS:
            values[name] = (draft.get(name) or "").strip() or False
        for name in WIZARD_IDS:
            values[name] = int(draft[name]) if draft.get(name) else False
        for name in WIZARD_BOOLS:
            values[name] = bool(draft.get(name))
        if draft.get("old_battery_type") in dict(OLD_BATTERY_TYPES):
            values["old_battery_type"] = draft["old_battery_type"]
        for role in ROLES:  # the lots of the last successful scans (re-checked by every step)
            values[f"{role}_lot_id"] = draft.get(f"{role}_lot_id") or False
        wizard = self.env["ev.bundle.wizard"].create(values)
        if draft.get("sale_amount") not in (None, "", False):  # typed on the confirm step (default: list price)
            try:
                wizard.sale_amount = float(draft["sale_amount"])
            except (TypeError, ValueError):
                raise UserError(_("The sale amount %(amount)s is not a number.", amount=draft["sale_amount"])) \
                    from None
        return wizard

    def _ev_cashier_merge(self, values):
        # EXTENDS ev_pay_invoice: a password never goes into the draft.
        values = {key: value for key, value in (values or {}).items() if key != "approval_password"}
        return super()._ev_cashier_merge(values)

    @api.model
    def ev_cashier_next(self, values=None):
        # EXTENDS ev_pay_invoice: a store manager's approval password is checked, never kept in the draft.
        values = dict(values or {})
        password = values.pop("approval_password", None)
        return super(EvCashierSession, self.with_context(ev_approval_password=password)).ev_cashier_next(values)

    @api.model
    def ev_cashier_scan(self, role, code):
        """A scanned code (camera or hardware scanner): the bundle wizard's check, its answer kept in the draft."""
        if role not in ROLES:
            raise UserError(_("Unknown code kind %(role)s.", role=role))
        session = self._ev_cashier_session()
        session._ev_cashier_merge({f"{role}_code": (code or "").strip()})
        if role == "vehicle":  # another vehicle: its own list price again
            session._ev_cashier_merge({"sale_amount": False})
        wizard = session._ev_cashier_bundle_wizard()
        wizard._ev_scan(role)
        if role == "vehicle":
            for other in ("battery", "charger"):  # compatibility depends on the vehicle
                if wizard[f"{other}_lot_id"]:
                    wizard._ev_scan(other)
        session._ev_cashier_merge(session._ev_cashier_from_wizard(wizard))
        return session._ev_cashier_state()

    def _ev_cashier_from_wizard(self, wizard):
        values = {}
        for role in ROLES:
            lot = wizard[f"{role}_lot_id"]
            values.update({
                f"{role}_code": wizard[f"{role}_code"] or "", f"{role}_lot_id": lot.id or False,
                f"{role}_message": wizard[f"{role}_message"] or "",
                f"{role}_product": lot.product_id.display_name or "",
            })
        vehicle = wizard.vehicle_template_id
        values.update({
            "vehicle_warning": wizard.vehicle_warning or "",
            "vehicle_certificate_no": wizard.vehicle_certificate_no or "",
            "vehicle_certificate_model": wizard.vehicle_certificate_model or "",
            "vehicle_motor_code": wizard.vehicle_motor_code or "",
            "colour_product_id": wizard.colour_product_id.id or False,
            "vehicle_model": vehicle.name or "",
            "vehicle_template_id": vehicle.id or False,
            "colours": [{"id": variant.id, "name": wizard._ev_colour_name(variant)}
                        for variant in vehicle.product_variant_ids],
            "stock_info": wizard.stock_info or "",
            "compatible_info": wizard.compatible_info or "",
        })
        return values

    def _ev_cashier_bundle_amounts(self, wizard):
        return {"bundle_price": wizard.bundle_price, "sale_amount": wizard.sale_amount,
                "floor_amount": wizard.floor_amount, "subsidy_amount": wizard.subsidy_amount,
                "amount_total": wizard.amount_total, "needs_approval": wizard.needs_approval,
                "managers": [{"id": user.id, "name": user.name} for user in wizard.approval_manager_ids]}

    @api.model
    def ev_cashier_bundle_amounts(self, sale_amount):
        """The confirm step's amounts for a typed sale amount (subsidy, to collect, whether it needs approval)."""
        session = self._ev_cashier_session()
        session._ev_cashier_merge({"sale_amount": sale_amount})
        session._ev_cashier_merge(session._ev_cashier_bundle_amounts(session._ev_cashier_bundle_wizard()))
        return session._ev_cashier_state()

    def _ev_cashier_check_vehicle(self):
        wizard = self._ev_cashier_bundle_wizard()
        wizard._ev_validate_vehicle()
        self._ev_cashier_merge(self._ev_cashier_from_wizard(wizard))

    def _ev_cashier_check_parts(self):
        wizard = self._ev_cashier_bundle_wizard()
        wizard._ev_validate_parts()
        self._ev_cashier_merge(self._ev_cashier_from_wizard(wizard))

    def _ev_cashier_check_buyer(self):
        wizard = self._ev_cashier_bundle_wizard()
        wizard._ev_validate_buyer()
        self._ev_cashier_merge({"buyer_mobile": wizard.buyer_mobile, **self._ev_cashier_bundle_amounts(wizard),
                                "division": (wizard.county_id or wizard.city_id or wizard.province_id)
                                ._ev_full_name()})

    def _ev_cashier_check_tradein(self):
        wizard = self._ev_cashier_bundle_wizard()
        wizard._ev_validate_tradein()
        self._ev_cashier_merge(self._ev_cashier_bundle_amounts(wizard))

    def _ev_cashier_check_confirm(self):
        wizard = self._ev_cashier_bundle_wizard()
        wizard._ev_validate_confirm()  # the submission re-runs every check

    def _ev_cashier_create_order_bundle(self, wizard_values=None):
        """The bundle wizard's submission: order, delivery of the scanned serials, binding, and its QR codes."""
        wizard = self._ev_cashier_bundle_wizard()
        if wizard_values:
            wizard.write(wizard_values)
        action = wizard.action_submit()
        order_id = (action.get("params") or {}).get("order_id") or action.get("res_id")
        return self.env["sale.order"].browse(order_id)

    def _ev_cashier_create_order_sale(self):
        return self._ev_cashier_create_order_bundle()

    def _ev_cashier_create_order_trade_in(self):
        order = self._ev_cashier_create_order_bundle(
            {f"photo_{kind}": self[f"ev_photo_{kind}"] for kind in PHOTO_KINDS})
        self._ev_cashier_clear_photos()
        return order

    # ------------------------------------------------------------------------------------------------ photos
    @api.model
    def ev_cashier_tradein_photo(self, kind, data, values=None):
        """A photo of the old vehicle (``kind``: front, side, frame_code, plate) from the phone's camera, base64;
        ``values``: what was typed on the screen meanwhile (kept in the draft first)."""
        if kind not in PHOTO_KINDS:
            raise UserError(_("Unknown photo %(kind)s.", kind=kind))
        session = self._ev_cashier_session()
        if values:
            session._ev_cashier_merge(values)
        try:
            raw = base64.b64decode(data or "", validate=True)
        except ValueError:
            raw = b""
        if not guess_mimetype(raw).startswith("image/"):
            return session._ev_cashier_state(error=_("This file is not a photo: take the photo again."))
        session[f"ev_photo_{kind}"] = data
        photos = dict((session.draft or {}).get("tradein_photos") or {})
        photos[kind] = fields.Datetime.to_string(fields.Datetime.now())  # also refreshes the thumbnail's URL
        session._ev_cashier_merge({"tradein_photos": photos})
        return session._ev_cashier_state()

    def _ev_cashier_clear_photos(self):
        self.write({f"ev_photo_{kind}": False for kind in PHOTO_KINDS})

    @api.model
    def ev_cashier_start(self, mode):
        # EXTENDS ev_pay_invoice: a new sale starts without the photos of the last one.
        self._ev_cashier_session()._ev_cashier_clear_photos()
        return super().ev_cashier_start(mode)

    @api.model
    def ev_cashier_reset(self):
        # EXTENDS ev_pay_invoice: forgetting the draft forgets its photos.
        self._ev_cashier_session()._ev_cashier_clear_photos()
        return super().ev_cashier_reset()

    # ------------------------------------------------------------------------------------------------ lookups
    @api.model
    def ev_cashier_divisions(self, parent_id=False):
        """The provinces, or the children of ``parent_id`` (city, county), for the buyer's address."""
        domain = [("parent_id", "=", parent_id)] if parent_id else [("level", "=", "province")]
        return self.env["ev.division"].search_read(domain, ["name"], order="code")
