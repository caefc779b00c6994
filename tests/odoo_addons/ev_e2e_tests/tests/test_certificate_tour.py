"""The cashier's vehicle step scanned from the product certificate's QR code, in a real browser (over the
payment simulators of ev_pay_sandbox)."""
from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import BundleTestMixin
from odoo.addons.ev_bundle_sale.tests.test_compliance import CODE
from odoo.addons.ev_pay_invoice.tests.common_cashier import PHONE, ScreenTourMixin
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestCertificateTour(ScreenTourMixin, BundleTestMixin, EvPaymentCommon):
    """The cashier's vehicle step at phone size, scanned from the certificate's QR code in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.vehicle.ev_certificate_model = "TDT1234Z"

    def test_cashier_certificate_tour_phone(self):
        self.screen_tour("ev_cashier_certificate_tour", self.salesperson.login, size=PHONE,
                         shots=("sale-certificate",))
        self.env.invalidate_all()
        lot = self.lots[CODE]
        self.assertEqual((lot.ev_certificate_no, lot.ev_motor_code), ("HGZ2026000123", "WX48350A0001"))
