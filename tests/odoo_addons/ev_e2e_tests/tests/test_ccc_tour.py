"""CCC status at the counter in a real browser at phone size (issue #16 item 4), over the payment simulators of
ev_pay_sandbox."""
from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import BundleTestMixin
from odoo.addons.ev_pay_invoice.tests.common_cashier import PHONE, ScreenTourMixin
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestCccTour(ScreenTourMixin, BundleTestMixin, EvPaymentCommon):
    """At phone size: the cashier refuses a vehicle certified to the old standard, with the reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.vehicle.ev_ccc_standard = "gb17761_2018"

    def test_cashier_refuses_an_old_standard_vehicle_phone(self):
        self.screen_tour("ev_cashier_ccc_tour", self.salesperson.login, size=PHONE, shots=("sale-ccc-refused",))
        self.assertFalse(self.env["ev.bundle"].search([]), "nothing was sold")
        self.assertFalse(self.lots["310422600000001"].ev_bundle_id)
