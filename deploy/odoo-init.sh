#!/bin/bash
# One-shot init step of the docker compose deployments (docker-compose.yml, deploy/docker-compose.scale.yml):
# installs the addons into the database the first time, updates them when a manifest's version differs from the
# version Odoo recorded at the last install or update, and otherwise does nothing, so that the Odoo servers start
# without --init or --update and several of them never upgrade the same database at once.
# Runs in the official odoo:18.0 image (it has python3 and psql).
set -euo pipefail

CONFIG=${ODOO_RC:-/etc/odoo/odoo.conf}
DB=${EVPAY_DB_NAME:-evpay}
ADDONS_DIR=${EVPAY_ADDONS_DIR:-/mnt/extra-addons}
ADDONS=(ev_pay_invoice ev_bundle_sale)

option() {  # the value of an [options] key of the config file
    python3 - "$CONFIG" "$1" <<'PY'
import configparser, sys
conf = configparser.ConfigParser(interpolation=None)
conf.read(sys.argv[1])
print(conf["options"].get(sys.argv[2], ""))
PY
}

manifest_version() {
    python3 -c 'import ast, sys; print(ast.literal_eval(open(sys.argv[1]).read())["version"])' \
        "$ADDONS_DIR/$1/__manifest__.py"
}

# HOST / USER / PASSWORD: the variables the official image's entrypoint reads too; else the config file's.
export PGHOST=${HOST:-$(option db_host)} PGPORT=${PORT:-$(option db_port)} PGUSER=${USER:-$(option db_user)}
export PGPASSWORD=${PASSWORD:-$(option db_password)}
DB_ARGS=(--db_host="$PGHOST" --db_port="${PGPORT:-5432}" --db_user="$PGUSER" --db_password="$PGPASSWORD")
until pg_isready -q -d postgres; do sleep 2; done

installed_version() {  # empty when the database or the addon is not there yet
    psql -d "$DB" -tAc "SELECT latest_version FROM ir_module_module WHERE name = '$1' AND state = 'installed'" \
        2>/dev/null || true
}

to_install=() to_update=()
for addon in "${ADDONS[@]}"; do
    installed=$(installed_version "$addon")
    wanted=$(manifest_version "$addon")
    if [ -z "$installed" ]; then
        to_install+=("$addon")
    elif [ "$installed" != "$wanted" ]; then
        echo "odoo-init: $addon $installed -> $wanted"
        to_update+=("$addon")
    fi
done

join() { local IFS=,; echo "$*"; }
if [ ${#to_install[@]} -gt 0 ]; then
    echo "odoo-init: installing $(join "${to_install[@]}") into $DB"
    odoo -c "$CONFIG" "${DB_ARGS[@]}" -d "$DB" --init="$(join "${to_install[@]}")" --load-language=zh_CN --stop-after-init \
        --no-http --max-cron-threads=0 --workers=0
fi
if [ ${#to_update[@]} -gt 0 ]; then
    echo "odoo-init: updating $(join "${to_update[@]}") in $DB"
    odoo -c "$CONFIG" "${DB_ARGS[@]}" -d "$DB" --update="$(join "${to_update[@]}")" --stop-after-init --no-http \
        --max-cron-threads=0 --workers=0
fi
[ ${#to_install[@]} -gt 0 ] || [ ${#to_update[@]} -gt 0 ] || echo "odoo-init: $DB is up to date"
