"""Faults that must lose nothing: Redis down, SMTP refusing, a worker killed mid-send, a row enqueued twice.

These run real worker processes (`python -m worker`) against the test database, Redis database and a
live SMTP server, so they use committed data (the `committed` fixture empties the tables afterwards).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from cityreport import create_app
from cityreport.core.models import Outbox
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import jobs
from cityreport.queue import enqueue_now
from cityreport.reports.services import NewReport, change_status, create_report
from tests import conftest as base
from tests.conftest import CENTER, TEST_DATABASE_URL, TEST_REDIS_URL
from tests.integration.notify.conftest import city

ROOT = Path(__file__).resolve().parents[3]


def worker_env(smtp) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CITYREPORT_ENV": "testing", "DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL,
                "SECRET_KEY": "test-secret-key", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port),
                "PUBLIC_BASE_URL": "http://cityreport.test"})
    return env


def run_worker(smtp, *extra: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "worker", "--burst", *extra], cwd=ROOT, env=worker_env(smtp),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def submit(category, email: str = "ana@example.org"):
    report = create_report(NewReport(category=category, lat=CENTER[0], lon=CENTER[1],
                                     description="Groapă în carosabil", email=email, locale="ro"))
    db.session.commit()
    return report.id


def age_outbox(minutes: int = 2) -> None:
    """Time passes: the rows look as old as a relay would find them after ``minutes``."""
    db.session.execute(text("UPDATE outbox SET created_at = created_at - make_interval(mins => :m)"), {"m": minutes})
    db.session.commit()


def queued(redis_conn) -> int:
    return redis_conn.llen("rq:queue:notifications")


def test_redis_down_while_submitting_then_mail_arrives_once_redis_is_back(committed, redis_conn, smtp):
    _, category = city(db.session)
    dead = create_app(base.test_config(REDIS_URL="redis://127.0.0.1:1/14"))
    # The resident submits through the JSON API; the after-commit enqueue fails (logged), the submit succeeds.
    response = dead.test_client().post("/api/v1/reports", json={
        "category": category.code, "lat": CENTER[0], "lon": CENTER[1], "email": "ana@example.org",
        "description": "Groapă adâncă în carosabil, lângă trecerea de pietoni."})
    assert response.status_code == 201, response.get_data(as_text=True)
    report_id = response.get_json()["id"]
    assert db.session.scalar(text("SELECT count(*) FROM reports WHERE id = :id"), {"id": report_id}) == 1
    assert queued(redis_conn) == 0
    age_outbox()

    run_worker(smtp, "--with-scheduler")  # the scheduler's relay finds the row, the worker sends it
    assert len(smtp.inbox.to("ana@example.org")) == 1
    assert jobs.relay_outbox() == 0  # a later relay finds nothing owed
    assert len(smtp.inbox.to("ana@example.org")) == 1
    assert db.session.scalar(select(Outbox.id).where(Outbox.sent_at.is_(None))) is None


def test_smtp_refusing_for_a_while_is_retried_with_backoff_and_arrives_once(committed, redis_conn, smtp, run_jobs):
    _, category = city(db.session)
    smtp.inbox.refuse = True
    submit(category)
    run_jobs()  # fan-out, then the first attempt: 451
    [email_row] = db.session.scalars(select(Outbox).where(Outbox.kind == "email")).all()
    assert (email_row.attempts, email_row.sent_at, email_row.failed_at) == (1, None, None)
    first_delay = email_row.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < first_delay <= timedelta(minutes=1)
    assert jobs.relay_outbox() == 0  # not due yet

    db.session.execute(text("UPDATE outbox SET next_attempt_at = now() - interval '1 second'"))
    db.session.commit()
    assert jobs.relay_outbox() == 1
    run_jobs()  # second attempt: refused again, next one 5 minutes later
    db.session.refresh(email_row)
    assert email_row.attempts == 2
    assert timedelta(minutes=4) < email_row.next_attempt_at - utcnow() <= timedelta(minutes=5)

    smtp.inbox.refuse = False
    db.session.execute(text("UPDATE outbox SET next_attempt_at = now() - interval '1 second'"))
    db.session.commit()
    assert jobs.relay_outbox() == 1
    run_jobs()
    assert smtp.inbox.refused == 2
    assert len(smtp.inbox.to("ana@example.org")) == 1
    db.session.refresh(email_row)
    assert email_row.sent_at is not None and email_row.attempts == 3
    assert jobs.relay_outbox() == 0
    run_jobs()
    assert len(smtp.inbox.messages) == 1


def _kill_mid_send(smtp, redis_conn) -> None:
    """Start a worker, wait until it is inside DATA, SIGKILL it."""
    proc = subprocess.Popen([sys.executable, "-m", "worker", "--burst", "--no-scheduler"], cwd=ROOT,
                            env=worker_env(smtp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert smtp.inbox.in_data.wait(60), "the worker never reached DATA"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_worker_killed_mid_send_before_the_server_accepted_loses_nothing(committed, redis_conn, smtp):
    _, category = city(db.session)
    smtp.inbox.hold = threading.Event()
    smtp.inbox.accept_held = False  # the server never said 250: the message is not delivered
    submit(category)
    _kill_mid_send(smtp, redis_conn)
    smtp.inbox.hold.set()
    smtp.inbox.hold = None
    assert smtp.inbox.messages == []
    age_outbox()

    run_worker(smtp, "--with-scheduler")  # restarted: the relay re-enqueues the row the dead worker held
    assert len(smtp.inbox.to("ana@example.org")) == 1
    assert db.session.scalar(select(Outbox.id).where(Outbox.sent_at.is_(None))) is None


def test_worker_killed_after_the_server_accepted_duplicates_only_within_the_window(committed, redis_conn, smtp,
                                                                                     run_jobs):
    _, category = city(db.session)
    smtp.inbox.hold = threading.Event()
    smtp.inbox.accept_held = True  # the server has stored the message but the worker dies before the 250
    submit(category)
    _kill_mid_send(smtp, redis_conn)
    smtp.inbox.hold.set()
    smtp.inbox.hold = None
    age_outbox()

    redis_conn.delete("rq:queue:notifications")  # what the dead worker left queued is not needed
    assert jobs.relay_outbox() == 1  # the restarted worker's relay
    run_jobs()
    copies = smtp.inbox.to("ana@example.org")
    # The documented at-least-once window: one duplicate, recognisable by its identical Message-ID.
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert jobs.relay_outbox() == 0
    run_jobs()
    assert len(smtp.inbox.to("ana@example.org")) == 2


def test_the_same_row_enqueued_twice_is_sent_once(committed, redis_conn, smtp, run_jobs):
    _, category = city(db.session)
    report_id = submit(category)
    run_jobs()  # the receipt
    smtp.inbox.messages.clear()
    from cityreport.reports.models import Report

    change_status(db.session.get(Report, report_id), "in_progress", public_text="Echipa e pe drum.")
    db.session.commit()
    [row_id] = db.session.scalars(select(Outbox.id).where(Outbox.sent_at.is_(None))).all()
    for _ in range(2):
        assert enqueue_now(jobs.__name__ + ".send_outbox", row_id, queue="notifications",
                           job_id=f"outbox-{row_id}")
    assert queued(redis_conn) == 3
    run_worker(smtp, "--no-scheduler")
    assert len(smtp.inbox.to("ana@example.org")) == 1


def test_two_senders_at_once_send_a_row_once(committed, redis_conn, smtp, app):
    _, category = city(db.session)
    submit(category)
    db.session.commit()
    [event_row] = db.session.scalars(select(Outbox.id).where(Outbox.kind == "report_event")).all()
    smtp.inbox.hold = threading.Event()
    smtp.inbox.accept_held = True
    results: list[str] = []

    def sender(row_id: int) -> None:
        with app.app_context():
            results.append(jobs.send_outbox(row_id))
            db.session.remove()

    first = threading.Thread(target=sender, args=(event_row,))
    first.start()
    assert smtp.inbox.in_data.wait(30)  # the first sender holds the e-mail row while the server is silent
    [email_row] = db.session.scalars(select(Outbox.id).where(Outbox.kind == "email")).all()
    second = threading.Thread(target=sender, args=(email_row,))
    second.start()
    second.join(30)
    smtp.inbox.hold.set()
    first.join(30)
    assert sorted(results) == ["busy", "fanned out 1, sent 1"]
    assert len(smtp.inbox.messages) == 1


def test_the_long_running_worker_runs_the_scheduled_relay_by_itself(committed, redis_conn, smtp):
    """`python -m worker` as `make run` starts it: the scheduler thread's relay finds a row nobody enqueued."""
    _, category = city(db.session)
    submit(category)
    redis_conn.delete("rq:queue:notifications")  # as if Redis had lost the job
    age_outbox()
    proc = subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=worker_env(smtp),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        smtp.inbox.wait_for(1, timeout=60)
        assert len(smtp.inbox.to("ana@example.org")) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert "scheduled outbox-relay" in stderr
