# Shared settings of the project's scripts; sourced, never run.
# Everything the set-up makes lives outside the clone, in the user's cache folder, so a fresh clone (CI) reuses
# the Odoo source and the virtualenv of earlier runs; a private cluster is described below.
set -euo pipefail

PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${EVPAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ev-pay-invoice}
DATA_DIR=${EVPAY_DATA_DIR:-$PROJECT_DIR/.data}
ODOO_DIR=$CACHE_DIR/odoo-18.0
ODOO_ARCHIVE_URL=${ODOO_ARCHIVE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# The virtualenv is keyed on the Python version and requirements.txt: a change of either builds a new one.
venv_key() {
    { "$PYTHON" -c 'import sys; print(sys.version)'; cat "$PROJECT_DIR/requirements.txt"; } | sha1sum | cut -c1-12
}
VENV_DIR=$CACHE_DIR/venv-$(venv_key)
INTEROP_VENV_DIR=$CACHE_DIR/interop-$( { "$PYTHON" --version; cat "$PROJECT_DIR/requirements-interop.txt"; } | sha1sum | cut -c1-12)
VENV_PY=$VENV_DIR/bin/python

# Database: the configured server (PGHOST/PGPORT/PGUSER as libpq reads them), else a private cluster.
DB_NAME=${EVPAY_DB:-evpay_demo}
HTTP_PORT=${EVPAY_HTTP_PORT:-8069}
PRIVATE_PG_PORT=${EVPAY_PRIVATE_PG_PORT:-5433}
# The private cluster of this clone, used when no configured server answers. PostgreSQL refuses to run as root, so
# root's cluster belongs to the system user postgres and lives in postgres's home, which postgres can enter
# wherever the clone is (a clone in /root/... or in a `mktemp -d` folder is root-only):
#   /var/lib/postgresql/ev-pay-invoice/<clone folder>-<key of the data folder>/
# Anyone else's cluster is their own, in the data folder (.data/). Either holds postgresql/ (the data),
# postgresql.log and pg-socket/.
data_key=$(printf '%s' "$DATA_DIR" | sha1sum | cut -c1-10)
if [ "$(id -u)" = 0 ]; then
    PG_OWNER=postgres
    pg_owner_home=$(getent passwd postgres | cut -d: -f6 || true)
    PRIVATE_PG_BASE=${pg_owner_home:-/var/lib/postgresql}/ev-pay-invoice/$(basename "$PROJECT_DIR" | tr -c 'A-Za-z0-9._\n-' _ | cut -c1-20)-$data_key
else
    PG_OWNER=$(id -un)
    PRIVATE_PG_BASE=$DATA_DIR
fi
PRIVATE_PG_DIR=$PRIVATE_PG_BASE/postgresql
PRIVATE_PG_LOG=$PRIVATE_PG_BASE/postgresql.log
PRIVATE_PG_SOCKET=$PRIVATE_PG_BASE/pg-socket
# A Unix socket's path holds at most 107 bytes: the socket of a deeply nested clone goes to /tmp.
if [ $(( ${#PRIVATE_PG_SOCKET} + ${#PRIVATE_PG_PORT} + 10 )) -gt 107 ]; then
    PRIVATE_PG_SOCKET=/tmp/evpay-pg-$(id -u)-$data_key
fi

pg_bin_dir() {  # the programs of the private cluster's PostgreSQL version, else of the newest one installed
    local version bin
    version=$(cat "$PRIVATE_PG_DIR/PG_VERSION" 2>/dev/null || true)
    if [ -n "$version" ] && [ -x "/usr/lib/postgresql/$version/bin/pg_ctl" ]; then
        echo "/usr/lib/postgresql/$version/bin"; return
    fi
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin=$(dirname "$(command -v pg_ctl)"); fi
    echo "$bin"
}

as_cluster_owner() {  # from /, which every user may enter (postgres may not enter a root-only clone)
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$PG_OWNER" -- "$@"); else "$@"; fi
}

private_postmaster_runs() {  # the PID in postmaster.pid is a live server of this cluster's data directory
    local pid
    if [ ! -d /proc/self ]; then  # no /proc: pg_ctl's answer (a live process of that PID)
        as_cluster_owner "$(pg_bin_dir)/pg_ctl" -D "$PRIVATE_PG_DIR" status >/dev/null 2>&1; return
    fi
    pid=$(head -n1 "$PRIVATE_PG_DIR/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] &&
        tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "-D $PRIVATE_PG_DIR "
}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 2; }
