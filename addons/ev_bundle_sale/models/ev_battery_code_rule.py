import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.ev_bundle_sale.tools import code_rules


class EvBatteryCodeRule(models.Model):
    """A battery maker's code format: battery codes of that maker must fully match one of its active patterns."""

    _name = "ev.battery.code.rule"
    _description = "Battery Code Format"
    _order = "maker, sequence, id"

    sequence = fields.Integer(default=10)
    maker = fields.Char(string="Battery Maker", required=True,
                        help="Same spelling as the Battery Maker of the battery models (case does not matter).")
    pattern = fields.Char(
        required=True, help="Python regular expression the whole code must match, e.g. TN\\d{4}[A-Z]\\d{10}.")
    example = fields.Char(help="A real code of this maker; it must match the pattern.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: applies to every store.")

    @api.constrains("pattern", "example")
    def _check_pattern(self):
        for rule in self:
            try:
                compiled = code_rules.compile_patterns([rule.pattern])[0]
            except re.error as error:
                raise ValidationError(_("Pattern %(pattern)s of maker %(maker)s is not a valid regular expression: "
                                        "%(error)s", pattern=rule.pattern, maker=rule.maker, error=error)) from None
            example = code_rules.normalize_code(rule.example)
            if example and not compiled.fullmatch(example):
                raise ValidationError(_("Example %(example)s does not match pattern %(pattern)s.",
                                        example=example, pattern=rule.pattern))

    @api.model
    def _ev_patterns(self, maker, company=None):
        """Compiled patterns of ``maker`` that apply to ``company`` (empty when the maker has none)."""
        maker = (maker or "").strip()
        if not maker:
            return []
        company = company or self.env.company
        rules = self.sudo().search_fetch(
            [("maker", "=ilike", maker), ("company_id", "in", [company.id, False])], ["pattern"])
        return code_rules.compile_patterns(rules.mapped("pattern"))
