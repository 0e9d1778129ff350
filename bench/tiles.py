"""Basemap tile benchmark: generation time per tile, and the bytes of a phone's first street-level view.

Builds its own database (`cityreport_bench_tiles`) with the demo city's boundary and street register
(`places.demo_register`, the same as `cityreport demo` loads), then:
- generates every tile that covers the city at zooms 10-17 (`places.tiles.tile`, wall time in the app,
  one SQL statement each); same-run baseline: a bare one-layer tile of the streets alone
  (`ST_AsMVT(ST_AsMVTGeom(ST_Transform(geom, 3857), …))`, no simplification, names or other layers);
- a phone's first view at street level: for 50 random places in the city, the data tiles that the map
  (protomaps-leaflet, 512-pixel data tiles one zoom below the display) needs to fill a 390 x 844 screen
  at display zoom 17, gzip-compressed as `/tiles` serves them; mean and worst total bytes. And the same
  measured in Chromium: the report form at a place, zoomed to street level, bytes of /tiles on the wire.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/tiles.py
"""

from __future__ import annotations

import gzip
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

BENCH_DB = "cityreport_bench_tiles"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PHONE = (390, 844)
STREET_ZOOM = 17  # display zoom; data tiles are one level below and 512 px wide


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def recreate_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def world_pixel(lat: float, lon: float, z: float, size: int = 256) -> tuple[float, float]:
    n = size * 2 ** z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return x, y


def tile_range(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    west, south, east, north = bounds
    x0, y0 = (int(v // 256) for v in world_pixel(north, west, z))
    x1, y1 = (int(v // 256) for v in world_pixel(south, east, z))
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def phone_view_tiles(lat: float, lon: float) -> list[tuple[int, int, int]]:
    """The data tiles the renderer fetches for a phone screen centred there at STREET_ZOOM."""
    cx, cy = world_pixel(lat, lon, STREET_ZOOM)
    data_z = STREET_ZOOM - 1
    half_w, half_h = PHONE[0] / 2, PHONE[1] / 2
    xs = range(int((cx - half_w) // 512), int((cx + half_w) // 512) + 1)
    ys = range(int((cy - half_h) // 512), int((cy + half_h) // 512) + 1)
    return [(data_z, x, y) for x in xs for y in ys]


def chromium_view(app, lat: float, lon: float) -> tuple[int, int]:
    """(tiles, bytes) of /tiles received by Chromium on the report form zoomed to street level."""
    import threading

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, device_scale_factor=2,
                                          is_mobile=True, service_workers="block")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            urls, sizes = {}, {}
            cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
            cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
            page.goto(f"{url}/report?lat={lat:.6f}&lon={lon:.6f}", wait_until="networkidle")
            page.locator(".leaflet-control-zoom-in").click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            browser.close()
    finally:
        server.shutdown()
    tiles = [sizes.get(rid, 0) for rid, u in urls.items() if "/tiles/" in u]
    return len(tiles), sum(tiles)


def main() -> None:
    from shapely.geometry import Point
    from sqlalchemy import text

    from cityreport import create_app, demo, demo_data
    from cityreport.database import ensure_postgis, upgrade
    from cityreport.extensions import db
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.places import tiles
    from cityreport.places.demo_register import load_demo_register
    from cityreport.routing.models import Jurisdiction

    recreate_database()
    app = create_app({"DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench",
                      "CITYREPORT_ENV": "testing", "RATELIMIT_ENABLED": False})
    rng = random.Random(17)
    with app.app_context():
        ensure_postgis()
        upgrade()
        boundary = demo.city_boundary()
        db.session.add(Jurisdiction(slug="demo", name="Demo", boundary=element_from_shape(as_multipolygon(boundary))))
        started = time.perf_counter()
        print(load_demo_register(boundary, demo_data.CITY["center"]), f"in {time.perf_counter() - started:.1f} s")
        db.session.commit()
        bounds = boundary.bounds
        baseline_sql = text("""
            SELECT ST_AsMVT(t, 'streets', 4096, 'geom') FROM (
                SELECT ST_AsMVTGeom(ST_Transform(s.geom, 3857), ST_TileEnvelope(:z, :x, :y)) AS geom
                FROM streets s
                WHERE s.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) t""")
        all_ms, all_base, sizes = [], [], []
        print("\ntile generation, ms (wall time in the app; gzip bytes):")
        print(f"  {'zoom':>4} {'tiles':>6} {'p50':>7} {'p95':>7} {'max':>7}   {'baseline p95':>12}  "
              f"{'mean kB':>7} {'max kB':>7}")
        for z in range(10, 18):
            times, base, zsizes = [], [], []
            for x, y in tile_range(bounds, z):
                start = time.perf_counter()
                data = tiles.tile(z, x, y)
                times.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                db.session.execute(baseline_sql, {"z": z, "x": x, "y": y}).scalar()
                base.append((time.perf_counter() - start) * 1000)
                zsizes.append(len(gzip.compress(data, 6)) if data else 0)
            all_ms += times
            all_base += base
            sizes += zsizes
            print(f"  {z:>4} {len(times):>6} {percentile(times, .5):7.2f} {percentile(times, .95):7.2f} "
                  f"{max(times):7.2f}   {percentile(base, .95):12.2f}  {sum(zsizes) / len(zsizes) / 1024:7.1f} "
                  f"{max(zsizes) / 1024:7.1f}")
        print(f"  all {len(all_ms)} tiles: p50 {percentile(all_ms, .5):.2f}, p95 {percentile(all_ms, .95):.2f} ms; "
              f"bare streets-only baseline p95 {percentile(all_base, .95):.2f} ms; "
              f"ratio p95 {percentile(all_ms, .95) / percentile(all_base, .95):.2f}")

        totals, counts = [], []
        places = []
        while len(places) < 50:
            lat = rng.uniform(bounds[1], bounds[3])
            lon = rng.uniform(bounds[0], bounds[2])
            if boundary.buffer(-0.01).contains(Point(lon, lat)):
                places.append((lat, lon))
        for lat, lon in places:
            needed = phone_view_tiles(lat, lon)
            counts.append(len(needed))
            totals.append(sum(len(gzip.compress(tiles.tile(*t), 6)) for t in needed))
        print(f"\na phone's first street-level view (390 x 844, display zoom {STREET_ZOOM}, 50 places): "
              f"{min(counts)}-{max(counts)} data tiles, mean {sum(totals) / len(totals) / 1024:.1f} kB, "
              f"p95 {percentile(totals, .95) / 1024:.1f} kB, worst {max(totals) / 1024:.1f} kB (budget 150 kB)")
        centre = demo_data.CITY["center"]
        count, received = chromium_view(app, *centre)
        print(f"Chromium, the report form at the centre zoomed to street level: {count} tile requests, "
              f"{received / 1024:.1f} kB of tiles on the wire")


if __name__ == "__main__":
    main()
