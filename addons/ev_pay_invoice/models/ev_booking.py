"""Service booking and store activation (服务预约 / 开通).

A store books a service provider; its field staff visit within 5-10 Chinese working days, collect the materials,
submit the sub-merchant application (WeChat Pay applyment4sub, Alipay ISV authorisation; protocols/onboarding.py)
and follow its review. On approval the store's own payment providers get their sub_mchid / app_auth_token and
are switched on (``_ev_activation_state``: enabled).

Access: salespeople of the store see bookings and their stages; the application data (ID card, bank account) and
the material attachments only the store's managers and the provider's field staff. Field staff work for many
stores, so they reach a booking through the provider they belong to, whatever its company (record rules in
security/ev_booking_security.xml); what they may not touch themselves (the store's payment providers) is done by
the controlled sudo methods at the end of this file.
"""
import base64
import datetime
import json
import logging

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..protocols import onboarding, uscc, wechatpay
from .payment_provider import EV_PROVIDER_CODES

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "ev_pay_invoice.group_ev_store_manager"
FIELD_STAFF_GROUP = "ev_pay_invoice.group_ev_provider_field_staff"
PRIVATE_GROUPS = "ev_pay_invoice.group_ev_store_manager,ev_pay_invoice.group_ev_provider_field_staff"
STORE_TZ = "Asia/Shanghai"
VISIT_MIN_WORKING_DAYS = 5
VISIT_MAX_WORKING_DAYS = 10

STATES = [
    ("submitted", "Submitted"),
    ("visit_scheduled", "Visit Scheduled"),
    ("materials_collected", "Materials Collected"),
    ("application_submitted", "Application Submitted"),
    ("under_review", "Under Review"),
    ("activated", "Activated"),
    ("rejected", "Rejected"),
]
VISIT_PENDING_STATES = ("submitted", "visit_scheduled")
REVIEW_STATES = ("application_submitted", "under_review")


def store_today():
    """Today's date in the stores' time zone (the working-day calendar is Beijing's)."""
    return datetime.datetime.now(pytz.timezone(STORE_TZ)).date()


class EvBooking(models.Model):
    _name = "ev.booking"
    _description = "Service Booking"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _mail_post_access = "read"  # salespeople follow and comment on their store's bookings

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    store_id = fields.Many2one("ev.store", string="Store", required=True, check_company=True, tracking=True,
                               domain="[('company_id', '=', company_id)]")
    # Read through sudo: field staff of other companies cannot open the store or its company, but need these.
    store_name = fields.Char(string="Store Name", compute="_compute_store_contact", compute_sudo=True)
    store_address = fields.Char(compute="_compute_store_contact", compute_sudo=True)
    store_phone = fields.Char(compute="_compute_store_contact", compute_sudo=True)
    provider_id = fields.Many2one("ev.service.provider", string="Service Provider", required=True, index=True,
                                  tracking=True)
    field_staff_id = fields.Many2one(
        "res.users", string="Field Staff", tracking=True, domain="[('id', 'in', provider_user_ids)]",
        compute="_compute_field_staff_id", store=True, readonly=False, precompute=True,
    )
    provider_user_ids = fields.Many2many(related="provider_id.user_ids", string="Provider Field Staff")
    contact_name = fields.Char(string="Contact Name", required=True, tracking=True)
    mobile = fields.Char(string="Mobile", required=True, tracking=True)
    state = fields.Selection(STATES, string="Stage", required=True, default="submitted", tracking=True,
                             group_expand=True, copy=False)
    color = fields.Integer(compute="_compute_color")

    # Visit window ---------------------------------------------------------------------------------------------
    submitted_on = fields.Date(string="Booked On", required=True, readonly=True, default=lambda self: store_today(),
                               copy=False)
    visit_date_from = fields.Date(string="Visit From", compute="_compute_visit_window", store=True,
                                  help="5 working days after the booking (Chinese working-day calendar).")
    visit_date_to = fields.Date(string="Visit By", compute="_compute_visit_window", store=True,
                                help="10 working days after the booking: later, the booking is overdue.")
    visit_date = fields.Date(string="Planned Visit", tracking=True, copy=False)
    is_overdue = fields.Boolean(string="Overdue", readonly=True, copy=False, index=True,
                                help="The visit window has passed without the visit (checked every day).")

    # Application data (private) ------------------------------------------------------------------------------
    subject_type = fields.Selection([("individual", "Individual business (个体户)"), ("enterprise", "Enterprise")],
                                    string="Business Type", default="individual", required=True)
    merchant_name = fields.Char(string="Name on the Business Licence",
                                compute="_compute_merchant_defaults", store=True, readonly=False)
    merchant_shortname = fields.Char(string="Short Name", compute="_compute_merchant_defaults", store=True,
                                     readonly=False, help="Shown to the customer on the payment page.")
    license_number = fields.Char(string="Unified Social Credit Code")
    service_phone = fields.Char(string="Customer Service Phone", compute="_compute_merchant_defaults", store=True,
                                readonly=False)
    store_address_code = fields.Char(string="Store Region Code", help="6-digit administrative division code.")
    legal_person_name = fields.Char(string="Legal Representative", groups=PRIVATE_GROUPS)
    legal_id_number = fields.Char(string="ID Card Number", groups=PRIVATE_GROUPS)
    legal_id_address = fields.Char(string="Address on the ID Card", groups=PRIVATE_GROUPS)
    id_valid_from = fields.Date(string="ID Valid From", groups=PRIVATE_GROUPS)
    id_valid_to = fields.Date(string="ID Valid Until", groups=PRIVATE_GROUPS)
    id_long_term = fields.Boolean(string="ID Valid for Life", groups=PRIVATE_GROUPS)
    contact_email = fields.Char(string="Contact E-mail", groups=PRIVATE_GROUPS)
    bank_account_type = fields.Selection(
        [("corporate", "Corporate account"), ("personal", "Personal account of the legal representative")],
        string="Account Type", default="personal", groups=PRIVATE_GROUPS)
    bank_account_name = fields.Char(string="Account Holder", groups=PRIVATE_GROUPS)
    bank_name = fields.Char(string="Bank", groups=PRIVATE_GROUPS, help="e.g. 工商银行")
    bank_branch_name = fields.Char(string="Branch", groups=PRIVATE_GROUPS)
    bank_address_code = fields.Char(string="Bank Region Code", groups=PRIVATE_GROUPS,
                                    help="6-digit administrative division code of the account's branch.")
    bank_account_number = fields.Char(string="Account Number", groups=PRIVATE_GROUPS)
    settlement_id = fields.Char(string="Settlement Rule", default="719",
                                help="WeChat Pay settlement rule id (719: individual business, T+1).")
    qualification_type = fields.Char(string="Industry", default="零售", help="WeChat Pay qualification type.")
    material_ids = fields.One2many("ev.booking.material", "booking_id", string="Materials", groups=PRIVATE_GROUPS)
    materials_complete = fields.Boolean(string="All Materials Complete", compute="_compute_materials_progress",
                                        compute_sudo=True)
    materials_progress = fields.Char(string="Materials Complete", compute="_compute_materials_progress",
                                     compute_sudo=True)

    # Application and review --------------------------------------------------------------------------------
    application_submitted_on = fields.Datetime(readonly=True, copy=False)
    wechat_business_code = fields.Char(string="WeChat Business Code", readonly=True, copy=False)
    wechat_applyment_id = fields.Char(string="WeChat Application ID", copy=False)
    wechat_applyment_state = fields.Char(string="WeChat Application State", readonly=True, copy=False)
    wechat_sub_mchid = fields.Char(string="Sub-merchant ID (sub_mchid)", copy=False, tracking=True)
    wechat_request_summary = fields.Text(string="Application Sent", readonly=True, copy=False,
                                         groups=PRIVATE_GROUPS,
                                         help="The application as built, encrypted values left out.")
    alipay_auth_app_id = fields.Char(string="Alipay Dealer App ID", copy=False)
    alipay_user_id = fields.Char(string="Alipay Dealer User ID", copy=False)
    alipay_app_auth_token = fields.Char(string="Alipay App Auth Token", copy=False, groups="base.group_system")
    alipay_app_refresh_token = fields.Char(copy=False, groups="base.group_system")
    alipay_authorized = fields.Boolean(string="Alipay Authorised", readonly=True, copy=False)
    review_note = fields.Text(string="Review Notes", copy=False,
                              help="What the platform said, e.g. the reasons of a rejection.")
    activated_on = fields.Datetime(readonly=True, copy=False)
    activated_providers = fields.Char(string="Providers Switched On", readonly=True, copy=False)

    # === DEFAULTS / COMPUTE === #

    @api.depends("store_id", "company_id")
    def _compute_store_contact(self):
        for booking in self:
            booking.store_name = booking.store_id.name or booking.company_id.name
            booking.store_address = booking.company_id.partner_id.contact_address or False
            booking.store_phone = booking.store_id.phone or booking.company_id.phone or False

    @api.depends("provider_id")
    def _compute_field_staff_id(self):
        for booking in self:
            if booking.field_staff_id not in booking.provider_id.user_ids:
                booking.field_staff_id = booking.provider_id.user_ids[:1]

    @api.depends("store_id")
    def _compute_merchant_defaults(self):
        for booking in self:
            company = booking.store_id.company_id or booking.company_id
            booking.merchant_name = booking.merchant_name or company.name
            booking.merchant_shortname = booking.merchant_shortname or booking.store_id.name
            booking.service_phone = booking.service_phone or booking.store_id.phone or company.phone

    @api.depends("submitted_on")
    def _compute_visit_window(self):
        calendar = self.env["ev.cn.calendar.day"]
        for booking in self:
            if booking.submitted_on:
                booking.visit_date_from = calendar._ev_add_working_days(booking.submitted_on, VISIT_MIN_WORKING_DAYS)
                booking.visit_date_to = calendar._ev_add_working_days(booking.submitted_on, VISIT_MAX_WORKING_DAYS)
            else:
                booking.visit_date_from = booking.visit_date_to = False

    @api.depends("state", "is_overdue")
    def _compute_color(self):
        for booking in self:
            booking.color = 1 if booking.is_overdue else 10 if booking.state == "activated" else 0

    @api.depends("material_ids.is_complete")
    def _compute_materials_progress(self):
        for booking in self:
            lines = booking.material_ids
            done = len(lines.filtered("is_complete"))
            booking.materials_complete = bool(lines) and done == len(lines)
            booking.materials_progress = "%s / %s" % (done, len(lines))

    # === CONSTRAINTS / CRUD === #

    @api.model
    def _ev_normalize_mobile(self, raw):
        """The 11-digit mainland mobile number, or a ValidationError saying what is wrong with ``raw``."""
        return self.env["res.partner"]._ev_normalize_cn_mobile(raw)

    @api.constrains("store_id", "company_id")
    def _check_store_company(self):
        for booking in self:
            if booking.store_id.company_id != booking.company_id:
                raise ValidationError(_("The booking %(booking)s belongs to %(company)s but its store %(store)s to "
                                        "another company.", booking=booking.name, company=booking.company_id.name,
                                        store=booking.store_id.name))

    @api.constrains("visit_date", "submitted_on")
    def _check_visit_date(self):
        for booking in self:
            if booking.visit_date and booking.visit_date < booking.submitted_on:
                raise ValidationError(_("The planned visit (%(visit)s) cannot be before the booking (%(booked)s).",
                                        visit=booking.visit_date, booked=booking.submitted_on))

    @api.constrains("license_number")
    def _check_license_number(self):
        for booking in self.filtered("license_number"):
            result = uscc.validate_uscc(booking.license_number)
            if not result:
                raise ValidationError(_("The unified social credit code %(code)s is not valid (%(detail)s).",
                                        code=booking.license_number, detail=result.detail))

    @api.model_create_multi
    def create(self, vals_list):
        stores = self.env["ev.store"].sudo()
        for vals in vals_list:
            if "mobile" in vals:
                vals["mobile"] = self._ev_normalize_mobile(vals["mobile"])
            if vals.get("store_id") and not vals.get("company_id"):
                vals["company_id"] = stores.browse(vals["store_id"]).company_id.id
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("ev.booking") or "/"
        bookings = super().create(vals_list)
        bookings._ev_create_checklist()
        bookings._ev_subscribe_staff()
        bookings._ev_plan_next_activity()
        return bookings

    def write(self, vals):
        if not self.env.su:
            if "state" in vals and not self.env.context.get("ev_booking_transition"):
                raise UserError(_("The stage of a booking changes only through its buttons (Schedule Visit, "
                                  "Submit Application…), which check that it may."))
            if "company_id" in vals and any(b.company_id.id != vals["company_id"] for b in self):
                raise UserError(_("A booking stays with the company of its store."))
        if "mobile" in vals:
            vals["mobile"] = self._ev_normalize_mobile(vals["mobile"])
        res = super().write(vals)
        if vals.get("provider_id") or vals.get("field_staff_id"):
            self._ev_subscribe_staff()
        return res

    def _ev_create_checklist(self):
        """One material line per item of the checklist (sudo: salespeople create bookings, not materials)."""
        lines = self.env["ev.booking.material"].sudo()
        kinds = lines._fields["kind"].selection
        lines.create([
            {"booking_id": booking.id, "kind": kind, "sequence": index}
            for booking in self for index, (kind, _label) in enumerate(kinds)
        ])

    def _ev_subscribe_staff(self):
        for booking in self.sudo():
            partners = booking.field_staff_id.partner_id | booking.store_id.manager_id.partner_id
            if partners:
                booking.message_subscribe(partner_ids=partners.ids)

    # === ACCESS HELPERS === #

    def _ev_check_processor(self):
        """Only the store's managers and the provider's field staff move a booking forward."""
        if self.env.su:
            return
        user = self.env.user
        for booking in self:
            if user.has_group(MANAGER_GROUP):
                continue
            if user.has_group(FIELD_STAFF_GROUP) and user in booking.sudo().provider_id.user_ids:
                continue
            raise AccessError(_("Only the store manager or the field staff of %(provider)s can process the booking "
                                "%(booking)s.", provider=booking.sudo().provider_id.name, booking=booking.name))

    def _ev_check_state(self, allowed, action):
        for booking in self:
            if booking.state not in allowed:
                labels = dict(self._fields["state"]._description_selection(self.env))
                raise UserError(_("%(action)s: the booking %(booking)s is at the stage “%(stage)s”.",
                                  action=action, booking=booking.name, stage=labels[booking.state]))

    def _ev_transition(self, values):
        """Write a stage change decided by one of the checked actions below."""
        return self.with_context(ev_booking_transition=True).write(values)

    def _ev_activity_user(self):
        self.ensure_one()
        return (self.field_staff_id or self.provider_id.user_ids[:1] or self.store_id.manager_id
                or self.env.user)

    def _ev_plan_next_activity(self):
        """Close the booking's open to-dos and plan the next step for the field staff."""
        todo = "mail.mail_activity_data_todo"
        for booking in self.sudo():
            booking.activity_feedback([todo], feedback=_("Stage: %(stage)s", stage=booking.state))
            lang_date = booking.visit_date_to and format_date(booking.env, booking.visit_date_to)
            plans = {
                "submitted": (_("Visit the store between %(start)s and %(end)s",
                                start=format_date(booking.env, booking.visit_date_from), end=lang_date),
                              booking.visit_date_to),
                "visit_scheduled": (_("Visit the store and collect the materials"),
                                    booking.visit_date or booking.visit_date_to),
                "materials_collected": (_("Submit the application"), store_today()),
                "application_submitted": (_("Follow the review of the application"), store_today()),
                "under_review": (_("Follow the review of the application"), store_today()),
                "rejected": (_("Correct the materials and submit again"), store_today()),
            }
            if booking.state in plans:
                summary, deadline = plans[booking.state]
                booking.activity_schedule(todo, date_deadline=deadline, summary=summary,
                                          user_id=booking._ev_activity_user().id)

    # === STAGE ACTIONS === #

    def action_schedule_visit(self):
        self._ev_check_processor()
        self._ev_check_state(("submitted",), _("Schedule the visit"))
        for booking in self:
            if not booking.visit_date:
                raise UserError(_("Set the planned visit date of %(booking)s first (between %(start)s and %(end)s).",
                                  booking=booking.name, start=booking.visit_date_from, end=booking.visit_date_to))
        self._ev_transition({"state": "visit_scheduled"})
        self._ev_plan_next_activity()

    def action_materials_collected(self):
        self._ev_check_processor()
        self._ev_check_state(("visit_scheduled",), _("Materials collected"))
        self._ev_transition({"state": "materials_collected", "is_overdue": False})
        self._ev_plan_next_activity()

    def _ev_missing_materials(self):
        """Readable list of what blocks the application: one entry per incomplete checklist item."""
        self.ensure_one()
        labels = dict(self.env["ev.booking.material"]._fields["kind"]._description_selection(self.env))
        return ["%s: %s" % (labels[line.kind], line.missing_reason)
                for line in self.sudo().material_ids if not line.is_complete]

    def action_check_materials(self):
        """The completeness check, on demand: a notification listing what is missing."""
        self._ev_check_processor()
        self.ensure_one()
        missing = self._ev_missing_materials()
        message = (_("Missing:\n%(missing)s", missing="\n".join(missing)) if missing
                   else _("All the materials are complete."))
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": _("Materials of %(booking)s", booking=self.name), "message": message,
            "type": "warning" if missing else "success", "sticky": bool(missing)}}

    def action_submit_application(self):
        """Field staff submit the application: completeness check, then the WeChat Pay and Alipay requests."""
        self._ev_check_processor()
        self._ev_check_state(("materials_collected",), _("Submit the application"))
        for booking in self:
            missing = booking._ev_missing_materials()
            if missing:
                raise UserError(_("The application of %(booking)s cannot be submitted, the materials are "
                                  "incomplete:\n%(missing)s", booking=booking.name, missing="\n".join(missing)))
            booking.sudo()._ev_send_application()
        self._ev_plan_next_activity()

    def action_mark_under_review(self):
        """Live: the platform has taken the application (WeChat Pay APPLYMENT_STATE_AUDITING)."""
        self._ev_check_processor()
        self._ev_check_state(("application_submitted",), _("Under review"))
        self._ev_transition({"state": "under_review", "wechat_applyment_state": "APPLYMENT_STATE_AUDITING"})
        self._ev_plan_next_activity()

    def action_activate(self):
        """Live: the platforms approved; switch the store's providers on with the sub_mchid and the token."""
        self._ev_check_processor()
        self._ev_check_state(REVIEW_STATES, _("Activate"))
        for booking in self:
            booking.sudo()._ev_activate()

    def action_reject(self):
        self._ev_check_processor()
        self._ev_check_state(("submitted", "visit_scheduled", "materials_collected") + REVIEW_STATES, _("Reject"))
        for booking in self:
            if not booking.review_note:
                raise UserError(_("Write in the review notes of %(booking)s why it is rejected.",
                                  booking=booking.name))
        self._ev_transition({"state": "rejected", "is_overdue": False})
        self._ev_plan_next_activity()

    def action_reopen(self):
        """After a rejection: correct the materials and submit again (same business code: it overwrites)."""
        self._ev_check_processor()
        self._ev_check_state(("rejected",), _("Reopen"))
        self._ev_transition({"state": "materials_collected"})
        self._ev_plan_next_activity()

    # === APPLICATION (sudo: called by the controlled actions above) === #

    def _ev_store_providers(self):
        """The WeChat Pay / Alipay providers of exactly this booking's store (company)."""
        self.ensure_one()
        return self.env["payment.provider"].sudo().search([
            ("company_id", "=", self.company_id.id), ("code", "in", EV_PROVIDER_CODES)])

    def _ev_media_id(self, line):
        """The media id of an uploaded image: derived from the bytes (live uploads are not automated)."""
        content = base64.b64decode(line.file or b"")
        return onboarding.content_media_id(content)

    def _ev_applyment_data(self):
        self.ensure_one()
        lines = {line.kind: line for line in self.material_ids}
        media = {kind: self._ev_media_id(line) for kind, line in lines.items() if line.file}
        wechat = self._ev_store_providers().filtered(lambda p: p.code == "wechatpay")[:1]
        sp_mchid = wechat.wechatpay_mchid if wechat and "wechatpay_mchid" in wechat._fields else ""
        return {
            "business_code": self.wechat_business_code or onboarding.business_code(sp_mchid, self.name),
            "subject_type": self.subject_type,
            "merchant_name": self.merchant_name,
            "license_number": uscc.validate_uscc(self.license_number).value,
            "license_copy": media.get("business_licence"),
            "legal_person": self.legal_person_name,
            "id_card_copy": media.get("legal_id_front"),
            "id_card_national": media.get("legal_id_back"),
            "id_card_number": self.legal_id_number,
            "id_card_address": self.legal_id_address,
            "card_period_begin": self.id_valid_from and self.id_valid_from.isoformat(),
            "card_period_end": onboarding.LONG_TERM if self.id_long_term else (
                self.id_valid_to and self.id_valid_to.isoformat()),
            "mobile_phone": self.mobile,
            "contact_email": self.contact_email,
            "merchant_shortname": self.merchant_shortname,
            "service_phone": self.service_phone,
            "store_name": self.store_id.name,
            "store_address_code": self.store_address_code,
            "store_address": self.store_address,
            "store_entrance_pics": [media["store_front"]] if media.get("store_front") else [],
            "indoor_pics": [media["store_inside"]] if media.get("store_inside") else [],
            "addition_pics": [media["store_cash_desk"]] if media.get("store_cash_desk") else [],
            "settlement_id": self.settlement_id,
            "qualification_type": self.qualification_type,
            "bank_account_type": self.bank_account_type,
            "account_name": self.bank_account_name,
            "account_bank": self.bank_name,
            "bank_address_code": self.bank_address_code,
            "bank_name": self.bank_branch_name,
            "account_number": (self.bank_account_number or "").replace(" ", ""),
        }

    def _ev_encryption_key(self):
        """WeChat Pay's public key the sensitive fields are sealed with."""
        wechat = self._ev_store_providers().filtered(lambda p: p.code == "wechatpay")[:1]
        key = wechat and "wechatpay_public_key" in wechat._fields and \
            wechat._ev_wechatpay_keys()["wechatpay_public_key"]
        if not key:
            raise UserError(_("The WeChat Pay provider of %(company)s has no WeChat Pay public key to encrypt the "
                              "application with.", company=self.company_id.name))
        return key

    def _ev_send_application(self):
        self.ensure_one()
        data = self._ev_applyment_data()
        public_key = self._ev_encryption_key()
        try:
            body = onboarding.applyment4sub_body(data, lambda text: wechatpay.rsa_oaep_encrypt(text, public_key))
        except onboarding.OnboardingError as error:
            raise UserError(_("The application of %(booking)s cannot be built: %(field)s %(detail)s",
                              booking=self.name, field=error.field, detail=error.detail)) from error
        request = onboarding.applyment_request(body)
        values = {
            "state": "application_submitted",
            "application_submitted_on": fields.Datetime.now(),
            "wechat_business_code": data["business_code"],
            "wechat_applyment_state": "APPLYMENT_STATE_EDITTING",
            "wechat_request_summary": "%s %s\n%s" % (request.method, request.path, json.dumps(
                onboarding.redact(body), ensure_ascii=False, indent=1)),
            "review_note": False,
        }
        self._ev_submit_application(values, data)

    def _ev_submit_application(self, values, data):
        """Transport hook: hand the built, checked application to the platforms. Sending live applications (image
        upload + applyment4sub) is done on the platforms for now: the field staff submit it there and record the
        answers here."""
        self.ensure_one()
        self._ev_transition(values)
        self.message_post(body=_("Application built (business code %(code)s): submit it on the WeChat Pay and "
                                 "Alipay platforms, then record the sub-merchant ID and the Alipay "
                                 "authorisation here.", code=data["business_code"]))


    def _ev_template_provider(self, code):
        return self.env.ref("ev_pay_invoice.payment_provider_%s" % code, raise_if_not_found=False)

    def _ev_activate(self):
        """Set up and switch on the WeChat Pay / Alipay providers of this store's company, and only those.

        A code the store has no provider for yet is copied from the service provider's own one (the module's
        record: same sp_mchid / app id, in service-provider mode only the sub-merchant differs).
        """
        self.ensure_one()
        if not self.wechat_sub_mchid:
            raise UserError(_("Record the WeChat Pay sub-merchant ID of %(booking)s before activating it.",
                              booking=self.name))
        if not self.alipay_app_auth_token:
            raise UserError(_("The dealer of %(booking)s has not authorised our Alipay application yet (no "
                              "app_auth_token).", booking=self.name))
        providers = self._ev_store_providers()
        for code in EV_PROVIDER_CODES:
            if providers.filtered(lambda p, code=code: p.code == code):
                continue
            template = self._ev_template_provider(code)
            if not template:
                raise UserError(_("There is no %(code)s payment provider to set up for %(company)s.",
                                  code=code, company=self.company_id.name))
            providers |= template.sudo().copy({"company_id": self.company_id.id, "state": "disabled"})
        target_state = self._ev_activation_state()
        for provider in providers:
            values = {"state": target_state}
            if provider.code == "wechatpay":
                values["wechatpay_sub_mchid"] = self.wechat_sub_mchid
                if "wechatpay_mode" in provider._fields:
                    values["wechatpay_mode"] = "partner"
            else:
                values["alipay_app_auth_token"] = self.alipay_app_auth_token
                values["alipay_auth_app_id"] = self.alipay_auth_app_id
            provider.write({name: value for name, value in values.items() if name in provider._fields})
        labels = dict(providers._fields["state"]._description_selection(self.env))
        self._ev_transition({
            "state": "activated", "activated_on": fields.Datetime.now(), "is_overdue": False,
            "wechat_applyment_state": self.wechat_applyment_state or "APPLYMENT_STATE_FINISHED",
            "activated_providers": ", ".join("%s (%s)" % (p.name, labels[p.state]) for p in providers),
        })
        self.message_post(body=_("Activated: %(providers)s.", providers=self.activated_providers))
        self._ev_plan_next_activity()
        return providers

    def _ev_activation_state(self):
        """Hook: the state the store's providers are switched to on activation."""
        self.ensure_one()
        return "enabled"

    # === CRONS === #

    @api.model
    def _cron_flag_overdue(self):
        """Daily: flag the bookings whose visit window has passed without the visit, and tell the field staff."""
        today = store_today()
        late = self.search([("state", "in", VISIT_PENDING_STATES), ("visit_date_to", "<", today),
                            ("is_overdue", "=", False)])
        for booking in late:
            booking.is_overdue = True
            booking.activity_schedule(
                "mail.mail_activity_data_todo", date_deadline=today, user_id=booking._ev_activity_user().id,
                summary=_("Visit overdue: the store booked on %(date)s is still waiting",
                          date=format_date(self.env, booking.submitted_on)))
        cleared = self.search([("is_overdue", "=", True), "|", ("state", "not in", VISIT_PENDING_STATES),
                               ("visit_date_to", ">=", today)])
        cleared.write({"is_overdue": False})
        return late
