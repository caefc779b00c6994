#!/usr/bin/env bash
# `make test`: the set-up, lint, the pure-Python tests (pytest), then both addons installed into a fresh database
# and their tests run by Odoo's own runner, browser tours included (headless Chromium). One closing line:
#   summary: N passed, N failed
# Options (environment): TEST_TAGS=/ev_pay_invoice:TestClass.test_x runs only those Odoo tests;
# KEEP_TEST_DB=1 reuses the test database (modules updated instead of installed from scratch).
# A run without TEST_TAGS also checks the embedded-PostgreSQL default (scripts/check_embedded_pg.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash "$PROJECT_DIR/scripts/setup.sh"
source "$DATA_DIR/env.sh"

# ev_e2e_tests (tests/odoo_addons/): the test-only module of the cross-addon end-to-end tests; only this script
# installs it.
ADDONS=ev_pay_invoice,ev_bundle_sale,ev_e2e_tests
TEST_DB=${EVPAY_TEST_DB:-evpay_test}
ONLY_TAGS=${TEST_TAGS:-}
TEST_TAGS=${TEST_TAGS:-/ev_pay_invoice,/ev_bundle_sale,/ev_e2e_tests}
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

say "Odoo tests in a fresh database '$TEST_DB' (tags $TEST_TAGS), browser tours in headless Chromium"
if [ "${KEEP_TEST_DB:-0}" = 1 ] && "$VENV_PY" -c "import psycopg2; psycopg2.connect(dbname='$TEST_DB').close()" 2>/dev/null; then
    install_args=(-i "$ADDONS" -u "$ADDONS")  # -i: a module added since (ev_e2e_tests) gets installed
else
    "$VENV_PY" "$ODOO_DIR/setup/odoo" db drop "$TEST_DB" >/dev/null 2>&1 ||
        "$VENV_PY" -c "
import psycopg2
c = psycopg2.connect(dbname='postgres'); c.autocommit = True
c.cursor().execute('DROP DATABASE IF EXISTS \"$TEST_DB\" WITH (FORCE)')" 
    rm -rf "$DATA_DIR/odoo-data/filestore/$TEST_DB"
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
read -r od_passed od_failed < <("$VENV_PY" -c "
import json, sys
try:
    c = json.load(open('$LOG_DIR/odoo.json'))
    print(c['passed'], c['failed'] or (0 if c['run'] else 1))
except Exception:
    print(0, 1)")
tally odoo "$od_passed" "$od_failed"
echo "Odoo run took $(( $(date +%s) - odoo_start ))s; full log: $LOG_DIR/odoo.log"

echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ]
