from odoo import Command, _, api, fields, models

from ..protocols import einvoice_rules as rules

# Consumer prices in China include VAT. A general taxpayer (一般纳税人) sells goods at 13 %; a small-scale taxpayer
# (小规模纳税人) at the 3 % levy rate, reduced to 1 % under the current relief. The store's sales taxes are ordinary
# account.tax records (l10n_cn's 13 %, and 1 % / 3 % levy taxes made like it): invoices carry them and the 数电票 is
# built from their computation.
GENERAL_RATES = (13.0, 9.0, 6.0)
SMALL_SCALE_RATES = (1.0, 3.0)
DEFAULT_RATE = {"general": 13.0, "small_scale": 1.0}
# l10n_cn's sales taxes ("excluded" in their ids, yet tax-included under l10n_cn's company setting).
L10N_CN_SALES_TAX = {rate: f"l10n_cn_sales_excluded_{rate:g}" for rate in GENERAL_RATES}


class EvStore(models.Model):
    """Sales taxes of the store (model ``ev.store`` is defined in ev_store.py)."""

    _inherit = "ev.store"

    ev_sale_tax_id = fields.Many2one(
        related="company_id.account_sale_tax_id", string="Default Sales Tax",
        help="The tax-included sales tax new products of the store get (Invoicing settings: Default Taxes).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        stores = super().create(vals_list)
        stores._ev_setup_sales_taxes()
        return stores

    def write(self, vals):
        res = super().write(vals)
        if {"taxpayer_kind", "company_id"} & set(vals):
            self._ev_setup_sales_taxes()
        return res

    def _ev_setup_sales_taxes(self, small_scale_percent=None):
        """Make the company's default sales tax the one of the store's taxpayer kind (tax-included), and give it to
        the products that have no sales tax of the company yet (or the previous default): the store's products and
        the shared "Store sale" product of the cashier. A default the manager chose that fits the kind is kept."""
        for store in self.sudo():
            company = store.company_id
            fitting = GENERAL_RATES if store.taxpayer_kind == "general" else SMALL_SCALE_RATES
            current = company.account_sale_tax_id
            if store.taxpayer_kind == "small_scale":
                for percent in SMALL_SCALE_RATES:
                    store._ev_sales_tax(percent)
            if small_scale_percent and store.taxpayer_kind == "small_scale":
                default = store._ev_sales_tax(small_scale_percent)
            elif current and current.price_include and current.amount_type == "percent" and \
                    current.amount in fitting:
                default = current
            else:
                default = store._ev_sales_tax(DEFAULT_RATE[store.taxpayer_kind])
            if current != default:
                company.account_sale_tax_id = default
            store._ev_apply_sales_tax(default, replacing=current)

    def _ev_sales_tax(self, percent, zero_rate_kind="zero"):
        """The company's tax-included sales tax at ``percent``: l10n_cn's own, an existing one, or a new one made like
        the company's default sales tax (same tax account). ``zero_rate_kind``: for 0 %, zero rate, 免税 or 不征税."""
        self.ensure_one()
        company = self.company_id
        Tax = self.env["account.tax"].sudo().with_company(company)
        xmlid = L10N_CN_SALES_TAX.get(percent)
        template_tax = xmlid and self.env["account.chart.template"].with_company(company).ref(
            xmlid, raise_if_not_found=False) or Tax
        candidates = template_tax | Tax.search([
            ("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"),
            ("amount", "=", percent),
        ])
        tax = candidates.filtered(lambda t: t.price_include and t.active and not t.tax_scope and (
            percent or t.ev_einvoice_zero_rate_kind == zero_rate_kind))[:1]
        return tax or self._ev_create_sales_tax(percent, zero_rate_kind)

    def _ev_create_sales_tax(self, percent, zero_rate_kind="zero"):
        self.ensure_one()
        company = self.company_id
        Tax = self.env["account.tax"].sudo().with_company(company)
        country = company.account_fiscal_country_id or company.country_id or self.env.ref("base.cn")
        like = company.account_sale_tax_id.filtered(lambda t: t.amount_type == "percent")
        tax_account = like.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax").account_id[:1]
        label = f"{percent:g}%" if percent or zero_rate_kind == "zero" else rules.TaxRate.parse(zero_rate_kind).label
        group = self.env["account.tax.group"].sudo().search([
            ("company_id", "=", company.id), ("name", "=", _("VAT %(rate)s", rate=label)),
        ], limit=1) or self.env["account.tax.group"].sudo().create({
            "name": _("VAT %(rate)s", rate=label), "company_id": company.id, "country_id": country.id,
        })
        name = label
        if Tax.with_context(active_test=False).search_count([
                ("company_id", "=", company.id), ("name", "=", name), ("type_tax_use", "=", "sale")]):
            name = _("%(rate)s (tax included)", rate=label)

        def repartition():
            return [Command.create({"repartition_type": "base"}),
                    Command.create({"repartition_type": "tax", "account_id": tax_account.id})]

        return Tax.create({
            "name": name, "invoice_label": label,
            "description": _("VAT levy rate %(rate)s (small-scale taxpayer)", rate=label)
            if percent in SMALL_SCALE_RATES else _("VAT %(rate)s", rate=label),
            "amount": percent, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": company.id, "country_id": country.id,
            "tax_group_id": group.id, "ev_einvoice_zero_rate_kind": zero_rate_kind,
            "invoice_repartition_line_ids": repartition(), "refund_repartition_line_ids": repartition(),
        })

    def _ev_apply_sales_tax(self, tax, replacing=None):
        """Give ``tax`` to the company's sale products and to the cashier's "Store sale" product when they have no
        sales tax of the company or only ``replacing`` (the previous default)."""
        self.ensure_one()
        company = self.company_id
        templates = self.env["product.template"].sudo().search([
            ("company_id", "=", company.id), ("sale_ok", "=", True), ("type", "!=", "combo"),
        ]) | self.env.ref("ev_pay_invoice.product_ev_collection", raise_if_not_found=False).sudo().product_tmpl_id
        for template in templates:
            company_taxes = template.taxes_id.filtered(lambda t: t.company_id == company)
            if company_taxes == tax or (company_taxes and company_taxes != replacing):
                continue
            template.taxes_id = template.taxes_id - company_taxes | tax
