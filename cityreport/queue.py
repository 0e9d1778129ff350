"""Redis and the RQ queues, plus enqueue-after-commit.

Jobs are enqueued only once the surrounding transaction has committed, so a worker never sees
an id whose row does not exist yet. Enqueueing is best effort: if Redis is down the request
still succeeds, and the outbox relay picks the work up later.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)

QUEUE_NAMES = ("notifications", "indicators", "default")
_PENDING = "cityreport_after_commit"


def init_app(app: Flask) -> None:
    # Short timeouts: a dead Redis must cost a request a second, not a hung worker.
    redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=3)
    app.extensions["redis"] = redis
    app.extensions["rq_queues"] = {name: Queue(name, connection=redis) for name in QUEUE_NAMES}


def get_redis() -> Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    return current_app.extensions["rq_queues"][name]


def enqueue_now(func: str, *args: Any, queue: str = "default", job_id: str | None = None,
                **kwargs: Any) -> bool:
    """Enqueue ``func`` (a dotted path) now; False when Redis is unreachable."""
    try:
        get_queue(queue).enqueue(func, *args, job_id=job_id, **kwargs)
        return True
    except RedisError as exc:
        log.warning("enqueue of %s failed, left for the relay: %s", func, exc)
        return False


def enqueue_after_commit(session: Session | scoped_session, func: str, *args: Any, queue: str = "default",
                         job_id: str | None = None, **kwargs: Any) -> None:
    """Enqueue once ``session`` commits; dropped on rollback."""
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any SQL still discards this
    # The innermost transaction is remembered, so that rolling back a savepoint drops what it queued.
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((owner, func, args, queue, job_id, kwargs))


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for _owner, func, args, queue, job_id, kwargs in pending:
        enqueue_now(func, *args, queue=queue, job_id=job_id, **kwargs)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        return
    # A rolled-back savepoint drops only what was queued inside it.
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [entry for entry in pending if not _within(entry[0], previous_transaction)]
