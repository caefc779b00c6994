"""Trade-in evidence in a real browser at phone size (issue #16 item 5), over the payment simulators of
ev_pay_sandbox: the four photos from the camera, the hand-over to the recycler and the printed registration form."""
import re

from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.test_tradein_evidence import EvidenceMixin
from odoo.addons.ev_pay_invoice.tests.common_cashier import PHONE, ScreenTourMixin
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestTradeinEvidenceTour(ScreenTourMixin, EvidenceMixin, EvPaymentCommon):
    """At phone size: a trade-in with its four photos from the camera, the hand-over to the recycler with the
    recycling certificate, and the registration form printed as a PDF with Chinese glyphs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_evidence()

    def test_tradein_evidence_tour_phone(self):
        self.screen_tour("ev_cashier_tradein_evidence_tour", self.salesperson.login, size=PHONE,
                         shots=("tradein-photos",))
        tradein = self.env["ev.tradein"].search([("old_code", "=", "沪A12345")])
        self.assertEqual(len(tradein), 1)
        self.assertFalse(tradein.photos_missing, "the four photos were taken in the cashier")
        self.screen_tour("ev_tradein_handover_tour", self.salesperson.login, size=PHONE,
                         url=f"/odoo/action-ev_bundle_sale.ev_tradein_action/{tradein.id}",
                         shots=("tradein-handover",))
        tradein.invalidate_recordset()
        self.assertEqual(tradein.recycling_state, "handed_over")
        self.assertEqual(tradein.recycler_id, self.recycler)
        self.assertTrue(tradein.recycling_certificate_id.raw.startswith(b"%PDF"))
        pdf, report_type = self.env["ir.actions.report"].with_context(force_report_rendering=True)\
            ._render_qweb_pdf("ev_bundle_sale.action_report_ev_tradein_registration", tradein.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), "wkhtmltopdf produced a PDF")
        self.assertTrue(re.search(rb"/BaseFont\s*/([A-Z]{6}\+)?Noto\w*CJK", pdf), "the text is set in a CJK font")
        # The PDF's text maps (ToUnicode) hold the Chinese characters that were set.
        for char in "以旧换新登记":
            self.assertTrue(f"<{ord(char):04X}>".encode() in pdf, f"{char} is in the PDF")
