from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .product_template import BATTERY_CHEMISTRIES

OLD_BATTERY_TYPES = [("lead_acid", "Lead-acid"), ("lithium", "Lithium"), ("none", "No battery")]


class EvTradeinSubsidyRule(models.Model):
    """A regional trade-in (以旧换新) subsidy rule, e.g. ¥500 for a new e-bike of ¥1,500 or more.

    All rules that match a trade-in add up, so a base amount and bonuses (e.g. +¥100 for trading a lithium bike
    for a lead-acid one) are separate rules.
    """

    _name = "ev.tradein.subsidy.rule"
    _description = "Trade-in Subsidy Rule"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: applies to every store.")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id, required=True)
    amount = fields.Monetary(string="Subsidy", required=True)
    min_price = fields.Monetary(string="Minimum Bundle Price",
                                help="The new bundle must cost at least this much (before the subsidy).")
    division_id = fields.Many2one("ev.division", string="Region",
                                  help="Buyers whose address is in this division (or below). Empty: everywhere.")
    date_from = fields.Date(string="From")
    date_to = fields.Date(string="Until")
    old_battery_type = fields.Selection(OLD_BATTERY_TYPES, string="Old Battery",
                                        help="Only when the old vehicle has this kind of battery.")
    new_battery_chemistry = fields.Selection(BATTERY_CHEMISTRIES, string="New Battery",
                                             help="Only when the new battery has this chemistry.")
    payer_id = fields.Many2one(
        "res.partner", string="Subsidy Programme", required=True,
        help="Who pays the subsidy to the store (e.g. the commerce bureau's trade-in programme): the subsidy is "
        "a receivable on this partner until it pays.")

    @api.constrains("amount", "date_from", "date_to")
    def _check_rule(self):
        for rule in self:
            if rule.amount <= 0:
                raise ValidationError(_("Subsidy rule %(rule)s: the subsidy must be positive.", rule=rule.name))
            if rule.date_from and rule.date_to and rule.date_from > rule.date_to:
                raise ValidationError(_("Subsidy rule %(rule)s ends before it starts.", rule=rule.name))

    @api.model
    def _ev_matching(self, company, date, price, division, old_battery_type, new_chemistry):
        """Rules that apply to a trade-in; their amounts add up."""
        ancestors = self.env["ev.division"]
        node = division
        while node:
            ancestors |= node
            node = node.parent_id
        rules = self.search([("company_id", "in", [company.id, False])])
        return rules.filtered(lambda r: (
            (not r.date_from or r.date_from <= date) and (not r.date_to or date <= r.date_to)
            and price >= r.min_price
            and (not r.division_id or r.division_id in ancestors)
            and (not r.old_battery_type or r.old_battery_type == old_battery_type)
            and (not r.new_battery_chemistry or r.new_battery_chemistry == new_chemistry)
        ))
