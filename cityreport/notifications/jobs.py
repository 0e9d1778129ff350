"""Background jobs of the notifications. Each job is its own transaction boundary and commits.

Sending an outbox row exactly once (DESIGN.md §1):
1. lock the row with SELECT ... FOR UPDATE SKIP LOCKED (a second job for the same row skips it);
2. skip it if it is already sent or failed, or its retry is not due yet;
3. render the message and open the SMTP connection;
4. write the UPDATE that marks it sent (not committed yet), hand the message to the server, COMMIT.
The only duplicate left is a process killed, or a commit lost, between the server's 250 reply and
the COMMIT: one database round trip (see the README, "E-mail and the outbox").
"""

from __future__ import annotations

import logging
from datetime import date

from flask import current_app
from redis.exceptions import RedisError

from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import messages, rules, services
from cityreport.notifications.mail import MailError, get_transport
from cityreport.queue import get_queue, get_redis

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The row can never be processed (unknown kind)."""


def send_outbox(outbox_id: int) -> str:
    """Process one outbox row; returns what happened (for logs and tests)."""
    try:
        return _send(outbox_id)
    except (MailError, PermanentFailure) as exc:
        db.session.rollback()
        permanent = isinstance(exc, PermanentFailure) or exc.permanent
        _record_failure(outbox_id, str(exc), permanent=permanent)
        return "failed"
    except RedisError:
        raise
    except Exception as exc:
        # A bug or a database hiccup: the row is retried on the same schedule as a mail server error.
        db.session.rollback()
        log.exception("outbox %s: unexpected error", outbox_id)
        _record_failure(outbox_id, f"{exc.__class__.__name__}: {exc}", permanent=False)
        return "failed"


def _record_failure(outbox_id: int, error: str, *, permanent: bool) -> None:
    row = services.record_failure(outbox_id, error, permanent=permanent, now=utcnow())
    db.session.commit()
    if row is not None and row.failed_at is not None:
        log.error("outbox %s failed for good after %s attempts: %s", outbox_id, row.attempts, error)
    else:
        log.warning("outbox %s: attempt failed, retry at %s: %s", outbox_id,
                    row.next_attempt_at if row else None, error)


def _send(outbox_id: int) -> str:
    now = utcnow()
    row = services.lock_for_send(outbox_id)
    if row is None:
        db.session.rollback()
        return "busy"  # another sender holds it, or it is gone
    if row.sent_at is not None or row.failed_at is not None:
        db.session.rollback()
        return "done"
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        db.session.rollback()
        return "not due"
    if row.kind == "report_event":
        return _fan_out(row, now)
    if row.kind != "email":
        raise PermanentFailure(f"unknown outbox kind {row.kind!r}")
    rendered = messages.compose(row.id, row.payload)
    if rendered.message is None:
        row.sent_at, row.last_error = now, f"skipped: {rendered.skipped}"
        db.session.commit()
        return "skipped"
    transport = get_transport()
    transport.open()
    row.sent_at, row.attempts = utcnow(), row.attempts + 1
    db.session.flush()
    transport.send(rendered.message)
    db.session.commit()
    return "sent"


def _fan_out(row, now) -> str:
    """Make the event's e-mail rows, commit, then send them from this job: one hop from commit to inbox."""
    fan_out = services.fan_out_report_event(row.payload)
    row.sent_at, row.attempts = now, row.attempts + 1
    with messages.render_context():
        # Rendered before the commit, while the report and subscriptions are loaded in this session.
        rendered = [(child_id, messages.compose(child_id, payload)) for child_id, payload in fan_out.rows]
    db.session.commit()
    sent = sum(_deliver(child_id, message) == "sent" for child_id, message in rendered)
    return f"fanned out {len(fan_out.rows)}, sent {sent}"


def _deliver(outbox_id: int, rendered: messages.Rendered) -> str:
    """Claim a row made by this job and send its pre-rendered message; failures go to the retry schedule."""
    try:
        transport = get_transport() if rendered.message is not None else None
        if transport is not None:
            transport.open()
        if not services.claim_for_send(outbox_id, utcnow()):
            db.session.rollback()
            return "busy"
        if transport is None:
            services.mark_skipped(outbox_id, rendered.skipped or "nothing to send")
            db.session.commit()
            return "skipped"
        transport.send(rendered.message)
        db.session.commit()
        return "sent"
    except MailError as exc:
        db.session.rollback()
        _record_failure(outbox_id, str(exc), permanent=exc.permanent)
        return "failed"


def relay_outbox() -> int:
    """Every minute: enqueue rows whose job never reached Redis, was lost, or whose retry is due."""
    now = utcnow()
    ids = services.claim_for_relay(now)
    db.session.commit()
    if not ids:
        return 0
    try:
        queue = get_queue(services.SEND_QUEUE)
        with get_redis().pipeline() as pipe:
            for outbox_id in ids:
                queue.enqueue(services.SEND_JOB, outbox_id, job_id=services.job_id(outbox_id), pipeline=pipe)
            pipe.execute()
    except RedisError:
        services.unclaim(ids)
        db.session.commit()
        raise
    log.info("relayed %s outbox rows", len(ids))
    return len(ids)


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else rules.previous_day(utcnow(), current_app.config["CITY_TIMEZONE"])


def send_area_digests(day: str | None = None) -> int:
    """Daily: one e-mail per area follower listing yesterday's new reports there (none if there were none)."""
    window = rules.day_window(_day(day), current_app.config["CITY_TIMEZONE"])
    made = services.queue_area_digests(window)
    db.session.commit()
    return made


def send_department_digests(day: str | None = None) -> int:
    """Daily: departments in `daily` mode get yesterday's new reports in one e-mail."""
    window = rules.day_window(_day(day), current_app.config["CITY_TIMEZONE"])
    made = services.queue_department_digests(window)
    db.session.commit()
    return made


def send_feedback_reminders() -> int:
    made = services.due_feedback_reminders(utcnow())
    db.session.commit()
    return made


def apply_retention() -> int:
    """Daily: erase reporters' contact details RETENTION_MONTHS after closing, in batches."""
    months = int(current_app.config["RETENTION_MONTHS"])
    total = 0
    while True:
        erased = services.erase_expired_contacts(utcnow(), months)
        db.session.commit()
        total += erased
        if erased == 0:
            return total
