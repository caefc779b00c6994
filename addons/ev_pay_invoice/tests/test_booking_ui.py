from odoo import Command
from odoo.tests import HttpCase, tagged

from .common_booking import BookingSetupMixin


@tagged("post_install", "-at_install")
class TestBookingTour(BookingSetupMixin, HttpCase):
    def test_booking_from_the_cashier(self):
        """A salesperson books the service from Cashier → Apply for booking now and finds it on the kanban.

        The tour starts in the E-bike Store app on the bookings (opening the app itself lands on the cashier's
        collection dialog, its first menu).
        """
        self._setup_booking_world()
        self.env["ev.service.provider"].create({
            "name": "Tour Provider", "state_ids": [Command.set(self.env.ref("base.state_cn_SH").ids)],
            "user_ids": [Command.set(self.staff.ids)]})
        self.start_tour("/odoo/action-ev_pay_invoice.ev_booking_action", "ev_booking_tour", login=self.sales_a.login)
        booking = self.env["ev.booking"].search([("contact_name", "=", "王芳")])
        self.assertEqual(len(booking), 1)
        self.assertRecordValues(booking, [{
            "store_id": self.store_a.id, "mobile": "13800138000", "state": "submitted",
            "provider_id": self.env["ev.service.provider"].search([("name", "=", "Tour Provider")]).id}])
        self.assertEqual(booking.activity_ids.user_id, self.staff)
