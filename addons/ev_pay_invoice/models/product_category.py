from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..protocols import einvoice_rules as rules


class ProductCategory(models.Model):
    _inherit = "product.category"

    ev_tax_classification_code = fields.Char(
        string="Tax Classification Code", size=19,
        help="Default 19-digit tax classification code (税收分类编码) of the category's products on e-invoices; "
             "empty: the parent category's.",
    )

    @api.constrains("ev_tax_classification_code")
    def _check_ev_tax_classification_code(self):
        for category in self.filtered("ev_tax_classification_code"):
            check = rules.validate_tax_classification_code(category.ev_tax_classification_code)
            if not check:
                raise ValidationError(_("The tax classification code %(code)s of %(category)s is not valid: "
                                        "%(detail)s", code=category.ev_tax_classification_code,
                                        category=category.display_name, detail=check.detail))

    def _ev_get_tax_classification_code(self):
        for category in self:
            node = category
            while node:
                if node.ev_tax_classification_code:
                    return node.ev_tax_classification_code
                node = node.parent_id
        return ""
