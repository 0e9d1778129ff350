"""What the public may read of the reports: the one visibility condition and the public events, a report's
page, the list, nearby open reports, and the home page's counts. Read-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from geoalchemy2 import Geography
from sqlalchemy import and_, cast, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import selectinload

from cityreport.departments.models import Category, Department
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.media.models import Photo
from cityreport.reports import rules, schemas, sql
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing.models import Jurisdiction


def publicly_visible():
    """Reports the public may see: the one condition behind every public page, API, feed and export
    (rules.is_publicly_visible says why the hidden flag is enough)."""
    return Report.hidden.is_(False)


def is_publicly_visible(report: Report) -> bool:
    return rules.is_publicly_visible(report)


def public_events():
    """The SQL twin of rules.is_public_event (a test holds the two to the same answers)."""
    return and_(ReportEvent.kind.in_(rules.PUBLIC_EVENT_KINDS),
                or_(ReportEvent.kind != "note", func.coalesce(ReportEvent.public_text, "") != ""),
                or_(ReportEvent.to_status.is_(None), ReportEvent.to_status != rules.INVALID))


def public_events_of(report_id: int, *, newest_first: bool = False, limit: int | None = None) -> list[ReportEvent]:
    order = (ReportEvent.at.desc(), ReportEvent.id.desc()) if newest_first else (ReportEvent.at, ReportEvent.id)
    stmt = select(ReportEvent).where(ReportEvent.report_id == report_id, public_events()).order_by(*order)
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def public_report_or_none(report_id: int) -> Report | None:
    if not 0 < report_id <= 2**63 - 1:
        return None
    stmt = (select(Report).where(Report.id == report_id, publicly_visible())
            .options(selectinload(Report.photos), selectinload(Report.events)))
    return db.session.scalars(stmt).first()


# The partial index ix_reports_open_location's predicate (reports/models.py), so the planner can use it
# whatever parameters a prepared statement is later run with.
OPEN_VISIBLE_SQL = f"{sql.is_open('reports')} AND {sql.publicly_visible('reports')}"
METRES_PER_DEGREE_LAT = 110_500.0  # below the smallest value on the spheroid, so the box never cuts the circle


def nearby_open_reports(lat: float, lon: float, radius_m: float, *, category_id: int | None = None,
                        exclude_id: int | None = None, limit: int = 10,
                        with_photos: bool = True) -> list[tuple[Report, float]]:
    """Open public reports within ``radius_m`` metres of a point (of one category, if given), nearest first.

    The one nearby search: the report form and the API offer these as "already reported?", the triage
    page as the duplicates a report may be. A box in degrees (``&&``) lets the partial GiST index pick
    candidates; ``ST_DWithin`` on geography then measures true metres on the spheroid.
    """
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    dy = radius_m / METRES_PER_DEGREE_LAT
    dx = dy / max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    distance = func.ST_Distance(cast(Report.location, Geography), cast(point, Geography)).label("distance")
    stmt = (
        select(Report, distance)
        .where(text(OPEN_VISIBLE_SQL), Report.location.op("&&")(func.ST_Expand(point, dx, dy)),
               func.ST_DWithin(cast(Report.location, Geography), cast(point, Geography), radius_m))
        .order_by(distance, Report.id)
        .limit(limit)
    )
    if category_id is not None:
        stmt = stmt.where(Report.category_id == category_id)
    if exclude_id is not None:
        stmt = stmt.where(Report.id != exclude_id)
    if with_photos:
        stmt = stmt.options(selectinload(Report.photos))
    return [(row[0], float(row[1])) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class ReportFilter:
    bbox: tuple[float, float, float, float] | None = None
    status: str | None = None
    category: str | None = None
    department: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, query: schemas.ReportListQuery) -> ReportFilter:
        return cls(bbox=query.bbox, status=query.status, category=query.category, department=query.department,
                   since=query.since, until=query.until)


PUBLIC_LIST = "public"  # the cursor scope of the public list (the staff queue's is its sort order)


def decode_public_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        return rules.decode_cursor(cursor, PUBLIC_LIST)
    except rules.CursorError:
        raise ValidationError(fields={"cursor": _("is not a cursor this server gave out")}, status=400) from None


def list_public_reports(filters: ReportFilter, *, cursor: str | None = None,
                        limit: int = 50) -> tuple[list[Report], str | None]:
    """Newest first, keyset-paged on (created_at, id) so deep pages cost what the first one does."""
    stmt = select(Report).where(publicly_visible())
    if filters.bbox:
        west, south, east, north = filters.bbox
        stmt = stmt.where(Report.location.op("&&")(func.ST_MakeEnvelope(west, south, east, north, SRID)))
    if filters.status:
        stmt = stmt.where(Report.status == filters.status)
    if filters.category:
        stmt = stmt.where(Report.category_id.in_(select(Category.id).where(Category.code == filters.category)))
    if filters.department:
        stmt = stmt.where(Report.department_id.in_(
            select(Department.id).where(Department.slug == filters.department)))
    if filters.since:
        stmt = stmt.where(Report.created_at >= filters.since)
    if filters.until:
        stmt = stmt.where(Report.created_at < filters.until)
    if cursor:
        moment, report_id = decode_public_cursor(cursor)
        stmt = stmt.where(tuple_(Report.created_at, Report.id) < tuple_(literal(moment), literal(report_id)))
    stmt = (stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit + 1)
            .options(selectinload(Report.photos)))
    rows = list(db.session.scalars(stmt))
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = rules.encode_cursor(PUBLIC_LIST, last.created_at, last.id) if last is not None else None
    return rows[:limit], next_cursor


def public_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.group_ro, Category.name_ro)))


def public_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.slug)))


def home_summary() -> dict[str, Any]:
    """What the home page counts: open and fixed public reports, and the city's name."""
    open_count = db.session.scalar(select(func.count()).where(publicly_visible(),
                                                             Report.status.in_(rules.OPEN_STATUSES)))
    fixed_count = db.session.scalar(select(func.count()).where(publicly_visible(), Report.status == rules.FIXED))
    city = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.id).limit(1)).first()
    return {"city": city.name if city else None, "open": open_count or 0, "fixed": fixed_count or 0}


def city_bounds() -> list[list[float]] | None:
    """[[south, west], [north, east]] of all jurisdictions, for fitting a map; None when none exist."""
    row = db.session.execute(select(func.ST_XMin(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_YMin(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_XMax(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_YMax(func.ST_Extent(Jurisdiction.boundary)))).one()
    if row[0] is None:
        return None
    west, south, east, north = (float(v) for v in row)
    return [[south, west], [north, east]]


@dataclass(frozen=True)
class PhotoAudience:
    """Who may see a stored photo: everyone while one of its reports is publicly visible, otherwise
    only staff who may view one of those reports (the departments listed)."""

    public: bool
    department_ids: frozenset[int | None]


def photo_audience(key: str) -> PhotoAudience | None:
    """The audience of a stored variant, in one indexed query; None when no photo row refers to the key.

    A key can belong to several reports (the same photo sent twice): it is public if any of them is.
    Visibility is the reports package's own condition, so hiding a report hides its photos with it.
    """
    rows = db.session.execute(
        select(Report.department_id, publicly_visible().label("public"))
        .join(Photo, Photo.report_id == Report.id)
        .where(or_(Photo.storage_key == key, Photo.thumbnail_key == key))
    ).all()
    if not rows:
        return None
    return PhotoAudience(public=any(row.public for row in rows),
                         department_ids=frozenset(row.department_id for row in rows))
