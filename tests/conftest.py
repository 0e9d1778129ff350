"""Test infrastructure on the real services: PostGIS, Redis, SMTP (aiosmtpd), Chromium.

Each test runs inside a transaction that is rolled back: the app's own commits only release a
savepoint (SQLAlchemy's join_transaction_mode="create_savepoint"). Tests that need data other
processes can see (the worker, a live server) use the `committed` fixture instead, which
truncates afterwards.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from psycopg import sql
from redis import Redis
from shapely.geometry import box
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from cityreport import create_app
from cityreport.extensions import db

ROOT = Path(__file__).resolve().parent.parent
# One database per checkout, so two clones on one machine can run their suites side by side.
_DEFAULT_DB = "cityreport_test_" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{_DEFAULT_DB}")
TEST_REDIS_DB = int(os.environ.get("CITYREPORT_TEST_REDIS_DB", "15"))
TEST_REDIS_URL = f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"

# A 10 km square around central Cluj-like coordinates; test reports fall inside it.
CITY_BOX = box(23.55, 46.73, 23.69, 46.81)
CENTER = (46.77, 23.62)


def _recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))


def test_config(**extra: Any) -> dict[str, Any]:
    config = {
        "CITYREPORT_ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "test-secret-key",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="cityreport-media-"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": None,
        "PUBLIC_BASE_URL": "http://cityreport.test",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def app():
    _recreate_database(TEST_DATABASE_URL)
    application = create_app(test_config())
    with application.app_context():
        from cityreport import database

        database.ensure_postgis()
        database.upgrade()
        db.session.remove()
    return application


class _ConnectionBoundSession(FlaskSession):
    # Flask-SQLAlchemy's session picks the engine by bind key and would ignore `bind=connection`.
    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture()
def db_session(app) -> Iterator[Any]:
    """A session whose commits stay inside one outer transaction that is rolled back."""
    ctx = app.app_context()
    ctx.push()
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                               "class_": _ConnectionBoundSession})
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()


@pytest.fixture()
def client(app, db_session):
    return app.test_client()


@pytest.fixture()
def runner(app, db_session):
    return app.test_cli_runner()


TRUNCATE_SKIP = {"spatial_ref_sys", "alembic_version"}


@pytest.fixture()
def committed(app) -> Iterator[Any]:
    """Real commits, visible to other processes; every table is emptied afterwards."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield db.session
    finally:
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in TRUNCATE_SKIP]
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        ctx.pop()


@pytest.fixture()
def redis_conn() -> Iterator[Redis]:
    conn = Redis.from_url(TEST_REDIS_URL)
    conn.flushdb()
    try:
        yield conn
    finally:
        conn.flushdb()
        conn.close()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)


@pytest.fixture()
def count_queries(app) -> Callable[[], Any]:
    """`with count_queries() as counter: ...` then `counter.count` is the number of SQL statements."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting


# ---- factories: each fixture returns a callable taking overrides --------------------------------

@pytest.fixture()
def make_jurisdiction(db_session):
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.routing.models import Jurisdiction

    def make(**overrides: Any) -> Jurisdiction:
        fields = {"slug": "test-city", "name": "Test City", "population": 100_000, "geometry": CITY_BOX}
        fields.update(overrides)
        geometry = fields.pop("geometry")
        existing = db.session.scalars(select(Jurisdiction).where(Jurisdiction.slug == fields["slug"])).first()
        if existing:
            return existing
        jurisdiction = Jurisdiction(boundary=element_from_shape(as_multipolygon(geometry)), **fields)
        db.session.add(jurisdiction)
        db.session.flush()
        return jurisdiction

    return make


@pytest.fixture()
def make_department(db_session):
    from cityreport.departments.models import Department

    counter = {"n": 0}

    def make(**overrides: Any) -> Department:
        counter["n"] += 1
        n = counter["n"]
        fields = {"slug": f"dept-{n}", "name_ro": f"Departamentul {n}", "name_en": f"Department {n}",
                  "email": f"dept{n}@city.test"}
        fields.update(overrides)
        department = Department(**fields)
        db.session.add(department)
        db.session.flush()
        return department

    return make


@pytest.fixture()
def make_category(db_session, make_department):
    from cityreport.departments.models import Category

    counter = {"n": 0}

    def make(**overrides: Any) -> Category:
        counter["n"] += 1
        n = counter["n"]
        if "default_department_id" not in overrides and "default_department" not in overrides:
            overrides["default_department"] = make_department()
        fields = {"code": f"cat-{n}", "name_ro": f"Categoria {n}", "name_en": f"Category {n}",
                  "group_ro": "Drumuri", "group_en": "Roads", "ack_target_hours": 48, "resolve_target_days": 14}
        fields.update(overrides)
        category = Category(**fields)
        db.session.add(category)
        db.session.flush()
        return category

    return make


@pytest.fixture()
def make_staff(db_session, make_department):
    from cityreport.staff.accounts import create_staff

    counter = {"n": 0}

    def make(**overrides: Any):
        counter["n"] += 1
        role = overrides.pop("role", "staff")
        department = overrides.pop("department", None)
        if department is None and role != "city_admin":
            department = make_department()
        fields = {"email": f"staff{counter['n']}@city.test", "name": f"Staff {counter['n']}",
                  "password": "correct horse battery", "role": role,
                  "department_slug": department.slug if department else None}
        fields.update(overrides)
        return create_staff(**fields)

    return make


@pytest.fixture()
def create_report(db_session, make_jurisdiction, make_category):
    from cityreport.reports.services import NewReport
    from cityreport.reports.services import create_report as create

    def make(**overrides: Any):
        make_jurisdiction()
        category = overrides.pop("category", None) or make_category()
        lat, lon = overrides.pop("lat", CENTER[0]), overrides.pop("lon", CENTER[1])
        fields = {"description": "Groapă mare în carosabil", "email": None}
        fields.update(overrides)
        return create(NewReport(category=category, lat=lat, lon=lon, **fields))

    return make
