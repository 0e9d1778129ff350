"""Benchmark of resident e-mail: one worker process's throughput, and commit-to-inbox latency.

    flock /tmp/cityreport-bench.lock .venv/bin/python bench/notify.py [--mails 1000] [--changes 40] [--fork]

Uses its own database (cityreport_bench_notify), Redis database 14 (flushed), and an aiosmtpd server
on a random loopback port in this process. Prints:
- throughput: mails/s of one `python -m worker --burst` process turning N `report_event` outbox rows
  into N delivered e-mails (fan-out, rendering in two languages, SMTP, marking sent);
- baseline: raw smtplib sends/s of the same messages to the same server over one connection;
- latency: from the COMMIT of a status change to the arrival of the reporter's e-mail, with an idle
  worker (p50, p95).
Goals: >= 50 mails/s per worker process; p95 <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import smtplib
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: a benchmark module there could shadow a standard-library module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.integration.notify.smtp_server import SmtpServer  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cityreport_bench_notify"
REDIS_URL = "redis://127.0.0.1:6379/14"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def setup_app(smtp_port: int):
    from tests.conftest import _recreate_database

    _recreate_database(DATABASE_URL)
    from cityreport import create_app

    app = create_app({"CITYREPORT_ENV": "testing", "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
                      "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                      "PUBLIC_BASE_URL": "http://cityreport.bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        from cityreport import database

        database.ensure_postgis()
        database.upgrade()
    return app


def seed(app, n: int) -> list[int]:
    from shapely.geometry import box

    from cityreport.departments.models import Category, Department
    from cityreport.extensions import db
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.reports.services import NewReport, create_report
    from cityreport.routing.models import Jurisdiction

    with app.app_context():
        db.session.add(Jurisdiction(slug="bench", name="Bench", population=300_000,
                                    boundary=element_from_shape(as_multipolygon(box(23.55, 46.73, 23.69, 46.81)))))
        dept = Department(slug="roads", name_ro="Drumuri", name_en="Roads", email="roads@city.test",
                          notify_mode="daily")
        db.session.add(dept)
        db.session.flush()
        category = Category(code="pothole", name_ro="Groapă", name_en="Pothole", group_ro="Drumuri",
                            group_en="Roads", default_department_id=dept.id)
        db.session.add(category)
        db.session.flush()
        ids = []
        for i in range(n):
            report = create_report(NewReport(category=category, lat=46.77 + (i % 50) * 1e-4, lon=23.62,
                                             description=f"Groapă mare nr. {i}", address=f"Strada Bench {i}",
                                             email=f"resident{i}@example.org", locale="ro" if i % 2 else "en"))
            ids.append(report.id)
        db.session.commit()
    return ids


def worker_env(smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CITYREPORT_ENV": "development", "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
                "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                "PUBLIC_BASE_URL": "http://cityreport.bench"})
    return env


def throughput(server: SmtpServer, n: int, fork: bool) -> tuple[float, float, float, float]:
    cmd = [sys.executable, "-m", "worker", "--burst", "--no-scheduler"] + (["--fork"] if fork else [])
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=ROOT, env=worker_env(server.port), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        raise SystemExit("worker failed")
    got = len(server.inbox.messages)
    if got != n:
        raise SystemExit(f"expected {n} mails, got {got}")
    arrivals = server.inbox.arrivals
    steady = (n - 1) / (arrivals[-1] - arrivals[0])  # first to last arrival: start-up excluded
    return steady, n / elapsed, elapsed, cpu


def baseline(server: SmtpServer, n: int) -> float:
    sample = list(server.inbox.messages[:n])
    conn = smtplib.SMTP("127.0.0.1", server.port)
    started = time.perf_counter()
    for message in sample:
        conn.send_message(message)
    elapsed = time.perf_counter() - started
    conn.quit()
    return len(sample) / elapsed


def latency(app, server: SmtpServer, report_ids: list[int], changes: int, fork: bool) -> list[float]:
    from cityreport.extensions import db
    from cityreport.reports.models import Report
    from cityreport.reports.services import change_status

    cmd = [sys.executable, "-m", "worker", "--no-scheduler"] + (["--fork"] if fork else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=worker_env(server.port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    samples = []
    try:
        time.sleep(3)  # let the worker start and go idle
        with app.app_context():
            for report_id in report_ids[:changes]:
                before = len(server.inbox.messages)
                report = db.session.get(Report, report_id)
                change_status(report, "acknowledged", public_text="Am preluat sesizarea.")
                db.session.commit()
                committed = time.perf_counter()
                deadline = committed + 30
                while len(server.inbox.messages) == before and time.perf_counter() < deadline:
                    time.sleep(0.002)
                if len(server.inbox.messages) == before:
                    raise SystemExit("a status mail did not arrive within 30 s")
                samples.append(time.perf_counter() - committed)
                time.sleep(0.2)  # idle between changes, as the goal states
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--fork", action="store_true", help="run jobs in forked work horses (python -m worker --fork)")
    args = parser.parse_args()

    from redis import Redis

    load = os.getloadavg()
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    server = SmtpServer()
    server.start()
    try:
        app = setup_app(server.port)
        report_ids = seed(app, args.mails)
        rate, overall, elapsed, cpu = throughput(server, args.mails, args.fork)
        base = baseline(server, args.mails)
        server.inbox.messages.clear()
        server.inbox.arrivals.clear()
        samples = latency(app, server, report_ids, args.changes, args.fork)
    finally:
        server.stop()
        redis.flushdb()
    mode = "forked work horse per job" if args.fork else "jobs in the worker process"
    print("load average at start: {:.2f} {:.2f} {:.2f} (2 shared cores)".format(*load))
    print(f"worker mode: {mode}")
    print(f"throughput: {rate:.1f} mails/s, first to last arrival (goal >= 50); "
          f"{overall:.1f} mails/s over {elapsed:.2f} s including the worker's start-up")
    print(f"worker CPU: {cpu:.1f} s user+sys for {args.mails} mails incl. start-up = {cpu / args.mails * 1000:.1f} ms "
          f"per mail, i.e. {args.mails / cpu:.0f} mails per CPU-second (what one process gets on a free core)")
    print(f"baseline:   raw smtplib over one connection to the same server = {base:.1f} mails/s")
    print(f"ratio:      worker / raw SMTP = {rate / base:.2f}")
    print(f"latency commit -> inbox, idle worker, n={len(samples)}: p50 {statistics.median(samples) * 1000:.0f} ms, "
          f"p95 {percentile(samples, 0.95) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms (goal p95 <= 5000 ms)")


if __name__ == "__main__":
    main()
