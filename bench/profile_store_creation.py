"""Where the time of one more store goes: a store company made as ``bench_many_stores.py`` makes them (company,
store, providers, booking, a day of sales), in the many-stores database with all its companies, then rolled back.

Prints each step's seconds and queries, the queries that cost most (grouped by their text, numbers blanked) and
the functions that cost most (cProfile). Not a benchmark (``make bench`` does not run it): run it after
``bench_many_stores.py`` has made its stores:

    bash scripts/bench.sh bench/profile_store_creation.py
"""
import collections
import cProfile
import os
import pstats
import re
import time

import bench_many_stores as stores
from benchlib import _configure

import odoo
from odoo import sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

TOP = 12


def count_queries_by_text(counts, seconds):
    """Wrap the cursor's execute to add each query's count and time under its text (numbers blanked)."""
    execute = sql_db.Cursor.execute

    def counted(self, query, params=None, log_exceptions=True):
        key = re.sub(r"\s+", " ", re.sub(r"\d+", "N", str(query)))[:150]
        started = time.perf_counter()
        try:
            return execute(self, query, params, log_exceptions)
        finally:
            counts[key] += 1
            seconds[key] += time.perf_counter() - started

    sql_db.Cursor.execute = counted


def one_store(env, shared):
    """(step, seconds, queries) of making one more store company."""
    product = env.ref("ev_pay_invoice.product_ev_collection")
    field_staff_provider = env["ev.service.provider"].search([], limit=1) or env["ev.service.provider"].create(
        {"name": "绿行服务商 (bench)"})
    steps, number = [], 9999
    started, queries = time.perf_counter(), sql_db.sql_counter

    def step(name):
        nonlocal started, queries
        env.flush_all()
        steps.append((name, time.perf_counter() - started, sql_db.sql_counter - queries))
        started, queries = time.perf_counter(), sql_db.sql_counter

    company = env["res.company"].create({"name": "Profiled store", "currency_id": env.ref("base.CNY").id})
    step("company (Odoo)")
    store = env["ev.store"].create({"name": company.name, "company_id": company.id, "taxpayer_kind": "general"})
    step("store")
    env["payment.provider"].create(stores.provider_values(env, company, number, shared))
    step("providers")
    env["ev.booking"].create({"company_id": company.id, "store_id": store.id, "provider_id": field_staff_provider.id,
                              "contact_name": "店主", "mobile": "139%08d" % number})
    step("booking")
    stores.add_day_of_sales(env, company, product)
    step("a day of sales")
    return steps


def main():
    os.environ["EVPAY_BENCH_DB"] = stores.STORES_DB
    _configure()
    registry = Registry(config["db_name"])
    counts, seconds = collections.Counter(), collections.Counter()
    count_queries_by_text(counts, seconds)
    profile = cProfile.Profile()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        companies = env["res.company"].search_count([])
        shared = stores.shared_credentials(env)
        counts.clear()
        seconds.clear()
        profile.enable()
        steps = one_store(env, shared)
        profile.disable()
        cr.rollback()
    print("One more store with %d companies in the database:" % companies)
    for name, spent, queries in steps:
        print("  %-16s %7.2f s %6d queries" % (name, spent, queries))
    print("Costliest queries (count, seconds, text):")
    for key in sorted(counts, key=seconds.get, reverse=True)[:TOP]:
        print("  %6d %7.2f  %s" % (counts[key], seconds[key], key))
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
