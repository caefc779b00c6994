{
    "name": "EV Demo Store",
    "summary": "The demo store's last week of business, made by the real flows over the platform simulators",
    "description": """
Demo data only: the store 绿行电动车 · 徐汇店 after a week of bundle sales, trade-ins and collections, paid in the
simulated WeChat Pay / Alipay wallets, e-invoiced on the simulated tax platform and settled (models/ev_demo_history.py).
It needs both the bundle sales (ev_bundle_sale) and the simulators (ev_pay_sandbox); make run installs it.
""",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "EV Pay & Invoice",
    "website": "https://github.com/ev-pay-invoice",
    "license": "LGPL-3",
    "depends": ["ev_bundle_sale", "ev_pay_sandbox"],
    "data": [],
    "demo": [
        "demo/ev_history_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ev_demo_store/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
