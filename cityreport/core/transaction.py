"""Where work commits: one unit of work per request, job or command, written once (docs/architecture.md).

Services flush and never commit. Whoever starts the work says where it ends:

- a view that changes data is decorated with ``@commits``;
- a background job with ``@job`` (jobs that must commit part-way, like the outbox sender, run each
  step in ``with unit_of_work():`` instead);
- a CLI command wraps its work in ``with unit_of_work():``.

A unit of work commits once when it completes. When the change is refused (an ``AppError``: bad input,
a conflict, no access) or fails, everything it did is rolled back before the refusal is answered, so
an error page never shows half a change. Jobs queued with ``queue.enqueue_after_commit`` inside it run
after its commit and are dropped with its rollback.

When the session already holds a transaction (a request that has loaded the signed-in user, a test's
fixtures under the suite's savepoint isolation), the unit runs inside a SAVEPOINT, so that rolling back
undoes only its own work. A fresh session (a job) needs none: the unit is the transaction itself, and
the outbox sender's commit follows the SMTP server's answer with no extra round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import make_response
from sqlalchemy.orm import Session

from cityreport.errors import AppError
from cityreport.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_ACTIVE = "cityreport_unit_of_work"


class NestedUnitOfWork(RuntimeError):
    """A unit of work began inside another: some service is trying to commit on its own."""


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit once when the block completes; roll back all it did when it raises (and re-raise)."""
    session = db.session()
    if session.info.get(_ACTIVE):
        raise NestedUnitOfWork("a unit of work is already open; services must not commit")
    session.info[_ACTIVE] = True
    try:
        nested = session.in_transaction()
        transaction = session.begin_nested() if nested else session.begin()
        try:
            yield session
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        try:
            transaction.commit()
            if nested:
                session.commit()
        except BaseException:
            session.rollback()  # a failed COMMIT leaves the session unusable until rolled back
            raise
    finally:
        session.info.pop(_ACTIVE, None)


@contextmanager
def attempt() -> Iterator[None]:
    """Inside a unit of work: try one step whose failure the caller handles (a unique key that may
    already exist); if the block raises, only the step is undone."""
    with db.session.begin_nested():
        yield


Refusal = Callable[..., Any]


def commits(view: Callable[P, R] | None = None, *, refused: Refusal | None = None) -> Any:
    """Decorate a view that changes data: it runs as one unit of work.

    The unit commits when the view returns a response below 400. It is rolled back when the view
    raises an ``AppError`` or answers 400 or above. ``refused(error, *view_args, **view_kwargs)``, if
    given, renders the answer to a refused change, after the rollback (so it shows the data as it
    is); without it the error goes to the app's error handler (JSON for APIs, HTML for pages).
    """
    def decorate(func: Callable[P, R]) -> Callable[P, Any]:
        @wraps(func)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                with unit_of_work():
                    response = make_response(func(*args, **kwargs))
                    if response.status_code >= 400:
                        raise _Answered(response)
                return response
            except _Answered as answered:
                return answered.response
            except AppError as error:
                if refused is None:
                    raise
                return refused(error, *args, **kwargs)
        return wrapped

    return decorate(view) if view is not None else decorate


class _Answered(Exception):
    """Carries a 4xx/5xx response out of the unit of work, so that what led to it is rolled back."""

    def __init__(self, response: Any):
        super().__init__(response.status)
        self.response = response


def job(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a background job (or any entry point outside a request): it runs as one unit of work."""
    @wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return func(*args, **kwargs)
    return wrapped
