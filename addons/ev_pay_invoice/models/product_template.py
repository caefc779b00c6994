from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..protocols import einvoice_rules as rules


class ProductTemplate(models.Model):
    _inherit = "product.template"

    ev_tax_classification_code = fields.Char(
        string="Tax Classification Code", size=19,
        help="The 19-digit code of the official goods and services tax classification (商品和服务税收分类编码) "
             "printed on e-invoices. Empty: the product category's code. Have your accountant confirm it.",
    )
    ev_tax_code_short_name = fields.Char(
        string="Tax Code Short Name",
        help="The short name of the classification code, printed as *short name*product on the e-invoice "
             "(e.g. 摩托车 or 电池).",
    )

    @api.constrains("ev_tax_classification_code")
    def _check_ev_tax_classification_code(self):
        for template in self.filtered("ev_tax_classification_code"):
            check = rules.validate_tax_classification_code(template.ev_tax_classification_code)
            if not check:
                raise ValidationError(_("The tax classification code %(code)s of %(product)s is not valid: "
                                        "%(detail)s", code=template.ev_tax_classification_code,
                                        product=template.display_name, detail=check.detail))

    def _ev_get_tax_classification_code(self):
        self.ensure_one()
        return self.ev_tax_classification_code or self.categ_id._ev_get_tax_classification_code()
