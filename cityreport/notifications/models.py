from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.models_base import created_at_column
from cityreport.notifications.rules import FEEDBACK_ANSWERS


class Feedback(db.Model):
    """The "is it really fixed?" question sent after a fix, and the reporter's answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(String(10))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)  # when answered

    __table_args__ = (
        CheckConstraint(f"answer IN ({', '.join(repr(a) for a in FEEDBACK_ANSWERS)})", name="answer"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    )


class Subscription(db.Model):
    """Someone who wants e-mail about one report, or a daily digest of new reports in an area.

    Followers confirm by a link first (double opt-in). A report's reporter is recorded here too, as
    already confirmed, so that one unsubscribe link and one fan-out serve everyone.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased
    kind: Mapped[str] = mapped_column(String(10))  # report | area
    role: Mapped[str] = mapped_column(String(10), default="follower", server_default="follower")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    center = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    radius_m: Mapped[int | None] = mapped_column(Integer)
    service_area_id: Mapped[int | None] = mapped_column(ForeignKey("service_areas.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5), default="ro", server_default="ro")
    created_at: Mapped[datetime] = created_at_column()
    confirm_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("kind IN ('report', 'area')", name="kind"),
        CheckConstraint("role IN ('follower', 'reporter')", name="role"),
        CheckConstraint(
            "(kind = 'report' AND report_id IS NOT NULL) OR (kind = 'area' AND report_id IS NULL AND "
            "((center IS NOT NULL AND radius_m BETWEEN 50 AND 5000) OR service_area_id IS NOT NULL))",
            name="target"),
        Index("ix_subscriptions_email", "email"),
    )

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
