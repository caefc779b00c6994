"""Sustained load: many stores selling at once against a real multi-worker Odoo, over HTTP, for a fixed time.

A copy of the bench database (``evpay_bench_load``, remade at each run) gets STORES store companies (Chinese chart
of accounts, 13 % VAT, sandbox WeChat Pay and Alipay, an account at the tax platform). The tax platform is the
sandbox's pure-python simulator served by a process of its own (``nuonuo_platform_server.py``: it answers after
200 ms, issues an accepted invoice a second later and calls the seller back), as the real one is another company's
server. Odoo then runs as it would in production: ``--workers`` HTTP workers and two cron threads, on
127.0.0.1:8076 (gevent 8077); the jobs all due at once in a fresh copy of the database (auto-vacuum...) run before
the selling starts. SELLERS salespeople per store (threads) each loop through the whole cycle, over HTTP only,
at a pace that offers RATE sales a minute in all, until DURATION seconds have passed:

  order (JSON-RPC ``sale.order.create``) -> QR (``action_ev_collect``: the server opens both wallets' orders at the
  sandbox) -> the buyer pays in the sandbox wallet (``/ev_pay/sandbox/wallet/<token>/pay``) -> the signed callback
  is POSTed to the webhook as the platform would (timed; the sandbox's own delivery cron, never told of it,
  delivers it again: a real duplicate) -> the collection
  screen's polling (``ev_collection_state``) -> the server confirms, invoices, and its e-invoice cron issues the
  数电票 at the tax platform.

A watcher (in this process, its own cursor every 0.5 s) notes when each paid sale's invoice is issued. After the
selling time the bench waits up to DRAIN seconds for the last e-invoices, stops the server and counts: sales per
minute, webhook answer p50/p95, paid -> issued p95, errors (client side, and ERROR lines in the server log),
double payments and double invoices per order, and the CPU seconds the server (Odoo processes, PostgreSQL
backends) spent per sale: on a shared machine the times follow the load, the CPU per sale much less. It stops by
itself and talks to 127.0.0.1 only.

Run: bash scripts/bench.sh bench/bench_load.py
Tune: EVPAY_LOAD_STORES (4), EVPAY_LOAD_SELLERS (3 per store), EVPAY_LOAD_SECONDS (180), EVPAY_LOAD_WORKERS (4);
EVPAY_LOAD_DB (evpay_bench_load), EVPAY_LOAD_HTTP_PORT (8076; gevent on the next port, the tax platform on the one
after: EVPAY_LOAD_PLATFORM_PORT), EVPAY_LOAD_PLATFORM_IN_ODOO=1 (the sandbox addon's simulator served by the Odoo
under test, as before: every simulated 200 ms then holds one of its HTTP workers); EVPAY_LOAD_RATE (130 sales a
minute offered, all salespeople together: each starts a sale at its share of that pace; 0: each sells again as
soon as its sale is done, which measures the server's capacity at saturation).
"""
import collections
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
from benchlib import _configure, report

import odoo
from odoo import Command
from odoo.modules.registry import Registry
from odoo.tools import config

STORES = int(os.environ.get("EVPAY_LOAD_STORES", "4"))
SELLERS = int(os.environ.get("EVPAY_LOAD_SELLERS", "3"))
DURATION = int(os.environ.get("EVPAY_LOAD_SECONDS", "180"))
WORKERS = int(os.environ.get("EVPAY_LOAD_WORKERS", "4"))
# Sales offered per minute, all salespeople together (each starts a sale at its share of the pace, or at once when
# it is behind); 0: each sells again as soon as its sale is done (the server's capacity, at saturation).
RATE = float(os.environ.get("EVPAY_LOAD_RATE", "130"))
DRAIN = 90
HTTP_PORT = int(os.environ.get("EVPAY_LOAD_HTTP_PORT", "8076"))
GEVENT_PORT = int(os.environ.get("EVPAY_LOAD_GEVENT_PORT", str(HTTP_PORT + 1)))
LOAD_DB = os.environ.get("EVPAY_LOAD_DB", "evpay_bench_load")
BASE_URL = "http://127.0.0.1:%d" % HTTP_PORT
# The tax platform: a process of its own (bench/nuonuo_platform_server.py), as the real one is another company's
# server; EVPAY_LOAD_PLATFORM_IN_ODOO=1 uses the sandbox addon's simulator served by the Odoo under test instead.
PLATFORM_IN_ODOO = os.environ.get("EVPAY_LOAD_PLATFORM_IN_ODOO") == "1"
PLATFORM_PORT = int(os.environ.get("EVPAY_LOAD_PLATFORM_PORT", str(HTTP_PORT + 2)))
PLATFORM_URL = "http://127.0.0.1:%d" % PLATFORM_PORT
LATENCY_MS = 200
TAX_CODE = "1090305010000000000"  # any 19 digits: the simulator does not check the official table
TARGETS = {"sales/min": ">= 120", "errors": "0", "doubles": "0", "webhook p95": "< 1 s", "paid->issued p95": "< 15 s"}


# === database and stores === #

def make_database(source_db):
    """evpay_bench_load as a fresh copy (database and filestore) of the prepared bench database."""
    from odoo.service import db as db_service

    if db_service.exp_db_exist(LOAD_DB):
        db_service.exp_drop(LOAD_DB)
    db_service.exp_duplicate_database(source_db, LOAD_DB, neutralize_database=False)


def setup_stores(registry, platform_accounts):
    """STORES committed store companies with their providers, and tax platform. Returns store dicts; the tax
    platform's accounts are added to ``platform_accounts``."""
    stores = []
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        params = env["ir.config_parameter"]
        params.set_param("web.base.url", BASE_URL)
        params.set_param("web.base.url.freeze", "True")
        params.set_param("sale.automatic_invoice", "True")
        env.ref("base.user_admin").password = "admin"
        cr.commit()
        for index in range(STORES):
            name = "Load store %02d" % (index + 1)
            company = env["res.company"].create({
                "name": name, "currency_id": env.ref("base.CNY").id, "country_id": env.ref("base.cn").id,
                "state_id": env.ref("base.state_cn_SH").id})
            env["account.chart.template"].try_loading("cn", company=company, install_demo=False)
            env.ref("base.user_admin").company_ids |= company
            env.ref("base.user_root").company_ids |= company
            store_env = env(context={"allowed_company_ids": [company.id]})
            store_env["ev.store"].create({"name": name, "company_id": company.id, "taxpayer_kind": "general"})
            if PLATFORM_IN_ODOO:
                store_env["ev.einvoice.provider"].create({
                    "name": "Sandbox tax platform (%s)" % name, "company_id": company.id,
                    "state": "test", "seller_tax_id": "91310104MA1FR3XK4N", "drawer": "王店长",
                    "sandbox_mode": "normal", "sandbox_base_url": BASE_URL, "sandbox_latency_ms": LATENCY_MS,
                    "sandbox_issue_delay": 0.0, "timeout": 30})
            else:
                account = {"app_key": "benchload%02d" % index, "app_secret": secrets.token_hex(16),
                           "seller_name": name}
                platform_accounts.append(account)
                store_env["ev.einvoice.provider"].create({
                    "name": "Tax platform (%s)" % name, "company_id": company.id, "state": "test",
                    "seller_tax_id": "91310104MA1FR3XK4N", "drawer": "王店长", "api_base_url": PLATFORM_URL,
                    "app_key": account["app_key"], "app_secret": account["app_secret"], "timeout": 30})
            for code, method in (("wechatpay", "payment.payment_method_wechat_pay"),
                                 ("alipay", "payment.payment_method_alipay")):
                store_env["payment.provider"].create({
                    "name": "%s (%s)" % (code, name), "code": code, "company_id": company.id, "state": "test",
                    "payment_method_ids": [Command.set(env.ref(method).ids)]})
            stores.append({"company_id": company.id, "tax_ids": company.account_sale_tax_id.ids})
            cr.commit()
            print("  store %d/%d ready" % (index + 1, STORES), flush=True)
        product = env.ref("ev_pay_invoice.product_ev_collection")
        product.ev_tax_classification_code = TAX_CODE
        cr.commit()
        for store in stores:
            store["product_id"] = product.id
    return stores


# === the server === #

def start_server(logfile):
    command = [
        sys.executable, os.path.join(os.environ["EVPAY_ODOO_DIR"], "setup", "odoo"),
        "--addons-path", os.environ["EVPAY_ADDONS_PATH"], "--data-dir", os.environ["EVPAY_DATA_DIR"],
        "-d", LOAD_DB, "--db-filter", "^%s$" % LOAD_DB, "--http-interface", "127.0.0.1",
        "--http-port", str(HTTP_PORT), "--gevent-port", str(GEVENT_PORT), "--workers", str(WORKERS),
        "--max-cron-threads", "2", "--logfile", logfile, "--log-level", "info", "--limit-time-real", "300",
        "--db_maxconn", "64",
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)


def start_platform(folder, accounts):
    accounts_file = os.path.join(folder, "platform_accounts.json")
    with open(accounts_file, "w", encoding="utf-8") as handle:
        json.dump(accounts, handle)
    platform = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "nuonuo_platform_server.py"),
         str(PLATFORM_PORT), accounts_file], stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(PLATFORM_URL + "/", timeout=2)
            return platform
        except requests.exceptions.RequestException:
            time.sleep(0.3)
    raise RuntimeError("the tax platform simulator did not start")


def wait_health(server, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the Odoo server exited with %s" % server.returncode)
        try:
            if requests.get(BASE_URL + "/web/health", timeout=2).status_code == 200:
                return
        except requests.exceptions.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the Odoo server did not answer /web/health within %s s" % timeout)


def wait_crons_idle(registry, timeout=240):
    """Let the new server run the scheduled jobs that are all due at once in a fresh copy of the database
    (auto-vacuum, digests, queues...), as a server in service has long done, before the selling starts."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        with registry.cursor() as cr:
            cr.execute("""SELECT count(*) FROM ir_cron WHERE active AND (nextcall <= now() AT TIME ZONE 'UTC' OR id IN (
                              SELECT cron_id FROM ir_cron_trigger WHERE call_at <= now() AT TIME ZONE 'UTC'))""")
            if not cr.fetchone()[0]:
                return time.monotonic() - started
        time.sleep(2)
    return time.monotonic() - started


def _cpu_seconds(pid, children=True):
    """CPU time (user + system) of process ``pid``, with that of its reaped children; 0 if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    ticks = sum(int(value) for value in fields[11:15 if children else 13])  # utime stime (cutime cstime)
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(registry, server):
    """CPU seconds spent so far by the Odoo server (master, workers, cron workers, their reaped children such
    as wkhtmltopdf) and by the PostgreSQL backends serving its database."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[3]) == server.pid:  # its session: the server and its workers
                pids.add(int(entry))
    pids.add(server.pid)
    odoo_seconds = sum(_cpu_seconds(pid) for pid in pids)
    with registry.cursor() as cr:
        cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid != pg_backend_pid()", [LOAD_DB])
        backends = [pid for pid, in cr.fetchall()]
    return odoo_seconds, sum(_cpu_seconds(pid, children=False) for pid in backends)


def stop_server(server):
    if server.poll() is None:
        server.terminate()  # SIGTERM: the prefork server stops its workers gracefully
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


# === one salesperson === #

class Seller:
    def __init__(self, store, results):
        self.store = store
        self.results = results
        self.session = requests.Session()
        self.rpc_id = 0
        self.sales = 0

    def login(self):
        answer = self.session.post(BASE_URL + "/web/session/authenticate", json={
            "jsonrpc": "2.0", "params": {"db": LOAD_DB, "login": "admin", "password": "admin"}}, timeout=60)
        answer.raise_for_status()
        if answer.json().get("error"):
            raise RuntimeError("login: %s" % answer.json()["error"])

    def call(self, model, method, args, **kwargs):
        self.rpc_id += 1
        kwargs["context"] = {"allowed_company_ids": [self.store["company_id"]]}
        answer = self.session.post(BASE_URL + "/web/dataset/call_kw/%s/%s" % (model, method), json={
            "jsonrpc": "2.0", "id": self.rpc_id, "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}}, timeout=120)
        answer.raise_for_status()
        payload = answer.json()
        if payload.get("error"):
            error = payload["error"].get("data", {}).get("message") or payload["error"].get("message")
            raise RuntimeError("%s.%s: %s" % (model, method, error))
        return payload.get("result")

    def sell_once(self):
        store = self.store
        self.sales += 1
        buyer_id = self.call("res.partner", "create", [{  # each sale its buyer, as the cashier records them
            "name": "买家 %s-%d" % (threading.get_ident(), self.sales), "company_id": store["company_id"]}])
        order_id = self.call("sale.order", "create", [{
            "partner_id": buyer_id, "company_id": store["company_id"],
            "order_line": [Command.create({"product_id": store["product_id"], "name": "绿源 S30 电动自行车",
                                           "price_unit": random.choice((2599.0, 3199.0, 1899.0)),
                                           "tax_id": [Command.set(store["tax_ids"])]})]}])
        self.call("sale.order", "action_ev_collect", [[order_id]])
        state = self.call("sale.order", "ev_collection_state", [[order_id]])
        wallet = random.choice([tx for tx in state["transactions"] if tx["state"] == "pending"])
        paid = self.session.post(wallet["qr_content"] + "/pay", data={"confirm": "1"}, timeout=120)
        paid.raise_for_status()
        paid_at = time.monotonic()
        relay = paid.json().get("notification")
        if not relay:
            raise RuntimeError("the wallet queued no callback: %s" % paid.text[:200])
        start = time.perf_counter()
        answer = requests.post(relay["url"], data=relay["body"].encode("utf-8"), headers=relay["headers"],
                               timeout=120)
        webhook_seconds = time.perf_counter() - start
        accepted = answer.status_code in (200, 204) and (wallet["provider_code"] != "alipay"
                                                         or answer.text.strip() == "success")
        if not accepted:
            raise RuntimeError("webhook answered %s %s" % (answer.status_code, answer.text[:80]))
        self.call("sale.order", "ev_collection_state", [[order_id]])  # the screen polls once, as the cashier does
        self.results.sale(order_id, paid_at, webhook_seconds)

    def run(self, stop_at, interval):
        try:
            self.login()
        except Exception as error:
            self.results.error("login: %s" % error)
            return
        next_sale = time.monotonic() + random.uniform(0, interval)  # the salespeople do not start in step
        while True:
            if interval:
                time.sleep(max(0.0, next_sale - time.monotonic()))
                next_sale = max(next_sale, time.monotonic()) + interval  # when behind, no burst to catch up
            if time.monotonic() >= stop_at:
                return
            try:
                self.sell_once()
            except Exception as error:
                self.results.error(str(error)[:160])
                time.sleep(1)


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.paid_at = {}
        self.webhook_seconds = []
        self.errors = collections.Counter()

    def sale(self, order_id, paid_at, webhook_seconds):
        with self.lock:
            self.paid_at[order_id] = paid_at
            self.webhook_seconds.append(webhook_seconds)

    def error(self, text):
        with self.lock:
            self.errors[text] += 1

    def orders(self):
        with self.lock:
            return dict(self.paid_at)


# === watching the e-invoices === #

def issued_order_ids(env, order_ids):
    """The orders among ``order_ids`` whose customer invoice has its 数电票 issued."""
    moves = env["account.move"].search([
        ("line_ids.sale_line_ids.order_id", "in", list(order_ids)), ("move_type", "=", "out_invoice"),
        ("ev_einvoice_state", "=", "issued")])
    return set(moves.line_ids.sale_line_ids.order_id.ids) & set(order_ids)


def watch_einvoices(registry, results, issued_at, stop_event):
    while not stop_event.is_set():
        waiting = {order_id for order_id in results.orders() if order_id not in issued_at}
        if waiting:
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                now = time.monotonic()
                for order_id in issued_order_ids(env, waiting):
                    issued_at[order_id] = now
        stop_event.wait(0.5)


def count_doubles(registry, order_ids):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        figures = collections.Counter()
        for order in env["sale.order"].browse(order_ids):
            done = order.transaction_ids.filtered(lambda t: t.state == "done" and t.operation != "refund")
            payments = env["account.payment"].search_count([("payment_transaction_id", "in", done.ids)])
            invoices = order.invoice_ids.filtered(lambda m: m.state == "posted" and m.move_type == "out_invoice")
            numbers = set(invoices.filtered("ev_einvoice_number").mapped("ev_einvoice_number"))
            figures["double payments"] += len(done) > 1 or payments > 1
            figures["double invoices"] += len(invoices) > 1 or len(numbers) > 1
            figures["e-invoices failed"] += any(move.ev_einvoice_state == "failed" for move in invoices)
        return figures


def server_log_errors(logfile):
    with open(logfile, encoding="utf-8", errors="replace") as log:
        lines = [line for line in log if " ERROR " in line]
    return len(lines), lines[:3]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else float("nan")


def main():
    source_db = os.environ["EVPAY_BENCH_DB"]
    os.environ["EVPAY_BENCH_DB"] = LOAD_DB
    _configure()
    print("Copying %s to %s and making %d stores (Chinese chart each: about 20 s a store)" % (
        source_db, LOAD_DB, STORES), flush=True)
    make_database(source_db)
    registry = Registry(config["db_name"])
    platform_accounts = []
    stores = setup_stores(registry, platform_accounts)
    folder = tempfile.mkdtemp(prefix="evpay-load-")
    logfile = os.path.join(folder, "odoo.log")
    platform = None
    if not PLATFORM_IN_ODOO:
        platform = start_platform(folder, platform_accounts)
    server = start_server(logfile)
    results, issued_at, stop_event = Results(), {}, threading.Event()
    try:
        wait_health(server)
        print("Server up; its scheduled jobs due at start ran in %.0f s" % wait_crons_idle(registry), flush=True)
        load_before = os.getloadavg()
        cpu_before = server_cpu_seconds(registry, server)
        print("Server up (%d workers, 2 cron threads); %d stores x %d sellers selling for %d s" % (
            WORKERS, STORES, SELLERS, DURATION), flush=True)
        watcher = threading.Thread(target=watch_einvoices, args=(registry, results, issued_at, stop_event))
        watcher.start()
        started = time.monotonic()
        stop_at = started + DURATION
        interval = 60.0 * STORES * SELLERS / RATE if RATE else 0.0
        sellers = [threading.Thread(target=Seller(store, results).run, args=(stop_at, interval))
                   for store in stores for _seller in range(SELLERS)]
        for seller in sellers:
            seller.start()
        for seller in sellers:
            seller.join()
        selling_seconds = time.monotonic() - started
        load_during = os.getloadavg()
        drain_until = time.monotonic() + DRAIN
        while time.monotonic() < drain_until and len(issued_at) < len(results.orders()):
            time.sleep(0.5)
        stop_event.set()
        watcher.join()
        cpu_after = server_cpu_seconds(registry, server)
        # Counted while the server still runs: stopping it fails the e-invoices still waiting for its sandbox.
        doubles = count_doubles(registry, list(results.orders()))
    finally:
        stop_event.set()
        stop_server(server)
        if platform:
            stop_server(platform)

    orders = results.orders()
    log_errors, first_log_errors = server_log_errors(logfile)
    delays = [issued_at[order_id] - paid for order_id, paid in orders.items() if order_id in issued_at]
    client_errors = sum(results.errors.values())
    report("Load: %d stores x %d sellers %s, %d s, %d workers + 2 cron threads, e-invoice platform %d ms (%s)" % (
        STORES, SELLERS, "offering %g sales/min" % RATE if RATE else "each selling again at once", DURATION,
        WORKERS, LATENCY_MS,
        "served by the Odoo under test" if PLATFORM_IN_ODOO else "a process of its own"), [
        ("sales paid", len(orders), ""),
        ("sales per minute (sustained)", len(orders) * 60 / selling_seconds, "target %s" % TARGETS["sales/min"]),
        ("webhook answer p50", statistics.median(results.webhook_seconds) if orders else float("nan"), "s"),
        ("webhook answer p95", percentile(results.webhook_seconds, 0.95), "s, target %s" % TARGETS["webhook p95"]),
        ("e-invoices issued", len(delays), "of %d paid (after up to %d s drain)" % (len(orders), DRAIN)),
        ("paid -> issued p50", statistics.median(delays) if delays else float("nan"), "s"),
        ("paid -> issued p95", percentile(delays, 0.95), "s, target %s" % TARGETS["paid->issued p95"]),
        ("errors (client side)", client_errors, "target 0"),
        ("ERROR lines in the server log", log_errors, "target 0"),
        ("e-invoices failed", doubles["e-invoices failed"], "(before the server stopped)"),
        ("double payments", doubles["double payments"], "target 0"),
        ("double invoices", doubles["double invoices"], "target 0"),
        ("server CPU per sale: Odoo / PostgreSQL", "%.2f / %.2f" % (
            (cpu_after[0] - cpu_before[0]) / max(len(orders), 1), (cpu_after[1] - cpu_before[1]) / max(len(orders), 1)),
         "s (selling and drain; its own connections only)"),
        ("load average before / while selling", "%.2f / %.2f" % (load_before[0], load_during[0]),
         "(1 min; the machine is shared)"),
    ])
    for text, count in results.errors.most_common(5):
        print("  client error x%d: %s" % (count, text))
    for line in first_log_errors:
        print("  server log: %s" % line.strip()[:200])
    print("  server log: %s" % logfile)


if __name__ == "__main__":
    main()
