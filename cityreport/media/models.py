from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cityreport.extensions import db
from cityreport.models_base import created_at_column


class Photo(db.Model):
    """A processed photo. The original upload is not kept: only metadata-free JPEG variants."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Indexed: serving a photo looks up its report by key (media.services.photo_audience).
    storage_key: Mapped[str] = mapped_column(String(200), index=True)  # display variant, ≤1600 px
    thumbnail_key: Mapped[str] = mapped_column(String(200), index=True)  # ≤400 px
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the upload, to spot re-sent photos
    created_at: Mapped[datetime] = created_at_column()
