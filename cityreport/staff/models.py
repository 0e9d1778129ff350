"""Staff accounts, response templates, and the partial indexes that keep the staff queue fast at any depth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.core.permissions import ROLES
from cityreport.extensions import db
from cityreport.models_base import created_at_column
from cityreport.reports import sql as report_sql
from cityreport.reports.models import Report


class StaffUser(db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="staff")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Bumped on sign-out and password change; sessions carrying an older value are refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    department = relationship("Department", lazy="joined")

    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("role = 'city_admin' OR department_id IS NOT NULL", name="department_required"),
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class ResponseTemplate(db.Model):
    """A canned public note. Null category: every category; null department: the whole city."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"),
                                                      index=True)
    status: Mapped[str | None] = mapped_column(String(20))  # the status it suits; null: any
    title: Mapped[str] = mapped_column(String(120))
    text_ro: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at_column()

    category = relationship("Category", lazy="joined")
    department = relationship("Department", lazy="joined")

    def text(self, locale: str = "ro") -> str:
        return self.text_en if locale == "en" and self.text_en else self.text_ro


# The queue's default view is the open reports of one department (or of all, for a city admin),
# oldest or newest first. Partial indexes over open reports only stay small while closed reports
# pile up for years, and give keyset pages in index order without a sort.
OPEN_PREDICATE = text(report_sql.OPEN)
Index("ix_reports_open_department_created", Report.department_id, Report.created_at, Report.id,
      postgresql_where=OPEN_PREDICATE)
Index("ix_reports_open_created", Report.created_at, Report.id, postgresql_where=OPEN_PREDICATE)
# "Most overdue first": within one category and status, due order is created_at order (see
# services._most_overdue_statement); one index for a department's queue, one for the whole city.
Index("ix_reports_open_department_category_status", Report.department_id, Report.category_id, Report.status,
      Report.created_at, Report.id, postgresql_where=OPEN_PREDICATE)
Index("ix_reports_open_category_status", Report.category_id, Report.status, Report.created_at, Report.id,
      postgresql_where=OPEN_PREDICATE)
# "Closed" and "any status" views of one department, in date order, without sorting its whole history.
Index("ix_reports_department_created", Report.department_id, Report.created_at, Report.id)
