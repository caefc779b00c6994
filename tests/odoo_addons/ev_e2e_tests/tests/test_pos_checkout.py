from odoo.tests import tagged

from odoo.addons.ev_bundle_sale.tests.common import make_codes, setup_bundle_catalogue
from odoo.addons.ev_pay_invoice.tests.common_cashier import DESKTOP, PHONE, ScreenTourMixin
from odoo.addons.ev_pay_sandbox.tests.common_einvoice import SELLER_USCC, TEST_TAX_CODE
from odoo.addons.ev_pay_sandbox.tests.payment_common import EvPaymentCommon
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

# The tours type these codes (make_codes(base=800)).
CHECKOUT_CODES = make_codes(base=800)


@tagged("post_install", "-at_install")
class TestPosCheckout(TestPointOfSaleHttpCommon, EvPaymentCommon, ScreenTourMixin):
    """The store's till (the demo's ``pos.config._ev_store_pos``) in Chromium, at phone and desktop size: customer
    and 发票 after the payment method, a bundle paid by pay code with 发票 before the method, the reprint once the
    e-invoice is issued, the refund of the invoiced bundle to the wallet. Each tour checks its receipt and that
    no error dialog is open; this class checks what the server recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.main_pos_config.company_id
        catalogue = setup_bundle_catalogue(cls.env, company=company, prefix="POS ", codes=CHECKOUT_CODES)
        cls.catalogue = catalogue
        cls.helmet = cls.env["product.template"].create({
            "name": "POS Helmet", "ev_role": "accessory", "list_price": 88.0})
        templates = catalogue["vehicle"] | catalogue["battery"] | catalogue["charger"] | cls.helmet
        (templates | catalogue["vehicle"].ev_combo_product_id).ev_tax_classification_code = TEST_TAX_CODE
        cls.config = cls.env["pos.config"]._ev_store_pos(company, templates)
        company.partner_id.write({"state_id": cls.env.ref("base.state_cn_SH").id, "phone": "021 5555 0000"})
        cls.env["ev.einvoice.provider"].sudo().create({
            "name": "Sandbox", "company_id": company.id, "state": "test",
            "seller_tax_id": SELLER_USCC, "drawer": "王店长", "sandbox_base_url": cls.base_url(),
            "sandbox_issue_delay": 0, "timeout": 30,
        })
        Partner = cls.env["res.partner"]
        cls.helmet_buyer = Partner.create({"name": "POS Helmet Buyer", "mobile": "13800138002"})
        cls.bundle_buyer = Partner.create({"name": "POS Bundle Buyer 李四", "mobile": "13800138001"})

    def _tour(self, name, size):
        self.screen_tour(name, "pos_user", size=size, url=f"/pos/ui?config_id={self.config.id}",
                         shots=("pos-qr", "pos-receipt", "pos-refund"))

    def _issue_einvoices(self):
        """The issuing cron (no cron worker in tests), run until nothing is pending, skipping its waits."""
        Submission = self.env["ev.einvoice.submission"].sudo()
        # The cron calls the sandbox platform over HTTP from this thread, without the browser's test cookie (as
        # Odoo's own url_open does after a tour).
        self.http_request_strict_check = False
        for _round in range(15):
            Submission._cron_process()
            pending = Submission.search([("state", "in", ("to_issue", "issuing"))])
            if not pending:
                break
            pending.write({"next_check": False})
        self.env.invalidate_all()

    def _checkout(self, size):
        self.assertEqual(self.config, self.main_pos_config, "the company's till is made the store's till")
        session = self.config.current_session_id
        self.assertEqual(session.state, "opened", "ready to sell: no opening step at the till")
        self.assertTrue(self.config.limit_categories)
        self._tour("EvPosCustomerAfterMethodTour", size)
        helmet_order = self.env["pos.order"].search([("partner_id", "=", self.helmet_buyer.id)])
        self.assertEqual(helmet_order.state, "invoiced", "customer and 发票 chosen after the method were recorded")
        self.assertEqual(helmet_order.account_move.state, "posted")
        self.assertEqual(helmet_order.account_move.ev_einvoice_state, "to_issue", "its 数电票 is requested")

        self._tour("EvPosBundlePayCodeTour", size)
        order = self.env["pos.order"].search([("partner_id", "=", self.bundle_buyer.id)])
        self.assertEqual(order.state, "invoiced")
        self.assertEqual(len(order.payment_ids), 1)
        bundle = order.ev_bundle_ids
        self.assertEqual((bundle.state, bundle.partner_id), ("bound", self.bundle_buyer))
        self.assertEqual(bundle.vehicle_lot_id.name, CHECKOUT_CODES["white"][0])
        tx = order.payment_ids.online_account_payment_id.payment_transaction_id
        self.assertTrue(tx.ev_codepay)

        self._issue_einvoices()
        self.assertEqual(order.account_move.ev_einvoice_state, "issued")
        self._tour("EvPosReprintRefundTour", size)
        refund = self.env["pos.order"].search([("lines.refunded_orderline_id.order_id", "=", order.id)])
        self.assertEqual(refund.state, "invoiced")
        credit_note = refund.account_move
        self.assertEqual((credit_note.move_type, credit_note.reversed_entry_id), ("out_refund", order.account_move))
        refund_tx = tx.child_transaction_ids
        self.assertEqual((refund_tx.state, refund_tx.amount), ("done", -order.amount_total))
        self.assertIn(credit_note, refund_tx.invoice_ids)
        self.assertEqual(bundle.state, "unbound")
        for role in ("vehicle", "battery", "charger"):
            code = getattr(bundle, f"{role}_lot_id").name
            result = self.config.with_user(self.pos_user).ev_pos_scan_code(role, code, vehicle_code=(
                bundle.vehicle_lot_id.name if role != "vehicle" else False))
            self.assertTrue(result["ok"], f"{role} {code} is free to sell again: {result}")

    def test_checkout_phone(self):
        self._checkout(PHONE)

    def test_checkout_desktop(self):
        self._checkout(DESKTOP)
