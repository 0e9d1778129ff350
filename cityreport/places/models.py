"""The street register (streets, addresses), the basemap's other features, and each report's nearest place.

Everything is SRID 4326. The searchable text of a street is computed by the database (`places_fold`, an
immutable wrapper around `unaccent`, created by the migration), so the stored text and the query text
are folded by the same function; see docs/places.md.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.models_base import utcnow
from cityreport.places.rules import FEATURE_KINDS, ROAD_CLASSES


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Street(db.Model):
    """One named street of one register scope; its segments merged into one multi-line."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The register's scope: "" for the city's own register, or the body named at import (`--body`).
    scope: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200))
    street_type: Mapped[str | None] = mapped_column(String(20))  # "strada", "bulevardul", ... (rules.STREET_TYPES)
    core: Mapped[str] = mapped_column(String(200))  # the name without its type word: "Memorandumului"
    search: Mapped[str] = mapped_column(Text, Computed("places_fold(core)", persisted=True))
    road_class: Mapped[str] = mapped_column(String(10), default="minor", server_default="minor")
    # NULL for a street known only from its addresses (no line in the file).
    geom = mapped_column(Geometry("MULTILINESTRING", srid=SRID, spatial_index=True), nullable=True)
    # Where a search result for the street puts the pin: on the line, near its middle.
    point = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=True)

    __table_args__ = (
        UniqueConstraint("scope", "name", name="uq_streets_scope_name"),
        CheckConstraint(f"road_class IN ({_in(ROAD_CLASSES)})", name="road_class"),
        # GiST, not GIN: search asks for the k nearest names (`<<->`, word distance), which GiST serves in
        # index order, reading a few pages whatever the name; docs/places.md has the measurements.
        Index("ix_streets_search_trgm", "search", postgresql_using="gist", postgresql_ops={"search": "gist_trgm_ops"}),
    )


class Address(db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), default="", server_default="")
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id", ondelete="CASCADE"))
    housenumber: Mapped[str] = mapped_column(String(40))  # as written: "12A", "7 bis"
    number_key: Mapped[str] = mapped_column(String(40))  # rules.number_key: "12a", "7bis"
    number_int: Mapped[int | None] = mapped_column(Integer)  # its leading whole number, for "12" -> "12A"
    postcode: Mapped[str | None] = mapped_column(String(20))
    housename: Mapped[str | None] = mapped_column(String(200))  # building or block name: "Bloc M4"
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)  # KNN: geom <-> point

    __table_args__ = (
        Index("ix_addresses_street_number", "street_id", "number_key"),
        Index("ix_addresses_street_number_int", "street_id", "number_int"),
        Index("ix_addresses_scope", "scope"),
    )


class MapFeature(db.Model):
    """Parks, water, buildings and unnamed roads: drawn on the basemap, never searched."""

    __tablename__ = "map_features"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=False)

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(FEATURE_KINDS)})", name="kind"),
        Index("ix_map_features_scope", "scope"),
        # A city-wide tile asks for the parks and water, not the tens of thousands of buildings under the
        # same box: the kind leads the GiST index (btree_gist, created by the intake migration).
        Index("ix_map_features_kind_geom", "kind", "geom", postgresql_using="gist"),
    )


class StreetRegister(db.Model):
    """What was imported for a scope, and from where; the basemap's attribution comes from here."""

    __tablename__ = "street_registers"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    attribution: Mapped[str | None] = mapped_column(String(300))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    streets: Mapped[int] = mapped_column(Integer, default=0)
    addresses: Mapped[int] = mapped_column(Integer, default=0)
    features: Mapped[int] = mapped_column(Integer, default=0)


class BasemapState(db.Model):
    """One row: the basemap's version, bumped in the same transaction as any change to what tiles draw
    (an import, or a jurisdiction's boundary, by a trigger). Tile URLs carry it, so caches never go stale."""

    __tablename__ = "basemap_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class ReportPlace(db.Model):
    """A report's nearest place in the register, computed from its point (reverse geocoding).

    Derived data: recomputed for every report when a register is imported. The resident's own typed
    address stays on the report; this sits beside it."""

    __tablename__ = "report_places"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "address" or "street"
    street: Mapped[str] = mapped_column(String(200))
    housenumber: Mapped[str | None] = mapped_column(String(40))
    distance_m: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("kind IN ('address', 'street')", name="kind"),)
