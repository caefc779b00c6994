"""Run Odoo's test runner (the server with --test-enable --stop-after-init) and report its counts.

Odoo's runner logs failures but prints no closing count; this wrapper reads the registry's assertion report after
the run and prints one line ``odoo: N passed, N failed`` and writes the counts as JSON (``--report-json PATH``).
"""
import json
import sys

import odoo
from odoo.cli.server import main
from odoo.modules.registry import Registry


def run(argv):
    report_path = None
    if "--report-json" in argv:
        at = argv.index("--report-json")
        report_path = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    try:
        main(argv)
        exit_code = 0
    except SystemExit as stop:
        exit_code = stop.code or 0
    db_name = odoo.tools.config["db_name"]
    registry = Registry.registries.get(db_name) if db_name else None
    report = registry._assertion_report if registry is not None else None
    if report is None:
        counts = {"run": 0, "failed": 1, "skipped": 0, "note": "the registry did not load"}
    else:
        failed = report.failures_count + report.errors_count
        counts = {"run": report.testsRun, "failed": failed, "skipped": report.skipped,
                  "passed": report.testsRun - failed - report.skipped}
    if exit_code and not counts["failed"]:
        counts["failed"] = 1  # the server itself failed (an install error): never report green
    counts.setdefault("passed", 0)
    print(f"odoo: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped", flush=True)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            json.dump(counts, handle)
    return 1 if counts["failed"] or not counts["run"] else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
