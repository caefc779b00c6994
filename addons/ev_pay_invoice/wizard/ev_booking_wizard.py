from odoo import _, api, fields, models


class EvBookingWizard(models.TransientModel):
    """Cashier → Apply for booking now (立即预约申请): the store picks a service provider and leaves a contact."""

    _name = "ev.booking.wizard"
    _description = "Apply for Booking"

    store_id = fields.Many2one(
        "ev.store", string="Store", required=True,
        default=lambda self: self.env["ev.store"]._get_current(),
        domain=lambda self: [("company_id", "in", self.env.companies.ids)],
    )
    available_provider_ids = fields.Many2many("ev.service.provider", compute="_compute_available_provider_ids")
    provider_id = fields.Many2one(
        "ev.service.provider", string="Service Provider", required=True,
        domain="[('id', 'in', available_provider_ids)]",
        compute="_compute_provider_id", store=True, readonly=False, precompute=True,
    )
    provider_phone = fields.Char(related="provider_id.phone", string="Provider Phone")
    contact_name = fields.Char(string="Contact Name", required=True)
    mobile = fields.Char(string="Mobile", required=True)

    @api.depends("store_id")
    def _compute_available_provider_ids(self):
        providers = self.env["ev.service.provider"]
        for wizard in self:
            state = wizard.store_id.company_id.partner_id.state_id
            wizard.available_provider_ids = providers._ev_for_state(state)

    @api.depends("available_provider_ids")
    def _compute_provider_id(self):
        for wizard in self:
            available = wizard.available_provider_ids._origin
            if wizard.provider_id._origin not in available:
                # Proposed only when there is no choice to make.
                wizard.provider_id = available if len(available) == 1 else False

    def action_submit(self):
        """Submit (提交): the booking is created for the store and the provider's field staff are told."""
        self.ensure_one()
        bookings = self.env["ev.booking"]
        booking = bookings.create({
            "store_id": self.store_id.id,
            "company_id": self.store_id.company_id.id,
            "provider_id": self.provider_id.id,
            "contact_name": self.contact_name.strip(),
            "mobile": bookings._ev_normalize_mobile(self.mobile),
        })
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.ev_booking_action")
        action["context"] = {"ev_booking_highlight": booking.id}
        return {
            "type": "ir.actions.client", "tag": "display_notification", "params": {
                "title": _("Booking %(name)s submitted", name=booking.name),
                "message": _("%(provider)s will visit the store between %(start)s and %(end)s.",
                             provider=booking.provider_id.name, start=booking.visit_date_from,
                             end=booking.visit_date_to),
                "type": "success", "next": action,
            },
        }
