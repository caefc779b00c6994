#!/usr/bin/env bash
# `make test`: the set-up, lint, the pure-Python tests (pytest), then the addons installed into a fresh database
# and their tests run by Odoo's own runner, browser tours included (headless Chromium). One closing line:
#   summary: N passed, N failed
# Options (environment): TEST_TAGS=/ev_pay_invoice:TestClass.test_x runs only those Odoo tests;
# KEEP_TEST_DB=1 reuses the test database (modules updated instead of installed from scratch).
# A run without TEST_TAGS also checks the embedded-PostgreSQL default (scripts/check_embedded_pg.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash "$PROJECT_DIR/scripts/setup.sh"
source "$DATA_DIR/env.sh"

# ev_pay_sandbox: the platform simulators, with the tests that need them. ev_e2e_tests (tests/odoo_addons/): the
# test-only module of the cross-addon end-to-end tests; only this script installs it.
ADDONS=ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox,ev_e2e_tests
TEST_DB=${EVPAY_TEST_DB:-evpay_test}
ONLY_TAGS=${TEST_TAGS:-}
# The tests tagged ev_demo run on the demo data (the demo store's history, its logins): a second, small run below
# installs the addons WITH their demo data into ${TEST_DB}_demo. TEST_TAGS naming ev_demo runs only that one.
DEMO_TAGS=ev_demo
# The tests tagged ev_production run (also) in a third database with only the production addons, as a store's
# server has them (no simulators): ${TEST_DB}_prod. TEST_TAGS naming ev_production runs only that one.
PROD_TAGS=ev_production
if [ -z "${TEST_TAGS:-}" ]; then
    TEST_TAGS=/ev_pay_invoice,/ev_bundle_sale,/ev_pay_sandbox,/ev_e2e_tests,-$DEMO_TAGS
    RUN_MAIN=1 RUN_DEMO=1 RUN_PROD=1
elif [[ "$TEST_TAGS" == *$DEMO_TAGS* ]]; then
    DEMO_TAGS=$TEST_TAGS RUN_MAIN=0 RUN_DEMO=1 RUN_PROD=0
elif [[ "$TEST_TAGS" == *$PROD_TAGS* ]]; then
    PROD_TAGS=$TEST_TAGS RUN_MAIN=0 RUN_DEMO=0 RUN_PROD=1
else
    RUN_MAIN=1 RUN_DEMO=0 RUN_PROD=0
fi
TEST_HTTP_PORT=${EVPAY_TEST_HTTP_PORT:-8169}
LOG_DIR=$DATA_DIR/test-logs/$TEST_DB
mkdir -p "$LOG_DIR"
passed=0 failed=0

tally() {  # tally NAME PASSED FAILED
    passed=$((passed + $2)); failed=$((failed + $3))
    printf '%-8s %s passed, %s failed\n' "$1:" "$2" "$3"
}

cd "$PROJECT_DIR"

say "Lint (ruff)"
if "$VENV_DIR/bin/ruff" check addons tests bench scripts; then tally lint 1 0; else tally lint 0 1; fi

say "Pure-Python tests (pytest: wire protocols, project files)"
junit_counts() {  # prints "passed failed" from a JUnit XML file; a missing or empty report counts as a failure
    "$VENV_PY" - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
total = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - bad - skipped, bad if total else 1)
PY
}

"$VENV_PY" -m pytest -q -p no:cacheprovider -p no:odoo tests --ignore=tests/unit/test_payment_sdk_interop.py \
    --junitxml="$LOG_DIR/pytest.xml" || true
read -r py_passed py_failed < <(junit_counts "$LOG_DIR/pytest.xml")
tally pytest "$py_passed" "$py_failed"

say "SDK interop tests (our wire protocols against the PyPI SDKs of WeChat Pay and Alipay)"
"$INTEROP_VENV_DIR/bin/python" -m pytest -q -p no:cacheprovider tests/unit/test_payment_sdk_interop.py \
    --junitxml="$LOG_DIR/interop.xml" || true
read -r sdk_passed sdk_failed < <(junit_counts "$LOG_DIR/interop.xml")
tally interop "$sdk_passed" "$sdk_failed"

if [ -z "$ONLY_TAGS" ]; then
    say "Embedded PostgreSQL: the private cluster used when no server answers"
    if bash "$PROJECT_DIR/scripts/check_embedded_pg.sh"; then tally embedpg 1 0; else tally embedpg 0 1; fi
fi

drop_db() {  # drop_db NAME: the database and its filestore
    "$VENV_PY" "$ODOO_DIR/setup/odoo" db drop "$1" >/dev/null 2>&1 ||
        "$VENV_PY" -c "
import psycopg2
c = psycopg2.connect(dbname='postgres'); c.autocommit = True
c.cursor().execute('DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)')"
    rm -rf "$DATA_DIR/odoo-data/filestore/$1"
}
db_exists() { "$VENV_PY" -c "import psycopg2; psycopg2.connect(dbname='$1').close()" 2>/dev/null; }
odoo_counts() {  # prints "passed failed" from the runner's JSON report
    "$VENV_PY" -c "
import json, sys
try:
    c = json.load(open('$1'))
    print(c['passed'], c['failed'] or (0 if c['run'] else 1))
except Exception:
    print(0, 1)"
}

if [ "$RUN_MAIN" = 1 ]; then
say "Odoo tests in a fresh database '$TEST_DB' (tags $TEST_TAGS), browser tours in headless Chromium"
if [ "${KEEP_TEST_DB:-0}" = 1 ] && db_exists "$TEST_DB"; then
    install_args=(-i "$ADDONS" -u "$ADDONS")  # -i: a module added since (ev_e2e_tests) gets installed
else
    drop_db "$TEST_DB"
    install_args=(-i "$ADDONS" --without-demo=all)
fi
odoo_start=$(date +%s)
set +e
"$VENV_PY" "$PROJECT_DIR/scripts/odoo_test_runner.py" --report-json "$LOG_DIR/odoo.json" \
    --addons-path="$PROJECT_DIR/addons,$PROJECT_DIR/tests/odoo_addons" --data-dir="$DATA_DIR/odoo-data" \
    -d "$TEST_DB" "${install_args[@]}" --test-enable --test-tags="$TEST_TAGS" \
    --http-port="$TEST_HTTP_PORT" --stop-after-init --max-cron-threads=0 --log-level=info \
    >"$LOG_DIR/odoo.log" 2>&1
set -e
grep -E "(ERROR|CRITICAL) .*|FAIL:|odoo: [0-9]+ passed" "$LOG_DIR/odoo.log" | grep -v "^odoo:" | head -80 || true
read -r od_passed od_failed < <(odoo_counts "$LOG_DIR/odoo.json")
tally odoo "$od_passed" "$od_failed"
echo "Odoo run took $(( $(date +%s) - odoo_start ))s; full log: $LOG_DIR/odoo.log"
fi

if [ "$RUN_DEMO" = 1 ]; then
# The demo database as `make run` makes it (the addons, the simulators, the demo store, their demo data, Chinese),
# then the ev_demo tests on it.
DEMO_DB=${TEST_DB}_demo
DEMO_LOG_DIR=$DATA_DIR/test-logs/$DEMO_DB
mkdir -p "$DEMO_LOG_DIR"
say "Odoo tests on the demo data in a fresh database '$DEMO_DB' (tags $DEMO_TAGS)"
DEMO_ADDONS=ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox,ev_demo_store
if [ "${KEEP_TEST_DB:-0}" = 1 ] && db_exists "$DEMO_DB"; then
    demo_install_args=(-u "$DEMO_ADDONS")
else
    drop_db "$DEMO_DB"
    demo_install_args=(-i "$DEMO_ADDONS" --load-language=zh_CN)
fi
demo_start=$(date +%s)
set +e
"$VENV_PY" "$PROJECT_DIR/scripts/odoo_test_runner.py" --report-json "$DEMO_LOG_DIR/odoo.json" \
    --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" \
    -d "$DEMO_DB" "${demo_install_args[@]}" --test-enable --test-tags="$DEMO_TAGS" \
    --http-port="$TEST_HTTP_PORT" --stop-after-init --max-cron-threads=0 --log-level=info \
    >"$DEMO_LOG_DIR/odoo.log" 2>&1
set -e
grep -E "(ERROR|CRITICAL) .*|FAIL:|odoo: [0-9]+ passed" "$DEMO_LOG_DIR/odoo.log" | grep -v "^odoo:" | head -40 || true
read -r demo_passed demo_failed < <(odoo_counts "$DEMO_LOG_DIR/odoo.json")
tally demo "$demo_passed" "$demo_failed"
echo "Demo run took $(( $(date +%s) - demo_start ))s; full log: $DEMO_LOG_DIR/odoo.log"
fi

if [ "$RUN_PROD" = 1 ]; then
# Only the production addons, without demo data: what docker-compose.yml installs.
PROD_DB=${TEST_DB}_prod
PROD_LOG_DIR=$DATA_DIR/test-logs/$PROD_DB
mkdir -p "$PROD_LOG_DIR"
say "Odoo tests with only the production addons in a fresh database '$PROD_DB' (tags $PROD_TAGS)"
PROD_ADDONS=ev_pay_invoice,ev_bundle_sale,ev_production_tests  # the last: test-only (tests/odoo_addons/)
if [ "${KEEP_TEST_DB:-0}" = 1 ] && db_exists "$PROD_DB"; then
    prod_install_args=(-u "$PROD_ADDONS")
else
    drop_db "$PROD_DB"
    prod_install_args=(-i "$PROD_ADDONS" --without-demo=all)
fi
prod_start=$(date +%s)
set +e
"$VENV_PY" "$PROJECT_DIR/scripts/odoo_test_runner.py" --report-json "$PROD_LOG_DIR/odoo.json" \
    --addons-path="$PROJECT_DIR/addons,$PROJECT_DIR/tests/odoo_addons" --data-dir="$DATA_DIR/odoo-data" \
    -d "$PROD_DB" "${prod_install_args[@]}" --test-enable --test-tags="$PROD_TAGS" \
    --http-port="$TEST_HTTP_PORT" --stop-after-init --max-cron-threads=0 --log-level=info \
    >"$PROD_LOG_DIR/odoo.log" 2>&1
set -e
grep -E "(ERROR|CRITICAL) .*|FAIL:|odoo: [0-9]+ passed" "$PROD_LOG_DIR/odoo.log" | grep -v "^odoo:" | head -40 || true
read -r prod_passed prod_failed < <(odoo_counts "$PROD_LOG_DIR/odoo.json")
tally prod "$prod_passed" "$prod_failed"
echo "Production run took $(( $(date +%s) - prod_start ))s; full log: $PROD_LOG_DIR/odoo.log"
fi

echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ]
