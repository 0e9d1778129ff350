"""Address search and reverse geocoding benchmark on a register of 5,000 streets and 100,000 addresses.

Builds its own database (`cityreport_bench_places`), then:
- makes an OpenStreetMap-style GeoJSON register of 5,000 named streets (Romanian types and names, many
  alike: "Strada Ion Pop", "Aleea Ion Pop", ...) with 20 house numbers each, and imports it through the
  same path as `cityreport import-addresses` (read_register + replace_register), timed;
- searches 1,000 typed addresses, written as people write them (abbreviations, "nr.", number first,
  no diacritics, one letter missing), timing `places.services.search` in the app (its SQL statement and
  the ranking), and counts how often the intended address comes first; same-run baseline: a bare
  pg_trgm query (`search % q ORDER BY similarity LIMIT 8`) on the same table, timed the same way;
- reverse geocodes 1,000 random points (`places.services.nearest_place`); baseline: a bare KNN query for
  the nearest address (`ORDER BY geom <-> point LIMIT 1`);
- fills the nearest place of 20,000 reports in one batch (`fill_report_places`).

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/geocode.py [--streets N] [--queries N]
"""

from __future__ import annotations

import argparse
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

BENCH_DB = "cityreport_bench_places"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
LAT0, LON0 = 46.77, 23.60
TYPES = ["Strada", "Strada", "Strada", "Aleea", "Bulevardul", "Calea", "Piața", "Intrarea", "Splaiul", "Șoseaua"]
FIRST = ["Ion", "Vasile", "Gheorghe", "Mihai", "Nicolae", "Alexandru", "Ștefan", "Constantin", "Andrei", "Petru",
         "Iuliu", "Avram", "Octavian", "Lucian", "Emil", "Tudor", "Aurel", "Traian", "Horia", "Dimitrie",
         "Ana", "Maria", "Elena", "Ecaterina", "Veronica", "Ileana", "Florica", "Aurelia", "Sofia", "Iulia"]
LAST = ["Pop", "Popescu", "Ionescu", "Moldovan", "Mureșan", "Rusu", "Stan", "Matei", "Lazăr", "Crișan",
        "Bălcescu", "Eminescu", "Creangă", "Coșbuc", "Blaga", "Rebreanu", "Goga", "Brâncuși", "Vlahuță",
        "Alecsandri", "Racoviță", "Rațiu", "Mureșanu", "Doja", "Cantemir", "Kogălniceanu", "Șincai", "Maior",
        "Cipariu", "Bărnuțiu", "Barițiu", "Vlaicu", "Coandă", "Hațieganu", "Babeș", "Enescu", "Porumbescu",
        "Grigorescu", "Andreescu", "Luchian", "Arghezi", "Sadoveanu", "Caragiale", "Stănescu", "Preda",
        "Iorga", "Titulescu", "Vuia", "Mihali", "Maniu", "Brătianu", "Haret", "Slavici", "Agârbiceanu"]
ABBREVIATIONS = {"Strada": ["str.", "str", "strada", ""], "Aleea": ["al.", "aleea"], "Bulevardul": ["bd.", "b-dul"],
                 "Calea": ["cal.", "calea"], "Piața": ["p-ța", "piata"], "Intrarea": ["intr.", "intrarea"],
                 "Splaiul": ["spl.", "splaiul"], "Șoseaua": ["șos.", "soseaua"]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def recreate_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def street_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(TYPES)} {rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def make_register(streets: int, per_street: int, rng: random.Random) -> tuple[dict, list[tuple[str, str]]]:
    """Streets on a jittered grid over about 30 km x 30 km, house numbers along both sides."""
    side = math.ceil(math.sqrt(streets))
    dlat, dlon = 0.27 / side, 0.39 / side
    features, known = [], []
    for index, name in enumerate(street_names(streets, rng)):
        row, col = divmod(index, side)
        lat = LAT0 - 0.135 + row * dlat + rng.uniform(0, dlat * 0.3)
        lon = LON0 - 0.195 + col * dlon
        length = dlon * rng.uniform(0.6, 0.95)
        features.append({"type": "Feature", "properties": {"name": name, "highway": "residential"},
                         "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + length, lat]]}})
        for n in range(1, per_street + 1):
            t = ((n + 1) // 2) / (per_street // 2 + 1)
            offset = 0.00012 if n % 2 else -0.00012
            features.append({"type": "Feature", "properties": {"addr:street": name, "addr:housenumber": str(n)},
                             "geometry": {"type": "Point", "coordinates": [lon + length * t, lat + offset]}})
            known.append((name, str(n)))
    return {"type": "FeatureCollection", "features": features}, known


def typed(name: str, number: str, rng: random.Random) -> str:
    """How a resident might type it."""
    kind, _, rest = name.partition(" ")
    from cityreport.places.rules import fold

    words = rest if rng.random() < 0.5 else fold(rest)
    if rng.random() < 0.2 and len(words) > 8:  # a letter missing
        i = rng.randrange(2, len(words) - 1)
        words = words[:i] + words[i + 1:]
    prefix = rng.choice(ABBREVIATIONS.get(kind, [""]))
    form = rng.randrange(4)
    if form == 0:
        return f"{prefix} {words} {number}".strip()
    if form == 1:
        return f"{prefix} {words} nr. {number}".strip()
    if form == 2:
        return f"{number} {words}"
    return f"{words}, nr.{number}"


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streets", type=int, default=5000)
    parser.add_argument("--per-street", type=int, default=20)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(15)

    from sqlalchemy import text

    from cityreport import create_app
    from cityreport.database import ensure_postgis, upgrade
    from cityreport.extensions import db
    from cityreport.places import services
    from cityreport.places.importer import read_register

    recreate_database()
    app = create_app({"DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench",
                      "CITYREPORT_ENV": "testing"})
    with app.app_context():
        ensure_postgis()
        upgrade()
        document, known = make_register(args.streets, args.per_street, rng)
        started = time.perf_counter()
        register = read_register(document)
        read_s = time.perf_counter() - started
        summary = services.replace_register(register, source="bench.geojson")
        db.session.commit()
        import_s = time.perf_counter() - started
        print(f"register: {summary.streets} streets, {summary.addresses} addresses; read {read_s:.1f} s, "
              f"read + import {import_s:.1f} s")

        samples = rng.sample(known, args.queries)
        queries = [typed(name, number, rng) for name, number in samples]
        baseline_sql = text("SELECT id, name FROM streets WHERE search % places_fold(:q) "
                            "ORDER BY similarity(search, places_fold(:q)) DESC LIMIT 8")
        knn_sql = text("SELECT id, name FROM streets ORDER BY places_fold(:q) <<-> search LIMIT 8")
        for q in queries[:50]:  # warm the caches and the plans
            services.search(q)
            db.session.execute(baseline_sql, {"q": q}).all()
        app_ms, base_ms, bare_knn_ms, first, first_any_type, top3 = [], [], [], 0, 0, 0
        with app.test_request_context():
            for (name, number), q in zip(samples, queries, strict=True):
                ms, candidates = timed(services.search, q)
                app_ms.append(ms)
                ms, _rows = timed(lambda q=q: db.session.execute(baseline_sql, {"q": q}).all())
                base_ms.append(ms)
                ms, _rows = timed(lambda q=q: db.session.execute(knn_sql, {"q": q}).all())
                bare_knn_ms.append(ms)
                hits = [(c.street, c.housenumber) for c in candidates]
                first += bool(hits) and hits[0] == (name, number)
                top3 += (name, number) in hits[:3]
                # Without a type word, "Strada Ion Pop 3" and "Aleea Ion Pop 3" answer the query equally.
                first_any_type += bool(hits) and hits[0][1] == number and \
                    hits[0][0].partition(" ")[2] == name.partition(" ")[2]
        print(f"\nsearch, {len(queries)} typed addresses, ms (wall time in the app: one SQL statement and the ranking):")
        print(f"  places.services.search               p50 {percentile(app_ms, .5):7.2f}  p95 {percentile(app_ms, .95):7.2f}")
        print(f"  bare trigram % + similarity (baseline) p50 {percentile(base_ms, .5):7.2f}  "
              f"p95 {percentile(base_ms, .95):7.2f}")
        print(f"  bare trigram KNN <<-> LIMIT 8        p50 {percentile(bare_knn_ms, .5):7.2f}  "
              f"p95 {percentile(bare_knn_ms, .95):7.2f}")
        print(f"  ratio p95 to the bare trigram query {percentile(app_ms, .95) / percentile(base_ms, .95):.2f}")
        print(f"  intended address first {first / len(queries):.1%} (same name and number, any type: "
              f"{first_any_type / len(queries):.1%}); in the top 3 {top3 / len(queries):.1%}")
        print("  e.g. " + "; ".join(repr(q) for q in queries[:6]))

        points = [(LAT0 + rng.uniform(-0.13, 0.13), LON0 + rng.uniform(-0.19, 0.19)) for _ in range(1000)]
        knn_sql = text("SELECT id FROM addresses ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1")
        for lat, lon in points[:50]:
            services.nearest_place(lat, lon)
        rev_ms, knn_ms, kinds = [], [], {"address": 0, "street": 0, None: 0}
        for lat, lon in points:
            ms, place = timed(services.nearest_place, lat, lon)
            rev_ms.append(ms)
            kinds[place.kind if place else None] += 1
            ms, _ = timed(lambda lat=lat, lon=lon: db.session.execute(knn_sql, {"lat": lat, "lon": lon}).all())
            knn_ms.append(ms)
        print(f"\nreverse geocoding, {len(points)} random points, ms:")
        print(f"  places.services.nearest_place  p50 {percentile(rev_ms, .5):6.2f}  p95 {percentile(rev_ms, .95):6.2f}")
        print(f"  bare KNN nearest address       p50 {percentile(knn_ms, .5):6.2f}  p95 {percentile(knn_ms, .95):6.2f}")
        print(f"  ratio p95 {percentile(rev_ms, .95) / percentile(knn_ms, .95):.2f}; near an address "
              f"{kinds['address']}, a street {kinds['street']}, nothing {kinds[None]}")

        db.session.execute(text("""
            INSERT INTO jurisdictions (slug, name, boundary) VALUES ('bench', 'Bench',
                ST_Multi(ST_MakeEnvelope(23.3, 46.6, 23.9, 46.95, 4326)));
            INSERT INTO departments (slug, name_ro, name_en) VALUES ('d', 'D', 'D');
            INSERT INTO categories (code, name_ro, name_en, group_ro, group_en, ack_target_hours,
                                    resolve_target_days) VALUES ('c', 'C', 'C', 'G', 'G', 48, 14)"""))
        db.session.execute(text("""
            INSERT INTO reports (category_id, department_id, jurisdiction_id, location, description, status,
                                 created_at, updated_at)
            SELECT (SELECT id FROM categories), (SELECT id FROM departments), (SELECT id FROM jurisdictions),
                   ST_SetSRID(ST_MakePoint(:lon + (random() - 0.5) * 0.38, :lat + (random() - 0.5) * 0.26), 4326),
                   'x', 'new', now(), now()
            FROM generate_series(1, :n)"""), {"lat": LAT0, "lon": LON0, "n": args.reports})
        db.session.commit()
        ms, filled = timed(services.fill_report_places)
        db.session.commit()
        print(f"\nnearest place of {args.reports} reports in one batch: {ms / 1000:.1f} s "
              f"({ms / args.reports:.2f} ms a report; {filled} near something)")


if __name__ == "__main__":
    main()
