"""Database work on reports: creating them and moving them through the status machine.

Every change writes a report_events row; every event the resident should hear of also writes an
outbox row, in the same transaction. Functions flush and never commit: the request or job does.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext as _
from geoalchemy2 import Geography
from sqlalchemy import and_, cast, func, literal, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cityreport.core.inputs import check
from cityreport.core.outbox import add_outbox
from cityreport.core.transaction import attempt
from cityreport.departments.models import Category, Department
from cityreport.errors import Conflict, ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID, point_element
from cityreport.media import services as media
from cityreport.media.services import ProcessedPhoto
from cityreport.models_base import utcnow
from cityreport.reports import rules, schemas, sql
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing import services as routing
from cityreport.routing.models import Jurisdiction


class Actor(Protocol):
    """Whoever acts on a report for the city hall: a staff account (reports does not import staff)."""

    id: int




@dataclass
class NewReport:
    """A report ready to be stored: from a resident (``intake``), an import, or the demo city."""

    category: Category
    lat: float
    lon: float
    description: str
    address: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str = "ro"
    source: str = "web"
    external_id: str | None = None
    idempotency_key: str | None = None
    attributes: dict[str, Any] | None = None
    department_id: int | None = None  # set by imports that already know it; otherwise routed
    created_at: datetime | None = None
    photos: list[ProcessedPhoto] = field(default_factory=list)
    location_from_photo: bool = False


# ---- intake ---------------------------------------------------------------------------------------

def active_category(code: str) -> Category | None:
    return db.session.scalars(select(Category).where(Category.code == code, Category.active.is_(True))).first()


def _photo_bytes(item: Any) -> bytes | None:
    """Multipart FileStorage, raw bytes, or (from JSON) base64 text; None for an empty file input."""
    if item is None:
        return None
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item) or None
    if isinstance(item, str):
        try:
            return base64.b64decode(item, validate=True) or None
        except (binascii.Error, ValueError):
            raise ValueError(_("must be a file or base64-encoded image data")) from None
    if hasattr(item, "read"):
        return item.read(current_app.config["PHOTO_MAX_BYTES"] + 1) or None
    raise ValueError(_("must be a file or base64-encoded image data"))


def intake(data: Mapping[str, Any], files: Sequence[Any] | None, *, source: str, locale: str) -> NewReport:
    """A resident's report from any front door (form, JSON, Open311), checked: raises one ValidationError
    naming every bad field, the database's and the photos' problems included.

    ``data`` maps field names to values (strings from a form, typed values from JSON). ``files`` are the
    photos: FileStorage objects, bytes, or base64 strings. A photo's GPS stands in for a missing place.
    """
    checked = check(schemas.ReportInput, data)
    values = checked.values

    category = None
    if values.get("category"):
        category = active_category(values["category"])
        if category is None:
            checked.fail("category", _("is not a category this city handles"))

    blobs: list[bytes] = []
    for item in list(files or []):
        try:
            blob = _photo_bytes(item)
        except ValueError as exc:
            checked.fail("photos", str(exc), malformed=True)
            continue
        if blob is not None:
            blobs.append(blob)
    limit = current_app.config["PHOTO_MAX_COUNT"]
    photos: list[ProcessedPhoto] = []
    if len(blobs) > limit:
        checked.fail("photos", _("at most %(count)d photos per report", count=limit))
    elif "photos" not in checked.fields:
        for blob in blobs:
            try:
                photos.append(media.process_upload(blob, field="photos"))
            except ValidationError as exc:
                for name, message in exc.fields.items():
                    checked.fail(name, message, malformed=exc.status == 400)
                break

    lat, lon = values.get("lat"), values.get("lon")
    from_photo = False
    if "lat" not in checked.fields and "lon" not in checked.fields:
        if lat is None and lon is None:
            gps = next((p.gps for p in photos if p.gps), None)
            if gps is not None:
                (lat, lon), from_photo = gps, True
            else:
                missing = _("is required (or attach a photo that carries its location)")
                checked.fail("lat", missing)
                checked.fail("lon", missing)
        elif lat is None or lon is None:
            checked.fail("lat" if lat is None else "lon", _("is required"))
        if lat is not None and lon is not None and routing.jurisdiction_at(lat, lon) is None:
            checked.fail("location", _("the photo's location is outside the area this city serves") if from_photo
                         else _("outside the area this city serves"))

    if checked.fields:
        message = (_("The place is outside the area this city serves.") if set(checked.fields) == {"location"}
                   else _("Some fields are not valid."))
        raise ValidationError(message, fields=dict(checked.fields), status=400 if checked.malformed else 422)
    assert category is not None and lat is not None and lon is not None
    return NewReport(category=category, lat=float(lat), lon=float(lon), description=values["description"],
                     address=values["address"], name=values["name"], email=values["email"], phone=values["phone"],
                     locale=locale, source=source, idempotency_key=values["idempotency_key"], photos=photos,
                     location_from_photo=from_photo)


def create_report(data: NewReport, *, notify: bool = True) -> Report:
    """Route and store a report with its `created` (and `routed`) events."""
    jurisdiction = routing.jurisdiction_at(data.lat, data.lon)
    if jurisdiction is None:
        raise ValidationError(_("The place is outside the area this city serves."),
                              fields={"location": _("outside the area this city serves")})
    at = data.created_at or utcnow()
    reason = "import"
    department_id = data.department_id
    if department_id is None:
        decision = routing.route(data.lat, data.lon, data.category)
        department_id, reason = decision.department_id, decision.reason
    report = Report(
        category_id=data.category.id, department_id=department_id, jurisdiction_id=jurisdiction.id,
        location=point_element(data.lat, data.lon), address=data.address, description=data.description,
        status=rules.NEW, created_at=at, updated_at=at, reporter_name=data.name, reporter_email=data.email,
        reporter_phone=data.phone, locale=data.locale, source=data.source, external_id=data.external_id,
        idempotency_key=data.idempotency_key, attributes=data.attributes or {},
    )
    db.session.add(report)
    db.session.flush()
    created = _event(report, "created", "reporter" if data.source != "import" else "system", at,
                     to_status=rules.NEW, to_department_id=department_id)
    _event(report, "routed", "system", at, to_department_id=department_id, internal_text=reason)
    if notify:
        report_event_happened(report.id, created.id, "created")
    return report


def report_event_happened(report_id: int, event_id: int, kind: str) -> None:
    """Every public event of a report gets an outbox row; the notifications sender decides who hears of it."""
    add_outbox("report_event", {"report_id": report_id, "event_id": event_id, "event_kind": kind},
               f"report_event:{event_id}")


def _event(report: Report, kind: str, actor: str, at: datetime, *, staff: Actor | None = None,
           **fields: Any) -> ReportEvent:
    event = ReportEvent(report_id=report.id, kind=kind, actor=actor, at=at,
                        staff_id=staff.id if staff else None, **fields)
    db.session.add(event)
    db.session.flush()
    return event


def _check_version(report: Report, expected_version: int | None) -> None:
    if expected_version is not None and report.version != expected_version:
        raise Conflict()


def change_status(report: Report, to_status: str, *, actor: str = "staff", staff: Actor | None = None,
                  at: datetime | None = None, public_text: str | None = None, internal_text: str | None = None,
                  duplicate_of: Report | None = None, expected_version: int | None = None,
                  notify: bool = True) -> ReportEvent:
    """Move a report along the status machine and record why: the one place a report's status changes.

    Everything the change implies is applied here, as rules.plan_transition works it out: the timestamps,
    the reopen count, hiding a report closed as invalid, showing a reopened one again, and tying a
    duplicate to its original (or untying it when it is reopened). Staff triage, bulk changes, duplicates,
    the reporter's "not fixed", the importer's rules and the demo city all come through here.
    """
    _check_version(report, expected_version)
    at = at or utcnow()
    plan = rules.plan_transition(report.status, to_status, at, report.acknowledged_at, report.closed_at)
    if plan.needs_original != (duplicate_of is not None):
        raise ValueError("a report is closed as a duplicate with its original, and only then")
    report.status = plan.to_status
    report.acknowledged_at = plan.acknowledged_at
    report.closed_at = plan.closed_at
    report.updated_at = at
    if plan.reopened:
        report.reopened_count += 1
    if plan.hidden is not None:
        report.hidden = plan.hidden
    if plan.clears_duplicate:
        report.duplicate_of_id = None
    if duplicate_of is not None:
        report.duplicate_of_id = duplicate_of.id
        internal_text = internal_text or f"duplicate of #{duplicate_of.id}"
    event = _event(report, plan.event_kind, actor, at, staff=staff, from_status=plan.from_status,
                   to_status=plan.to_status, public_text=public_text or None, internal_text=internal_text or None)
    if notify:
        report_event_happened(report.id, event.id, plan.event_kind)
    return event


def add_note(report: Report, *, staff: Actor | None, public_text: str | None = None,
             internal_text: str | None = None, at: datetime | None = None,
             expected_version: int | None = None) -> ReportEvent:
    _check_version(report, expected_version)
    at = at or utcnow()
    public_text, internal_text = public_text or None, internal_text or None
    report.acknowledged_at = rules.acknowledged_by_note(report.acknowledged_at, at, public=bool(public_text))
    report.updated_at = at
    event = _event(report, "note", "staff", at, staff=staff, public_text=public_text, internal_text=internal_text)
    if public_text:
        report_event_happened(report.id, event.id, "note")
    return event


def reassign(report: Report, department_id: int, *, staff: Actor | None, reason: str,
             at: datetime | None = None, expected_version: int | None = None) -> ReportEvent:
    _check_version(report, expected_version)
    if department_id == report.department_id:
        raise ValidationError(fields={"department": _("the report is already in this department")})
    at = at or utcnow()
    event = _event(report, "reassigned", "staff" if staff else "system", at, staff=staff,
                   from_department_id=report.department_id, to_department_id=department_id, internal_text=reason)
    report.department_id = department_id
    report.updated_at = at
    return event


def mark_duplicate(report: Report, original: Report, *, staff: Actor | None, at: datetime | None = None,
                   public_text: str | None = None, expected_version: int | None = None,
                   notify: bool = True) -> ReportEvent:
    """Close ``report`` as a duplicate of ``original``; the resident is pointed at the original."""
    if original.id == report.id:
        raise ValidationError(fields={"duplicate_of": _("a report cannot duplicate itself")})
    if original.duplicate_of_id == report.id:
        raise ValidationError(fields={"duplicate_of": _("that report is already a duplicate of this one")})
    return change_status(report, rules.DUPLICATE, actor="staff" if staff else "system", staff=staff, at=at,
                         public_text=public_text, duplicate_of=original, expected_version=expected_version,
                         notify=notify)


def record_feedback_event(report: Report, answer: str, *, at: datetime | None = None,
                          comment: str | None = None) -> ReportEvent:
    """The reporter's answer to "is it really fixed?" goes into the timeline (the comment stays private)."""
    return _event(report, "feedback", "reporter", at or utcnow(), internal_text=f"answer: {answer}"
                  + (f"; {comment}" if comment else ""))


# ---- intake and public reads ----------------------------------------------------------------------

def submit_report(data: NewReport) -> Report:
    """Store a checked report: route it, keep its photos, write the outbox rows. Flush only.

    A report carrying an idempotency key that is already stored returns that report: a phone that
    retries an upload after a dropped connection does not file the problem twice.
    """
    if data.idempotency_key:
        existing = report_by_idempotency_key(data.idempotency_key)
        if existing is not None:
            return existing
        # Two copies of the same retry can race; the unique key lets exactly one of them win.
        try:
            with attempt():
                report = create_report(data)
        except IntegrityError:
            existing = report_by_idempotency_key(data.idempotency_key)
            if existing is None:
                raise
            return existing
    else:
        report = create_report(data)
    if data.photos:
        media.store_photos(report.id, list(data.photos))
        db.session.flush()
    return report


def report_by_id(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)


def report_by_idempotency_key(key: str) -> Report | None:
    return db.session.scalars(select(Report).where(Report.idempotency_key == key)).first()


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
