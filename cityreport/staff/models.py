"""Response templates, and the partial indexes that keep the staff queue fast at any depth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.extensions import db
from cityreport.models_base import created_at_column
from cityreport.reports.models import Report


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
OPEN_PREDICATE = text("status IN ('new', 'acknowledged', 'in_progress')")
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
