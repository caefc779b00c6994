"""Bundle sale: scan-check time and SQL queries per scan with 1,000 and with 100,000 serials, and one submission.

Targets (issue 3): time ratio 100k / 1k ≤ 1.2, ≤ 8 queries per scan. Everything runs in one transaction that is
rolled back. Run: `bash scripts/bench.sh bench/bench_bundle_scan.py` (or `make bench`).
"""
import statistics

from benchlib import measure, odoo_env, report

SAMPLES = 150  # scans per role and size (median)
SMALL, LARGE = 1_000, 100_000


def add_filler_serials(env, catalogue, total, start):
    """Bulk-insert serials (vehicles, batteries, chargers in equal parts) with one unit each in stock, by SQL: the
    ORM would take minutes for 100,000 and the scan does not care how the rows were written."""
    company = env.company
    location = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
    products = [
        (catalogue["white"].id, "vehicle", "3104226%s", 8),
        (catalogue["battery"].product_variant_id.id, "battery", "TN4820G26%s", 8),
        (catalogue["charger"].product_variant_id.id, "charger", "MA5F%s26A1", 5),
    ]
    per_role = total // 3
    for product_id, role, pattern, width in products:
        env.cr.execute("""
            WITH new_lots AS (
                INSERT INTO stock_lot (name, product_id, company_id, ev_role, create_uid, write_uid, create_date,
                                       write_date)
                SELECT format(%s, lpad(n::text, %s, '0')), %s, %s, %s, 1, 1, now(), now()
                  FROM generate_series(%s, %s) AS n
                RETURNING id
            )
            INSERT INTO stock_quant (product_id, location_id, lot_id, company_id, quantity, reserved_quantity,
                                     in_date, create_uid, write_uid, create_date, write_date)
            SELECT %s, %s, id, %s, 1, 0, now(), 1, 1, now(), now() FROM new_lots
        """, [pattern, width, product_id, company.id, role, start, start + per_role - 1,
              product_id, location.id, company.id])
    env.cr.execute("ANALYZE stock_lot; ANALYZE stock_quant")
    env.invalidate_all()


def time_scans(env, catalogue, codes):
    Lot = env["stock.lot"]
    vehicle_lot = catalogue["lots"][codes["white"][0]]
    figures = {"vehicle": [], "battery": [], "charger": []}
    for round_index in range(SAMPLES):
        for role in figures:
            code = codes[role if role != "vehicle" else "white"][round_index % 3]
            env.invalidate_all()
            with measure() as figure:
                Lot._ev_scan(role, code, vehicle_lot=vehicle_lot if role != "vehicle" else None)
            figures[role].append(figure)
    return {
        role: (statistics.median(f["seconds"] for f in values) * 1000, max(f["queries"] for f in values))
        for role, values in figures.items()
    }


def main():
    with odoo_env() as env:
        # Importable once odoo_env has set the addons path.
        from odoo.addons.ev_bundle_sale.tests.common import make_codes, setup_bundle_catalogue

        codes = make_codes(base=98_000)  # above the filler serials (1,000 to ~43,000)
        catalogue = setup_bundle_catalogue(env, prefix="Bench ", codes=codes, inventory=False)
        add_filler_serials(env, catalogue, SMALL - len(catalogue["lots"]), start=1_000)
        env.cr.execute("SELECT count(*) FROM stock_lot")
        small_count = env.cr.fetchone()[0]
        time_scans(env, catalogue, codes)  # warm-up (code paths, Python caches), not reported
        small = time_scans(env, catalogue, codes)
        add_filler_serials(env, catalogue, LARGE - small_count, start=10_000)
        env.cr.execute("SELECT count(*) FROM stock_lot")
        large_count = env.cr.fetchone()[0]
        large = time_scans(env, catalogue, codes)
        rows = []
        for role in ("vehicle", "battery", "charger"):
            ratio = large[role][0] / small[role][0]
            rows += [
                (f"{role}: scan ms ({small_count:,} serials)", small[role][0], "median"),
                (f"{role}: scan ms ({large_count:,} serials)", large[role][0], "median"),
                (f"{role}: time ratio large/small", ratio, "target <= 1.2", "OK" if ratio <= 1.2 else "MISSED"),
                (f"{role}: SQL queries per scan", large[role][1], "target <= 8",
                 "OK" if large[role][1] <= 8 else "MISSED"),
            ]
        report("Bundle scan checks", rows)

        wizard = env["ev.bundle.wizard"].create({
            "mode": "sale", "step": "confirm", "vehicle_code": codes["white"][0], "battery_code": codes["battery"][0],
            "charger_code": codes["charger"][0], "buyer_name": "Bench buyer", "buyer_mobile": "13800138000",
            "province_id": env.ref("ev_bundle_sale.division_310000").id,
            "city_id": env.ref("ev_bundle_sale.division_310100").id,
            "county_id": env.ref("ev_bundle_sale.division_310104").id, "address": "Bench road 1",
        })
        env.invalidate_all()
        with measure() as submit:
            wizard.action_submit()
            env.flush_all()
        report("Bundle submission (order, delivery of the 3 serials, binding)", [
            ("seconds", submit["seconds"], f"with {large_count:,} serials"),
            ("SQL queries", submit["queries"]),
        ])


if __name__ == "__main__":
    main()
