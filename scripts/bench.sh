#!/usr/bin/env bash
# `make bench`: prepare the bench database (both addons and the simulators of ev_pay_sandbox, no demo data) and run every bench/bench_*.py, or the
# benchmark files given as arguments. Benchmarks print their figures; they never fail on a target.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash "$PROJECT_DIR/scripts/setup.sh"
source "$DATA_DIR/env.sh"
export EVPAY_BENCH_DB=${EVPAY_BENCH_DB:-evpay_bench}
export EVPAY_ADDONS_PATH=$PROJECT_DIR/addons EVPAY_DATA_DIR=$DATA_DIR/odoo-data EVPAY_ODOO_DIR=$ODOO_DIR
say "Preparing the bench database '$EVPAY_BENCH_DB'"
"$VENV_PY" "$ODOO_DIR/setup/odoo" --addons-path="$EVPAY_ADDONS_PATH" --data-dir="$EVPAY_DATA_DIR" \
    -d "$EVPAY_BENCH_DB" -i ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox -u ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox --without-demo=all \
    --stop-after-init --log-level=warn --http-port="${EVPAY_BENCH_HTTP_PORT:-8269}"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$PROJECT_DIR"/bench/bench_*.py)
cd "$PROJECT_DIR"
for bench in "${files[@]}"; do
    [ -f "$bench" ] || continue
    say "Benchmark $(basename "$bench")"
    PYTHONPATH="$PROJECT_DIR/bench:$ODOO_DIR" "$VENV_PY" "$bench"
done
