"""Column helpers shared by the domain models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, func
from sqlalchemy.orm import mapped_column

from cityreport.extensions import db

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column():
    return mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now())


def upsert(model: type[T], instance: T | None, values: dict[str, Any]) -> T:
    """Create ``model`` from ``values``, or update ``instance`` with them; flushes, never commits."""

    if instance is None:
        instance = model(**values)
        db.session.add(instance)
    else:
        for key, value in values.items():
            setattr(instance, key, value)
    db.session.flush()
    return instance
