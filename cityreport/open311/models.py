from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.extensions import db
from cityreport.models_base import created_at_column


class ApiKey(db.Model):
    """Keys for Open311 POST. Only a SHA-256 of the key is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Open311 datatypes an admin can give a question. "text" is multi-line, "string" one line.
ATTRIBUTE_DATATYPES = ("string", "text", "number", "datetime", "singlevaluelist", "multivaluelist")


class ServiceAttribute(db.Model):
    """An admin-defined question for a category, published in its Open311 service definition.

    ``values`` holds the choices of the list datatypes as ``[{"key", "name_ro", "name_en"}]``.
    Answers are stored on ``Report.attributes`` keyed by ``code``.
    """

    __tablename__ = "service_attributes"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    datatype: Mapped[str] = mapped_column(String(20))
    description_ro: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    datatype_description_ro: Mapped[str] = mapped_column(String(300), default="", server_default="")
    datatype_description_en: Mapped[str] = mapped_column(String(300), default="", server_default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    position: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # Open311 "order"
    values: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at_column()

    category = relationship("Category", lazy="joined")

    __table_args__ = (
        UniqueConstraint("category_id", "code", name="uq_service_attributes_category_code"),
        CheckConstraint("datatype IN ('string', 'text', 'number', 'datetime', 'singlevaluelist', "
                        "'multivaluelist')", name="datatype"),
        CheckConstraint("position >= 0", name="position"),
    )

    def description(self, locale: str = "ro") -> str:
        return (self.description_en if locale == "en" else self.description_ro) or self.description_ro

    def datatype_description(self, locale: str = "ro") -> str:
        return self.datatype_description_en if locale == "en" else self.datatype_description_ro

    def value_name(self, key: str, locale: str = "ro") -> str:
        for value in self.values or []:
            if value.get("key") == key:
                return value.get(f"name_{locale}") or value.get("name_ro") or key
        return key


class Open311Submission(db.Model):
    """What an Open311 POST carried beyond the report itself: the token, the key used, a media_url.

    Private to staff. The media_url is a link the client gave; CityReport never fetches it.
    """

    __tablename__ = "open311_submissions"

    report_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("reports.id", ondelete="CASCADE"),
                                           primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    media_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()
