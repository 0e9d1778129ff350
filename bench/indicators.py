"""Benchmark: monthly indicators over one synthetic Bucharest-scale year (1,000,000 reports).

    flock /tmp/cityreport-bench.lock .venv/bin/python bench/indicators.py [--reports N]

Builds its own database (cityreport_bench_indicators) from scratch, bulk-generates a year of reports
with realistic histories in SQL (generate_series: acknowledgement and closing delays, duplicates,
invalid ones, reopenings, reassignments, feedback), then measures in the same run:

  * baseline: one bare `SELECT count(*), percentile_cont(0.5) ...` scan of one month's reports;
  * the full build of that month for every scope (city, each department, each category);
  * the annual report page (HTML) built from the twelve monthly snapshots.

Goals (issue 6): a month builds in <= 10 s and <= 5x the bare scan; the annual page renders in <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

# The script's own folder holds other benchmarks (any could shadow a standard module).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy import text  # noqa: E402

DB_NAME = "cityreport_bench_indicators"
BASE = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
YEAR = 2025
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)  # the computation time: mid-January of the next year
MONTH = date(2025, 12, 1)  # what the 1 January job builds
MIDDLE = date(2025, 6, 1)  # an old month, whose reports mostly changed status after it ended

DEPARTMENTS = ["drumuri", "iluminat", "salubritate", "spatii-verzi", "politia-locala", "circulatie", "apa-canal",
               "transport", "mediu", "urbanism", "social", "dispecerat"]
# code, department index, ack target hours, resolve target days, weight
CATEGORIES = [("groapa", 0, 48, 14, 16), ("trotuar", 0, 72, 30, 7), ("capac-canal", 0, 12, 3, 3),
              ("iluminat-defect", 1, 48, 7, 14), ("iluminat-avariat", 1, 24, 14, 3),
              ("deseuri", 2, 48, 5, 14), ("pubele", 2, 24, 2, 9), ("animal-mort", 2, 12, 1, 2),
              ("copac", 3, 24, 10, 6), ("loc-de-joaca", 3, 72, 30, 4), ("spatiu-verde", 3, 96, 30, 4),
              ("masina-abandonata", 4, 72, 60, 4), ("parcare", 4, 24, 7, 6), ("semafor", 5, 4, 2, 4),
              ("indicator", 5, 48, 21, 3), ("avarie-apa", 6, 12, 3, 4), ("statie", 7, 48, 14, 3),
              ("zgomot", 8, 48, 30, 3), ("constructie", 9, 72, 60, 2), ("altele", 11, 72, 30, 3)]


def admin_url() -> str:
    return f"{BASE}/postgres"


def recreate_database() -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def timed(fn, repeat: int = 3) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs


GENERATE = """
-- One row per report with its whole fate drawn at once; times in hours/days from creation.
CREATE UNLOGGED TABLE plan AS
SELECT s.g AS id,
       c.id AS category_id, c.ack_target_hours, c.resolve_target_days, c.default_department_id AS dept,
       s.ts AS created_at,
       ST_SetSRID(ST_MakePoint(26.0 + 0.2 * (random() - 0.5) * (0.3 + random()),
                               44.43 + 0.13 * (random() - 0.5) * (0.3 + random())), 4326) AS location,
       random() AS fate, random() AS u1, random() AS u2, random() AS u3, random() AS u4
  FROM (SELECT g, timestamptz '2025-01-01 00:00+02' + (g::float8 / :n) * interval '365 days'
                  + random() * interval '30 minutes' AS ts,
               -- categories drawn by weight: each id appears in the array as often as its weight
               (CAST(:weighted AS int[]))[1 + floor(random() * :nweighted)::int] AS category_id
          FROM generate_series(1, :n) g) s
  JOIN categories c ON c.id = s.category_id;

CREATE UNLOGGED TABLE fates AS
SELECT p.*,
       -- 4% never looked at; 3% invalid; 6% duplicates; the rest acknowledged after a lognormal-ish delay
       CASE WHEN fate < 0.04 THEN NULL
            ELSE created_at + ack_target_hours * (0.2 + 1.6 * u1 * u1) * interval '1 hour' END AS ack_at,
       CASE WHEN fate < 0.04 THEN NULL
            WHEN fate < 0.07 THEN created_at + (1 + 40 * u2) * interval '1 hour'
            WHEN fate < 0.13 THEN created_at + (2 + 60 * u2) * interval '1 hour'
            WHEN fate < 0.88 THEN created_at + resolve_target_days * (0.1 + 2.2 * u2 * u2) * interval '1 day'
            ELSE NULL END AS close_at,
       CASE WHEN fate < 0.04 THEN 'new'
            WHEN fate < 0.07 THEN 'invalid'
            WHEN fate < 0.13 THEN 'duplicate'
            WHEN fate < 0.80 THEN 'fixed'
            WHEN fate < 0.84 THEN 'not_responsible'
            WHEN fate < 0.88 THEN 'unable_to_fix'
            ELSE 'in_progress' END AS final_status,
       u3 < 0.03 AS reassigned,
       u4 < 0.03 AS reopens
  FROM plan p;

UPDATE fates SET ack_at = close_at WHERE close_at IS NOT NULL AND (ack_at IS NULL OR ack_at > close_at);
-- What has not happened by the computation time has not happened.
UPDATE fates SET close_at = NULL, final_status = CASE WHEN ack_at IS NOT NULL AND ack_at <= :now
                                                      THEN 'acknowledged' ELSE 'new' END
 WHERE close_at > :now;
UPDATE fates SET ack_at = NULL, final_status = 'new' WHERE ack_at > :now;
UPDATE fates SET reopens = false WHERE close_at IS NULL OR final_status NOT IN ('fixed')
                                    OR close_at + interval '3 days' > :now;

INSERT INTO reports (id, category_id, department_id, jurisdiction_id, location, description, status,
                     created_at, acknowledged_at, closed_at, updated_at, reopened_count, hidden, locale, source,
                     external_id, attributes, version)
SELECT id, category_id, dept, 1, location, 'bench', final_status, created_at, ack_at,
       close_at + CASE WHEN reopens THEN interval '3 days' ELSE interval '0' END,
       coalesce(close_at, ack_at, created_at), CASE WHEN reopens THEN 1 ELSE 0 END, false, 'ro', 'import',
       'b' || id, '{}'::jsonb, 1
  FROM fates;

INSERT INTO report_events (report_id, at, actor, kind, from_status, to_status, from_department_id, to_department_id)
SELECT id, created_at, 'reporter', 'created', NULL::text, 'new', NULL::int, dept FROM fates
UNION ALL SELECT id, created_at, 'system', 'routed', NULL, NULL, NULL, dept FROM fates
UNION ALL SELECT id, created_at + interval '2 hours', 'staff', 'reassigned', NULL, NULL, 12, dept
            FROM fates WHERE reassigned AND created_at + interval '2 hours' <= :now
UNION ALL SELECT id, ack_at, 'staff', 'status', 'new', 'acknowledged', NULL, NULL
            FROM fates WHERE ack_at IS NOT NULL AND ack_at < coalesce(close_at, 'infinity')
UNION ALL SELECT id, (ack_at + (coalesce(close_at, :now) - ack_at) / 2), 'staff', 'status', 'acknowledged',
                 'in_progress', NULL, NULL
            FROM fates WHERE final_status = 'in_progress' AND ack_at IS NOT NULL
UNION ALL SELECT id, close_at, 'staff', CASE WHEN final_status = 'duplicate' THEN 'duplicate' ELSE 'status' END,
                 CASE WHEN ack_at < close_at THEN 'acknowledged' ELSE 'new' END, final_status, NULL, NULL
            FROM fates WHERE close_at IS NOT NULL
UNION ALL SELECT id, close_at + interval '1 day', 'reporter', 'reopened', 'fixed', 'acknowledged', NULL, NULL
            FROM fates WHERE reopens
UNION ALL SELECT id, close_at + interval '3 days', 'staff', 'status', 'acknowledged', 'fixed', NULL, NULL
            FROM fates WHERE reopens;

INSERT INTO feedback (report_id, token_hash, requested_at, expires_at, answer, rating, at)
SELECT id, md5(id::text), close_at, close_at + interval '30 days',
       CASE WHEN u1 < 0.78 THEN 'fixed' WHEN u1 < 0.92 THEN 'not_fixed' ELSE 'dont_know' END,
       CASE WHEN u2 < 0.8 THEN 1 + floor(u3 * 5)::int END, close_at + interval '20 hours'
  FROM fates WHERE final_status = 'fixed' AND u4 BETWEEN 0.2 AND 0.45 AND close_at + interval '20 hours' <= :now;
"""


def seed(conn, reports: int) -> dict[str, float]:
    figures = {}
    start = time.perf_counter()
    conn.execute(text(
        "INSERT INTO jurisdictions (id, slug, name, boundary, population) VALUES "
        "(1, 'bucuresti', 'București (bench)', ST_Multi(ST_MakeEnvelope(25.85, 44.33, 26.15, 44.53, 4326)), "
        "1716961)"))
    for i, slug in enumerate(DEPARTMENTS, start=1):
        conn.execute(text("INSERT INTO departments (id, slug, name_ro, name_en, is_fallback) "
                          "VALUES (:id, :slug, :slug, :slug, :fb)"), {"id": i, "slug": slug, "fb": slug == "dispecerat"})
    weighted: list[int] = []
    for i, (code, dept, ack, resolve, weight) in enumerate(CATEGORIES, start=1):
        weighted += [i] * weight
        conn.execute(text(
            "INSERT INTO categories (id, code, name_ro, name_en, group_ro, group_en, default_department_id, "
            "ack_target_hours, resolve_target_days) VALUES (:id, :code, :code, :code, 'g', 'g', :dept, :ack, :res)"),
            {"id": i, "code": code, "dept": dept + 1, "ack": ack, "res": resolve})
    # Bulk load the way one restores a dump: indexes and foreign-key triggers off, rebuilt afterwards.
    indexes = conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('reports', 'report_events', 'feedback') "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    for table in ("reports", "report_events", "feedback"):
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
    conn.execute(text("SET LOCAL work_mem = '256MB'"))
    conn.execute(text("SELECT setseed(0.42)"))
    for statement in GENERATE.split(";\n"):
        if statement.strip():
            conn.execute(text(statement), {"n": reports, "now": NOW, "weighted": weighted,
                                           "nweighted": len(weighted)})
    figures["generate_s"] = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for _, definition in indexes:
        conn.execute(text(definition))
    for table in ("reports", "report_events", "feedback"):
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER ALL"))
    conn.execute(text("SELECT setval('reports_id_seq', (SELECT max(id) FROM reports))"))
    conn.execute(text("DROP TABLE plan, fates"))
    figures["index_s"] = time.perf_counter() - start
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    recreate_database()
    os.environ["DATABASE_URL"] = f"{BASE}/{DB_NAME}"
    os.environ.setdefault("CITYREPORT_ENV", "development")
    from cityreport import create_app, database
    from cityreport.extensions import db
    from cityreport.indicators import rules, services

    app = create_app({"DATABASE_URL": f"{BASE}/{DB_NAME}", "RATELIMIT_ENABLED": False, "TESTING": True,
                      "SERVER_NAME": "bench.local"})
    with app.app_context():
        database.ensure_postgis()
        database.upgrade()
        with db.engine.begin() as conn:
            load = seed(conn, args.reports)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        counts = db.session.execute(text(
            "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM report_events), "
            "(SELECT count(*) FROM feedback)")).one()
        print(f"data: {counts[0]:,} reports, {counts[1]:,} events, {counts[2]:,} feedback answers "
              f"(generated in {load['generate_s']:.1f} s, indexes rebuilt in {load['index_s']:.1f} s)")

        def bare_scan(month: date):
            s, e = rules.month_bounds(month, app.config["CITY_TIMEZONE"])
            return lambda: db.session.execute(text(
                "SELECT count(*), percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY extract(epoch FROM closed_at - created_at)) FROM reports "
                "WHERE created_at >= :s AND created_at < :e"), {"s": s, "e": e}).one()

        def build(month: date):
            def run():
                services.build_month(month, now=NOW)
                db.session.commit()
            return run

        results = {}
        for label, month in (("last month (the 1st-of-month job)", MONTH), ("an old month", MIDDLE)):
            bare_scan(month)()  # warm the cache the same way for both
            base, base_runs = timed(bare_scan(month), repeat=5)
            full, full_runs = timed(build(month), repeat=3)
            results[label] = (base, full)
            print(f"{rules.format_month(month)} ({label}): bare scan {base * 1000:.0f} ms "
                  f"(runs {', '.join(f'{r * 1000:.0f}' for r in base_runs)}); "
                  f"full build, all scopes {full:.2f} s (runs {', '.join(f'{r:.2f}' for r in full_runs)}); "
                  f"ratio {full / base:.1f}x")

        start = time.perf_counter()
        for m in range(1, 13):
            services.build_month(date(YEAR, m, 1), now=NOW)
            db.session.commit()
        year_build = time.perf_counter() - start
        print(f"all 12 months of {YEAR} built in {year_build:.1f} s ({year_build / 12:.2f} s per month)")
        db.session.remove()

    client = app.test_client()
    client.get(f"/reports/annual/{YEAR}")

    def annual():
        response = client.get(f"/reports/annual/{YEAR}", headers={"Accept-Language": "ro"})
        assert response.status_code == 200, response.status_code

    page, page_runs = timed(annual, repeat=3)
    print(f"annual report page /reports/annual/{YEAR}: {page * 1000:.0f} ms "
          f"(runs {', '.join(f'{r * 1000:.0f}' for r in page_runs)})")

    base, full = results["last month (the 1st-of-month job)"]
    goals = [("month build <= 10 s", full <= 10), ("month build <= 5x bare scan", full <= 5 * base),
             ("annual page <= 2 s", page <= 2)]
    print("goals: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in goals))
    print(f"total bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
