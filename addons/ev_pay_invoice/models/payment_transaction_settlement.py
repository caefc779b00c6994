from odoo import models

from .payment_provider import EV_PROVIDER_CODES


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _create_payment(self, **extra_create_values):
        """Date the payment on the company's day of the payment (Beijing time), not on the server's UTC day: a
        sale paid at 00:05 on the 1st is booked on the 1st, in the month and the settlement it belongs to."""
        if self.provider_code in EV_PROVIDER_CODES and "date" not in extra_create_values:
            company = self.company_id or self.provider_id.company_id
            extra_create_values["date"] = company._ev_local_date(self.last_state_change)
        return super()._create_payment(**extra_create_values)
