#!/usr/bin/env bash
# `make run`: the set-up, a demo database with both addons, the platform simulators (ev_pay_sandbox) and the demo
# store's week of history (ev_demo_store), with their demo data, then Odoo on http://localhost:8069.
# Idempotent: a second run updates the addons in the existing demo database and serves it again.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash "$PROJECT_DIR/scripts/setup.sh"
source "$DATA_DIR/env.sh"
ADDONS=ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox,ev_demo_store
odoo() { "$VENV_PY" "$ODOO_DIR/setup/odoo" --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" "$@"; }

installed=$("$VENV_PY" - "$DB_NAME" <<'PY' 2>/dev/null || true
import sys, psycopg2
try:
    with psycopg2.connect(dbname=sys.argv[1]) as conn, conn.cursor() as cr:
        cr.execute("SELECT count(*) FROM ir_module_module WHERE name IN ('ev_pay_invoice', 'ev_bundle_sale', "
                   "'ev_pay_sandbox', 'ev_demo_store') AND state = 'installed'")
        print(cr.fetchone()[0])
except psycopg2.Error:
    print(0)
PY
)
if [ "$installed" = 4 ]; then
    say "Updating the addons in the demo database '$DB_NAME'"
    # --i18n-overwrite: the demo reads the repository's current Chinese, not the words of an earlier install.
    odoo -d "$DB_NAME" -u "$ADDONS" --i18n-overwrite --stop-after-init --log-level=warn
elif [ "$installed" != 0 ]; then
    # Made before the simulators (ev_pay_sandbox) and the demo history (ev_demo_store) had addons of their own:
    # installing them now would build a second week of history.
    die "The demo database '$DB_NAME' is from an earlier layout: run 'make clean-db && make run' to rebuild it."
else
    say "Creating the demo database '$DB_NAME' (the addons, the simulators, demo data, Chinese) — a few minutes"
    odoo -d "$DB_NAME" -i "$ADDONS" --load-language=zh_CN --stop-after-init --log-level=warn
    # Dealers read Chinese: the demo logs in in Chinese, in the demo store.
    "$VENV_PY" "$ODOO_DIR/setup/odoo" shell --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" \
        -d "$DB_NAME" --log-level=warn --no-http <<'PY' >/dev/null
users = env.ref("base.user_admin")
for xmlid in ("ev_pay_invoice.demo_user_salesperson", "ev_pay_invoice.demo_user_store_manager"):
    users |= env.ref(xmlid, raise_if_not_found=False) or users.browse()
users.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
# Messages posted by the crons (OdooBot) and by the platforms' callbacks (public user) in Chinese too.
env.ref("base.user_root").write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
env.ref("base.public_user").write({"lang": "zh_CN"})
env.cr.commit()
PY
fi

# The wallet QR codes and callbacks use web.base.url: on another port than the one it names, point it at this
# server (only while it is a loopback address; a public address set by hand is left alone).
"$VENV_PY" - "$DB_NAME" "$HTTP_PORT" <<'PY' || true
import re, sys, psycopg2
db, port = sys.argv[1:]
with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
    cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'")
    row = cr.fetchone()
    if row and re.fullmatch(r"https?://(localhost|127\.0\.0\.1)(:\d+)?/?", row[0]) and \
            row[0].rstrip("/") != f"http://localhost:{port}":
        cr.execute("UPDATE ir_config_parameter SET value = %s WHERE key = 'web.base.url'", [f"http://localhost:{port}"])
        print(f"  web.base.url: {row[0]} -> http://localhost:{port}")
PY

cat <<MSG

  EV Pay & Invoice demo: http://localhost:$HTTP_PORT   (database: $DB_NAME)
  The demo store 绿行电动车 · 徐汇店, with its last week of sales, invoices and yesterday's settlements:
    Salesperson (李销售):    login salesperson   password salesperson   (or mobile 13900139001)
    Store manager (王店长):  login manager       password manager       (or mobile 13900139002)
    Administrator:          login admin         password admin
  Stop with Ctrl+C. \`make clean-db\` then \`make run\` rebuilds the demo (its history ends yesterday).

MSG
if [ "${PGHOST:-}" = "$PRIVATE_PG_SOCKET" ]; then
    echo "  The private PostgreSQL cluster ($PRIVATE_PG_DIR) keeps running when Odoo stops; 'make stop' stops it."
fi
echo
exec "$VENV_PY" "$ODOO_DIR/setup/odoo" --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" \
    -d "$DB_NAME" --db-filter="^$DB_NAME\$" --http-port="$HTTP_PORT" "$@"
