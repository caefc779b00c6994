from odoo import _, api, fields, models
from odoo.exceptions import UserError


class EvSettlementPayoutWizard(models.TransientModel):
    """Match payout bank lines with posted settlements: one line for several days, or several lines for one day.

    The totals must agree to the fen; otherwise nothing is linked and the wizard says what differs."""

    _name = "ev.settlement.payout.wizard"
    _description = "Match a Settlement Payout"

    settlement_ids = fields.Many2many("ev.settlement", string="Settlements", required=True,
                                      domain="[('state', '=', 'posted')]")
    statement_line_ids = fields.Many2many(
        "account.bank.statement.line", "ev_settlement_payout_wizard_st_line_rel", string="Bank Lines",
        domain="[('id', 'in', candidate_line_ids)]",
        help="The bank lines of the payout. Proposed: the bank line of exactly the amount owed, if there is one.")
    candidate_line_ids = fields.Many2many(
        "account.bank.statement.line", "ev_settlement_payout_wizard_candidate_rel", string="Unmatched Bank Lines",
        compute="_compute_candidate_line_ids",
        help="Bank credits not reconciled yet, from the day after the first settlement up to a week after the "
        "payout delay; the ones naming the channel first.")
    currency_id = fields.Many2one("res.currency", compute="_compute_amounts")
    due_amount = fields.Monetary(string="Owed by the Provider", compute="_compute_amounts")
    paid_amount = fields.Monetary(string="On the Bank Lines", compute="_compute_amounts")
    gap = fields.Monetary(string="Difference", compute="_compute_amounts")
    problem = fields.Text(string="Why It Cannot Be Matched", compute="_compute_amounts")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "ev.settlement" and not values.get("settlement_ids"):
            values["settlement_ids"] = [fields.Command.set(self.env.context.get("active_ids") or [])]
        if "statement_line_ids" in fields_list and not values.get("statement_line_ids"):
            ids = []
            for command in values.get("settlement_ids") or []:
                ids += command[2] if command[0] == fields.Command.SET else [command[1]]
            settlements, lines = self._ev_proposal(self.env["ev.settlement"].browse(ids))
            if lines:
                values["settlement_ids"] = [fields.Command.set(settlements.ids)]
                values["statement_line_ids"] = [fields.Command.set(lines.ids)]
        return values

    @api.model
    def _ev_proposal(self, settlements):
        """(settlements, bank line) proposed: a bank line paying exactly these settlements, or these and the days
        next to them (one line for a weekend); the lines naming the channel first. Nothing found: no line."""
        settlements = settlements.filtered(lambda s: s.state == "posted")
        if not settlements or len(settlements.provider_id) != 1:
            return settlements, self.env["account.bank.statement.line"]
        pending = self.env["ev.settlement"].search([("provider_id", "=", settlements.provider_id.id),
                                                    ("company_id", "=", settlements.company_id.id),
                                                    ("state", "=", "posted")])
        owed = {s.id: s._ev_payout_residual() for s in pending}
        for line in pending._ev_payout_candidates():
            run = pending._ev_run_paid_by(line, owed)
            if run and settlements <= run:
                return run, line
        return settlements, self.env["account.bank.statement.line"]

    @api.depends("settlement_ids")
    def _compute_candidate_line_ids(self):
        for wizard in self:
            wizard.candidate_line_ids = wizard.settlement_ids._ev_payout_candidates()

    @api.depends("settlement_ids", "statement_line_ids")
    def _compute_amounts(self):
        for wizard in self:
            settlements = wizard.settlement_ids._origin
            lines = wizard.statement_line_ids._origin
            wizard.currency_id = settlements.currency_id[:1] or self.env.company.currency_id
            wizard.due_amount = settlements._ev_payout_residual()
            wizard.paid_amount = sum(lines.mapped("amount"))
            wizard.gap = wizard.paid_amount - wizard.due_amount
            wizard.problem = settlements._ev_check_payout(lines) if settlements and lines else False

    def action_confirm(self):
        self.ensure_one()
        if not self.statement_line_ids:
            raise UserError(_("Choose the bank line(s) of the payout."))
        self.settlement_ids._ev_reconcile_payout(self.statement_line_ids)
        return {"type": "ir.actions.act_window_close"}
