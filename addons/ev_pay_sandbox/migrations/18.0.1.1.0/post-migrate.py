"""18.0.1.1.0: the sandbox keeps its keys apart from the providers' own credential fields.

Databases made by earlier versions (the demo databases among them) hold the simulator's keys in the credential
fields of their test providers. They move to the providers' sandbox fields and leave the credential fields empty,
ready for the live credentials: a provider switched to test goes on paying in the sandbox with the same keys, and
the fields no longer show keys no platform knows. Keys the simulator did not make are left where they are.
"""
from odoo import SUPERUSER_ID, api

from odoo.addons.ev_pay_invoice.models.payment_provider import EV_PROVIDER_CODES


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["payment.provider"].search([("code", "in", list(EV_PROVIDER_CODES))])._ev_move_simulator_keys_to_the_sandbox()
    env["ev.einvoice.provider"].search([])._ev_move_simulator_credentials_to_the_sandbox()
