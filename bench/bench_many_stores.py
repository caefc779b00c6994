"""One server, many stores: what one store's people wait for, with 1, 100 and 1,000 store companies in the database.

Every store company has a WeChat Pay provider in service-provider mode and an Alipay provider, a store, a service
booking and a day of sales: paid sale orders of yesterday with their transactions, each also paid at the sandbox
platform, so that the store's bills of yesterday list them. All stores' WeChat Pay providers share one platform
key (one Wechatpay-Serial) and API v3 key, as the stores of one service provider (服务商) do, so the webhook must
tell the store from the decrypted resource; each has its own merchant numbers and Alipay app id, because the
sandbox simulators know one merchant per number (they serve the bills by it). The stores are made with the ORM in
batches and committed in a database of their own (``evpay_bench_stores``, a copy of the bench database made on
first use), so that the next run only adds what is missing. Making a company grows with the number of companies
in Odoo itself (``profile_store_creation.py`` shows where: stock's inter-company partner properties, one write per
other company, and ir.default's company fallbacks, one query per company): 0.5 s with a few, 5 s with 300 on this
machine, so 1,000 take hours; ``EVPAY_STORES_BUILD_UNTIL=HH:MM`` (UTC) stops adding at that time and measures the
size reached. Only the first store gets a Chinese chart of accounts (about 20 s each): the other stores' bills are
downloaded but their import stops at the missing settlement accounts.
The nightly run fetches the bills of the day of the first store's sales (the day before it was made), so that
a later run still finds them; stores made on another day have no sale that day.

For each size, in order, the same first store is measured (each measurement rolled back; median of 15):
  webhook      a genuine WeChat Pay callback and a genuine Alipay notification of the store's pending sale,
               through the webhooks' processing (dispatch by key serial / sub_mchid and app ids, verification,
               the row lock): ms and queries
  scan         the cashier's vehicle-code check (``stock.lot._ev_scan``): ms and queries
  dashboard    ``ev.store.dashboard.ev_dashboard_data`` as the store manager: ms and queries
  records      the transaction records list (``ev.pay.transaction.record`` web_search_read, 80 rows) as the
               store manager: ms and queries
  nightly      the first store's bills of yesterday downloaded, imported and matched to its sales (median of 3):
               ms and queries; then the morning cron's work for every store's providers (sandbox served in
               process): seconds in all and ms per store, with the sales listed in the bills and matched
Target: every figure at 1,000 stores <= 1.3 x its figure at 1 store, queries equal.

Sizes below the number of stores already in the database are reported from the run that measured them (kept in
the database with the stores); drop ``evpay_bench_stores`` to measure everything again.
Run: bash scripts/bench.sh bench/bench_many_stores.py     Sizes: EVPAY_STORES_SIZES=1,100,1000
"""
import datetime
import json
import logging
import os
import secrets
import statistics
import time

from benchlib import _configure, measure, report

import odoo
from odoo import Command
from odoo.modules.registry import Registry
from odoo.tools import config

SIZES = [int(size) for size in os.environ.get("EVPAY_STORES_SIZES", "1,100,1000").split(",")]
STORES_DB = os.environ.get("EVPAY_STORES_DB", "evpay_bench_stores")
BATCH = 50
SALES_PER_STORE = 6
SAMPLES = 15
NIGHTLY_SAMPLES = 3  # the first store's bills alone, and the run for all stores up to 100 of them (beyond: once)
PREFIX = "Scale store "
ONE_STORE_DB = os.environ.get("EVPAY_STORES_ONE_DB")  # a 1-store database of this bench, measured in turns with this
PAIRED_ROUNDS = 3
FIGURES = {"webhook wechat": "WeChat Pay callback", "webhook alipay": "Alipay notification", "scan": "cashier scan",
           "dashboard": "dashboard load", "records": "transaction records list",
           "nightly first": "first store's nightly bills"}
SP_APPID = "wx8888888888888888"


def make_database(source_db):
    from odoo.service import db as db_service

    if not db_service.exp_db_exist(STORES_DB):
        print("Copying %s to %s (kept for the next runs)" % (source_db, STORES_DB), flush=True)
        db_service.exp_duplicate_database(source_db, STORES_DB, neutralize_database=False)


# === the stores === #

def shared_credentials(env):
    """The service provider's keys, made once and kept in a system parameter of the bench database."""
    from odoo.addons.ev_pay_invoice.protocols import keys

    params = env["ir.config_parameter"].sudo()
    if not params.get_param("ev_bench_stores.wechat_platform_key"):
        wechat_platform, _public = keys.generate_rsa_keypair()
        merchant, _public = keys.generate_rsa_keypair()
        merchant_certificate, merchant_serial = keys.generate_self_signed_certificate(merchant, "EV bench merchant")
        params.set_param("ev_bench_stores.wechat_merchant_certificate", merchant_certificate)
        params.set_param("ev_bench_stores.wechat_merchant_serial", merchant_serial)
        alipay_platform, _public = keys.generate_rsa_keypair()
        alipay_app, alipay_app_public = keys.generate_rsa_keypair()
        params.set_param("ev_bench_stores.wechat_platform_key", wechat_platform)
        params.set_param("ev_bench_stores.wechat_merchant_key", merchant)
        params.set_param("ev_bench_stores.wechat_public_key_id", "PUB_KEY_ID_%d" % secrets.randbelow(10 ** 20))
        params.set_param("ev_bench_stores.api_v3_key", secrets.token_hex(16))
        params.set_param("ev_bench_stores.alipay_platform_key", alipay_platform)
        params.set_param("ev_bench_stores.alipay_app_key", alipay_app)
        params.set_param("ev_bench_stores.alipay_app_public", alipay_app_public)
    get = params.get_param
    return {name: get("ev_bench_stores." + name) for name in (
        "wechat_platform_key", "wechat_merchant_key", "wechat_merchant_certificate", "wechat_merchant_serial",
        "wechat_public_key_id", "api_v3_key", "alipay_platform_key",
        "alipay_app_key", "alipay_app_public")}


def provider_values(env, company, number, shared):
    from odoo.addons.ev_pay_invoice.protocols import keys

    wechat_public = keys.public_key_pem(shared["wechat_platform_key"])
    alipay_public = keys.public_key_pem(shared["alipay_platform_key"])
    return [{
        "name": "微信支付 (%s)" % company.name, "code": "wechatpay", "company_id": company.id, "state": "test",
        "wechatpay_mode": "partner", "wechatpay_appid": SP_APPID, "wechatpay_mchid": str(1900000000 + number),
        "wechatpay_sub_mchid": str(1600000000 + number), "wechatpay_serial_no": shared["wechat_merchant_serial"],
        "wechatpay_private_key": shared["wechat_merchant_key"], "wechatpay_api_v3_key": shared["api_v3_key"],
        "wechatpay_verify_mode": "public_key", "wechatpay_public_key_id": shared["wechat_public_key_id"],
        "wechatpay_public_key": wechat_public, "ev_sandbox_platform_private_key": shared["wechat_platform_key"],
        "ev_sandbox_merchant_public_key": shared["wechat_merchant_certificate"],
        "ev_sandbox_api_v3_key": shared["api_v3_key"],
        "payment_method_ids": [Command.set(env.ref("payment.payment_method_wechat_pay").ids)],
    }, {
        "name": "支付宝 (%s)" % company.name, "code": "alipay", "company_id": company.id, "state": "test",
        "alipay_app_id": str(2021000000000000 + number), "alipay_private_key": shared["alipay_app_key"],
        "alipay_public_key": alipay_public, "ev_sandbox_platform_private_key": shared["alipay_platform_key"],
        "ev_sandbox_merchant_public_key": shared["alipay_app_public"],
        "payment_method_ids": [Command.set(env.ref("payment.payment_method_alipay").ids)],
    }]


def past_build_deadline():
    """EVPAY_STORES_BUILD_UNTIL=HH:MM (UTC): stop adding stores then and measure the size reached (the stores
    already made are kept, so a later run goes on from there)."""
    until = os.environ.get("EVPAY_STORES_BUILD_UNTIL")
    return bool(until) and time.strftime("%H:%M", time.gmtime()) >= until


def add_stores(registry, wanted):
    """Stores up to ``wanted`` (committed per batch). Returns the number there."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        have = env["res.company"].search_count([("name", "=like", PREFIX + "%")])
        shared = shared_credentials(env)
        cr.commit()
        product = env.ref("ev_pay_invoice.product_ev_collection")
        field_staff_provider = env["ev.service.provider"].search([], limit=1) or env["ev.service.provider"].create(
            {"name": "绿行服务商 (bench)"})
        while have < wanted and not past_build_deadline():
            started = time.perf_counter()
            numbers = range(have + 1, min(wanted, have + BATCH) + 1)
            phases = {}
            companies = env["res.company"].create([{
                "name": "%s%04d" % (PREFIX, number), "currency_id": env.ref("base.CNY").id} for number in numbers])
            env.flush_all()
            phases["companies"] = time.perf_counter() - started
            stores = env["ev.store"].create([{"name": company.name, "company_id": company.id,
                                              "taxpayer_kind": "general"} for company in companies])
            env["payment.provider"].create([values for number, company in zip(numbers, companies)
                                            for values in provider_values(env, company, number, shared)])
            env["ev.booking"].create([{
                "company_id": store.company_id.id, "store_id": store.id, "provider_id": field_staff_provider.id,
                "contact_name": "店主", "mobile": "139%08d" % number} for number, store in zip(numbers, stores)])
            env.flush_all()
            phases["stores, providers, bookings"] = time.perf_counter() - started - phases["companies"]
            add_day_of_sales(env, companies, product)
            cr.commit()
            have += len(numbers)
            seconds = time.perf_counter() - started
            phases["sales"] = seconds - sum(phases.values())
            print("  %d stores (%.1f s for the last %d: %s)" % (have, seconds, len(numbers), ", ".join(
                "%s %.1f s" % item for item in phases.items())), flush=True)
        return have


def add_day_of_sales(env, companies, product):
    """SALES_PER_STORE paid sale orders of yesterday per store, each with its done WeChat Pay or Alipay transaction,
    and the same payment at the sandbox platform (paid yesterday afternoon, Beijing time), so that the nightly run
    downloads a bill of the store's sales and settles them, as it would every morning."""
    buyers = env["res.partner"].create([{"name": "买家 %s" % company.id, "company_id": company.id}
                                        for company in companies])
    providers = env["payment.provider"].search([("company_id", "in", companies.ids)])
    by_company = {(provider.company_id.id, provider.code): provider for provider in providers}
    paid_at = datetime.datetime.combine(companies[:1]._ev_today() - datetime.timedelta(days=1), datetime.time(6))
    orders = env["sale.order"].create([{
        "partner_id": buyer.id, "company_id": company.id, "date_order": paid_at,
        "order_line": [Command.create({"product_id": product.id, "name": "电动自行车", "price_unit": 2599.0,
                                       "tax_id": [Command.clear()]})],
    } for company, buyer in zip(companies, buyers) for _index in range(SALES_PER_STORE)])
    txs = env["payment.transaction"].create([{
        "provider_id": by_company[(order.company_id.id, code)].id, "reference": "%s-B" % order.name,
        "amount": order.amount_total, "currency_id": order.currency_id.id, "partner_id": order.partner_id.id,
        "payment_method_id": by_company[(order.company_id.id, code)]._ev_payment_method().id, "state": "done",
        "provider_reference": ("42000%015d" if code == "wechatpay" else "2026%012d") % order.id,
        "sale_order_ids": [Command.set(order.ids)], "is_post_processed": True, "last_state_change": paid_at,
    } for index, order in enumerate(orders) for code in (("wechatpay", "alipay")[index % 2],)])
    env["ev.pay.sandbox.order"].create([{
        "provider_id": tx.provider_id.id, "channel": tx.provider_code, "out_trade_no": tx.reference,
        "platform_trade_no": tx.provider_reference, "description": "电动自行车", "amount_fen": tx._ev_amount_fen(),
        "state": "paid", "paid_at": paid_at, "identity": {
            "sp_appid": SP_APPID, "sp_mchid": tx.provider_id.wechatpay_mchid,
            "sub_mchid": tx.provider_id.wechatpay_sub_mchid} if tx.provider_code == "wechatpay" else {
            "app_id": tx.provider_id.alipay_app_id},
    } for tx in txs])


# === what the first store's people wait for === #

def first_store(env):
    """The measured store: the first one, with a Chinese chart of accounts, a warehouse and a store manager (made
    once and committed by ``prepare_first_store``)."""
    company = env["res.company"].search([("name", "=", PREFIX + "0001")])
    manager = env["res.users"].search([("login", "=", "scale-manager")])
    return company, manager


def prepare_first_store(registry):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env["res.company"].search([("name", "=", PREFIX + "0001")])
        if not company.chart_template:
            company.write({"country_id": env.ref("base.cn").id, "state_id": env.ref("base.state_cn_SH").id})
            env["account.chart.template"].try_loading("cn", company=company, install_demo=False)
        if not env["stock.warehouse"].search([("company_id", "=", company.id)]):
            env["stock.warehouse"].create({"name": company.name, "code": "SC1", "company_id": company.id})
        if not env["res.users"].search([("login", "=", "scale-manager")]):
            env["res.users"].create({
                "name": "王店长 (bench)", "login": "scale-manager", "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.link(env.ref("ev_pay_invoice.group_ev_store_manager").id)]})
        cr.commit()


def pending_sale(env, company):
    """A sale of the first store waiting for its payment, with a pending transaction per wallet."""
    product = env.ref("ev_pay_invoice.product_ev_collection")
    order = env["sale.order"].create({
        "partner_id": env["res.partner"].create({"name": "张三", "company_id": company.id}).id,
        "company_id": company.id,
        "order_line": [Command.create({"product_id": product.id, "name": "电动自行车", "price_unit": 3199.0,
                                       "tax_id": [Command.clear()]})]})
    txs = {}
    for provider in env["payment.provider"].search([("company_id", "=", company.id)]):
        txs[provider.code] = env["payment.transaction"].create({
            "provider_id": provider.id, "reference": "%s-%s" % (order.name, provider.code[:2].upper()),
            "amount": order.amount_total, "currency_id": order.currency_id.id, "partner_id": order.partner_id.id,
            "payment_method_id": provider._ev_payment_method().id, "state": "pending",
            "sale_order_ids": [Command.set(order.ids)]})
    return txs


def callbacks(env, txs, shared):
    from odoo.addons.ev_pay_invoice.protocols.wechatpay import rfc3339_beijing
    from odoo.addons.ev_pay_sandbox.protocols import alipay_platform, wechatpay_platform

    wechat_tx, alipay_tx = txs["wechatpay"], txs["alipay"]
    provider = wechat_tx.provider_id.sudo()
    resource = {
        "sp_appid": SP_APPID, "sp_mchid": provider.wechatpay_mchid, "sub_mchid": provider.wechatpay_sub_mchid,
        "out_trade_no": wechat_tx.reference, "transaction_id": "4200000000000000000000009", "trade_type": "NATIVE",
        "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "success_time": rfc3339_beijing(),
        "amount": {"total": wechat_tx._ev_amount_fen(), "currency": "CNY"}}
    wechat = wechatpay_platform.build_transaction_notification(
        resource, shared["api_v3_key"], shared["wechat_public_key_id"], shared["wechat_platform_key"])
    alipay_provider = alipay_tx.provider_id.sudo()
    form = alipay_platform.build_notification_form(
        {"trade_no": "2026000000000009", "out_trade_no": alipay_tx.reference, "trade_status": "TRADE_SUCCESS",
         "total_amount": alipay_tx._ev_amount_yuan()},
        alipay_provider.alipay_app_id, shared["alipay_platform_key"])
    return wechat, form


def timed(env, function, samples=SAMPLES):
    """Median ms and the queries of the last run of ``function(env)``, each run rolled back to a savepoint."""
    seconds, queries = [], 0
    for _index in range(samples + 1):
        env.invalidate_all()
        savepoint = env.cr.savepoint()
        with measure() as figure:
            function(env)
            env.flush_all()  # what the request would write, inside the measure and the savepoint
        savepoint.rollback()
        savepoint.close(rollback=False)
        seconds.append(figure["seconds"])
        queries = figure["queries"]
    return statistics.median(seconds[1:]) * 1000, queries  # the first run warms the caches


def measure_size(registry, stores, all_stores=True):
    from odoo.addons.ev_bundle_sale.tests.common import make_codes, setup_bundle_catalogue
    from odoo.addons.ev_pay_invoice.controllers.alipay import EvAlipayController
    from odoo.addons.ev_pay_invoice.controllers.wechatpay import EvWechatPayController

    figures = {"stores": stores}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        shared = shared_credentials(env)
        company, manager = first_store(env)
        store_env = env(context={"allowed_company_ids": [company.id]})
        txs = pending_sale(store_env, company)
        wechat, form = callbacks(store_env, txs, shared)

        def wechat_webhook(env):
            status, _body = EvWechatPayController._wechatpay_process(env, wechat[1], wechat[0])
            assert status == 204, status

        def alipay_webhook(env):
            status, text = EvAlipayController._alipay_process(env, dict(form))
            assert text == "success", (status, text)

        figures["webhook wechat"] = timed(env, wechat_webhook)
        figures["webhook alipay"] = timed(env, alipay_webhook)

        codes = make_codes(base=97_000)
        catalogue = setup_bundle_catalogue(store_env, prefix="Scale ", codes=codes, inventory=False)
        vehicle = codes["white"][0]
        figures["scan"] = timed(store_env, lambda env: env["stock.lot"]._ev_scan("vehicle", vehicle))
        del catalogue

        manager_env = env(user=manager.id, context={"allowed_company_ids": [company.id]})
        figures["dashboard"] = timed(manager_env, lambda env: env["ev.store.dashboard"].ev_dashboard_data())
        record_fields = {name: {} for name in ("reference", "channel", "date", "amount", "state", "settlement_state",
                                                      "sale_order_id")
                         if name in manager_env["ev.pay.transaction.record"]._fields}
        figures["records"] = timed(manager_env, lambda env: env["ev.pay.transaction.record"].web_search_read(
            [], record_fields, limit=80))

        # The day of the first store's sales (yesterday when it was made): its bills list them on a later run too.
        first_sale = env["ev.pay.sandbox.order"].search([("company_id", "=", company.id)], order="id", limit=1)
        yesterday = company._ev_local_date(first_sale.paid_at) if first_sale.paid_at else (
            company._ev_today() - datetime.timedelta(days=1))
        first_providers = env["payment.provider"].search([("company_id", "=", company.id)])
        figures["nightly first"] = timed(env, lambda env: [
            provider._ev_download_and_import(yesterday, redownload=True)
            for provider in first_providers.with_env(env).with_context(ev_sandbox_in_process=True)],
            samples=NIGHTLY_SAMPLES)
        providers = env["payment.provider"].search([("company_id.name", "=like", PREFIX + "%")])
        runs = [] if all_stores else [(float("nan"), 0, 0, 0)]
        # The stores without a chart of accounts refuse their bills, each with a warning: expected here.
        logging.getLogger("odoo.addons.ev_pay_invoice.models.payment_provider_settlement").setLevel(logging.ERROR)
        for _index in range(0 if not all_stores else NIGHTLY_SAMPLES if stores <= 100 else 1):
            env.invalidate_all()
            savepoint = env.cr.savepoint()
            with measure() as nightly:
                for provider in providers.with_context(ev_sandbox_in_process=True):
                    provider._ev_download_and_import(yesterday, redownload=True)
                env.flush_all()
            lines = env["ev.settlement.line"].search([("company_id", "in", providers.company_id.ids),
                                                      ("kind", "=", "payment")])
            matched = len(lines.filtered("transaction_id"))
            savepoint.rollback()
            savepoint.close(rollback=False)
            runs.append((nightly["seconds"], nightly["queries"], len(lines), matched))
        figures["nightly"] = sorted(runs)[len(runs) // 2]
        cr.rollback()
    return figures


def store_count(registry):
    with registry.cursor() as cr:
        return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["res.company"].search_count(
            [("name", "=like", PREFIX + "%")])


def stored_figures(registry):
    """Figures measured by earlier runs, by size: a size below the database's store count cannot be measured
    again (stores are never deleted), so they are kept with the stores."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        return json.loads(env["ir.config_parameter"].get_param("ev_bench_stores.figures") or "{}")


def store_figures(registry, figure):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        figures = json.loads(env["ir.config_parameter"].get_param("ev_bench_stores.figures") or "{}")
        figures[str(figure["stores"])] = dict(figure, measured_at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                              load_average=os.getloadavg()[0])
        env["ir.config_parameter"].set_param("ev_bench_stores.figures", json.dumps(figures))
        cr.commit()


def main():
    source_db = os.environ["EVPAY_BENCH_DB"]
    os.environ["EVPAY_BENCH_DB"] = STORES_DB
    _configure()
    make_database(source_db)
    registry = Registry(config["db_name"])
    results = []
    for size in SIZES:
        print("Stores: %d" % size, flush=True)
        if store_count(registry) > size:
            stored = stored_figures(registry).get(str(size))
            if stored:
                print("  the database holds more stores already: the figures of the run that made them", flush=True)
                results.append(dict(stored, stores=size))
            else:
                print("  the database holds more stores already and no figures of %d: skipped" % size, flush=True)
            continue
        reached = add_stores(registry, size)
        if reached < size:
            print("  build time over at %d stores: measured there" % reached, flush=True)
        prepare_first_store(registry)
        results.append(measure_size(registry, reached))
        store_figures(registry, results[-1])
        print("  measured (load average %.2f)" % os.getloadavg()[0], flush=True)
    report("Many stores: the first store's figures with %s store companies (target: <= x1.3, queries equal)"
           % ", ".join(str(figure["stores"]) for figure in results), figure_rows(results, nightly=True))
    if ONE_STORE_DB and results[-1]["stores"] > 1:
        report("The same, measured in turns with the 1-store database %s (%d rounds, medians: both under the same "
               "machine load)" % (ONE_STORE_DB, PAIRED_ROUNDS), figure_rows(paired(registry, results[-1]["stores"])))


def paired(registry, stores):
    """The first store's figures in the 1-store database and in this one, measured in turns."""
    one_registry = Registry(ONE_STORE_DB)
    runs = {1: [], stores: []}
    for _index in range(PAIRED_ROUNDS):
        runs[1].append(measure_size(one_registry, 1, all_stores=False))
        runs[stores].append(measure_size(registry, stores, all_stores=False))
    return [{key: (statistics.median(run[key][0] for run in size_runs), size_runs[-1][key][1])
             if key in FIGURES else size_runs[-1][key] for key in size_runs[-1]} for size_runs in runs.values()]


def figure_rows(results, nightly=False):
    first = results[0]
    rows = []
    for key, label in FIGURES.items():
        for figure in results:
            if key == "nightly first" and key not in figure:
                # Measured alone from the second size on; with one store, the run for all stores is the first
                # store's.
                figure = dict(figure, **{key: (figure["nightly"][0] * 1000, figure["nightly"][1])})
            base = first.get(key) or (first["nightly"][0] * 1000, first["nightly"][1])
            rows.append(("%s, %d stores" % (label, figure["stores"]), figure[key][0],
                         "ms, %d queries, x%.2f of 1 store%s" % (
                             figure[key][1], figure[key][0] / base[0],
                             "" if figure[key][1] == base[1] else " (queries differ)")))
    for figure in results if nightly else ():
        per_store = figure["nightly"][0] * 1000 / figure["stores"]
        first_per_store = first["nightly"][0] * 1000 / first["stores"]
        lines = "" if len(figure["nightly"]) < 4 else ", %d sales in the bills, %d matched" % tuple(
            figure["nightly"][2:4])
        rows.append(("nightly bills, %d stores" % figure["stores"], figure["nightly"][0],
                     "s in all, %.1f ms and %.0f queries per store, x%.2f of 1 store%s" % (
                         per_store, figure["nightly"][1] / figure["stores"], per_store / first_per_store, lines)))
    rows.append(("load average (1 min)", "%.2f" % os.getloadavg()[0], "(the machine is shared)"))
    return rows

if __name__ == "__main__":
    main()
