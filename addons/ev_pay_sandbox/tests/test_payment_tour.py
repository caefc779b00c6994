from odoo.tests import tagged

from .payment_common import EvPaymentCommon


@tagged("post_install", "-at_install")
class TestEvPaymentCollectionTour(EvPaymentCommon):

    def test_backend_collection_tour(self):
        """Chromium: order → Collect → QR codes → sandbox wallet pays → the screen turns paid and invoiced.

        The sandbox wallet button pays at the simulator and relays the platform's signed callback to the webhook
        from the browser; the screen learns it by bus notification or by its 3-second poll.
        """
        order = self._order(amount=1288)
        self.env.user.write({"company_ids": [(4, self.env.company.id)], "company_id": self.env.company.id})
        self.start_tour("/odoo/action-sale.action_quotations_with_onboarding/%d" % order.id,
                        "ev_pay_collection_tour", login=self.env.user.login)
        self.env.invalidate_all()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_ids.state, "posted")
        wechat_tx = order.ev_collection_tx_ids.filtered(lambda tx: tx.provider_code == "wechatpay")
        self.assertEqual(wechat_tx.state, "done")
        self.assertEqual(len(self._payments(wechat_tx)), 1)
