"""Photos in object storage: `cityreport media migrate` from local disk into a real S3 server (Ceph's RADOS
Gateway on loopback, tests/rgw.py), and the cost of serving a photo through the app from local disk and
from the bucket, each against a baseline measured in the same run.

Setup: database `cityreport_bench_media` (rebuilt each run): one city, one visible report with N photos
(default 1,000) whose files are sized like the pipeline's output (display 250 kB, thumbnail 25 kB, random
bytes under their content-hash keys), and 200,000 more photo rows of other reports, so the per-request
visibility lookup runs on a realistically large `photos` table.

- migrate: `cityreport media migrate --to s3://bench/photos --jobs 4` in a subprocess (start-up
  included), then run again (nothing to copy); baseline: the same objects PUT by a bare boto3 loop with 4
  threads, which is the S3 server's own speed.
- serving: gunicorn as `make run` starts it (2 workers x 4 threads), 8 keep-alive clients for 8 s per
  case: `/healthz` (baseline), a display photo from local disk, the same from the bucket, and a
  conditional request (`If-None-Match`, answered 304 without reading the storage), for each storage.

Run:  flock /tmp/cityreport-bench.lock .venv/bin/python bench/photo_storage.py [--photos N] [--seconds S]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where sibling benchmark files could shadow
# standard modules; the project root goes there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

DB_NAME = "cityreport_bench_media"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
RAW_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
BUCKET = "bench"
PREFIX = "photos/"
DISPLAY_BYTES, THUMB_BYTES = 250_000, 25_000
OTHER_PHOTO_ROWS = 200_000
CLIENTS = 8
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def key_for(data: bytes, variant: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}-{variant}.jpg"


def prepare(photos: int, media: Path) -> list[tuple[str, bytes]]:
    """The database and the local files; returns every (key, bytes) written."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    from cityreport import create_app

    app = create_app({"DATABASE_URL": DB_URL, "SECRET_KEY": "bench", "MEDIA_ROOT": str(media),
                      "REDIS_URL": REDIS_URL})
    with app.app_context():
        from cityreport import database
        from cityreport.extensions import db

        database.ensure_postgis()
        database.upgrade()
        db.session.remove()
        db.engine.dispose()
    rng = random.Random(19)
    files: list[tuple[str, bytes]] = []
    rows = []
    for n in range(photos):
        display, thumbnail = rng.randbytes(DISPLAY_BYTES), rng.randbytes(THUMB_BYTES)
        display_key, thumb_key = key_for(display, "display"), key_for(thumbnail, "thumb")
        for key, data in ((display_key, display), (thumb_key, thumbnail)):
            path = media / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files.append((key, data))
        rows.append((n, display_key, thumb_key, len(display), hashlib.sha256(display).hexdigest()))
    with psycopg.connect(RAW_URL) as conn:
        conn.execute("""
            INSERT INTO jurisdictions (slug, name, boundary, population)
            VALUES ('cluj', 'Cluj-Napoca', ST_Multi(ST_MakeEnvelope(23.50, 46.70, 23.70, 46.82, 4326)), 286598)""")
        conn.execute("INSERT INTO departments (slug, name_ro, name_en, email) "
                     "VALUES ('roads', 'Drumuri', 'Roads', 'roads@example.ro')")
        conn.execute("INSERT INTO categories (code, name_ro, name_en, group_ro, group_en, default_department_id) "
                     "SELECT 'pothole', 'Groapă', 'Pothole', 'Drumuri', 'Roads', id FROM departments")
        conn.execute("""
            INSERT INTO reports (category_id, department_id, jurisdiction_id, location, description, status,
                                 created_at, updated_at, hidden, source)
            SELECT c.id, c.default_department_id, j.id, ST_SetSRID(ST_MakePoint(23.6, 46.77), 4326),
                   'Groapă ' || g, 'new', now(), now(), g % 10 = 0, 'web'
            FROM generate_series(1, 2001) g, categories c, jurisdictions j""")
        visible = conn.execute("SELECT min(id) FROM reports WHERE NOT hidden").fetchone()[0]
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO photos (report_id, position, storage_key, thumbnail_key, width, height, bytes, sha256) "
                "VALUES (%s, %s, %s, %s, 1600, 1200, %s, %s)", [(visible, *row) for row in rows])
        conn.execute("ANALYZE")
    return files


def add_other_photo_rows() -> None:
    """Photo rows of other reports, after the migration (they have no files): the lookup's table size."""
    import psycopg

    with psycopg.connect(RAW_URL) as conn:
        conn.execute("""
            INSERT INTO photos (report_id, position, storage_key, thumbnail_key, width, height, bytes, sha256)
            SELECT r.id, 0, substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h || '-display.jpg',
                   substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h || '-thumb.jpg', 1600, 1200, 250000, h
            FROM generate_series(1, %(n)s) g
            CROSS JOIN LATERAL (SELECT encode(sha256(g::text::bytea), 'hex') AS h) d
            JOIN reports r ON r.id = (SELECT min(id) FROM reports) + 1 + g %% 2000""", {"n": OTHER_PHOTO_ROWS})
        conn.execute("ANALYZE")


def s3_client(settings: dict[str, str]):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=settings["S3_ENDPOINT_URL"], region_name=settings["S3_REGION"],
                        aws_access_key_id=settings["S3_ACCESS_KEY_ID"],
                        aws_secret_access_key=settings["S3_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=8,
                                      request_checksum_calculation="when_required"))


def measure_migrate(files, media: Path, gateway, env: dict[str, str]) -> dict[str, float]:
    client = s3_client(gateway.settings())
    client.create_bucket(Bucket=BUCKET)
    client.create_bucket(Bucket=BUCKET + "-baseline")

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=BUCKET + "-baseline", Key=PREFIX + item[0],
                                                     Body=item[1]), files))
    baseline = time.perf_counter() - started

    command = [str(BIN / "cityreport"), "media", "migrate", "--to", f"s3://{BUCKET}/{PREFIX}", "--jobs", "4"]
    started = time.perf_counter()
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    first_seconds = time.perf_counter() - started
    if first.returncode != 0:
        raise RuntimeError(first.stdout + first.stderr)
    started = time.perf_counter()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    again_seconds = time.perf_counter() - started
    print("  " + first.stdout.strip().splitlines()[-1])
    print("  rerun: " + again.stdout.strip().splitlines()[-1])
    copied = int(re.search(r": (\d+) copied", first.stdout).group(1))
    assert copied == len(files), first.stdout
    return {"baseline": baseline, "migrate": first_seconds, "rerun": again_seconds,
            "copy_only": float(re.search(r"; ([\d.]+) s \(", first.stdout).group(1))}


def start_gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "cityreport:create_app()"],
                              cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def load(port: int, paths: list[str], seconds: float, headers_for=None, expect: int = 200) -> dict[str, float]:
    """CLIENTS keep-alive clients, each looping over random paths for `seconds`."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            path = rng.choice(paths)
            started = time.perf_counter()
            conn.request("GET", path, headers=headers_for(path) if headers_for else {})
            response = conn.getresponse()
            response.read()
            if response.status != expect:
                raise RuntimeError(f"{path} answered {response.status}, expected {expect}")
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95)] * 1000}


def measure_serving(files, base_env: dict[str, str], gateway, seconds: float) -> dict[str, dict[str, float]]:
    displays = [f"/media/{key}" for key, _data in files if key.endswith("-display.jpg")][:200]
    etags = {f"/media/{key}": '"' + key.split("/")[2].split("-")[0] + '"' for key, _ in files}
    results: dict[str, dict[str, float]] = {}
    for name, extra in (("local", {}), ("s3", {"MEDIA_STORAGE": f"s3://{BUCKET}/{PREFIX}", **gateway.settings()})):
        server, port = start_gunicorn({**base_env, **extra})
        try:
            load(port, displays, 1.0)  # warm both workers and their storage clients
            if name == "local":
                results["healthz"] = load(port, ["/healthz"], seconds)
            results[f"{name} photo"] = load(port, displays, seconds)
            results[f"{name} 304"] = load(port, displays, seconds, lambda path: {"If-None-Match": etags[path]},
                                          expect=304)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()

    from tests import rgw

    media = Path(tempfile.mkdtemp(prefix="cityreport-bench-media-"))
    gateway = rgw.start()
    try:
        started = time.perf_counter()
        files = prepare(args.photos, media)
        total_mb = sum(len(data) for _key, data in files) / 1e6
        print(f"setup: {args.photos:,} photos = {len(files):,} files, {total_mb:.0f} MB, "
              f"in {time.perf_counter() - started:.1f} s")
        env = {**os.environ, "CITYREPORT_ENV": "development", "DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL,
               "SECRET_KEY": "bench", "MEDIA_ROOT": str(media), "RATELIMIT_ENABLED": "false", **gateway.settings()}
        env.pop("MEDIA_STORAGE", None)

        print("\nmigrate, local disk -> RADOS Gateway (memstore), 4 jobs:")
        migrate = measure_migrate(files, media, gateway, env)
        print(f"  {'bare boto3 PUT loop (baseline)':<34} {migrate['baseline']:6.1f} s  "
              f"{len(files) / migrate['baseline']:5.0f} files/s  {total_mb / migrate['baseline']:5.1f} MB/s")
        print(f"  {'cityreport media migrate (copying)':<34} {migrate['copy_only']:6.1f} s  "
              f"{len(files) / migrate['copy_only']:5.0f} files/s  ratio {migrate['copy_only'] / migrate['baseline']:.2f}")
        print(f"  {'  the whole command, start-up incl.':<34} {migrate['migrate']:6.1f} s")
        print(f"  {'  run again (nothing to copy)':<34} {migrate['rerun']:6.1f} s")

        add_other_photo_rows()
        print(f"\nserving through gunicorn (2 workers x 4 threads), {CLIENTS} keep-alive clients, "
              f"{args.seconds:.0f} s each, {args.photos + OTHER_PHOTO_ROWS:,} photo rows:")
        serving = measure_serving(files, env, gateway, args.seconds)
        base = serving["healthz"]["rps"]
        print(f"  {'request':<36} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'/healthz':>9}")
        for name, figures in serving.items():
            label = {"healthz": "/healthz (baseline)", "local photo": "display photo, local disk",
                     "local 304": "  conditional (304), local disk", "s3 photo": "display photo, bucket",
                     "s3 304": "  conditional (304), bucket"}[name]
            print(f"  {label:<36} {figures['rps']:7.0f} {figures['p50']:7.1f} {figures['p95']:7.1f} "
                  f"{figures['rps'] / base:9.2f}")
        print(f"  bucket / local disk, full photo: {serving['s3 photo']['rps'] / serving['local photo']['rps']:.2f} "
              "of the throughput")
    finally:
        gateway.stop()
        shutil.rmtree(gateway.root, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
