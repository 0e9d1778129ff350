from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.models_base import created_at_column, utcnow
from cityreport.reports import sql
from cityreport.reports.rules import ACTORS, EVENT_KINDS, INVALID, SOURCES, STATUSES


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # the public report number
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"))
    location = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    created_at: Mapped[datetime] = created_at_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Indexed: the self-referencing key is checked on every report delete and listed on the original.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Private: never in public pages, APIs or exports; erased after RETENTION_MONTHS.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5), default="ro", server_default="ro")
    source: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # Client-supplied key so an offline-queued submission retried by the phone is stored once.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # Optimistic locking: two clerks saving the same report cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    category = relationship("Category", lazy="joined")
    department = relationship("Department", lazy="joined")
    events = relationship("ReportEvent", back_populates="report", order_by="ReportEvent.at, ReportEvent.id",
                          lazy="select", cascade="all, delete-orphan", passive_deletes=True)
    photos = relationship("Photo", order_by="Photo.position", lazy="select",
                          cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        CheckConstraint(f"source IN ({_in(SOURCES)})", name="source"),
        CheckConstraint("reopened_count >= 0", name="reopened_count"),
        # The status machine hides every invalid report (rules.plan_transition); this holds it for any writer.
        CheckConstraint(f"status <> {sql.literal(INVALID)} OR hidden", name="invalid_hidden"),
        # The staff queue and the indicators read reports by department, status and age.
        Index("ix_reports_department_status_created", "department_id", "status", "created_at", "id"),
        Index("ix_reports_created_at", "created_at", "id"),
        Index("ix_reports_category_status", "category_id", "status"),
        # The nearby-duplicates lookup only ever wants open, visible reports of one category: a small
        # tree whose leaves are already that category's (btree_gist lets category_id sit in a GiST index).
        Index("ix_reports_open_location", "category_id", "location", postgresql_using="gist",
              postgresql_where=text(f"{sql.OPEN} AND {sql.publicly_visible()}")),
    )


class ReportEvent(db.Model):
    """The audit trail; also the source for "as of" questions such as open at the end of a month."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    public_text: Mapped[str | None] = mapped_column(Text)
    internal_text: Mapped[str | None] = mapped_column(Text)

    report = relationship("Report", back_populates="events")
    staff = relationship("StaffUser", lazy="select")

    __table_args__ = (
        CheckConstraint(f"actor IN ({_in(ACTORS)})", name="actor"),
        CheckConstraint(f"kind IN ({_in(EVENT_KINDS)})", name="kind"),
        Index("ix_report_events_report_at", "report_id", "at", "id"),
        Index("ix_report_events_kind_at", "kind", "at"),
    )
