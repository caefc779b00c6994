# Shared settings of the project's scripts; sourced, never run.
# Everything the set-up makes lives outside the clone, in the user's cache folder, so a fresh clone (CI) reuses
# the Odoo source and the virtualenv of earlier runs; the database files of a private cluster live in .data/.
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
PRIVATE_PG_DIR=$DATA_DIR/postgresql
PRIVATE_PG_SOCKET=$DATA_DIR/pg-socket
PRIVATE_PG_PORT=${EVPAY_PRIVATE_PG_PORT:-5433}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 2; }
