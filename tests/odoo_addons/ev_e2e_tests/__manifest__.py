{
    "name": "EV End-to-end Tests",
    "summary": "Test-only module: a day in a store over the payment and e-invoice sandboxes (installed by make test)",
    "description": """
Cross-addon end-to-end tests of ev_pay_invoice and ev_bundle_sale over the simulators of ev_pay_sandbox. It holds
no models or views; scripts/test.sh installs it into the test database only (never into the demo database of make run).
""",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "EV Pay & Invoice",
    "license": "LGPL-3",
    "depends": ["ev_pay_invoice", "ev_bundle_sale", "ev_pay_sandbox"],
    "data": [],
    "assets": {
        "web.assets_tests": [
            "ev_e2e_tests/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "auto_install": False,
    "application": False,
}
