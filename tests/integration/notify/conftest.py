"""Fixtures of the notification tests: a live SMTP server the app sends to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.notify.smtp_server import SmtpServer


@pytest.fixture()
def smtp(app) -> Iterator[SmtpServer]:
    """A live SMTP server, and the app pointed at it for the test."""
    from cityreport.notifications.mail import close_transports

    server = SmtpServer()
    server.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    close_transports()
    try:
        yield server
    finally:
        close_transports()
        app.config.update(saved)
        server.stop()


@pytest.fixture()
def run_jobs(app, redis_conn):
    """Run what is queued on the notifications queue in this process, as a worker would (FIFO, until empty)."""
    from rq import Queue
    from rq.job import Job

    def run(limit: int = 500) -> list:
        queue = Queue("notifications", connection=app.extensions["redis"])
        results = []
        for _ in range(limit):
            job_id = queue.connection.lpop(queue.key)
            if job_id is None:
                break
            results.append(Job.fetch(job_id.decode(), connection=queue.connection).perform())
        return results

    return run


def city(session):
    """Committed reference data for tests that run real worker processes: a city, a department, a category."""
    from cityreport.departments.models import Category, Department
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.routing.models import Jurisdiction
    from tests.conftest import CITY_BOX

    session.add(Jurisdiction(slug="test-city", name="Test City", population=100_000,
                             boundary=element_from_shape(as_multipolygon(CITY_BOX))))
    department = Department(slug="roads", name_ro="Drumuri", name_en="Roads", email="roads@city.test",
                            notify_mode="daily")
    session.add(department)
    session.flush()
    category = Category(code="pothole", name_ro="Groapă", name_en="Pothole", group_ro="Drumuri", group_en="Roads",
                        default_department_id=department.id)
    session.add(category)
    session.commit()
    return department, category


@pytest.fixture()
def drain(db_session):
    """Send every owed outbox row in this process, as the worker would, until nothing is left."""
    from sqlalchemy import select

    from cityreport.core.models import Outbox
    from cityreport.extensions import db
    from cityreport.notifications import jobs

    def run() -> list[str]:
        results = []
        for _ in range(10):
            ids = db.session.scalars(select(Outbox.id).where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))
                                     .order_by(Outbox.id)).all()
            if not ids:
                break
            results += [jobs.send_outbox(i) for i in ids]
        return results

    return run
