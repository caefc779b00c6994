{
    "name": "EV Pay & Invoice",
    "summary": "Pay-and-invoice (支付即开票) for e-bike stores: WeChat Pay / Alipay QR collection and automatic "
    "fully digital e-invoices",
    "description": """
Electric-bicycle dealers collect with one QR code that WeChat Pay and Alipay both accept; once the payment is
verified the sale is invoiced and a fully digital e-invoice (数电票) is issued by itself. Invoices are reissued or
red-reversed through credit notes, and accountants reconcile the T+1 payouts.
""",
    "version": "18.0.1.2.0",
    "category": "Sales/Point of Sale",
    "author": "EV Pay & Invoice",
    "website": "https://github.com/ev-pay-invoice",
    "license": "LGPL-3",
    "depends": ["account_payment", "sale", "point_of_sale", "pos_online_payment", "l10n_cn"],
    "data": [
        "security/ev_pay_invoice_security.xml",
        "security/ev_booking_security.xml",
        "security/ir.model.access.csv",
        "security/ev_cashier_security.xml",
        "views/ev_store_views.xml",
        "views/ev_cashier_views.xml",
        "views/ev_pay_invoice_menus.xml",
        "security/ev_pay_payment_security.xml",
        "data/payment_provider_data.xml",
        "data/ev_pay_cron.xml",
        "views/payment_provider_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_refund_views.xml",
        "views/ev_pay_collection_wizard_views.xml",
        "views/ev_pay_templates.xml",
        "views/ev_pay_menus.xml",
        "security/ev_einvoice_security.xml",
        "data/ev_einvoice_cron.xml",
        "views/ev_einvoice_account_move_views.xml",
        "views/ev_einvoice_provider_views.xml",
        "views/ev_einvoice_settings_views.xml",
        "views/ev_einvoice_menus.xml",
        "data/ev_cn_calendar_data.xml",
        "data/ev_booking_data.xml",
        "views/ev_booking_views.xml",
        "security/ev_settlement_security.xml",
        "data/ev_settlement_data.xml",
        "views/ev_pay_transaction_record_views.xml",
        "views/ev_settlement_import_wizard_views.xml",
        "views/ev_settlement_views.xml",
        "views/ev_settlement_wizard_views.xml",
        "report/ev_settlement_report.xml",
    ],
    "demo": [
        "demo/ev_store_demo.xml",
        "demo/ev_booking_demo.xml",
        "demo/payment_provider_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ev_pay_invoice/static/src/collection/**/*",
            "ev_pay_invoice/static/src/cashier/**/*",
        ],
        "point_of_sale._assets_pos": [
            "ev_pay_invoice/static/src/pos/**/*",
        ],
        "web.assets_tests": [
            "ev_pay_invoice/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
