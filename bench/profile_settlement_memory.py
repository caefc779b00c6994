"""Where the settlement bench's peak memory goes: the RSS of A's import and posting sampled every 2 ms, by phase.

Not a benchmark (`make bench` does not run it): a tool to read next to bench_settlement_import.py. It runs the
same warm-up and the same A path on the bench database (set up by that benchmark first), rolled back, and prints
for each phase (the settlement's steps, the ORM calls they make, each reconcile() call) the highest RSS seen
while it ran. RSS that a phase reaches stays with the process (freed Python memory is reused, not returned), so
read the first phase where the figure jumps. Run: bash scripts/bench.sh bench/profile_settlement_memory.py
"""
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time

import bench_settlement_import as day_bench
from benchlib import current_rss_mb, odoo_env, peak_rss_mb, reset_peak_rss, vacuum_analyze

SETTLEMENT_STEPS = ("_ev_parse_bill", "_ev_add_bill_lines", "_ev_match_vals", "_ev_compute_differences",
                    "_ev_missing_from_bill", "_ev_book_new_lines", "_ev_clearing_lines", "_ev_reconcile_in_batches",
                    "_ev_match_payout", "message_post")


class PhaseSampler:
    """Highest RSS per phase (the innermost three labels of the phase stack), in the order first seen."""

    def __init__(self):
        self.stack, self.peaks, self.running = ["start"], {}, True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while self.running:
            label = "/".join(self.stack[-3:])
            self.peaks[label] = max(self.peaks.get(label, 0.0), current_rss_mb())
            time.sleep(0.002)

    def wrap(self, cls, name, label=None):
        original = getattr(cls, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            self.stack.append(label or name)
            try:
                return original(*args, **kwargs)
            finally:
                self.stack.pop()
        setattr(cls, name, wrapper)


def main():
    vacuum_analyze(day_bench.TABLES)
    sampler = PhaseSampler()
    with odoo_env() as env:
        provider = env["payment.provider"].search([("name", "=", day_bench.PROVIDER_NAME)], limit=1)
        warm_provider = env["payment.provider"].search([("name", "=", day_bench.WARM_PROVIDER_NAME)], limit=1)
        if not provider or not warm_provider:
            sys.exit("Run bench/bench_settlement_import.py first: it sets the day up.")
        for name in SETTLEMENT_STEPS:
            sampler.wrap(type(env["ev.settlement"]), name)
        for model, name, label in (("account.move.line", "reconcile", "reconcile"),
                                   ("account.move", "create", "move.create"),
                                   ("account.move", "action_post", "move.action_post"),
                                   ("ev.settlement.line", "create", "line.create"),
                                   ("ev.settlement.line", "write", "line.write"),
                                   ("ev.settlement.bill", "write", "bill.write"),
                                   ("ev.settlement.difference", "create", "difference.create")):
            sampler.wrap(type(env[model]), name, label)
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, day_bench.__file__, "--bills", folder], check=True)
            with open(os.path.join(folder, "day.csv"), "rb") as bill:
                data = bill.read()
            with open(os.path.join(folder, "warm.csv"), "rb") as bill:
                warm_data = bill.read()
        Settlement = env["ev.settlement"]
        env.cr.execute("SAVEPOINT profile_warmup")
        Settlement._ev_import_bill(warm_provider, warm_data, "warm.csv", bill_date=day_bench.WARM_DAY, post=True)
        env.flush_all()
        env.cr.execute("ROLLBACK TO SAVEPOINT profile_warmup")
        env.invalidate_all(flush=False)
        reset_peak_rss()
        base = current_rss_mb()
        sampler.thread.start()
        sampler.stack[:] = ["import"]
        bill, _created = Settlement._ev_import_bill(provider, data, "bench.csv", bill_date=day_bench.DAY, post=False)
        env.flush_all()
        sampler.stack[:] = ["post"]
        bill.settlement_id.action_post()
        env.cr.flush()
        sampler.stack[:] = ["end"]
        time.sleep(0.05)
        sampler.running = False
        sampler.thread.join()
        env.cr.rollback()
    print("\n== Peak RSS by phase (MB; after the warm-up %.1f MB, process peak %.1f MB)" % (base, peak_rss_mb()))
    width = max(len(label) for label in sampler.peaks)
    for label, peak in sampler.peaks.items():
        print("  %-*s  %7.1f  (+%.1f)" % (width, label, peak, peak - base))


if __name__ == "__main__":
    main()
