"""Benchmark of `cityreport import-reports`: 100,000 rows of a city's history, against a bare COPY.

The issue's requirement is 100,000 rows in under a minute. The script builds the demo city in its own
database (`cityreport_bench_import`), writes a 100,000-row CSV inside it (70 % to be routed, 30 % with a
department, every status, all timestamps), then times, as whole processes:
  - baseline: `COPY` of the same CSV into an unindexed table of text columns (what reading the file costs);
  - the real command, `cityreport import-reports FILE.csv`, first run;
  - the same command again (idempotent: every row already present).

Run: flock /tmp/cityreport-bench.lock .venv/bin/python bench/import_reports.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on sys.path; only the project root is wanted there.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from shapely.geometry import Point  # noqa: E402

DB_NAME = "cityreport_bench_import"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
PLAIN_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
COLUMNS = ["external_id", "category", "lat", "lon", "description", "created_at", "acknowledged_at", "closed_at",
           "status", "department"]


def recreate_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def cli(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": URL, "CITYREPORT_ENV": "development", "SECRET_KEY": "bench"}
    started = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv/bin/cityreport"), *args], env=env, capture_output=True, text=True)
    return time.perf_counter() - started, proc


def write_csv(path: Path, rows: int) -> None:
    from cityreport import demo, demo_data

    rng = random.Random(7)
    boundary = demo.city_boundary()
    minx, miny, maxx, maxy = boundary.bounds
    codes = [c[0] for c in demo_data.CATEGORIES]
    slugs = [d[0] for d in demo_data.DEPARTMENTS]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            while True:
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if boundary.contains(Point(lon, lat)):
                    break
            created = start + timedelta(seconds=rng.uniform(0, 700 * 86400))
            status = rng.choices(["fixed", "new", "acknowledged", "in_progress", "not_responsible",
                                  "unable_to_fix", "duplicate", "invalid"], [60, 5, 8, 10, 5, 4, 5, 3])[0]
            ack = created + timedelta(hours=rng.uniform(1, 96)) if status != "new" else None
            closed = None
            if status in ("fixed", "not_responsible", "unable_to_fix", "duplicate", "invalid"):
                closed = ack + timedelta(days=rng.uniform(0.1, 40))
            writer.writerow([f"old-{i:07d}", rng.choice(codes), f"{lat:.6f}", f"{lon:.6f}",
                             "Sesizare preluată din registrul vechi", created.isoformat(),
                             ack.isoformat() if ack else "", closed.isoformat() if closed else "", status,
                             rng.choice(slugs) if rng.random() < 0.3 else ""])


def copy_baseline(path: Path) -> float:
    with psycopg.connect(PLAIN_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE UNLOGGED TABLE bench_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    recreate_database()
    for command in (("init",), ("demo",)):
        _, proc = cli(*command)
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        baseline = copy_baseline(path)
        first, proc = cli("import-reports", str(path))
        print(f"first import: {proc.stdout.strip()} (exit {proc.returncode})")
        again, proc2 = cli("import-reports", str(path))
        print(f"second import: {proc2.stdout.strip()} (exit {proc2.returncode})")
    print(f"rows: {args.rows} ({size_mb:.1f} MB CSV)")
    print(f"baseline: bare COPY into a text table        {baseline:7.2f} s")
    print(f"cityreport import-reports, first run         {first:7.2f} s  ratio {first / baseline:6.1f} x  "
          f"({args.rows / first:,.0f} rows/s; goal: under 60 s)")
    print(f"cityreport import-reports, second run        {again:7.2f} s  (idempotent)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
