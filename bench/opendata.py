"""Open-data export benchmark: 1 M reports as CSV and as GeoJSON, time and peak memory.

Builds its own database, `cityreport_bench_opendata` (PostGIS, migrations, one city, 8 departments,
24 categories, 1,000,000 reports over 12 months with 30 % of them carrying a photo, 1 % hidden and
1 % invalid), bulk-generated with SQL (kept between runs when it is already complete), then measures in
fresh subprocesses so each peak RSS is its own:

- CSV:      GET /opendata/reports.csv, the whole body read through the app (stamp query included);
- GeoJSON:  GET /opendata/reports.geojson, likewise;
- month:    GET /opendata/reports.csv?month=..., one month (about 83 k rows);
- baseline: a bare `COPY (SELECT <the report columns> FROM reports WHERE <visible>) TO STDOUT (FORMAT csv)`
            of the same rows, read by psycopg in the same kind of subprocess.

Each line prints seconds, MB written, peak RSS and the growth of RSS during the export (the part that
would grow with the row count if anything were held in memory), and the ratio against the baseline.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/opendata.py [--rows N] [--rebuild]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where sibling benchmark files could shadow
# standard modules; the project root goes there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

DB_NAME = "cityreport_bench_opendata"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
RAW_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _app():
    from cityreport import create_app

    return create_app({"DATABASE_URL": DB_URL, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                       "PUBLIC_BASE_URL": "https://sesizari.example.ro", "MEDIA_ROOT": "/tmp/cityreport-bench-media"})


# ---- data ---------------------------------------------------------------------------------------

def prepare(rows: int, rebuild: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and not rebuild:
            with psycopg.connect(RAW_URL) as conn:
                try:
                    have = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
                except psycopg.Error:
                    have = -1
            if have == rows:
                print(f"database {DB_NAME} already holds {rows:,} reports")
                return
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    started = time.perf_counter()
    app = _app()
    with app.app_context():
        from cityreport import database
        from cityreport.extensions import db

        database.ensure_postgis()
        database.upgrade()
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(RAW_URL) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("""
            INSERT INTO jurisdictions (slug, name, boundary, population)
            VALUES ('cluj', 'Cluj-Napoca',
                    ST_Multi(ST_MakeEnvelope(23.50, 46.70, 23.70, 46.82, 4326)), 286598)""")
        conn.execute("""
            INSERT INTO departments (slug, name_ro, name_en, email)
            SELECT 'dept-' || n, 'Direcția ' || n, 'Department ' || n, 'd' || n || '@example.ro'
            FROM generate_series(1, 8) n""")
        conn.execute("""
            INSERT INTO categories (code, name_ro, name_en, group_ro, group_en, default_department_id)
            SELECT 'cat-' || n, 'Categoria ' || n || ' (gropi, iluminat, deșeuri)', 'Category ' || n,
                   'Grupa ' || (n % 4), 'Group ' || (n % 4), (SELECT min(id) FROM departments) + n % 8
            FROM generate_series(1, 24) n""")
        # Bulk load without the indexes and foreign-key triggers, then build the indexes once.
        indexes = conn.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = 'reports' AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)""").fetchall()
        for name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        conn.execute("ALTER TABLE reports DISABLE TRIGGER ALL")
        conn.execute("""
            INSERT INTO reports (category_id, department_id, jurisdiction_id, location, address, description,
                                 status, created_at, updated_at, acknowledged_at, closed_at, hidden, reporter_name,
                                 reporter_email, reporter_phone, source)
            SELECT c.id, c.default_department_id, j.id,
                   ST_SetSRID(ST_MakePoint(23.50 + random() * 0.2, 46.70 + random() * 0.12), 4326),
                   'Strada ' || (g %% 500) || ' nr. ' || (g %% 90),
                   'Problemă semnalată de cetățean nr. ' || g || ': groapă, bec ars sau gunoi, cu detalii "între '
                     || 'ghilimele", virgule, și diacritice ăîșțâ.',
                   s.status, s.created, s.created + interval '3 days',
                   CASE WHEN s.status <> 'new' THEN s.created + interval '5 hours' END,
                   CASE WHEN s.status IN ('fixed', 'duplicate', 'not_responsible', 'unable_to_fix', 'invalid')
                        THEN s.created + interval '3 days' END,
                   g %% 100 = 7, 'Nume Privat ' || g, 'privat' || g || '@example.ro', '07' || lpad(g::text, 8, '0'),
                   'web'
            FROM generate_series(1, %(rows)s) g
            CROSS JOIN LATERAL (SELECT now() - (g::double precision / %(rows)s) * interval '365 days' AS created,
                                       CASE WHEN g %% 100 = 13 THEN 'invalid'
                                            ELSE (ARRAY['new', 'acknowledged', 'in_progress', 'fixed', 'fixed',
                                                        'fixed', 'duplicate', 'unable_to_fix'])[1 + g %% 8]
                                       END AS status) s
            JOIN categories c ON c.code = 'cat-' || (1 + g %% 24)
            CROSS JOIN (SELECT id FROM jurisdictions LIMIT 1) j""", {"rows": rows})
        conn.execute("ALTER TABLE reports ENABLE TRIGGER ALL")
        for _name, definition in indexes:
            conn.execute(definition)
        conn.execute("""
            INSERT INTO photos (report_id, position, storage_key, thumbnail_key, width, height, bytes, sha256)
            SELECT r.id, 0, substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h || '-display.jpg',
                   substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h || '-thumb.jpg', 1600, 1200, 250000, h
            FROM (SELECT id, md5(id::text) || md5((id + 1)::text) AS h FROM reports WHERE id % 10 < 3) r""")
        conn.commit()
    with psycopg.connect(RAW_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE reports")
        conn.execute("VACUUM ANALYZE photos")
    print(f"generated {rows:,} reports in {time.perf_counter() - started:.1f} s")


# ---- measurements (each in its own process) -----------------------------------------------------

BASELINE_SQL = """
COPY (SELECT r.id, r.category_id, r.department_id, r.status, r.created_at, r.acknowledged_at, r.closed_at,
             ST_Y(r.location), ST_X(r.location), r.description
      FROM reports r WHERE r.hidden = false AND r.status <> 'invalid' ORDER BY r.created_at, r.id)
TO STDOUT WITH (FORMAT csv, HEADER true)"""


def measure(kind: str, month: str | None) -> dict[str, float]:
    out = open(os.devnull, "wb")  # noqa: SIM115
    if kind == "baseline":
        import psycopg

        connection = psycopg.connect(RAW_URL)
        before = rss_mb()
        started = time.perf_counter()
        written = 0
        with connection.cursor() as cursor, cursor.copy(BASELINE_SQL) as copy:
            for block in copy:
                written += len(block)
                out.write(block)
        seconds = time.perf_counter() - started
    else:
        app = _app()
        client = app.test_client()
        path = {"csv": "/opendata/reports.csv", "geojson": "/opendata/reports.geojson",
                "month": f"/opendata/reports.csv?month={month}"}[kind]
        client.get("/opendata/reports.csv?month=2000-01")  # warm up: imports, connection, templates
        before = rss_mb()
        started = time.perf_counter()
        response = client.get(path, buffered=False)
        assert response.status_code == 200, response.status_code
        written = 0
        for chunk in response.response:
            written += len(chunk)
            out.write(chunk)
        response.close()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "mb": written / 1e6, "rss_before_mb": before, "peak_rss_mb": peak_mb(),
            "growth_mb": max(0.0, peak_mb() - before)}


def run_child(kind: str, month: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", kind] + (["--month", month] if month else [])
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", choices=["baseline", "csv", "geojson", "month"])
    parser.add_argument("--month")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.month)))
        return
    prepare(args.rows, args.rebuild)
    import psycopg

    with psycopg.connect(RAW_URL) as conn:
        visible = conn.execute("SELECT count(*) FROM reports WHERE hidden = false AND status <> 'invalid'").fetchone()[0]
        month = conn.execute("SELECT to_char(date_trunc('month', now() - interval '2 months'), 'YYYY-MM')").fetchone()[0]
    print(f"exporting {visible:,} visible reports (of {args.rows:,}); month sample {month}")
    results = {}
    for kind in ("baseline", "csv", "geojson", "month"):
        results[kind] = run_child(kind, month)
    base = results["baseline"]["seconds"]
    print(f"{'what':<10} {'seconds':>8} {'MB out':>8} {'peak RSS MB':>12} {'RSS growth MB':>14} {'vs baseline':>12}")
    for kind, r in results.items():
        print(f"{kind:<10} {r['seconds']:>8.2f} {r['mb']:>8.1f} {r['peak_rss_mb']:>12.1f} {r['growth_mb']:>14.1f} "
              f"{r['seconds'] / base:>11.2f}x")


if __name__ == "__main__":
    main()
