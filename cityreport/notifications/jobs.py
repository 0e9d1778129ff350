"""Background jobs of the notifications. Each job is its own transaction boundary and commits.

Sending an outbox row exactly once (docs/architecture.md, "The outbox"):
1. lock the row with SELECT ... FOR UPDATE SKIP LOCKED (a second job for the same row skips it);
2. skip it if it is already sent or failed, or its retry is not due yet;
3. render the message and open the SMTP connection;
4. write the UPDATE that marks it sent (not committed yet), hand the message to the server, COMMIT.
The only duplicate left is a process killed, or a commit lost, between the server's 250 reply and
the COMMIT: one database round trip (see the README, "E-mail and the outbox").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from flask import current_app
from redis.exceptions import RedisError

from cityreport.core import outbox
from cityreport.core.transaction import job, unit_of_work
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import digests, fanout, feedback, messages, retention, rules
from cityreport.notifications.mail import MailError, get_transport
from cityreport.queue import get_queue, get_redis

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The row can never be processed (unknown kind)."""


def send_outbox(outbox_id: int) -> str:
    """Process one outbox row; returns what happened (for logs and tests)."""
    try:
        with unit_of_work():
            outcome = _send(outbox_id)
    except (MailError, PermanentFailure, messages.UnknownTemplate) as exc:
        permanent = not isinstance(exc, MailError) or exc.permanent
        _record_failure(outbox_id, str(exc), permanent=permanent)
        return "failed"
    except RedisError:
        raise
    except Exception as exc:
        # A bug or a database hiccup: the row is retried on the same schedule as a mail server error.
        log.exception("outbox %s: unexpected error", outbox_id)
        _record_failure(outbox_id, f"{exc.__class__.__name__}: {exc}", permanent=False)
        return "failed"
    if isinstance(outcome, FannedOut):
        sent = sum(_deliver(child_id, message) == "sent" for child_id, message in outcome.rendered)
        return f"fanned out {len(outcome.rendered)}, sent {sent}"
    return outcome


def _record_failure(outbox_id: int, error: str, *, permanent: bool) -> None:
    with unit_of_work():
        row = outbox.record_failure(outbox_id, error, permanent=permanent, now=utcnow())
    if row is not None and row.failed_at is not None:
        log.error("outbox %s failed for good after %s attempts: %s", outbox_id, row.attempts, error)
    else:
        log.warning("outbox %s: attempt failed, retry at %s: %s", outbox_id,
                    row.next_attempt_at if row else None, error)


@dataclass
class FannedOut:
    """The e-mail rows a report event made, rendered, to be sent once their transaction has committed."""

    rendered: list[tuple[int, messages.Rendered]]


def _send(outbox_id: int) -> str | FannedOut:
    """One row, inside the caller's unit of work: its commit releases the row lock (and, for an e-mail,
    makes the "sent" mark that was written just before the SMTP server accepted the message final)."""
    now = utcnow()
    row = outbox.lock_for_send(outbox_id)
    if row is None:
        return "busy"  # another sender holds it, or it is gone
    if row.sent_at is not None or row.failed_at is not None:
        return "done"
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return "not due"
    if row.kind == "report_event":
        return _fan_out(row, now)
    if row.kind != "email":
        raise PermanentFailure(f"unknown outbox kind {row.kind!r}")
    rendered = messages.compose(row.id, row.payload)
    if rendered.message is None:
        row.sent_at, row.last_error = now, f"skipped: {rendered.skipped}"
        return "skipped"
    transport = get_transport()
    transport.open()
    row.sent_at, row.attempts = utcnow(), row.attempts + 1
    db.session.flush()
    transport.send(rendered.message)
    return "sent"


def _fan_out(row, now) -> FannedOut:
    """Make the event's e-mail rows; once they commit this job sends them itself: one hop from commit to inbox."""
    fan_out = fanout.fan_out_report_event(row.payload)
    row.sent_at, row.attempts = now, row.attempts + 1
    with messages.render_context():
        # Rendered before the commit, while the report and subscriptions are loaded in this session.
        return FannedOut([(child_id, messages.compose(child_id, payload)) for child_id, payload in fan_out.rows])


def _deliver(outbox_id: int, rendered: messages.Rendered) -> str:
    """Claim a row made by this job and send its pre-rendered message; failures go to the retry schedule."""
    try:
        transport = get_transport() if rendered.message is not None else None
        if transport is not None:
            transport.open()
        with unit_of_work():
            if not outbox.claim_for_send(outbox_id, utcnow()):
                return "busy"
            if transport is None:
                outbox.mark_skipped(outbox_id, rendered.skipped or "nothing to send")
                return "skipped"
            transport.send(rendered.message)
        return "sent"
    except MailError as exc:
        _record_failure(outbox_id, str(exc), permanent=exc.permanent)
        return "failed"


def relay_outbox() -> int:
    """Every minute: enqueue rows whose job never reached Redis, was lost, or whose retry is due."""
    now = utcnow()
    with unit_of_work():
        ids = outbox.claim_for_relay(now)
    if not ids:
        return 0
    try:
        queue = get_queue(outbox.SEND_QUEUE)
        with get_redis().pipeline() as pipe:
            for outbox_id in ids:
                queue.enqueue(outbox.SEND_JOB, outbox_id, job_id=outbox.job_id(outbox_id), pipeline=pipe)
            pipe.execute()
    except RedisError:
        with unit_of_work():
            outbox.unclaim(ids)
        raise
    log.info("relayed %s outbox rows", len(ids))
    return len(ids)


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else rules.previous_day(utcnow(), current_app.config["CITY_TIMEZONE"])


@job
def send_area_digests(day: str | None = None) -> int:
    """Daily: one e-mail per area follower listing yesterday's new reports there (none if there were none)."""
    window = rules.day_window(_day(day), current_app.config["CITY_TIMEZONE"])
    return digests.queue_area_digests(window)


@job
def send_department_digests(day: str | None = None) -> int:
    """Daily: departments in `daily` mode get yesterday's new reports in one e-mail."""
    window = rules.day_window(_day(day), current_app.config["CITY_TIMEZONE"])
    return digests.queue_department_digests(window)


@job
def send_feedback_reminders() -> int:
    return feedback.due_feedback_reminders(utcnow())


def apply_retention() -> int:
    """Daily: erase reporters' contact details RETENTION_MONTHS after closing, one committed batch at a time
    (a long run holds no lock on more than one batch, and what it erased stays erased if it is stopped)."""
    months = int(current_app.config["RETENTION_MONTHS"])
    total = 0
    while True:
        with unit_of_work():
            erased = retention.erase_expired_contacts(utcnow(), months)
        total += erased
        if erased == 0:
            return total
