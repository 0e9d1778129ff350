"""Writing outbox rows. Sending them is the worker's job (notifications/jobs.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert

from cityreport.extensions import db
from cityreport.notifications.models import Outbox
from cityreport.queue import enqueue_after_commit

SEND_JOB = "cityreport.notifications.jobs.send_outbox"


def add_outbox(kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
    """Record work owed after this transaction commits, then try to enqueue it once it has.

    The unique idempotency key makes a retried request or job record the work once.
    """
    stmt = (insert(Outbox).values(kind=kind, payload=payload, idempotency_key=idempotency_key)
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Outbox.id))
    outbox_id = db.session.execute(stmt).scalar()
    if outbox_id is not None:
        enqueue_after_commit(db.session, SEND_JOB, outbox_id, queue="notifications",
                             job_id=f"outbox-{outbox_id}")


def report_event_happened(report_id: int, event_id: int, kind: str) -> None:
    """Every public event of a report gets an outbox row; the sender decides who hears of it."""
    add_outbox("report_event", {"report_id": report_id, "event_id": event_id, "event_kind": kind},
               f"report_event:{event_id}")
