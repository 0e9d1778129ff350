from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityreport.extensions import db
from cityreport.geo import SRID


class Jurisdiction(db.Model):
    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # Open311 jurisdiction_id
    name: Mapped[str] = mapped_column(String(200))
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)
    population: Mapped[int | None] = mapped_column(Integer)


class ServiceArea(db.Model):
    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Square metres on the spheroid, kept so the "smaller area wins" tie-break needs no geometry work.
    area_m2: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    population: Mapped[int | None] = mapped_column(Integer)

    department = relationship("Department", lazy="joined")
    category = relationship("Category", lazy="joined")
    pieces = relationship("ServiceAreaPiece", cascade="all, delete-orphan", passive_deletes=True)


class ServiceAreaPiece(db.Model):
    """ST_Subdivide'd pieces of a service area: a point test touches a few dozen vertices, not thousands."""

    __tablename__ = "service_area_pieces"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_area_id: Mapped[int] = mapped_column(ForeignKey("service_areas.id", ondelete="CASCADE"), index=True)
    geom = mapped_column(Geometry("POLYGON", srid=SRID, spatial_index=True), nullable=False)
