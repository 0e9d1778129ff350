"""Routing and nearby-duplicates benchmark, measured in the database, plus end-to-end report creation.

Builds its own database (`cityreport_bench_intake`) with:
- a city boundary of 4,000 vertices;
- 200 service areas, each a wavy polygon of 3,000 vertices (half for one category, half for all),
  stored through `routing.services.add_service_area`, i.e. with their ST_Subdivide'd pieces;
- 1,000,000 reports bulk-generated with `generate_series` (15 % open, the rest closed), 20 categories.

Then, for 1,000 random points, it takes PostgreSQL's own `EXPLAIN (ANALYZE)` execution time of:
- routing: the app's candidate-area query (ST_Covers on the subdivided pieces) and the jurisdiction
  lookup; baseline: the same point-in-polygon on the un-subdivided service-area polygons (GiST too);
- nearby duplicates: the app's query (box on the partial GiST index of open reports + ST_DWithin on
  geography, 250 m); baseline: the plain geography ST_DWithin, which no index serves.

Last, it starts gunicorn on a random port and times `POST /api/v1/reports` without photos and with
one 12-megapixel JPEG (p50, p95), beside `GET /api/v1/categories` as the same-run baseline.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/routing.py [--reports N] [--points N]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import io
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where sibling benchmarks could shadow stdlib
# modules; only the project root is wanted.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from shapely.geometry import Polygon  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402

BENCH_DB = "cityreport_bench_intake"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
LIBPQ_URL = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CENTER = (46.77, 23.60)  # lat, lon
HALF_LAT, HALF_LON = 0.09, 0.14  # about 20 km x 21 km
CATEGORIES = 20
GRID = (20, 10)  # 200 areas


def wavy(lat0: float, lon0: float, r_lat: float, r_lon: float, vertices: int, seed: int) -> Polygon:
    """A star-shaped (hence simple) polygon with a ragged edge, like a digitised district outline."""
    rng = random.Random(seed)
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    points = []
    for i in range(vertices):
        t = 2 * math.pi * i / vertices
        r = (1 + 0.12 * math.sin(5 * t + phases[0]) + 0.05 * math.sin(23 * t + phases[1])
             + 0.02 * math.sin(97 * t + phases[2]) + 0.01 * math.sin(401 * t + phases[3]))
        points.append((lon0 + r_lon * r * math.cos(t), lat0 + r_lat * r * math.sin(t)))
    return Polygon(points)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):8.3f}  p95 {percentile(values, 0.95):8.3f}"


def recreate_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def build(report_count: int) -> dict:
    from cityreport import create_app
    from cityreport.database import ensure_postgis, upgrade
    from cityreport.departments.models import Category, Department
    from cityreport.extensions import db
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.routing.models import Jurisdiction
    from cityreport.routing.services import add_service_area

    app = create_app({"DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "CITYREPORT_ENV": "testing"})
    with app.app_context():
        ensure_postgis()
        upgrade()
        boundary = wavy(*CENTER, HALF_LAT * 1.05, HALF_LON * 1.05, 4000, seed=1)
        db.session.add(Jurisdiction(slug="bench-city", name="Bench City", population=300_000,
                                    boundary=element_from_shape(as_multipolygon(boundary))))
        dispatch = Department(slug="dispatch", name_ro="Dispecerat", name_en="Dispatch", is_fallback=True)
        db.session.add(dispatch)
        departments = [Department(slug=f"dept-{i}", name_ro=f"Direcția {i}", name_en=f"Department {i}")
                       for i in range(40)]
        db.session.add_all(departments)
        db.session.flush()
        categories = [Category(code=f"cat-{i}", name_ro=f"Categoria {i}", name_en=f"Category {i}",
                               group_ro="Grup", group_en="Group", default_department_id=departments[i].id)
                      for i in range(CATEGORIES)]
        db.session.add_all(categories)
        db.session.flush()
        started = time.perf_counter()
        cols, rows = GRID
        for index in range(cols * rows):
            col, row = index % cols, index // cols
            lat0 = CENTER[0] - HALF_LAT + (row + 0.5) * 2 * HALF_LAT / rows
            lon0 = CENTER[1] - HALF_LON + (col + 0.5) * 2 * HALF_LON / cols
            # Radii a little over half a cell, so neighbours overlap as real zones often do.
            shape = wavy(lat0, lon0, 0.65 * HALF_LAT / rows * 2, 0.65 * HALF_LON / cols * 2, 3000, seed=index + 7)
            add_service_area(department_id=departments[index % 40].id,
                             category_id=categories[index % CATEGORIES].id if index % 2 else None,
                             name=f"Area {index}", geometry=shape, priority=index % 3)
        db.session.commit()
        areas_seconds = time.perf_counter() - started
        category_ids = [c.id for c in categories]
        department_id = departments[0].id

    with psycopg.connect(LIBPQ_URL, autocommit=True) as conn:
        started = time.perf_counter()
        # Reports spread over the city's box; 15 % still open. One statement, no ORM.
        conn.execute("""
            INSERT INTO reports (category_id, department_id, jurisdiction_id, location, description, status,
                                 created_at, updated_at, closed_at, acknowledged_at, locale, source)
            SELECT %(first_cat)s + (g %% %(ncat)s), %(dept)s, 1,
                   ST_SetSRID(ST_MakePoint(%(lon0)s + (random() * 2 - 1) * %(hlon)s,
                                           %(lat0)s + (random() * 2 - 1) * %(hlat)s), 4326),
                   'generated report ' || g,
                   CASE WHEN g %% 100 < 15 THEN (ARRAY['new','acknowledged','in_progress'])[1 + g %% 3]
                        ELSE 'fixed' END,
                   now() - (g %% 1000) * interval '1 day', now(),
                   CASE WHEN g %% 100 < 15 THEN NULL ELSE now() END,
                   now(), 'ro', 'web'
            FROM generate_series(1, %(n)s) AS g
        """, {"first_cat": min(category_ids), "ncat": CATEGORIES, "dept": department_id, "lon0": CENTER[1],
              "lat0": CENTER[0], "hlon": HALF_LON, "hlat": HALF_LAT, "n": report_count})
        conn.execute("VACUUM ANALYZE reports")
        conn.execute("VACUUM ANALYZE service_areas")
        conn.execute("VACUUM ANALYZE service_area_pieces")
        conn.execute("VACUUM ANALYZE jurisdictions")
        reports_seconds = time.perf_counter() - started
        pieces = conn.execute("SELECT count(*), max(ST_NPoints(geom)) FROM service_area_pieces").fetchone()
        vertices = conn.execute("SELECT min(ST_NPoints(geom)), max(ST_NPoints(geom)) FROM service_areas").fetchone()
    return {"app": app, "category_ids": category_ids, "areas_seconds": areas_seconds,
            "reports_seconds": reports_seconds, "pieces": pieces, "vertices": vertices}


def literal_sql(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def app_statements(app, lat: float, lon: float, category_id: int) -> dict[str, str]:
    """The SQL the app itself runs, captured from the services, with the values inlined."""
    from sqlalchemy import func, select

    from cityreport.extensions import db
    from cityreport.geo import point_element
    from cityreport.reports import public as public_reports
    from cityreport.routing.models import Jurisdiction, ServiceArea, ServiceAreaPiece

    captured: dict[str, str] = {}
    point = point_element(lat, lon)
    captured["jurisdiction"] = literal_sql(
        select(Jurisdiction.id).where(func.ST_Covers(Jurisdiction.boundary, point)).limit(1))
    captured["routing"] = literal_sql(
        select(ServiceArea.id, ServiceArea.department_id, ServiceArea.category_id, ServiceArea.priority,
               ServiceArea.area_m2)
        .where(ServiceArea.id.in_(select(ServiceAreaPiece.service_area_id)
                                  .where(func.ST_Covers(ServiceAreaPiece.geom, point))))
        .where((ServiceArea.category_id == category_id) | ServiceArea.category_id.is_(None)))
    captured["routing_baseline"] = literal_sql(
        select(ServiceArea.id, ServiceArea.department_id, ServiceArea.category_id, ServiceArea.priority,
               ServiceArea.area_m2)
        .where(func.ST_Covers(ServiceArea.geom, point))
        .where((ServiceArea.category_id == category_id) | ServiceArea.category_id.is_(None)))

    # The nearby statement is taken from the service by intercepting its execution.
    original = db.session.execute

    def capture(statement, *args, **kwargs):
        captured["nearby"] = literal_sql(statement)

        class Empty:
            def __iter__(self):
                return iter(())
        return Empty()

    with app.app_context():
        db.session.execute = capture
        try:
            public_reports.nearby_open_reports(lat, lon, 250, category_id=category_id)
        finally:
            db.session.execute = original
            db.session.remove()
    captured["nearby_baseline"] = (
        "SELECT id FROM reports WHERE status IN ('new', 'acknowledged', 'in_progress') AND NOT hidden "
        f"AND category_id = {category_id} AND ST_DWithin(location::geography, "
        f"ST_SetSRID(ST_MakePoint({lon!r}, {lat!r}), 4326)::geography, 250) "
        f"ORDER BY ST_Distance(location::geography, ST_SetSRID(ST_MakePoint({lon!r}, {lat!r}), 4326)::geography) "
        "LIMIT 10")
    return captured


def explain_ms(conn, statement: str) -> tuple[float, int]:
    plan = conn.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement).fetchone()[0][0]
    return plan["Execution Time"], plan["Plan"].get("Actual Rows", 0)


def measure_database(built: dict, points: int) -> dict:
    rng = random.Random(42)
    app = built["app"]
    timings: dict[str, list[float]] = {k: [] for k in ("jurisdiction", "routing", "routing_baseline", "nearby",
                                                       "nearby_baseline", "route_total")}
    found = {"routing": 0, "nearby": 0}
    with psycopg.connect(LIBPQ_URL, autocommit=True) as conn:
        samples = []
        for _ in range(points):
            lat = CENTER[0] + rng.uniform(-0.95, 0.95) * HALF_LAT
            lon = CENTER[1] + rng.uniform(-0.95, 0.95) * HALF_LON
            samples.append((lat, lon, rng.choice(built["category_ids"])))
        statements = [app_statements(app, *s) for s in samples]
        for stmts in statements[:50]:  # warm the caches the same way for both sides
            for key in ("jurisdiction", "routing", "routing_baseline", "nearby"):
                explain_ms(conn, stmts[key])
        for i, stmts in enumerate(statements):
            j, _ = explain_ms(conn, stmts["jurisdiction"])
            r, rows = explain_ms(conn, stmts["routing"])
            b, rows_b = explain_ms(conn, stmts["routing_baseline"])
            n, near = explain_ms(conn, stmts["nearby"])
            assert rows == rows_b, "subdivided and whole polygons must find the same areas"
            found["routing"] += rows > 0
            found["nearby"] += near > 0
            timings["jurisdiction"].append(j)
            timings["routing"].append(r)
            timings["routing_baseline"].append(b)
            timings["route_total"].append(j + r)
            timings["nearby"].append(n)
            if i < 30:  # the baseline reads every row; a few samples are enough
                timings["nearby_baseline"].append(explain_ms(conn, stmts["nearby_baseline"])[0])
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + statements[0]["nearby"]))
    return {"timings": timings, "found": found, "nearby_plan": plan}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def twelve_megapixel_jpeg() -> bytes:
    spec = importlib.util.spec_from_file_location("bench_photo", ROOT / "bench" / "photo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.BytesIO()
    module.synthetic_photo().save(buffer, "JPEG", quality=92, exif=module.phone_exif())
    return buffer.getvalue()


def multipart(fields: dict[str, str], photo: bytes | None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if photo is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
                     "Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def measure_http(requests_plain: int, requests_photo: int) -> dict:
    port = free_port()
    media = tempfile.mkdtemp(prefix="cityreport-bench-media-")
    env = {**os.environ, "DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench",
           "RATELIMIT_ENABLED": "false", "MEDIA_ROOT": media, "CITYREPORT_ENV": "development"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "cityreport:create_app()"],
                              cwd=ROOT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        photo = twelve_megapixel_jpeg()
        rng = random.Random(7)

        def run(n: int, with_photo: bool) -> list[float]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            times = []
            for i in range(n + 3):
                fields = {"category": f"cat-{rng.randrange(CATEGORIES)}",
                          "lat": f"{CENTER[0] + rng.uniform(-0.5, 0.5) * HALF_LAT:.6f}",
                          "lon": f"{CENTER[1] + rng.uniform(-0.5, 0.5) * HALF_LON:.6f}",
                          "description": "Benchmark report: a pothole in the carriageway"}
                body, content_type = multipart(fields, photo if with_photo else None)
                started = time.perf_counter()
                conn.request("POST", "/api/v1/reports", body=body, headers={"Content-Type": content_type})
                response = conn.getresponse()
                payload = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 201:
                    raise RuntimeError(f"POST answered {response.status}: {payload[:300]!r}")
                if i >= 3:  # the first requests warm each worker
                    times.append(elapsed)
            conn.close()
            return times

        def run_get(n: int) -> list[float]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            times = []
            for i in range(n + 3):
                started = time.perf_counter()
                conn.request("GET", "/api/v1/categories")
                response = conn.getresponse()
                response.read()
                if i >= 3:
                    times.append((time.perf_counter() - started) * 1000)
            conn.close()
            return times

        return {"baseline": run_get(requests_plain), "plain": run(requests_plain, False),
                "photo": run(requests_photo, True), "photo_bytes": len(photo)}
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--photo-posts", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    recreate_database()
    built = build(args.reports)
    print(f"setup: 200 service areas ({built['vertices'][0]}-{built['vertices'][1]} vertices each, "
          f"{built['pieces'][0]} subdivided pieces of <= {built['pieces'][1]} points) in {built['areas_seconds']:.1f} s; "
          f"{args.reports:,} reports in {built['reports_seconds']:.1f} s")
    result = measure_database(built, args.points)
    t = result["timings"]
    print(f"\nin the database, EXPLAIN ANALYZE execution time, ms, {args.points} random points:")
    print(f"  routing (subdivided pieces)    {summary(t['routing'])}   areas found for {result['found']['routing']} points")
    print(f"  baseline (whole polygons)      {summary(t['routing_baseline'])}")
    print(f"  ratio routing / baseline       p50 {percentile(t['routing'], .5) / percentile(t['routing_baseline'], .5):.3f}"
          f"  p95 {percentile(t['routing'], .95) / percentile(t['routing_baseline'], .95):.3f}")
    print(f"  jurisdiction lookup            {summary(t['jurisdiction'])}")
    print(f"  routing + jurisdiction         {summary(t['route_total'])}   goal p95 <= 1 ms")
    print(f"  nearby duplicates (250 m)      {summary(t['nearby'])}   goal p95 <= 2 ms; "
          f"matches for {result['found']['nearby']} points")
    print(f"  baseline (no usable index)     {summary(t['nearby_baseline'])}   ({len(t['nearby_baseline'])} samples)")
    print(f"  ratio nearby / baseline        p50 {percentile(t['nearby'], .5) / percentile(t['nearby_baseline'], .5):.4f}")
    http_result = measure_http(args.posts, args.photo_posts)
    print("\nend to end against gunicorn (2 workers), ms:")
    print(f"  GET /api/v1/categories (baseline)   {summary(http_result['baseline'])}")
    print(f"  POST /api/v1/reports, no photo      {summary(http_result['plain'])}   ({args.posts} requests)")
    print(f"  POST /api/v1/reports, 12 MP photo   {summary(http_result['photo'])}   ({args.photo_posts} requests, "
          f"{http_result['photo_bytes'] / 1e6:.1f} MB each)")
    print(f"  ratio no-photo POST / GET           p50 {percentile(http_result['plain'], .5) / percentile(http_result['baseline'], .5):.2f}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    ok = percentile(t["route_total"], .95) <= 1.0 and percentile(t["nearby"], .95) <= 2.0
    print("goals met" if ok else "GOALS NOT MET")


if __name__ == "__main__":
    main()
