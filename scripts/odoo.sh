#!/usr/bin/env bash
# Odoo's own command line, with this project's addons, data folder and database settings.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "$DATA_DIR/env.sh" ] || die "Run 'make setup' (or 'make run') first."
source "$DATA_DIR/env.sh"
exec "$VENV_PY" "$ODOO_DIR/setup/odoo" --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" "$@"
