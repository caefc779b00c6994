{
    "name": "EV Pay & Invoice Sandbox",
    "summary": "Simulated WeChat Pay, Alipay, tax platform (Nuonuo) and onboarding review, for demos and tests",
    "description": """
The platforms of EV Pay & Invoice, simulated by this Odoo the way payment_demo stands apart from real providers:
WeChat Pay API v3 and the Alipay gateway (signed answers, encrypted callbacks, wallets, bills), Nuonuo's tax
platform (watermarked 数电票 of no legal value) and the sub-merchant onboarding review. A provider in state test
without an API base URL of its own talks to them; an enabled one never does. Never install it in production.
""",
    "version": "18.0.1.1.0",
    "category": "Hidden",
    "author": "EV Pay & Invoice",
    "website": "https://github.com/ev-pay-invoice",
    "license": "LGPL-3",
    "depends": ["ev_pay_invoice"],
    "data": [
        "security/ir.model.access.csv",
        "security/ev_pay_sandbox_security.xml",
        "data/ev_pay_sandbox_cron.xml",
        "views/ev_pay_sandbox_views.xml",
        "views/ev_booking_views.xml",
    ],
    "demo": [
        "demo/ev_einvoice_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ev_pay_sandbox/static/src/sandbox/**/*",
            "ev_pay_sandbox/static/src/collection/**/*",
        ],
        "point_of_sale._assets_pos": [
            "ev_pay_sandbox/static/src/sandbox/**/*",
            "ev_pay_sandbox/static/src/pos/**/*",
        ],
        "web.assets_tests": [
            "ev_pay_sandbox/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "_ev_sandbox_post_init",
    "installable": True,
}
