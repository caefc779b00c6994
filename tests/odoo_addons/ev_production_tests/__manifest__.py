{
    "name": "EV Production Tests",
    "summary": "Test-only module: the production addons without the simulators (installed by make test)",
    "description": """
Tests of a database with only the production addons, as a store's server has them (docker-compose.yml): no
simulator, and no provider enabled on simulator credentials. scripts/test.sh installs it in its "prod" database
only, never next to ev_pay_sandbox.
""",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "EV Pay & Invoice",
    "license": "LGPL-3",
    "depends": ["ev_pay_invoice", "ev_bundle_sale"],
    "data": [],
    "installable": True,
    "auto_install": False,
    "application": False,
}
