import uuid

from odoo import api, models


class PosPayment(models.Model):
    _inherit = "pos.payment"

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS 'point_of_sale': the till knows its payments by uuid, which only the till sets. A payment made
        # by the server (an online payment, a refund to the wallet) had none, so every time the till read the
        # order again it added the payment once more (a reprint listed it twice, with the "change" of a second).
        # An online payment is added by the server only once its transaction is paid: it is done, so that a till
        # reading it back (after a reload, a synchronisation) neither shows it as still to collect nor lets the
        # cashier delete it.
        for vals in vals_list:
            if not vals.get("uuid"):
                vals["uuid"] = str(uuid.uuid4())
            if vals.get("online_account_payment_id") and not vals.get("payment_status"):
                vals["payment_status"] = "done"
        return super().create(vals_list)
