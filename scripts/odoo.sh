#!/usr/bin/env bash
# Odoo's own command line, with this project's addons, data folder and database settings.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "$DATA_DIR/env.sh" ] || die "Run 'make setup' (or 'make run') first."
source "$DATA_DIR/env.sh"
# Odoo wants its sub-command (shell, db, ...) first.
command=()
case "${1:-}" in -*|"") ;; *) command=("$1"); shift ;; esac
exec "$VENV_PY" "$ODOO_DIR/setup/odoo" "${command[@]}" --addons-path="$PROJECT_DIR/addons" \
    --data-dir="$DATA_DIR/odoo-data" "$@"
