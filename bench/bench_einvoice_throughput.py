"""E-invoices issued per minute through the sandbox tax platform when each provider call takes 200 ms.

Starts Odoo (prefork) on the bench database twice: with one worker (1 HTTP worker serving the simulated platform,
1 cron worker issuing) and with two (2 + 2). The queue is one cron job on Odoo's progress API: Odoo runs a job on one
cron worker at a time, so the second cron worker only helps the other jobs; the second HTTP worker serves the
simulated platform. For each, it posts a batch of paid-looking customer invoices, requests their e-invoices, and
times until every one is issued (number, PDF and XML stored). It also checks that no order number reached the
platform twice.

Run: bash scripts/bench.sh bench/bench_einvoice_throughput.py   (EVPAY_BENCH_EINVOICE_COUNT, _PORT to tune)
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request

from benchlib import odoo_env, report

COUNT = int(os.environ.get("EVPAY_BENCH_EINVOICE_COUNT", "60"))
PORT = int(os.environ.get("EVPAY_BENCH_EINVOICE_PORT", "8279"))
LATENCY_MS = 200
TIMEOUT = 400
TAX_CODE = "1090305010000000000"  # any 19 digits: the simulator does not check the official table


def setup():
    with odoo_env(commit=True) as env:
        company = bench_company(env)
        if not env["ev.store"].search([("company_id", "=", company.id)]):
            env["ev.store"].create({"name": "Bench store", "company_id": company.id, "taxpayer_kind": "general"})
        providers = env["ev.einvoice.provider"].search([("company_id", "=", company.id)])
        provider = providers.filtered(lambda p: p.name == "Bench sandbox")
        (providers - provider).write({"state": "disabled"})
        values = {"name": "Bench sandbox", "company_id": company.id, "state": "test",
                  "seller_tax_id": "91310104MA1FR3XK4N", "drawer": "王店长", "sandbox_mode": "normal",
                  "sandbox_base_url": f"http://127.0.0.1:{PORT}", "sandbox_latency_ms": LATENCY_MS,
                  "sandbox_issue_delay": 0.0, "timeout": 30}
        if provider:
            provider.write(values)
        else:
            env["ev.einvoice.provider"].create(values)
        env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue").active = True


def bench_company(env):
    """A Chinese company (CNY, Chinese chart of accounts, Shanghai) of its own, made on first use."""
    company = env["res.company"].search([("name", "=", "Bench e-bike store")], limit=1)
    if not company:
        company = env["res.company"].create({
            "name": "Bench e-bike store", "currency_id": env.ref("base.CNY").id, "country_id": env.ref("base.cn").id,
            "state_id": env.ref("base.state_cn_SH").id,
        })
        env.ref("base.user_root").company_ids += company
        env["account.chart.template"].try_loading("cn", company, install_demo=False)
    return company


def make_invoices(count):
    with odoo_env(commit=True) as env:
        company = bench_company(env)
        env = env(context={"allowed_company_ids": company.ids})
        product = env["product.product"].search([("name", "=", "Bench e-bike")], limit=1) or \
            env["product.product"].create({"name": "Bench e-bike", "list_price": 3999.0,
                                           "ev_tax_classification_code": TAX_CODE})
        partner = env["res.partner"].search([("name", "=", "张三丰")], limit=1) or \
            env["res.partner"].create({"name": "张三丰"})
        invoices = env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": partner.id, "company_id": company.id,
            "invoice_line_ids": [(0, 0, {"product_id": product.id, "quantity": 1, "price_unit": 3999.0})],
        } for _index in range(count)])
        invoices.action_post()
        invoices._ev_einvoice_request()
        env["ev.einvoice.submission"]._trigger_cron()
        return invoices.ids


def progress(ids):
    with odoo_env() as env:
        env.cr.execute("""SELECT ev_einvoice_state, count(*) FROM account_move WHERE id = ANY(%s)
                          GROUP BY ev_einvoice_state""", (ids,))
        return dict(env.cr.fetchall())


def duplicates(ids):
    with odoo_env() as env:
        env.cr.execute("""SELECT count(*) FROM ev_einvoice_sandbox_invoice s
                          JOIN ev_einvoice_submission m ON m.order_no = s.order_no
                          WHERE m.move_id = ANY(%s)""", (ids,))
        platform_invoices = env.cr.fetchone()[0]
        env.cr.execute("""SELECT count(*) FROM ev_einvoice_sandbox_call c
                          JOIN ev_einvoice_submission m ON m.order_no = c.order_no
                          WHERE m.move_id = ANY(%s) AND c.api_method LIKE '%%requestBillingNew' AND c.code = 'E0000'""",
                       (ids,))
        return platform_invoices, env.cr.fetchone()[0]


def start_server(workers):
    log = open(os.path.join(os.environ["EVPAY_DATA_DIR"], f"bench-einvoice-{workers}w.log"), "w")  # noqa: SIM115
    db = os.environ["EVPAY_BENCH_DB"]
    command = [sys.executable, os.path.join(os.environ["EVPAY_ODOO_DIR"], "setup", "odoo"),
               "--addons-path", os.environ["EVPAY_ADDONS_PATH"], "--data-dir", os.environ["EVPAY_DATA_DIR"],
               "-d", db, "--db-filter", f"^{db}$", "--http-interface", "127.0.0.1", "--http-port", str(PORT),
               "--workers", str(workers), "--max-cron-threads", str(workers), "--log-level", "warn",
               "--limit-time-real", "600", "--limit-time-real-cron", "600", "--limit-time-cpu", "600"]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/login", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError(f"Odoo did not start on port {PORT}; see {log.name}")


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run(workers):
    setup()
    server = start_server(workers)
    try:
        started = time.perf_counter()
        ids = make_invoices(COUNT)
        first_issued = None
        states = {}
        while time.perf_counter() - started < TIMEOUT:
            states = progress(ids)
            if states.get("issued") and first_issued is None:
                first_issued = time.perf_counter() - started
            if states.get("issued", 0) + states.get("failed", 0) >= len(ids):
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
    finally:
        stop_server(server)
    issued = states.get("issued", 0)
    platform_invoices, accepted = duplicates(ids)
    return {
        "workers": workers, "issued": issued, "failed": states.get("failed", 0), "elapsed": elapsed,
        "per_minute": issued / elapsed * 60, "first": first_issued or 0.0,
        "platform_invoices": platform_invoices, "accepted": accepted,
    }


def main():
    results = [run(1), run(2)]
    for result in results:
        workers = result["workers"]
        report(f"E-invoice throughput, {workers} Odoo worker(s) + {workers} cron worker(s), "
               f"{LATENCY_MS} ms per provider call", [
                   ("invoices requested", COUNT, ""),
                   ("issued (number, PDF, XML)", result["issued"], ""),
                   ("failed", result["failed"], ""),
                   ("wall time", result["elapsed"], "s (from posting to the last one issued)"),
                   ("first issued after", result["first"], "s"),
                   ("invoices issued per minute", result["per_minute"], "/min"),
                   ("platform invoices for these orders", result["platform_invoices"], f"(expected {COUNT})"),
                   ("accepted requestBillingNew calls", result["accepted"], f"(expected {COUNT})"),
               ])


if __name__ == "__main__":
    main()
