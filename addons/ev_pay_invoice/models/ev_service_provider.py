from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..protocols import uscc

FIELD_STAFF_GROUP = "ev_pay_invoice.group_ev_provider_field_staff"


class EvServiceProvider(models.Model):
    """A service provider (服务商): its field staff visit the stores that book it and switch collection on."""

    _name = "ev.service.provider"
    _description = "Service Provider"
    _inherit = ["mail.thread"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", string="Company", index=True,
        help="Leave empty for a provider that serves the stores of every company (the usual case).",
    )
    contact_name = fields.Char(string="Contact")
    phone = fields.Char(tracking=True)
    email = fields.Char()
    state_ids = fields.Many2many(
        "res.country.state", string="Regions Served",
        domain="[('country_id.code', '=', 'CN')]",
        help="Provinces this provider visits. Stores in other provinces are offered it only when no provider "
        "serves theirs.",
    )
    user_ids = fields.Many2many(
        "res.users", "ev_service_provider_user_rel", "provider_id", "user_id", string="Field Staff",
        domain=lambda self: [("groups_id", "in", self.env.ref(FIELD_STAFF_GROUP).ids)],
        help="The provider's staff who visit the stores. They see the bookings of this provider in every company.",
    )
    booking_ids = fields.One2many("ev.booking", "provider_id", string="Bookings")
    booking_count = fields.Integer(compute="_compute_booking_count")

    @api.depends("booking_ids")
    def _compute_booking_count(self):
        counts = dict(self.env["ev.booking"]._read_group([("provider_id", "in", self.ids)], ["provider_id"],
                                                         ["__count"]))
        for provider in self:
            provider.booking_count = counts.get(provider, 0)

    @api.constrains("phone")
    def _check_phone(self):
        for provider in self.filtered("phone"):
            # A landline is accepted as is; something that looks like a mobile must be a valid one.
            digits = "".join(ch for ch in provider.phone if ch.isdigit())
            if len(digits) == 11 and digits.startswith("1") and not uscc.normalize_cn_mobile(provider.phone):
                raise ValidationError(_("The phone number %(phone)s of %(provider)s is not a valid mobile number.",
                                        phone=provider.phone, provider=provider.name))

    @api.model
    def _ev_for_state(self, state):
        """Providers that serve a province (or everywhere), most specific first; all providers if none does."""
        providers = self.search([])
        if not state:
            return providers
        serving = providers.filtered(lambda p: state in p.state_ids)
        everywhere = providers.filtered(lambda p: not p.state_ids)
        return (serving | everywhere) or providers

    def action_view_bookings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_booking_action")
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"default_provider_id": self.id}
        return action
