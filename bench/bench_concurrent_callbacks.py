"""50 truly concurrent duplicate payment callbacks against a real multi-worker Odoo: one payment, one invoice.

The HttpCase test ``test_concurrent_duplicate_callbacks`` proves idempotency only: Odoo's test server shares one
cursor, so its 50 requests run one after the other. Here a real server runs with 4 worker processes, each with
its own database connection and REPEATABLE READ transactions, so the duplicates really race on the row lock.

Per channel (WeChat Pay, then Alipay):
1. a sale order of a sandbox store is committed and collected (``action_ev_collect``: the QR orders are opened
   at the simulator of the running server, over HTTP), then paid on the simulated wallet page (HTTP); the wallet
   answers the signed callback the simulator queued (``ev.pay.sandbox.notification``: URL, headers, body) —
   the exact bytes the platform would POST;
2. 50 threads POST that callback to the webhook at the same instant (``threading.Barrier``);
3. the webhook leaves post-processing (confirm, invoice, payment) to Odoo's post-processing cron and the
   collection screen's polling; the server runs without cron threads, so both are raced here, in-process, each
   thread with its own database cursor, released together: one runs Odoo's ``_cron_post_process`` on the
   transaction (no lock of its own; it rolls back on a serialisation failure as the cron does), the others call
   the collection screen's ``_ev_post_process_locked`` (retried on serialisation failures as Odoo retries a
   request);
4. after the server is stopped, a fresh cursor counts the done transactions, account.payment records and posted
   invoices of the order: PASS is 1 / 1 / 1; and the server log of the burst must hold no ERROR line and no
   traceback (duplicates are answered before the lock or retried by Odoo at INFO level).

Run: EVPAY_BENCH_DB=evpay_bench_race bash scripts/bench.sh bench/bench_concurrent_callbacks.py
"""
import collections
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
from benchlib import _configure, odoo_env, report

import odoo
from odoo import Command
from odoo.modules.registry import Registry

CALLBACKS = 50
POST_PROCESSORS = 10
WORKERS = 4
COMPANY_NAME = "Race bench store"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(db, http_port, logfile):
    command = [
        sys.executable, os.path.join(os.environ["EVPAY_ODOO_DIR"], "setup", "odoo"),
        "--addons-path", os.environ["EVPAY_ADDONS_PATH"], "--data-dir", os.environ["EVPAY_DATA_DIR"],
        "-d", db, "--db-filter", "^%s$" % db, "--http-interface", "127.0.0.1", "--http-port", str(http_port),
        "--gevent-port", str(_free_port()), "--workers", str(WORKERS), "--max-cron-threads", "0",
        "--logfile", logfile, "--log-level", "info", "--limit-time-real", "300",
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_health(base_url, server, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the Odoo server exited with %s" % server.returncode)
        try:
            if requests.get(base_url + "/web/health", timeout=2).status_code == 200:
                return
        except requests.exceptions.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the Odoo server did not answer /web/health within %s s" % timeout)


def _stop_server(server):
    if server.poll() is None:
        server.terminate()  # SIGTERM: the prefork server stops its workers gracefully
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def _setup_store(base_url):
    """Committed: a Chinese company with sandbox WeChat Pay and Alipay providers; web.base.url = our server.
    Returns (company id, previous web.base.url)."""
    with odoo_env(commit=True) as env:
        params = env["ir.config_parameter"]
        previous = params.get_param("web.base.url")
        params.set_param("web.base.url", base_url)
        params.set_param("sale.automatic_invoice", "True")
        company = env["res.company"].search([("name", "=", COMPANY_NAME)], limit=1)
        if not company:
            company = env["res.company"].create({"name": COMPANY_NAME, "country_id": env.ref("base.cn").id,
                                                 "currency_id": env.ref("base.CNY").id})
            env["account.chart.template"].try_loading("cn", company=company, install_demo=False)
        env.user.company_ids |= company
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        for code, name, method in (("wechatpay", "WeChat Pay (race bench)", "payment.payment_method_wechat_pay"),
                                   ("alipay", "Alipay (race bench)", "payment.payment_method_alipay")):
            if not env["payment.provider"].search([("code", "=", code), ("company_id", "=", company.id)]):
                env["payment.provider"].create({
                    "name": name, "code": code, "company_id": company.id, "state": "test",
                    "payment_method_ids": [Command.set(env.ref(method).ids)],
                })
        return company.id, previous


def _collect_and_pay(company_id, channel, amount):
    """Commit an order, collect it (QRs opened at the running simulator), pay ``channel`` on the wallet page.
    Returns (order id, transaction id, notification payload {url, headers, body})."""
    with odoo_env(commit=True) as env:
        env = env(context=dict(env.context, allowed_company_ids=[company_id]))
        company = env["res.company"].browse(company_id)
        buyer = env["res.partner"].create({"name": "张三", "company_id": company.id})
        order = env["sale.order"].create({
            "partner_id": buyer.id, "company_id": company.id,
            "order_line": [Command.create({"product_id": env.ref("ev_pay_invoice.product_ev_collection").id,
                                           "name": "绿源 S30 电动自行车", "price_unit": amount,
                                           "tax_id": [Command.clear()]})],
        })
        order.action_ev_collect()
        tx = order.ev_collection_tx_ids.filtered(lambda t: t.provider_code == channel)
        assert len(tx) == 1 and tx.state == "pending", (channel, tx.mapped("state"))
        order_id, tx_id, qr = order.id, tx.id, tx.ev_qr_content
    # The buyer scans and pays on the simulated wallet (served by the running server, committed there).
    answer = requests.post(qr + "/pay", data={"confirm": "1"}, timeout=60)
    answer.raise_for_status()
    notification = answer.json().get("notification")
    assert notification, "the wallet queued no callback: %s" % answer.text
    return order_id, tx_id, notification


def _fire(webhook_url, headers, body):
    """POST the same callback from CALLBACKS threads released together; returns [(status, text, seconds)]."""
    barrier = threading.Barrier(CALLBACKS)
    results = [None] * CALLBACKS

    def post(index):
        barrier.wait()
        start = time.perf_counter()
        try:
            response = requests.post(webhook_url, data=body, headers=headers, timeout=300)
            results[index] = (response.status_code, response.text.strip()[:40], time.perf_counter() - start)
        except requests.exceptions.RequestException as error:
            results[index] = ("error %s" % type(error).__name__, "", time.perf_counter() - start)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(CALLBACKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _race_post_processing(tx_id):
    """POST_PROCESSORS threads, each on its own cursor, post-process the paid transaction at the same instant."""
    from odoo.service.model import retrying

    registry = Registry(odoo.tools.config["db_name"])
    barrier = threading.Barrier(POST_PROCESSORS)
    outcomes = collections.Counter()
    lock = threading.Lock()

    def poll_path(env):
        # The collection screen's polling (ev_collection_state -> _ev_poll -> _ev_post_process_locked).
        return bool(env["payment.transaction"].browse(tx_id)._ev_post_process_locked())

    def cron_path(env):
        # Odoo's post-processing cron: its own search, then _post_process per transaction, commit or rollback.
        txs = env["payment.transaction"].search([("id", "=", tx_id), ("is_post_processed", "=", False)])
        if txs:
            txs._cron_post_process()
        return bool(txs)

    def run(index):
        # One cron run (ir.cron never runs one job twice at a time), the other threads are screens polling.
        kind, path = ("cron", cron_path) if index == 0 else ("poll", poll_path)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            barrier.wait()
            try:
                if kind == "poll":
                    worked = retrying(lambda: poll_path(env), env)
                else:
                    worked = path(env)
                    cr.commit()
                outcome = "%s: %s" % (kind, "ran" if worked else "nothing to do")
            except Exception as error:  # reported, not hidden
                cr.rollback()
                outcome = "%s: %s" % (kind, type(error).__name__)
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(POST_PROCESSORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _count(order_id):
    with odoo_env() as env:
        order = env["sale.order"].browse(order_id)
        txs = order.transaction_ids
        done = txs.filtered(lambda t: t.state == "done" and t.operation != "refund")
        payments = env["account.payment"].search([("payment_transaction_id", "in", txs.ids)])
        invoices = order.invoice_ids.filtered(lambda move: move.state == "posted" and move.move_type == "out_invoice")
        all_moves = env["account.move"].search([("invoice_origin", "=", order.name),
                                                ("move_type", "=", "out_invoice")])
        return {"done": len(done), "payments": len(payments), "invoices": len(invoices),
                "invoices_by_origin": len(all_moves.filtered(lambda m: m.state == "posted")),
                "order_state": order.state, "payment_state": ",".join(invoices.mapped("payment_state"))}


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _log_summary(logfile, since):
    """Serialisation failures / retries and errors the server logged during the burst."""
    with open(logfile, encoding="utf-8", errors="replace") as log:
        log.seek(since)
        text = log.read()
    lines = text.splitlines()
    return {
        "request retries (serialisation failures, logged at INFO)": text.count("tries left"),
        "ERROR lines (target 0: a duplicate is an expected event)": sum(1 for line in lines if " ERROR " in line),
        "tracebacks (target 0)": text.count("Traceback (most recent call last)"),
        "WARNING lines": sum(1 for line in lines if " WARNING " in line),
        "refused callbacks": text.count("callback refused") + text.count("notification refused"),
    }


def main():
    _configure()
    db = os.environ["EVPAY_BENCH_DB"]
    port = _free_port()
    base_url = "http://127.0.0.1:%d" % port
    logfile = os.path.join(tempfile.mkdtemp(prefix="evpay-race-"), "odoo.log")
    previous_base_url = None
    server = _start_server(db, port, logfile)
    results = []
    try:
        _wait_health(base_url, server)
        company_id, previous_base_url = _setup_store(base_url)
        for channel, amount in (("wechatpay", 2599.0), ("alipay", 3199.0)):
            order_id, tx_id, notification = _collect_and_pay(company_id, channel, amount)
            webhook_url = base_url + "/payment/%s/webhook" % channel
            assert notification["url"] == webhook_url, (notification["url"], webhook_url)
            log_offset = os.path.getsize(logfile)
            body = notification["body"].encode("utf-8")
            burst_start = time.perf_counter()
            answers = _fire(webhook_url, notification["headers"], body)
            burst = time.perf_counter() - burst_start
            server_log = _log_summary(logfile, log_offset)
            post = _race_post_processing(tx_id)
            results.append((channel, order_id, answers, burst, server_log, post))
    finally:
        _stop_server(server)
        if previous_base_url is not None:
            with odoo_env(commit=True) as env:
                env["ir.config_parameter"].set_param("web.base.url", previous_base_url)

    print("\nServer: %d workers, no cron threads, log %s; load average %.2f (the machine is shared)" % (
        WORKERS, logfile, os.getloadavg()[0]))
    for channel, order_id, answers, burst, server_log, post in results:
        counts = _count(order_id)  # fresh cursor, server stopped
        times = [seconds for _status, _text, seconds in answers]
        histogram = collections.Counter("%s %s" % (status, text) if text else str(status)
                                        for status, text, _s in answers)
        ok = counts["done"] == 1 and counts["payments"] == 1 and counts["invoices"] == 1 \
            and counts["invoices_by_origin"] == 1
        report("%s: %d identical callbacks at once on %d workers" % (channel, CALLBACKS, WORKERS), [
            *(("status %s" % key, value, "") for key, value in sorted(histogram.items())),
            ("answer time p50", statistics.median(times), "s"),
            ("answer time p95", _percentile(times, 0.95), "s"),
            ("answer time max", max(times), "s"),
            ("whole burst", burst, "s"),
            *((key, value, "(server log during the burst)") for key, value in server_log.items()),
            *(("post-processing %s" % key, value, "") for key, value in sorted(post.items())),
            ("done transactions", counts["done"], "(expected 1)"),
            ("order state / invoice payment state", "%s / %s" % (counts["order_state"], counts["payment_state"]), ""),
        ])
        print("  payments: %d, invoices: %d  -> %s (expected 1/1)" % (
            counts["payments"], counts["invoices"], "PASS" if ok else "FAIL"))


if __name__ == "__main__":
    main()
