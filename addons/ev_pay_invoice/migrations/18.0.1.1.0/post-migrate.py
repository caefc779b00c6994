"""18.0.1.1.0: e-invoice rates come from Odoo's taxes.

The product setting "E-invoice Tax Rate" (product_template.ev_einvoice_tax_rate) and the store setting "Small-scale
Levy Rate" (ev_store.ev_einvoice_small_scale_rate) are gone: the store's default sales tax follows its taxpayer kind
(the 3 % levy where the store had chosen it), products without a sales tax of the company get it, and a product
that had its own rate gets the company's tax-included sales tax of that rate instead.
"""
import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def _old_values(cr, table, column):
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
               (table, column))
    if not cr.fetchone():
        return None
    cr.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
    return dict(cr.fetchall())


def _drop(cr, table, column):
    cr.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "{column}"')


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    store_rates = _old_values(cr, "ev_store", "ev_einvoice_small_scale_rate") or {}
    product_rates = _old_values(cr, "product_template", "ev_einvoice_tax_rate") or {}
    stores = env["ev.store"].with_context(active_test=False).search([])
    for store in stores:
        old = store_rates.get(store.id)
        store._ev_setup_sales_taxes(small_scale_percent=float(old) * 100 if old else None)
    for template in env["product.template"].with_context(active_test=False).browse(list(product_rates)).exists():
        old = product_rates[template.id]
        for store in stores.filtered(lambda s, t=template: not t.company_id or t.company_id == s.company_id):
            tax = store._ev_sales_tax(0.0, "exempt") if old == "免税" else store._ev_sales_tax(float(old) * 100)
            company_taxes = template.taxes_id.filtered(lambda t, c=store.company_id: t.company_id == c)
            template.taxes_id = template.taxes_id - company_taxes | tax
            _logger.info("Product %s: e-invoice rate %s moved to the sales tax %s of %s",
                         template.display_name, old, tax.name, store.company_id.name)
    _drop(cr, "ev_store", "ev_einvoice_small_scale_rate")
    _drop(cr, "product_template", "ev_einvoice_tax_rate")
