"""Staff queue benchmark: 1,000,000 reports across 10 departments.

Builds its own database (`cityreport_bench_staff`) with the app's migrations, then bulk-generates
1 M reports with `generate_series` (10 % open, spread over two years, 20 categories in 10
departments). It measures, for a clerk of one department (about 100,000 reports, 10,000 open):

- the queue page's query (the app's own SQLAlchemy statement, wall time through the driver) for the
  default filter, first page and a deep page reached by the keyset cursor; baseline: the same deep
  page fetched with OFFSET, the way a naive pager would;
- the per-status counts query and the "most overdue first" sort (which cannot come from an index);
- the whole `GET /staff/queue` request through the Flask app (signed in, session cookie, template
  rendering), first page and deep page; baseline: `GET /healthz` (one request with a database and
  a Redis round trip) in the same run;
- the city admin's queue (all departments) for comparison;

and it checks the EXPLAIN plans: the default pages must come from the partial index of open
reports in index order (no Sort node), at any depth.

Goals: p95 ≤ 50 ms for the query, ≤ 150 ms for the page.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/staff_queue.py [--reports N] [--runs N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path; only the project root is wanted there.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402

BENCH_DB = "cityreport_bench_staff"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
LIBPQ_URL = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
DEPARTMENTS = 10
CATEGORIES = 20
PASSWORD = "bench-password-long-enough"
QUERY_GOAL_MS = 50.0
PAGE_GOAL_MS = 150.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def recreate_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def make_app():
    from cityreport import create_app

    return create_app({"DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench-secret",
                       "CITYREPORT_ENV": "development", "MAIL_SERVER": None, "RATELIMIT_ENABLED": False})


def seed_reference_data(app) -> None:
    """A city, 10 departments, 20 categories (two per department), a clerk per department, a city admin."""
    from shapely.geometry import box

    from cityreport import database
    from cityreport.departments.models import Category, Department
    from cityreport.extensions import db
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.routing.models import Jurisdiction
    from cityreport.staff.accounts import create_staff

    with app.app_context():
        database.ensure_postgis()
        database.upgrade()
        db.session.add(Jurisdiction(slug="bench", name="Bench City", population=300_000,
                                    boundary=element_from_shape(as_multipolygon(box(23.45, 46.68, 23.75, 46.86)))))
        for d in range(1, DEPARTMENTS + 1):
            db.session.add(Department(id=d, slug=f"dept-{d}", name_ro=f"Direcția {d}", name_en=f"Department {d}",
                                      is_fallback=d == 1))
        db.session.flush()
        for c in range(1, CATEGORIES + 1):
            db.session.add(Category(id=c, code=f"cat-{c}", name_ro=f"Categoria {c}", name_en=f"Category {c}",
                                    group_ro="Grup", group_en="Group", default_department_id=(c - 1) % DEPARTMENTS + 1,
                                    ack_target_hours=(12, 24, 48, 72)[c % 4], resolve_target_days=(3, 7, 14, 30)[c % 4]))
        db.session.flush()
        for d in range(1, DEPARTMENTS + 1):
            create_staff(email=f"clerk{d}@bench.test", name=f"Clerk {d}", role="staff", password=PASSWORD,
                         department_slug=f"dept-{d}")
        create_staff(email="admin@bench.test", name="Admin", role="city_admin", password=PASSWORD,
                     department_slug=None)
        db.session.commit()
        db.session.remove()


def seed_reports(n: int) -> float:
    """Bulk-insert ``n`` reports; indexes are dropped during the load and rebuilt, as a restore would."""
    started = time.perf_counter()
    with psycopg.connect(LIBPQ_URL, autocommit=True) as conn:
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reports' "
                               "AND indexname <> 'pk_reports' AND indexdef NOT LIKE 'CREATE UNIQUE%'").fetchall()
        for name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        conn.execute("SET session_replication_role = replica")  # skip FK triggers during the bulk load
        conn.execute("SELECT setseed(0.42)")
        conn.execute("""
            INSERT INTO reports (id, category_id, department_id, jurisdiction_id, location, address, description,
                                 status, created_at, acknowledged_at, closed_at, updated_at, reopened_count,
                                 hidden, locale, source, attributes, version)
            SELECT g, c, 1 + ((c - 1) %% %(departments)s), 1,
                   ST_SetSRID(ST_MakePoint(23.46 + random() * 0.28, 46.69 + random() * 0.16), 4326),
                   'Strada ' || (g %% 500) || ' nr. ' || (g %% 97), 'Sesizare generată pentru măsurare ' || g,
                   s, created, CASE WHEN s = 'new' THEN NULL ELSE created + interval '3 hours' END,
                   CASE WHEN s IN ('new', 'acknowledged', 'in_progress') THEN NULL ELSE created + interval '4 days' END,
                   created, 0, s = 'invalid', 'ro', 'web', '{}', 1
            FROM (
                SELECT g, 1 + (g %% %(categories)s) AS c,
                       now() - random() * interval '730 days' AS created,
                       CASE WHEN r < 0.04 THEN 'new' WHEN r < 0.07 THEN 'acknowledged'
                            WHEN r < 0.10 THEN 'in_progress' WHEN r < 0.85 THEN 'fixed'
                            WHEN r < 0.90 THEN 'duplicate' WHEN r < 0.94 THEN 'not_responsible'
                            WHEN r < 0.97 THEN 'unable_to_fix' ELSE 'invalid' END AS s
                FROM (SELECT g, random() AS r FROM generate_series(1, %(n)s) AS g) AS numbers
            ) AS rows
        """, {"n": n, "departments": DEPARTMENTS, "categories": CATEGORIES})
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("SELECT setval(pg_get_serial_sequence('reports', 'id'), %s)", (n,))
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE reports")
    return time.perf_counter() - started


def timed(fn, runs: int) -> list[float]:
    fn()  # warm
    values = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        values.append((time.perf_counter() - t0) * 1000)
    return values


def line(label: str, values: list[float], goal: float | None = None, baseline: list[float] | None = None) -> str:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    text = f"  {label:<52} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms"
    if baseline is not None:
        text += f"  ×{p95 / percentile(baseline, 0.95):6.2f} of baseline p95"
    if goal is not None:
        text += f"  [{'ok' if p95 <= goal else 'OVER'} ≤ {goal:.0f} ms]"
    return text


def explain(statement) -> str:
    from cityreport.extensions import db

    compiled = statement.compile(dialect=postgresql.psycopg.dialect(),
                                 compile_kwargs={"render_postcompile": True})
    rows = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params)
    return "\n".join(row[0] for row in rows)


def check_plan(name: str, plan: str, index: str, *, sorted_rows_limit: int = 0) -> bool:
    """The plan must read ``index``; a Sort near the top is only allowed over at most
    ``sorted_rows_limit`` rows (the overdue merge sorts a page per (category, status) group,
    never the department's open reports)."""
    lines = plan.splitlines()
    sort_at = next((i for i, row in enumerate(lines[:4]) if re.search(r"\bSort\b", row)), None)
    sorted_rows = 0
    if sort_at is not None:
        below = next((row for row in lines[sort_at + 1:] if "->" in row), "")
        found = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", below)
        sorted_rows = int(found.group(1)) if found else 10**9
    ok = index in plan and sorted_rows <= sorted_rows_limit
    print(f"  plan {name:<28} {'ok' if ok else 'UNEXPECTED'}: uses {index}: {index in plan}; "
          f"rows sorted: {sorted_rows} (allowed {sorted_rows_limit})")
    print("    " + "\n    ".join(lines[:8]))
    return ok


def measure(app, runs: int) -> bool:
    from sqlalchemy import select

    from cityreport.extensions import db
    from cityreport.models_base import utcnow
    from cityreport.reports.rules import encode_cursor
    from cityreport.staff import rules
    from cityreport.staff import worklist as services
    from cityreport.staff.models import StaffUser
    from cityreport.staff.schemas import QueueFilter

    all_ok = True
    with app.app_context():
        clerk = db.session.scalars(select(StaffUser).where(StaffUser.email == "clerk1@bench.test")).one()
        admin = db.session.scalars(select(StaffUser).where(StaffUser.email == "admin@bench.test")).one()
        now = utcnow()
        first = QueueFilter()
        open_in_department = db.session.connection().exec_driver_sql(
            "SELECT count(*) FROM reports WHERE department_id = 1 AND status IN ('new','acknowledged','in_progress')"
        ).scalar()
        total_in_department = db.session.connection().exec_driver_sql(
            "SELECT count(*) FROM reports WHERE department_id = 1").scalar()
        depth = int(open_in_department * 0.9)
        # The cursor of a page 90 % of the way down the clerk's queue (found once, outside the timing).
        row = db.session.execute(services.queue_statement(clerk, first, now=now, limit=1).offset(depth - 1)).one()
        deep = QueueFilter(cursor=(row.created_at, row.id))
        cursor = encode_cursor("oldest", row.created_at, row.id)
        print(f"clerk of department 1: {total_in_department:,} reports, {open_in_department:,} open; "
              f"deep page starts after row {depth:,}")

        def page_query(wanted, user=clerk):
            return lambda: db.session.execute(
                services.queue_statement(user, wanted, now=now, limit=rules.PAGE_SIZE + 1)).all()

        def offset_query():
            stmt = services.queue_statement(clerk, first, now=now, limit=rules.PAGE_SIZE + 1).offset(depth)
            return db.session.execute(stmt).all()

        print("\nqueries (wall time through SQLAlchemy and psycopg):")
        q_first = timed(page_query(first), runs)
        q_deep = timed(page_query(deep), runs)
        q_offset = timed(offset_query, runs)
        q_counts = timed(lambda: services.status_counts(clerk, first, now=now), runs)
        q_overdue = timed(page_query(QueueFilter(sort="overdue")), runs)
        q_admin = timed(page_query(first, admin), runs)
        q_admin_counts = timed(lambda: services.status_counts(admin, first, now=now), max(20, runs // 5))
        print(line("baseline: deep page by OFFSET", q_offset))
        print(line("first page (keyset, default filter)", q_first, QUERY_GOAL_MS, q_offset))
        print(line(f"deep page (keyset cursor after {depth:,})", q_deep, QUERY_GOAL_MS, q_offset))
        print(line("counts per status (department)", q_counts, QUERY_GOAL_MS))
        print(line("first page, most overdue first", q_overdue, QUERY_GOAL_MS))
        print(line("city admin: first page, all departments", q_admin))
        print(line("city admin: counts per status, all 1 M", q_admin_counts))
        all_ok &= all(percentile(v, 0.95) <= QUERY_GOAL_MS for v in (q_first, q_deep, q_counts, q_overdue))

        print("\nEXPLAIN (ANALYZE) of the app's statements:")
        all_ok &= check_plan("first page", explain(services.queue_statement(clerk, first, now=now)),
                             "ix_reports_open_department_created")
        all_ok &= check_plan("deep page", explain(services.queue_statement(clerk, deep, now=now)),
                             "ix_reports_open_department_created")
        all_ok &= check_plan("most overdue first", explain(services.queue_statement(
            clerk, QueueFilter(sort="overdue"), now=now)), "ix_reports_open_department_category_status",
            sorted_rows_limit=CATEGORIES * 3 * (rules.PAGE_SIZE + 1))
        check_plan("city admin first page", explain(services.queue_statement(admin, first, now=now)),
                   "ix_reports_open_created")
        db.session.remove()

    client = app.test_client()
    login_page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    form = {"email": "clerk1@bench.test", "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    assert client.post("/staff/login", data=form).status_code == 303, "sign-in failed"

    def get(path: str):
        def run():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return run

    print("\nwhole requests (Flask app in process: session, user load, queries, template):")
    p_health = timed(get("/healthz"), runs)
    p_first = timed(get("/staff/queue"), runs)
    p_deep = timed(get(f"/staff/queue?after={cursor}"), runs)
    p_overdue = timed(get("/staff/queue?sort=overdue&overdue=1"), max(20, runs // 2))
    print(line("baseline: GET /healthz", p_health))
    print(line("GET /staff/queue (first page)", p_first, PAGE_GOAL_MS, p_health))
    print(line("GET /staff/queue?after=… (deep page)", p_deep, PAGE_GOAL_MS, p_health))
    print(line("GET /staff/queue?sort=overdue&overdue=1", p_overdue, PAGE_GOAL_MS, p_health))
    all_ok &= all(percentile(v, 0.95) <= PAGE_GOAL_MS for v in (p_first, p_deep, p_overdue))
    return all_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    recreate_database()
    app = make_app()
    seed_reference_data(app)
    seconds = seed_reports(args.reports)
    print(f"seeded {args.reports:,} reports in {seconds:.1f} s")
    ok = measure(app, args.runs)
    print(f"\n{'all goals met' if ok else 'SOME GOALS MISSED'}; total {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
