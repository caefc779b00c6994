#!/usr/bin/env bash
# The embedded-PostgreSQL default, end to end (run by `make test`): with libpq pointed at a server that does not
# exist, the set-up must create a private cluster and reach it as the current user (root included, from a root-only
# folder), and Odoo must create its database in it the way `make run` does; `make stop` stops it, and the next
# set-up (as after a reboot) starts the same cluster again. It uses its own data folder and port, so a developer's
# own private cluster is never touched, and removes all it made. Exit status 0 when all holds.
set -euo pipefail
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check_dir=$(mktemp -d "${TMPDIR:-/tmp}/evpay-pg-check.XXXXXX")  # mode 700: the root-only folder of the trap
export EVPAY_DATA_DIR=$check_dir EVPAY_PRIVATE_PG_PORT=${EVPAY_CHECK_PG_PORT:-5479}
export PGHOST=/nonexistent PGPORT=5499 PGUSER=$(id -un)  # PGUSER=root: a role the new cluster does not have yet
if [ "$PGUSER" = postgres ]; then export PGUSER=odoo; fi  # as the set-up does: Odoo refuses the role postgres
unset PGDATABASE
source "$scripts/common.sh"
DB=evpay_pg_check

cleanup() {
    bash "$scripts/stop.sh" >/dev/null 2>&1 || true
    rm -rf "$PRIVATE_PG_DIR" "$PRIVATE_PG_LOG" "$PRIVATE_PG_SOCKET" "$check_dir"
    if [ "$PRIVATE_PG_BASE" != "$DATA_DIR" ]; then
        rmdir "$PRIVATE_PG_BASE" 2>/dev/null || true
        rmdir "$(dirname "$PRIVATE_PG_BASE")" 2>/dev/null || true  # ev-pay-invoice/, when no other clone uses it
    fi
}
trap cleanup EXIT
fail() { printf '\033[31membedded PostgreSQL check FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

# Prints "user|superuser|data directory|database exists" of the server libpq reaches, or fails.
server_facts() {
    "$VENV_PY" - "$DB" <<'PY'
import sys, psycopg2
with psycopg2.connect(dbname="postgres") as conn, conn.cursor() as cr:
    cr.execute("SELECT current_user, rolsuper, current_setting('data_directory'),"
               " EXISTS (SELECT 1 FROM pg_database WHERE datname = %s)"
               " FROM pg_roles WHERE rolname = current_user", (sys.argv[1],))
    print("|".join(str(v) for v in cr.fetchone()))
PY
}

say "Embedded PostgreSQL check: set-up with no server at PGHOST=$PGHOST PGPORT=$PGPORT (data folder $check_dir)"
bash "$scripts/setup.sh" || fail "the set-up did not reach a private cluster"
(
    source "$DATA_DIR/env.sh"
    [ "$PGHOST" = "$PRIVATE_PG_SOCKET" ] && [ "$PGPORT" = "$PRIVATE_PG_PORT" ] ||
        fail "env.sh points at $PGHOST:$PGPORT, not at the private cluster $PRIVATE_PG_SOCKET:$PRIVATE_PG_PORT"
    facts=$(server_facts) || fail "the private cluster does not answer"
    [ "$facts" = "$PGUSER|True|$PRIVATE_PG_DIR|False" ] ||
        fail "expected '$PGUSER|True|$PRIVATE_PG_DIR|False' (user|superuser|data|db exists), got '$facts'"
    # As `make run` does: Odoo creates the missing database while installing into it.
    "$VENV_PY" "$ODOO_DIR/setup/odoo" -d "$DB" -i base --without-demo=all --stop-after-init --no-http \
        --data-dir="$DATA_DIR/odoo-data" --log-level=warn || fail "Odoo could not create the database $DB"
    admin=$("$VENV_PY" -c "
import psycopg2
with psycopg2.connect(dbname='$DB') as conn, conn.cursor() as cr:
    cr.execute(\"SELECT login FROM res_users WHERE id = 2\")
    print(cr.fetchone()[0])") || fail "the database Odoo made cannot be read"
    [ "$admin" = admin ] || fail "the database Odoo made has no admin user (got '$admin')"
)

# Facts the reused cluster must show: the same data directory, the database made above still in it.
same_cluster() {  # same_cluster WHEN
    (
        source "$DATA_DIR/env.sh"
        [ "$PGHOST" = "$PRIVATE_PG_SOCKET" ] || fail "$1: env.sh points at $PGHOST, not at the private cluster"
        facts=$(server_facts) || fail "$1: the private cluster does not answer"
        [ "$facts" = "$PGUSER|True|$PRIVATE_PG_DIR|True" ] ||
            fail "$1: expected the same cluster holding database $DB, got '$facts'"
    )
}

say "Embedded PostgreSQL check: a second set-up, no PGHOST given, keeps to the running private cluster"
env -u PGHOST -u PGPORT bash "$scripts/setup.sh" || fail "the second set-up failed"
same_cluster "second set-up"

say "Embedded PostgreSQL check: make stop, then the set-up again (as after a reboot)"
bash "$scripts/stop.sh" >/dev/null || fail "make stop failed"
private_postmaster_runs && fail "make stop left the private cluster running"
bash "$scripts/setup.sh" || fail "the set-up did not start the stopped private cluster again"
same_cluster "after a restart"
say "Embedded PostgreSQL check passed (cluster of $PG_OWNER in $PRIVATE_PG_DIR, now removed)"
