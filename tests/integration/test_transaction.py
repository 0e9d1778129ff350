"""The one commit boundary (core/transaction.py): a unit of work commits once when it completes, undoes all
it did when the change is refused, and lets queued jobs go only after its commit."""

from __future__ import annotations

import pytest
from flask import Flask
from rq import Queue
from sqlalchemy import select

from cityreport.core.transaction import NestedUnitOfWork, commits, job, unit_of_work
from cityreport.departments.models import Department
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.queue import enqueue_after_commit


def _slugs() -> set[str]:
    return set(db.session.scalars(select(Department.slug)))


def _queued(app: Flask) -> int:
    return Queue("default", connection=app.extensions["redis"]).count


def _add(slug: str) -> None:
    db.session.add(Department(slug=slug, name_ro=slug, name_en=slug))
    db.session.flush()
    enqueue_after_commit(db.session, "tests.integration.test_transaction.nothing", slug, queue="default")


def test_a_unit_of_work_commits_and_then_enqueues(app, db_session, redis_conn):
    with unit_of_work():
        _add("kept")
        assert _queued(app) == 0  # nothing reaches Redis before the commit
    assert "kept" in _slugs() and _queued(app) == 1


def test_a_refused_change_is_undone_with_its_jobs_and_what_came_before_stays(app, db_session, redis_conn,
                                                                             make_department):
    before = make_department(slug="before")  # flushed, not committed: like the signed-in user of a request
    with pytest.raises(ValidationError), unit_of_work():
        _add("refused")
        raise ValidationError(fields={"slug": "no"})
    assert "refused" not in _slugs() and db.session.get(Department, before.id) is not None
    with unit_of_work():
        pass  # a later commit does not release the refused change's job
    assert _queued(app) == 0


def test_a_service_cannot_commit_inside_a_unit_of_work(db_session):
    with pytest.raises(NestedUnitOfWork), unit_of_work(), unit_of_work():
        pass


def test_a_view_commits_on_success_and_rolls_back_a_refusal_before_answering(app, db_session, redis_conn):
    seen_by_refusal: list[set[str]] = []

    def refused(exc, slug):
        seen_by_refusal.append(_slugs())
        return f"refused {slug}", exc.status

    @commits(refused=refused)
    def view(slug: str):
        _add(slug)
        if slug.startswith("bad"):
            raise ValidationError(fields={"slug": "no"})
        if slug.startswith("answered"):
            return "not found", 404
        return "saved", 201

    with app.test_request_context("/"):
        assert view("good").status_code == 201
        assert view("bad-one") == ("refused bad-one", 422)
        assert view("answered-404").status_code == 404
    assert "good" in _slugs() and "bad-one" not in _slugs() and "answered-404" not in _slugs()
    assert seen_by_refusal == [_slugs()]  # the refusal was rendered with the change already undone
    assert _queued(app) == 1


def test_a_job_is_one_unit_of_work(app, db_session, redis_conn):
    @job
    def build(slug: str) -> str:
        _add(slug)
        return slug

    assert build("from-a-job") == "from-a-job"
    assert "from-a-job" in _slugs() and _queued(app) == 1


def nothing(*_args) -> None:
    """The job the tests queue; never run."""
