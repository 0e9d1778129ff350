"""Migrations: one head, upgrade on an empty database, and no drift from the models."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from cityreport import _migrations_dir
from cityreport.database import include_object
from cityreport.extensions import db


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", _migrations_dir())
    return ScriptDirectory.from_config(config)


def test_single_head():
    assert len(_script().get_heads()) == 1


def test_upgrade_on_empty_database_creates_every_table(app):
    # The session fixture built the test database from nothing with `upgrade`.
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    with app.app_context():
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("reports")}
    assert {"idx_reports_location", "ix_reports_department_status_created", "ix_reports_closed_at"} <= indexes


def test_models_and_migrated_schema_do_not_differ(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_geometry_columns_have_srid_4326(app):
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'public'").fetchall()
    assert rows and {srid for _, srid in rows} == {4326}
