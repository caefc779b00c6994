#!/usr/bin/env bash
# `make i18n`: re-export each addon's .pot template from an installed database, merge it into i18n/zh_CN.po
# (existing translations kept, new terms added empty, vanished terms dropped) and report untranslated terms.
# Exits non-zero while any term lacks its Chinese translation.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash "$PROJECT_DIR/scripts/setup.sh"
source "$DATA_DIR/env.sh"
I18N_DB=${EVPAY_I18N_DB:-evpay_i18n}
I18N_HTTP_PORT=${EVPAY_I18N_HTTP_PORT:-8269}
odoo() { "$VENV_PY" "$ODOO_DIR/setup/odoo" --addons-path="$PROJECT_DIR/addons" --data-dir="$DATA_DIR/odoo-data" "$@"; }

say "Installing/updating the addons in '$I18N_DB' (no demo data)"
odoo -d "$I18N_DB" -i ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox,ev_demo_store \
    -u ev_pay_invoice,ev_bundle_sale,ev_pay_sandbox,ev_demo_store --without-demo=all \
    --stop-after-init --log-level=warn --http-port="$I18N_HTTP_PORT"

status=0
for addon_dir in "$PROJECT_DIR"/addons/*/; do
    addon=$(basename "$addon_dir")
    [ -f "$addon_dir/__manifest__.py" ] || continue
    mkdir -p "$addon_dir/i18n"
    odoo -d "$I18N_DB" --i18n-export="$addon_dir/i18n/$addon.pot" --modules="$addon" --stop-after-init \
        --log-level=warn --http-port="$I18N_HTTP_PORT"
    "$VENV_PY" - "$addon_dir/i18n/$addon.pot" "$addon_dir/i18n/zh_CN.po" "$ODOO_DIR" <<'PY' || status=1
import glob, os, sys, polib
pot_path, po_path, odoo_dir = sys.argv[1:]
template = polib.pofile(pot_path)
old = {e.msgid: e for e in polib.pofile(po_path)} if os.path.exists(po_path) else {}
# Terms Odoo itself translates (Followers, Messages, Name...) take Odoo's own Chinese wording.
core = {}
for name in ("base", "mail", "product", "stock", "sale", "account", "point_of_sale", "payment"):
    for path in glob.glob(os.path.join(odoo_dir, "odoo", "addons", name, "i18n", "zh_CN.po")):
        core.update({e.msgid: e.msgstr for e in polib.pofile(path) if e.msgstr and e.msgid not in core})
po = polib.POFile(wrapwidth=0)
po.metadata = dict(template.metadata, **{"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;",
                                         "Content-Type": "text/plain; charset=UTF-8"})
po.header = template.header
for entry in template:
    entry.msgstr = (old[entry.msgid].msgstr if entry.msgid in old else "") or core.get(entry.msgid, "")
    po.append(entry)
po.save(po_path)
missing = [e.msgid for e in po if not e.msgstr]
name = os.path.basename(os.path.dirname(os.path.dirname(po_path)))
print(f"{name}: {len(po)} terms, {len(missing)} untranslated")
for msgid in missing:
    print(f"  untranslated: {msgid!r}")
sys.exit(1 if missing else 0)
PY
done
exit $status
