from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cityreport.extensions import db
from cityreport.reports.models import ReportEvent


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


# Indexes the monthly computation leans on. They are declared here, with the work that needs them,
# and attach to the reports and report_events tables.

# "Status at the end of month M" looks up the first status-changing event at or after the end.
Index("ix_report_events_status_changes", ReportEvent.__table__.c.at, ReportEvent.__table__.c.report_id,
      postgresql_where=text("to_status IS NOT NULL"))
# The open backlog by age uses ix_reports_open_created, which the staff queue declares (staff/models.py).
