{
    "name": "EV Pay & Invoice",
    "summary": "Pay-and-invoice (支付即开票) for e-bike stores: WeChat Pay / Alipay QR collection and automatic "
    "fully digital e-invoices",
    "description": """
Electric-bicycle dealers collect with one QR code that WeChat Pay and Alipay both accept; once the payment is
verified the sale is invoiced and a fully digital e-invoice (数电票) is issued by itself. Invoices are reissued or
red-reversed through credit notes, and accountants reconcile the T+1 payouts.
""",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "EV Pay & Invoice",
    "website": "https://github.com/ev-pay-invoice",
    "license": "LGPL-3",
    "depends": ["account_payment", "sale", "point_of_sale", "l10n_cn"],
    "data": [
        "security/ev_pay_invoice_security.xml",
        "security/ir.model.access.csv",
        "views/ev_store_views.xml",
        "views/ev_pay_invoice_menus.xml",
    ],
    "demo": [
        "demo/ev_store_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ev_pay_invoice/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
