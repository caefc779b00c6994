from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _can_commit(self):
        # The demo history runs the flows through the simulators inside the module's installation: nothing may
        # commit it half-way.
        return super()._can_commit() and not self.env.context.get("ev_sandbox_in_process")
