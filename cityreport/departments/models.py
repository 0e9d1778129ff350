from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.extensions import db


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ro: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    is_fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # How the department hears of new reports: one e-mail each, or a daily digest.
    notify_mode: Mapped[str] = mapped_column(String(10), default="daily", server_default="daily")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")

    __table_args__ = (CheckConstraint("notify_mode IN ('immediate', 'daily', 'none')", name="notify_mode"),)

    def name(self, locale: str = "ro") -> str:
        return self.name_en if locale == "en" else self.name_ro


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # Open311 service_code
    name_ro: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group_ro: Mapped[str] = mapped_column(String(120))
    group_en: Mapped[str] = mapped_column(String(120))
    description_ro: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    keywords: Mapped[str] = mapped_column(String(400), default="", server_default="")
    default_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    ack_target_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")
    resolve_target_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    nearby_radius_m: Mapped[int] = mapped_column(Integer, default=250, server_default="250")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")

    default_department = relationship("Department", lazy="joined")

    __table_args__ = (
        CheckConstraint("ack_target_hours > 0", name="ack_target_positive"),
        CheckConstraint("resolve_target_days > 0", name="resolve_target_positive"),
        CheckConstraint("nearby_radius_m BETWEEN 10 AND 5000", name="nearby_radius_range"),
    )

    def name(self, locale: str = "ro") -> str:
        return self.name_en if locale == "en" else self.name_ro

    def group(self, locale: str = "ro") -> str:
        return self.group_en if locale == "en" else self.group_ro
