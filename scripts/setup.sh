#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`:
#   1. system packages (PostgreSQL, Chromium, wkhtmltopdf, CJK fonts), installed when running as root on Debian;
#   2. Odoo 18.0 Community source, from ODOO_SRC (folder or archive), the remembered copy, or Odoo's archive;
#   3. a virtualenv with Odoo's Python dependencies (requirements.txt), reused while its key is unchanged;
#   4. a PostgreSQL server that answers: the configured one, else this clone's private cluster (common.sh says
#      where), created, or started again after a reboot, on a Unix socket only.
# It writes .data/env.sh, which the other scripts source to reach the database.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$CACHE_DIR" "$DATA_DIR"

# --- 1. system packages -------------------------------------------------------------------------------------
ensure_system_packages() {
    local wanted=(postgresql chromium wkhtmltopdf fonts-noto-cjk) missing=() pkg
    if ! command -v dpkg-query >/dev/null; then
        for pkg in psql chromium wkhtmltopdf; do
            command -v "$pkg" >/dev/null || missing+=("$pkg")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        die "missing system programs: ${missing[*]}. Install PostgreSQL, Chromium, wkhtmltopdf and a CJK font (Noto CJK) with your package manager, then run again."
    fi
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        die "missing Debian packages: ${missing[*]}. Run: sudo apt-get install -y ${missing[*]}"
    fi
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- 2. Odoo source -------------------------------------------------------------------------------------------
is_odoo18_tree() {
    [ -f "$1/odoo/release.py" ] && grep -q "version_info = (18, 0" "$1/odoo/release.py"
}

# Copy or unpack $1 (folder or archive) into the cache as the remembered Odoo source.
install_odoo_source() {
    local src=$1 tmp="$CACHE_DIR/odoo-unpack.$$" root
    rm -rf "$tmp" && mkdir -p "$tmp"
    if [ -d "$src" ]; then
        is_odoo18_tree "$src" || die "ODOO_SRC=$src is not an Odoo 18.0 source folder (no odoo/release.py of 18.0)."
        cp -a "$src/." "$tmp/"
    else
        case "$src" in
            *.zip) python3 -m zipfile -e "$src" "$tmp" ;;
            *) tar -xf "$src" -C "$tmp" ;;
        esac
    fi
    # An archive holds the tree either at its root or in one top folder (odoo-18.0.post2025.../).
    root=$tmp
    is_odoo18_tree "$root" || root=$(dirname "$(find "$tmp" -maxdepth 3 -path '*/odoo/release.py' | head -n1)")/..
    root=$(cd "$root" 2>/dev/null && pwd) || true
    if [ -z "$root" ] || ! is_odoo18_tree "$root"; then
        rm -rf "$tmp"; die "$src does not contain an Odoo 18.0 source tree."
    fi
    rm -rf "$ODOO_DIR.old"; [ -d "$ODOO_DIR" ] && mv "$ODOO_DIR" "$ODOO_DIR.old"
    mv "$root" "$ODOO_DIR" && rm -rf "$tmp" "$ODOO_DIR.old"
    echo "$src" > "$CACHE_DIR/odoo-source-origin"
}

ensure_odoo_source() {
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -e "$ODOO_SRC" ] || die "ODOO_SRC=$ODOO_SRC does not exist."
        local origin; origin=$(cat "$CACHE_DIR/odoo-source-origin" 2>/dev/null || true)
        if [ "$origin" != "$ODOO_SRC" ] || ! is_odoo18_tree "$ODOO_DIR"; then
            say "Taking Odoo 18.0 source from $ODOO_SRC"
            install_odoo_source "$ODOO_SRC"
        fi
    elif ! is_odoo18_tree "$ODOO_DIR"; then
        say "Downloading Odoo 18.0 source from $ODOO_ARCHIVE_URL"
        local archive="$CACHE_DIR/odoo_18.0.latest.tar.gz"
        if ! curl -fsSL --retry 2 -o "$archive.part" "$ODOO_ARCHIVE_URL"; then
            rm -f "$archive.part"
            die "No Odoo 18.0 source found. Set ODOO_SRC to an unpacked Odoo 18.0 Community source folder or to its archive (odoo_18.0.latest.tar.gz), e.g. 'ODOO_SRC=~/src/odoo make run'. It is remembered in $ODOO_DIR for later runs."
        fi
        mv "$archive.part" "$archive" && install_odoo_source "$archive"
    fi
    is_odoo18_tree "$ODOO_DIR" || die "The remembered Odoo source in $ODOO_DIR is broken; set ODOO_SRC again."
}

# --- 3. virtualenv --------------------------------------------------------------------------------------------
ensure_venv() {
    if [ ! -f "$VENV_DIR/.complete" ]; then
        say "Creating the virtualenv $VENV_DIR"
        rm -rf "$VENV_DIR"
        "$PYTHON" -m venv "$VENV_DIR"
        "$VENV_PY" -m pip install -q --upgrade pip wheel "setuptools<81" 2>&1 | grep -v "is ignored" || true
        "$VENV_PY" -m pip install -q -r "$PROJECT_DIR/requirements.txt" 2>&1 | grep -v "is ignored" || true
        "$VENV_PY" -c "import odoo" 2>/dev/null || "$VENV_PY" -c "import psycopg2, lxml, werkzeug" ||
            die "Installing requirements.txt failed (see the pip output above)."
        touch "$VENV_DIR/.complete"
    fi
    if [ ! -f "$INTEROP_VENV_DIR/.complete" ]; then
        say "Creating the SDK interop virtualenv $INTEROP_VENV_DIR"
        rm -rf "$INTEROP_VENV_DIR"
        "$PYTHON" -m venv "$INTEROP_VENV_DIR"
        "$INTEROP_VENV_DIR/bin/python" -m pip install -q -r "$PROJECT_DIR/requirements-interop.txt" 2>&1 |
            grep -v "is ignored" || true
        "$INTEROP_VENV_DIR/bin/python" -c "import wechatpayv3, alipay, pytest" ||
            die "Installing requirements-interop.txt failed (see the pip output above)."
        touch "$INTEROP_VENV_DIR/.complete"
    fi
    # Odoo is imported from the remembered source tree, not installed into the virtualenv.
    "$VENV_PY" - "$ODOO_DIR" <<'PY'
import pathlib, sys, sysconfig
pth = pathlib.Path(sysconfig.get_paths()["purelib"]) / "odoo-source.pth"
pth.write_text(sys.argv[1] + "\n")
PY
}

# --- 4. PostgreSQL --------------------------------------------------------------------------------------------
pg_answers() {  # uses libpq's environment (PGHOST, PGPORT, PGUSER)
    "$VENV_PY" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()' 2>/dev/null
}

pg_error() {
    "$VENV_PY" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()' 2>&1 | tail -n1 || true
}

private_pg_psql() {  # psql as the cluster owner's own role: PGUSER (root, say) has no role there yet
    as_cluster_owner "$(pg_bin_dir)/psql" -X -h "$PRIVATE_PG_SOCKET" -p "$PRIVATE_PG_PORT" -U "$PG_OWNER" \
        -d postgres -qtA "$@"
}

start_private_cluster() {
    local bin; bin=$(pg_bin_dir)
    [ -x "$bin/initdb" ] || die "No PostgreSQL server answers and PostgreSQL's programs are not installed. Install PostgreSQL (Debian: apt-get install postgresql) or set PGHOST/PGPORT/PGUSER to a server."
    if [ "$(id -u)" = 0 ] && ! id -u "$PG_OWNER" >/dev/null 2>&1; then
        die "No PostgreSQL server answers, and PostgreSQL refuses to run as root: a private cluster needs the system user '$PG_OWNER' (Debian's postgresql package creates it; else: useradd --system --create-home --home-dir /var/lib/postgresql $PG_OWNER), or set PGHOST/PGPORT/PGUSER to a server."
    fi
    as_cluster_owner mkdir -p "$PRIVATE_PG_BASE" "$PRIVATE_PG_SOCKET" ||
        die "User '$PG_OWNER' cannot create $PRIVATE_PG_BASE for the private PostgreSQL cluster."
    [ "$(stat -c %U "$PRIVATE_PG_SOCKET")" = "$PG_OWNER" ] ||
        die "$PRIVATE_PG_SOCKET belongs to another user; remove it and run again."
    as_cluster_owner chmod 700 "$PRIVATE_PG_SOCKET"
    if [ ! -f "$PRIVATE_PG_DIR/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $PRIVATE_PG_DIR (owner $PG_OWNER)"
        as_cluster_owner "$bin/initdb" -D "$PRIVATE_PG_DIR" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null ||
            die "initdb of the private PostgreSQL cluster in $PRIVATE_PG_DIR failed (see above)."
    fi
    if ! private_pg_psql -c "SELECT 1" >/dev/null 2>&1; then
        if private_postmaster_runs; then
            # Running, but not on this socket and port (EVPAY_PRIVATE_PG_PORT changed): started again on ours.
            as_cluster_owner "$bin/pg_ctl" -D "$PRIVATE_PG_DIR" -w stop -m fast >/dev/null
        else
            # Lock files of a server gone without stopping (a reboot, a killed container): their PID may be another
            # program's by now, and PostgreSQL would refuse to start.
            as_cluster_owner rm -f "$PRIVATE_PG_DIR/postmaster.pid" "$PRIVATE_PG_SOCKET/.s.PGSQL.$PRIVATE_PG_PORT.lock"
        fi
        say "Starting the private PostgreSQL cluster (socket $PRIVATE_PG_SOCKET, port $PRIVATE_PG_PORT, log $PRIVATE_PG_LOG)"
        as_cluster_owner "$bin/pg_ctl" -D "$PRIVATE_PG_DIR" -l "$PRIVATE_PG_LOG" -w start \
            -o "-k '$PRIVATE_PG_SOCKET' -p $PRIVATE_PG_PORT -c listen_addresses=''" >/dev/null ||
            die "The private PostgreSQL cluster did not start; see $PRIVATE_PG_LOG"
    fi
    # Odoo refuses to connect as "postgres": the current user gets its own superuser role.
    if [ -z "$(private_pg_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER'")" ]; then
        say "Creating the PostgreSQL role $PGUSER in the private cluster"
        private_pg_psql -c "CREATE ROLE \"$PGUSER\" SUPERUSER LOGIN" >/dev/null
    fi
}

use_private_cluster() {
    export PGHOST=$PRIVATE_PG_SOCKET PGPORT=$PRIVATE_PG_PORT PGUSER=${PGUSER:-$(id -un)}
    if [ "$PGUSER" = postgres ]; then export PGUSER=odoo; fi
    if ! pg_answers; then start_private_cluster; fi
}

ensure_postgres() {
    if [ -f "$PRIVATE_PG_DIR/PG_VERSION" ] && [ -z "${PGHOST:-}" ]; then
        use_private_cluster  # a private cluster made earlier stays the choice of this clone
    elif ! pg_answers; then
        case "$(pg_error)" in
            *"role"*"does not exist"*)
                # The server answers but knows no role for this user (a fresh Debian server): create it.
                local role=${PGUSER:-$(id -un)}
                [ "$(id -u)" = 0 ] || die "PostgreSQL has no role '$role'. Run: sudo -u postgres createuser -s $role"
                say "Creating the PostgreSQL role $role"
                (cd / && runuser -u postgres -- psql -X -U postgres -d postgres -qc "CREATE ROLE \"$role\" SUPERUSER LOGIN") >/dev/null ;;
            *) use_private_cluster ;;
        esac
    fi
    pg_answers || die "PostgreSQL does not answer: $(pg_error)"
    {
        echo "export PGHOST='${PGHOST:-}' PGPORT='${PGPORT:-}' PGUSER='${PGUSER:-}'"
        echo "[ -n \"\$PGHOST\" ] || unset PGHOST; [ -n \"\$PGPORT\" ] || unset PGPORT; [ -n \"\$PGUSER\" ] || unset PGUSER"
    } > "$DATA_DIR/env.sh"
}

ensure_system_packages
ensure_odoo_source
ensure_venv
ensure_postgres
say "Set-up ready: Odoo $ODOO_DIR, Python $VENV_DIR"
