from . import controllers
from . import models


def _ev_sandbox_post_init(env):
    """Providers already in test state (e.g. the demo store's, made by ev_pay_invoice's demo data before this addon
    was installed) get their simulator credentials now, into empty fields only."""
    from odoo.addons.ev_pay_invoice.models.payment_provider import EV_PROVIDER_CODES

    env["payment.provider"].sudo().search(
        [("state", "=", "test"), ("code", "in", EV_PROVIDER_CODES)])._ev_ensure_sandbox_credentials()
