import re

from odoo import _, api, fields, models

from ..protocols import uscc

_REGION_CODE = re.compile(r"\d{6}")
_ACCOUNT_NUMBER = re.compile(r"\d{8,30}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

MATERIAL_KINDS = [
    ("business_licence", "Business licence"),
    ("legal_id_front", "Legal representative's ID card, portrait side"),
    ("legal_id_back", "Legal representative's ID card, national emblem side"),
    ("bank_account", "Settlement bank account"),
    ("store_front", "Store photo: shopfront"),
    ("store_inside", "Store photo: inside"),
    ("store_cash_desk", "Store photo: cash desk"),
    ("contact", "Contact details"),
]
# Kinds whose line needs an attached picture or scan.
KINDS_WITH_FILE = frozenset({"business_licence", "legal_id_front", "legal_id_back", "store_front", "store_inside",
                             "store_cash_desk"})


class EvBookingMaterial(models.Model):
    """One item of a booking's application checklist, with its attachment (ID photos, licence, store photos).

    Personal data: readable only by the store's managers and the provider's field staff (access rights and
    record rules in security/); salespeople of the store see only the booking's progress count.
    """

    _name = "ev.booking.material"
    _description = "Booking Material"
    _order = "booking_id, sequence, id"

    booking_id = fields.Many2one("ev.booking", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="booking_id.company_id", store=True, index=True)
    provider_id = fields.Many2one(related="booking_id.provider_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(MATERIAL_KINDS, string="Item", required=True, readonly=True)
    file = fields.Binary(string="Attachment", attachment=True, copy=False)
    file_name = fields.Char(string="File Name")
    note = fields.Char()
    is_complete = fields.Boolean(string="Complete", compute="_compute_is_complete")
    missing_reason = fields.Char(string="Missing", compute="_compute_is_complete")

    _sql_constraints = [
        ("kind_unique", "unique(booking_id, kind)", "Each item appears once in a booking's checklist."),
    ]

    @api.depends("kind", "file", "booking_id.merchant_name", "booking_id.license_number",
                 "booking_id.legal_person_name", "booking_id.legal_id_number", "booking_id.id_valid_from",
                 "booking_id.id_valid_to", "booking_id.id_long_term", "booking_id.bank_account_type",
                 "booking_id.bank_account_name", "booking_id.bank_name", "booking_id.bank_address_code",
                 "booking_id.bank_account_number", "booking_id.contact_name", "booking_id.mobile",
                 "booking_id.contact_email", "booking_id.merchant_shortname", "booking_id.service_phone",
                 "booking_id.store_address_code")
    def _compute_is_complete(self):
        for line in self:
            missing = line._ev_missing()
            line.is_complete = not missing
            line.missing_reason = ", ".join(missing)

    def _ev_missing(self):
        """What this item still lacks, in words (empty when complete)."""
        self.ensure_one()
        booking = self.booking_id.sudo()
        missing = []
        if self.kind in KINDS_WITH_FILE and not self.file:
            missing.append(_("the attachment"))
        if self.kind == "business_licence":
            if not booking.merchant_name:
                missing.append(_("the name on the licence"))
            if not uscc.validate_uscc(booking.license_number):
                missing.append(_("a valid unified social credit code"))
        elif self.kind == "legal_id_front":
            if not booking.legal_person_name:
                missing.append(_("the legal representative's name"))
            check = uscc.validate_taxpayer_id(booking.legal_id_number, organisation=False)
            if not check or check.kind != uscc.TaxpayerIdKind.ID_CARD:
                missing.append(_("a valid 18-digit ID card number"))
        elif self.kind == "legal_id_back":
            if not booking.id_valid_from:
                missing.append(_("the start of validity"))
            if not (booking.id_long_term or booking.id_valid_to):
                missing.append(_("the end of validity (or valid for life)"))
        elif self.kind == "bank_account":
            if not booking.bank_account_type:
                missing.append(_("the account type"))
            if not booking.bank_account_name:
                missing.append(_("the account holder"))
            if not booking.bank_name:
                missing.append(_("the bank"))
            if not _REGION_CODE.fullmatch(booking.bank_address_code or ""):
                missing.append(_("the 6-digit region code of the bank"))
            if not _ACCOUNT_NUMBER.fullmatch((booking.bank_account_number or "").replace(" ", "")):
                missing.append(_("an account number of 8 to 30 digits"))
            if booking.subject_type == "enterprise" and booking.bank_account_type != "corporate":
                missing.append(_("a corporate account (an enterprise cannot settle to a personal one)"))
        elif self.kind == "store_front":
            if not booking.merchant_shortname:
                missing.append(_("the short name"))
            if not _REGION_CODE.fullmatch(booking.store_address_code or ""):
                missing.append(_("the 6-digit region code of the store"))
            if not booking.store_address:
                missing.append(_("the store address (on the company)"))
        elif self.kind == "contact":
            if not booking.contact_name:
                missing.append(_("the contact name"))
            if not uscc.normalize_cn_mobile(booking.mobile):
                missing.append(_("a valid mobile number"))
            if not _EMAIL.fullmatch(booking.contact_email or ""):
                missing.append(_("an e-mail address"))
            if not booking.service_phone:
                missing.append(_("the customer service phone"))
        return missing
