from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cityreport.extensions import db


class IndicatorSnapshot(db.Model):
    __tablename__ = "indicator_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month, city time
    scope: Mapped[str] = mapped_column(String(12))
    # 0 for the city scope, so the unique key needs no NULL handling.
    scope_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    definition_version: Mapped[int] = mapped_column(SmallInteger, default=1)

    __table_args__ = (
        CheckConstraint("scope IN ('city', 'department', 'category')", name="scope"),
        UniqueConstraint("month", "scope", "scope_id", name="uq_indicator_snapshots_month_scope"),
    )
