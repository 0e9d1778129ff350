"""The transactional outbox: work a change owes once it has committed (docs/architecture.md, "The outbox").

A change writes an outbox row in its own transaction (``add_outbox``). After the commit the row's job
is enqueued (best effort: Redis may be down). The relay re-enqueues rows whose job never reached the
queue or was lost; the sender locks a row (SKIP LOCKED), processes it and marks it, so a row is
processed once however many jobs name it. Every row is processed by the notifications sender, which
knows the kinds (``report_event``, ``email``); core names that job by its dotted path, as data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from cityreport.core.models import Outbox
from cityreport.errors import NotFound
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.queue import enqueue_after_commit

# Delay before attempt n+1 after n failed attempts; after the last one the row is marked failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A row the web process enqueued after commit is normally sent within seconds; the relay leaves it
# alone this long so that it does not enqueue a second (harmless, but wasted) job for it.
RELAY_GRACE = timedelta(seconds=30)
# A row the relay enqueued that is still unsent after this long is assumed lost with its job.
RELAY_STALE = timedelta(minutes=5)

SEND_JOB = "cityreport.notifications.jobs.send_outbox"
SEND_QUEUE = "notifications"


def job_id(outbox_id: int) -> str:
    return f"outbox-{outbox_id}"


def add_outbox(kind: str, payload: dict[str, Any], idempotency_key: str, *, enqueue: bool = True) -> int | None:
    """Record work owed after this transaction commits, then try to enqueue it once it has.

    The unique idempotency key makes a retried request or job record the work once; the id of a
    new row is returned, None when the key was already there. ``enqueue=False`` is for a job that
    sends the row itself right after its commit (the relay covers it if that job dies first).
    """
    stmt = (insert(Outbox).values(kind=kind, payload=payload, idempotency_key=idempotency_key)
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Outbox.id))
    outbox_id = db.session.execute(stmt).scalar()
    if outbox_id is not None and enqueue:
        enqueue_after_commit(db.session, SEND_JOB, outbox_id, queue=SEND_QUEUE, job_id=job_id(outbox_id))
    return outbox_id


def next_attempt(attempts_failed: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts_failed`` failures; None means give up (mark failed)."""
    if attempts_failed < 1 or attempts_failed > len(BACKOFF):
        return None
    return now + BACKOFF[attempts_failed - 1]


# ---- the relay and the sender -------------------------------------------------------------------------------

def claim_for_relay(now: datetime, limit: int = 500) -> list[int]:
    """Mark as enqueued the rows owed a send whose job was never queued or seems lost; returns their ids.

    SKIP LOCKED: a row a sender holds is being sent right now and needs no second job.
    """
    owed = select(Outbox.id).where(
        Outbox.sent_at.is_(None), Outbox.failed_at.is_(None),
        or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now),
        or_(and_(Outbox.enqueued_at.is_(None),
                 or_(Outbox.created_at <= now - RELAY_GRACE, Outbox.next_attempt_at.is_not(None))),
            Outbox.enqueued_at <= now - RELAY_STALE),
    ).order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)
    stmt = update(Outbox).where(Outbox.id.in_(owed.scalar_subquery())).values(enqueued_at=now).returning(Outbox.id)
    return sorted(db.session.execute(stmt).scalars())


def unclaim(ids: list[int]) -> None:
    if ids:
        db.session.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.sent_at.is_(None))
                           .values(enqueued_at=None))


def lock_for_send(outbox_id: int) -> Outbox | None:
    """The row, locked, if no other sender holds it; None when it is held or gone."""
    return db.session.scalars(select(Outbox).where(Outbox.id == outbox_id)
                              .with_for_update(skip_locked=True)).first()


def claim_for_send(outbox_id: int, now: datetime) -> bool:
    """Lock and mark sent in one statement, if no other sender holds the row and it is still owed.

    The mark is not committed yet: the caller sends, then commits (or rolls back on failure).
    """
    owed = select(Outbox.id).where(
        Outbox.id == outbox_id, Outbox.sent_at.is_(None), Outbox.failed_at.is_(None),
        or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)).with_for_update(skip_locked=True)
    stmt = (update(Outbox).where(Outbox.id.in_(owed.scalar_subquery()))
            .values(sent_at=now, attempts=Outbox.attempts + 1).returning(Outbox.id)
            .execution_options(synchronize_session=False))
    return db.session.execute(stmt).scalar() is not None


def mark_skipped(outbox_id: int, reason: str) -> None:
    db.session.execute(update(Outbox).where(Outbox.id == outbox_id).values(last_error=f"skipped: {reason}")
                       .execution_options(synchronize_session=False))


def record_failure(outbox_id: int, error: str, *, permanent: bool, now: datetime) -> Outbox | None:
    row = db.session.scalars(select(Outbox).where(Outbox.id == outbox_id).with_for_update()).first()
    if row is None or row.sent_at is not None:
        return row
    row.attempts += 1
    row.last_error = error[:2000]
    row.enqueued_at = None  # the relay re-enqueues it once next_attempt_at is due
    retry_at = None if permanent else next_attempt(row.attempts, now)
    if retry_at is None:
        row.failed_at = now
        row.next_attempt_at = None
    else:
        row.next_attempt_at = retry_at
    db.session.flush()
    return row


def failed_rows(limit: int = 200) -> list[Outbox]:
    return list(db.session.scalars(select(Outbox).where(Outbox.failed_at.is_not(None))
                                   .order_by(Outbox.failed_at.desc()).limit(limit)))


def retry_failed(outbox_id: int) -> Outbox:
    """An admin asks for another round: the row gets a fresh set of attempts and is enqueued now."""
    row = db.session.scalars(select(Outbox).where(Outbox.id == outbox_id).with_for_update()).first()
    if row is None or row.failed_at is None:
        raise NotFound()
    row.failed_at = None
    row.attempts = 0
    row.next_attempt_at = None
    row.enqueued_at = utcnow()
    db.session.flush()
    enqueue_after_commit(db.session, SEND_JOB, row.id, queue=SEND_QUEUE, job_id=job_id(row.id))
    return row


def outbox_counts() -> dict[str, int]:
    owed, failed = db.session.execute(select(
        func.count().filter(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None)),
        func.count().filter(Outbox.failed_at.is_not(None)))).one()
    return {"owed": owed, "failed": failed}
