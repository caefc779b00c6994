# EV Pay & Invoice: the two commands are `make run` and `make test` (see README.md).
.PHONY: run test stop setup test-one lint i18n bench clean-db

run:            ## set up, create/update the demo database, serve Odoo on http://localhost:8069
	bash scripts/run.sh

test:           ## set up, lint, pytest, and every Odoo test and browser tour in a fresh database
	bash scripts/test.sh

stop:           ## stop the private PostgreSQL cluster this clone started (its data stays; README: where it is)
	bash scripts/stop.sh

setup:          ## only the set-up: system packages, Odoo source, virtualenv, PostgreSQL
	bash scripts/setup.sh

test-one:       ## e.g. make test-one TAGS=/ev_pay_invoice:TestStoreSecurity (reuses the test database)
	KEEP_TEST_DB=1 TEST_TAGS='$(TAGS)' bash scripts/test.sh

lint:
	bash scripts/setup.sh && bash -c 'source scripts/common.sh && "$$VENV_DIR/bin/ruff" check addons tests bench scripts'

i18n:           ## re-export the .pot templates and report untranslated zh_CN terms
	bash scripts/i18n.sh

bench:          ## run the benchmarks in bench/ and print their figures
	bash scripts/bench.sh

clean-db:       ## drop the demo database (the next `make run` recreates it)
	bash scripts/odoo.sh db drop $${EVPAY_DB:-evpay_demo} || true
