"""T+1 settlement of one busy day: 10,000 WeChat Pay collections (and 200 partial refunds) in one trade bill.

Measured, in the same process and database:
  A. the addon's path: import (parse, match, lines created through the ORM in batches) then post (one settlement
     entry, the clearing account reconciled in one reconcile() call per batch of RECONCILE_BATCH payments);
  B. the baseline: the same import, then the settlement line reconciled with each payment line in its own
     reconcile() call (a per-line ORM loop). The loop is run on the first LOOP_SAMPLE lines and extrapolated
     linearly to all lines (which favours the loop: each call gets slower as partials pile up).
Peak memory: the peak RSS of each stage (loading Odoo and the registry, the 50-line warm-up, A's import, A's
posting; each stage's peak is read apart by resetting the kernel's high-water mark), the process' peak over all of
them (Odoo's registry included: the target is on this one) and what it adds to the RSS of the idle process with
the registry loaded (measured before anything else; the bill files are generated in a child process so that
building them does not count).
B runs after A's figures are taken.

Set-up (10,000 transactions and their posted payments, booked on the clearing account) runs once in a child
process and is committed to the bench database; the measured runs are rolled back, and the tables they
touch are vacuumed before each run (dead rows of earlier runs would slow A and B down by a third).
Targets: A at least 10x faster than B; peak RSS at most 200 MB.
"""
import datetime
import os
import subprocess
import sys
import tempfile

from benchlib import current_rss_mb, measure, odoo_env, peak_rss_mb, report, reset_peak_rss, vacuum_analyze

TRANSACTIONS = int(os.environ.get("EVPAY_BENCH_SETTLEMENT_TX", 10_000))
REFUNDS = TRANSACTIONS // 50
LOOP_SAMPLE = int(os.environ.get("EVPAY_BENCH_SETTLEMENT_LOOP", 500))
PROVIDER_NAME = "Bench WeChat Pay (settlement %d)" % TRANSACTIONS
DAY = datetime.date(2025, 3, 18)
# The warm-up settles a day of its own provider: a 50-line bill of the big day would leave its 9,950 other payments
# "missing from the bill", 9,950 differences that no real day has.
WARM_TRANSACTIONS = 50
WARM_PROVIDER_NAME = "Bench WeChat Pay (settlement warm-up)"
WARM_DAY = DAY - datetime.timedelta(days=1)
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def _company(env):
    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading("cn", company, install_demo=False)
    if company.currency_id.name != "CNY":
        company.currency_id = env.ref("base.CNY")
    return company


def setup():
    """The providers of the big day and of the warm-up day, with their transactions (committed)."""
    with odoo_env(commit=True) as env:
        # The chart of accounts is committed first: its commit hook sets company options that cannot change once
        # the company has invoices (a fresh bench database failed on this).
        _company(env)
    with odoo_env(commit=True) as env:
        for name, transactions, day, series in ((PROVIDER_NAME, TRANSACTIONS, DAY, 0),
                                                (WARM_PROVIDER_NAME, WARM_TRANSACTIONS, WARM_DAY, 1)):
            if not env["payment.provider"].search_count([("name", "=", name)]):
                _setup_provider(env, name, transactions, day, series)


def _setup_provider(env, name, transactions, day, series):
    """A provider with ``transactions`` done transactions on ``day`` with their posted payments, and a partial refund
    of one in 50. ``series`` keeps the platform numbers of the two providers apart."""
    company = _company(env)
    env.ref("base.CNY").active = True
    provider = env["payment.provider"].create({"name": name, "code": "wechatpay", "state": "test",
                                               "company_id": company.id})
    provider._ev_settlement_setup()
    partner = env["res.partner"].create({"name": "张三 (bench)"})
    method = provider._ev_payment_method()
    paid_at = datetime.datetime.combine(day, datetime.time(12), tzinfo=BEIJING).astimezone(datetime.UTC)\
        .replace(tzinfo=None)
    cny = env.ref("base.CNY")
    txs = env["payment.transaction"].create([{
        "provider_id": provider.id, "payment_method_id": method.id, "reference": "B%d-%06d-WX" % (transactions, n),
        "provider_reference": "420%d%020d" % (series, n), "amount": 1000 + (n % 3000), "currency_id": cny.id,
        "partner_id": partner.id, "operation": "online_direct", "state": "done", "last_state_change": paid_at,
        "is_post_processed": True,
    } for n in range(transactions)])
    refunds = env["payment.transaction"].create([{
        "provider_id": provider.id, "payment_method_id": method.id,
        "reference": "B%d-%06d-WX-R1" % (transactions, n),
        "provider_reference": "5%d%026d" % (series, n), "amount": -100.0, "currency_id": cny.id,
        "partner_id": partner.id, "operation": "refund", "source_transaction_id": txs[n].id, "state": "done",
        "last_state_change": paid_at, "is_post_processed": True,
    } for n in range(transactions // 50)])
    line = provider._ev_method_line()
    all_txs = txs | refunds
    payments = env["account.payment"].create([{
        "amount": abs(tx.amount), "payment_type": "inbound" if tx.amount > 0 else "outbound",
        "partner_id": partner.id, "partner_type": "customer", "journal_id": provider.journal_id.id,
        "payment_method_line_id": line.id, "payment_transaction_id": tx.id, "memo": tx.reference,
        "date": day, "currency_id": cny.id, "company_id": company.id,
    } for tx in all_txs])
    payments.action_post()
    for tx, payment in zip(all_txs, payments):
        tx.payment_id = payment.id
    env["payment.transaction"].flush_model()


def bill_bytes(env, provider, day):
    from odoo.addons.ev_pay_sandbox.protocols import wechatpay_platform
    txs = env["payment.transaction"].search_fetch([("provider_id", "=", provider.id), ("operation", "!=", "refund")],
                                                  ["reference", "provider_reference", "amount"], order="id")
    refunds = env["payment.transaction"].search_fetch(
        [("provider_id", "=", provider.id), ("operation", "=", "refund"), ("source_transaction_id", "in", txs.ids)],
        ["reference", "provider_reference", "amount", "source_transaction_id"])
    moment = "%sT12:00:00+08:00" % day.isoformat()
    transactions = [{
        "sp_mchid": provider.wechatpay_mchid, "sub_mchid": provider.wechatpay_sub_mchid,
        "transaction_id": tx.provider_reference, "out_trade_no": tx.reference, "trade_state": "SUCCESS",
        "success_time": moment, "amount": {"total": round(tx.amount * 100), "currency": "CNY"},
        "description": "电动自行车",
    } for tx in txs]
    refund_dicts = [{
        "refund_id": refund.provider_reference, "out_refund_no": refund.reference,
        "transaction_id": refund.source_transaction_id.provider_reference,
        "out_trade_no": refund.source_transaction_id.reference, "status": "SUCCESS", "create_time": moment,
        "amount": {"total": round(refund.source_transaction_id.amount * 100), "refund": round(-refund.amount * 100),
                   "currency": "CNY"},
    } for refund in refunds]
    return wechatpay_platform.build_trade_bill(day, transactions, refund_dicts).encode()


def write_bills(folder):
    """Child process: write the day's bill and the warm-up day's bill into ``folder``."""
    with odoo_env() as env:
        for filename, provider_name, day in (("day.csv", PROVIDER_NAME, DAY),
                                             ("warm.csv", WARM_PROVIDER_NAME, WARM_DAY)):
            provider = env["payment.provider"].search([("name", "=", provider_name)], limit=1)
            with open(os.path.join(folder, filename), "wb") as bill:
                bill.write(bill_bytes(env, provider, day))


TABLES = ("account_move", "account_move_line", "account_partial_reconcile", "account_full_reconcile",
          "account_payment", "payment_transaction", "ev_settlement_line")


def main():
    rss_start = current_rss_mb()
    with odoo_env() as env:
        if env["payment.provider"].search_count([("name", "in", (PROVIDER_NAME, WARM_PROVIDER_NAME))]) < 2:
            print("Setting up %d transactions with their payments (once, committed)…" % TRANSACTIONS, flush=True)
            env.cr.rollback()
            subprocess.run([sys.executable, __file__, "--setup"], check=True)
    vacuum_analyze(TABLES)
    with odoo_env() as env:
        provider = env["payment.provider"].search([("name", "=", PROVIDER_NAME)], limit=1)
        Settlement = env["ev.settlement"]
        clearing = provider.ev_clearing_account_id
        rss_registry = current_rss_mb()  # idle process, registry loaded
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, __file__, "--bills", folder], check=True)
            with open(os.path.join(folder, "day.csv"), "rb") as bill:
                data = bill.read()
            with open(os.path.join(folder, "warm.csv"), "rb") as bill:
                warm_data = bill.read()

        # Warm-up (Odoo builds its field-trigger trees and caches on first use): a 50-line day, rolled back.
        warm_provider = env["payment.provider"].search([("name", "=", WARM_PROVIDER_NAME)], limit=1)
        peak_loading = peak_rss_mb()  # Odoo started, registry loaded, bill files read
        stage_peaks = reset_peak_rss()
        env.cr.execute("SAVEPOINT bench_warmup")
        _warm, _created = Settlement._ev_import_bill(warm_provider, warm_data, "warm.csv", bill_date=WARM_DAY,
                                                     post=True)
        env.flush_all()
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_warmup")
        env.invalidate_all(flush=False)
        rss_warm = current_rss_mb()
        peak_warm = peak_rss_mb()

        # A. batch: import + match, then post + one reconcile() per batch.
        env.cr.execute("SAVEPOINT bench_batch")
        reset_peak_rss()
        with measure() as imported:
            bill, _created = Settlement._ev_import_bill(provider, data, "bench.csv", bill_date=DAY, post=False)
            env.flush_all()
        settlement = bill.settlement_id
        peak_imported = peak_rss_mb()
        reset_peak_rss()
        with measure() as posted:
            settlement.action_post()
            env.cr.flush()  # the precommit hooks (chatter tracking) too, as the commit of the import would run them
        peak_posted = peak_rss_mb()
        peak_process = max(peak_loading, peak_warm, peak_imported, peak_posted)
        day_payments = settlement.line_ids.transaction_id.payment_id
        open_after = env["account.move.line"].search_count([
            ("account_id", "=", clearing.id), ("payment_id", "in", day_payments.ids),
            ("full_reconcile_id", "=", False)])
        lines = len(settlement.line_ids)
        differences = settlement.open_difference_count
        difference_kinds = ", ".join(sorted(set(settlement.difference_ids.mapped("kind")))) or "-"
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_batch")
        env.invalidate_all(flush=False)

        # B. per-line loop: same import, entry posted, then one reconcile() per payment line.
        with measure() as imported_b:
            bill, _created = Settlement._ev_import_bill(provider, data, "bench.csv", bill_date=DAY, post=False)
            env.flush_all()
        settlement = bill.settlement_id
        payment_lines = settlement._ev_clearing_lines(settlement.line_ids.transaction_id)
        total = len(payment_lines)
        with measure() as entry_b:
            # The same entry as A, without its reconcile().
            move_line = _post_entry_only(env, settlement, clearing)
        sample = payment_lines[:LOOP_SAMPLE]
        with measure() as loop:
            for line in sample:
                (move_line | line).reconcile()
            env.flush_all()
        env.cr.execute("ROLLBACK")

    loop_total = loop["seconds"] * total / max(len(sample), 1)
    batch_total = imported["seconds"] + posted["seconds"]
    baseline_total = imported_b["seconds"] + entry_b["seconds"] + loop_total
    report("Settlement of one day: %d bill lines (%d collections, %d refunds)" % (lines, TRANSACTIONS, REFUNDS), [
        ("A import + match", imported["seconds"], "s, %d queries" % imported["queries"]),
        ("A post + batch reconcile", posted["seconds"], "s, %d queries" % posted["queries"]),
        ("A total", batch_total, "s"),
        ("B per-line reconcile, %d sampled" % len(sample), loop["seconds"], "s, %d queries" % loop["queries"]),
        ("B per-line reconcile, all %d (extrap.)" % total, loop_total, "s"),
        ("B total (extrapolated)", baseline_total, "s"),
        ("speed-up, reconcile stage", loop_total / max(posted["seconds"], 1e-9), "x (target >= 10)"),
        ("speed-up, whole day", baseline_total / max(batch_total, 1e-9), "x (target >= 10)"),
        ("payment clearing lines not fully reconciled", open_after, "(expected 0)"),
        ("open differences after A", differences,
         "(%s; no_payout is expected: the bench has no bank statement)" % difference_kinds),
        ("RSS with Odoo imported, no registry", rss_start, "MB"),
        ("RSS idle, registry loaded (baseline)", rss_registry, "MB"),
        ("peak RSS while loading Odoo and the registry", peak_loading, "MB"),
        ("peak RSS during the 50-line warm-up", peak_warm, "MB (%0.1f MB after it)" % rss_warm),
        ("peak RSS during A's import + match", peak_imported, "MB" if stage_peaks else "MB (since the start)"),
        ("peak RSS during A's post + reconcile", peak_posted, "MB" if stage_peaks else "MB (since the start)"),
        ("peak RSS of the process, all stages", peak_process, "MB (target <= 200)"),
        ("peak RSS increase over the baseline", peak_process - rss_registry, "MB"),
    ])


def _post_entry_only(env, settlement, clearing):
    """Book A's settlement entry (same lines) and return its clearing line, reconciling nothing."""
    from odoo import Command
    provider = settlement.provider_id
    booked = sum(settlement._ev_clearing_lines(settlement.line_ids.transaction_id).mapped("balance"))
    move = env["account.move"].create({
        "move_type": "entry", "journal_id": provider.ev_settlement_journal_id.id, "date": settlement.date,
        "line_ids": [
            Command.create({"account_id": clearing.id, "name": "clearing", "credit": booked}),
            Command.create({"account_id": provider.ev_fee_account_id.id, "name": "fees",
                            "debit": settlement.fee_amount}),
            Command.create({"account_id": provider.ev_payout_account_id.id, "name": "payout",
                            "debit": booked - settlement.fee_amount}),
        ],
    })
    move.action_post()
    return move.line_ids.filtered(lambda line: line.account_id == clearing)


if __name__ == "__main__":
    if "--setup" in sys.argv:
        setup()
    elif "--bills" in sys.argv:
        write_bills(sys.argv[sys.argv.index("--bills") + 1])
    else:
        main()
