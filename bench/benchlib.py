"""Shared helpers of the benchmarks: open the bench database in-process, measure time, queries and memory.

Run a benchmark with `make bench` (all of them) or `bash scripts/bench.sh bench/bench_x.py`; the script prepares
the database named by EVPAY_BENCH_DB with both addons installed and sets the variables read here.
"""
import contextlib
import os
import resource
import time

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config

_configured = False


def _configure():
    """Parse Odoo's configuration once per process (Odoo 18 cannot parse it twice)."""
    global _configured
    if _configured:
        return
    _configured = True
    args = [
        "--addons-path", os.environ["EVPAY_ADDONS_PATH"],
        "--data-dir", os.environ["EVPAY_DATA_DIR"],
        "-d", os.environ["EVPAY_BENCH_DB"],
        "--log-level", os.environ.get("EVPAY_BENCH_LOG_LEVEL", "warn"),
    ]
    config.parse_config(args, setup_logging=True)


@contextlib.contextmanager
def odoo_env(commit=False):
    """An environment on the bench database as superuser; rolled back unless ``commit``. Usable many times."""
    _configure()
    registry = Registry(config["db_name"])
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            if commit:
                cr.commit()
            else:
                cr.rollback()


def vacuum_analyze(tables):
    """VACUUM ANALYZE ``tables`` of the bench database. Every measured run is rolled back, and the dead rows it leaves
    behind slow the next runs down until autovacuum passes: this makes runs comparable."""
    import psycopg2

    _configure()
    _name, connection_info = odoo.sql_db.connection_info_for(config["db_name"])
    connection = psycopg2.connect(**connection_info)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute("VACUUM ANALYZE %s" % table)  # names of our own tables, not input
    finally:
        connection.close()


@contextlib.contextmanager
def measure():
    """Yields a dict filled on exit with wall seconds and SQL queries spent inside the block."""
    figures = {}
    queries_before = odoo.sql_db.sql_counter
    start = time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - start
        figures["queries"] = odoo.sql_db.sql_counter - queries_before


def _status_mb(key):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def current_rss_mb():
    """Resident memory of this process now, in MB."""
    return _status_mb("VmRSS:") or 0.0


def peak_rss_mb():
    """Peak resident memory of this process in MB since it started, or since the last reset_peak_rss()."""
    peak = _status_mb("VmHWM:")
    # Elsewhere than Linux: ru_maxrss (KiB on Linux, bytes on macOS: only Linux is measured here).
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss():
    """Start a new peak at the current RSS, so that one stage's peak can be read apart (Linux: clear_refs 5).
    Returns False where the kernel does not allow it: peaks then run from the start of the process."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def report(title, rows):
    """Print a small aligned table: rows are (label, value, unit-or-target)."""
    print(f"\n== {title}")
    width = max(len(label) for label, *_ in rows)
    for label, value, *rest in rows:
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"  {label:<{width}}  {shown:>12}  {' '.join(str(r) for r in rest)}")
