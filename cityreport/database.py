"""Creating the database, the PostGIS extension and the schema (used by `cityreport init` and tests)."""

from __future__ import annotations

import psycopg
from flask_migrate import upgrade as alembic_upgrade
from geoalchemy2 import alembic_helpers
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cityreport.core.transaction import unit_of_work
from cityreport.extensions import db


def ensure_database(url: str) -> str | None:
    """Create the target database when it does not exist; returns its name if it was created."""
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return None
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def ensure_postgis() -> str:
    with unit_of_work():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()


def upgrade() -> None:
    alembic_upgrade()


# Tables that PostGIS owns; they are not ours to migrate.
POSTGIS_TABLES = {"spatial_ref_sys", "geometry_columns", "geography_columns"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: our tables only, with GeoAlchemy2's handling of spatial indexes."""
    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
