"""What /healthz reports: can the app reach its database (with PostGIS) and Redis?"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cityreport.extensions import db
from cityreport.queue import get_redis


def checks() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    try:
        db.session.execute(text("SELECT 1"))
        found["database"] = {"ok": True}
        version = db.session.execute(text("SELECT postgis_lib_version()")).scalar()
        found["postgis"] = {"ok": True, "version": version}
    except SQLAlchemyError as exc:
        found.setdefault("database", {"ok": False, "error": exc.__class__.__name__})
        found.setdefault("postgis", {"ok": False, "error": exc.__class__.__name__})
    try:
        get_redis().ping()
        found["redis"] = {"ok": True}
    except RedisError as exc:
        found["redis"] = {"ok": False, "error": exc.__class__.__name__}
    return found
