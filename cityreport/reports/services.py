"""Database work on reports: creating them and moving them through the status machine.

Every change writes a report_events row; every event the resident should hear of also writes an
outbox row, in the same transaction. Functions flush and never commit: the request or job does.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import and_, cast, func, literal, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cityreport.core.outbox import add_outbox
from cityreport.core.transaction import attempt
from cityreport.departments.models import Category, Department, StaffUser
from cityreport.errors import Conflict, ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID, point_element
from cityreport.models_base import utcnow
from cityreport.reports import rules
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.schemas import ReportSubmission
from cityreport.routing import services as routing

# Event kinds a resident following the report is told about.
PUBLIC_EVENT_KINDS = {"created", "status", "duplicate", "reopened", "note"}


@dataclass
class NewReport:
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


def create_report(data: NewReport, *, notify: bool = True) -> Report:
    """Route and store a report with its `created` (and `routed`) events."""
    jurisdiction = routing.jurisdiction_at(data.lat, data.lon)
    if jurisdiction is None:
        from flask_babel import gettext as _
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
        status="new", created_at=at, updated_at=at, reporter_name=data.name, reporter_email=data.email,
        reporter_phone=data.phone, locale=data.locale, source=data.source, external_id=data.external_id,
        idempotency_key=data.idempotency_key, attributes=data.attributes or {},
    )
    db.session.add(report)
    db.session.flush()
    created = _event(report, "created", "reporter" if data.source != "import" else "system", at,
                     to_status="new", to_department_id=department_id)
    _event(report, "routed", "system", at, to_department_id=department_id, internal_text=reason)
    if notify:
        report_event_happened(report.id, created.id, "created")
    return report


def report_event_happened(report_id: int, event_id: int, kind: str) -> None:
    """Every public event of a report gets an outbox row; the notifications sender decides who hears of it."""
    add_outbox("report_event", {"report_id": report_id, "event_id": event_id, "event_kind": kind},
               f"report_event:{event_id}")


def _event(report: Report, kind: str, actor: str, at: datetime, *, staff: StaffUser | None = None,
           **fields: Any) -> ReportEvent:
    event = ReportEvent(report_id=report.id, kind=kind, actor=actor, at=at,
                        staff_id=staff.id if staff else None, **fields)
    db.session.add(event)
    db.session.flush()
    return event


def _check_version(report: Report, expected_version: int | None) -> None:
    if expected_version is not None and report.version != expected_version:
        raise Conflict()


def change_status(report: Report, to_status: str, *, actor: str = "staff", staff: StaffUser | None = None,
                  at: datetime | None = None, public_text: str | None = None, internal_text: str | None = None,
                  expected_version: int | None = None, notify: bool = True) -> ReportEvent:
    """Move a report along the status machine (reopening included) and record why."""
    _check_version(report, expected_version)
    at = at or utcnow()
    plan = rules.plan_transition(report.status, to_status, at, report.acknowledged_at, report.closed_at)
    from_status = report.status
    report.status = plan.to_status
    report.acknowledged_at = plan.acknowledged_at
    report.closed_at = plan.closed_at
    report.updated_at = at
    kind = "status"
    if plan.reopened:
        report.reopened_count += 1
        kind = "reopened"
    event = _event(report, kind, actor, at, staff=staff, from_status=from_status, to_status=plan.to_status,
                   public_text=public_text or None, internal_text=internal_text or None)
    if notify:
        report_event_happened(report.id, event.id, kind)
    return event


def add_note(report: Report, *, staff: StaffUser | None, public_text: str | None = None,
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


def reassign(report: Report, department_id: int, *, staff: StaffUser | None, reason: str,
             at: datetime | None = None, expected_version: int | None = None) -> ReportEvent:
    _check_version(report, expected_version)
    if department_id == report.department_id:
        from flask_babel import gettext as _
        raise ValidationError(fields={"department": _("the report is already in this department")})
    at = at or utcnow()
    event = _event(report, "reassigned", "staff" if staff else "system", at, staff=staff,
                   from_department_id=report.department_id, to_department_id=department_id, internal_text=reason)
    report.department_id = department_id
    report.updated_at = at
    return event


def mark_duplicate(report: Report, original: Report, *, staff: StaffUser | None, at: datetime | None = None,
                   public_text: str | None = None, expected_version: int | None = None,
                   notify: bool = True) -> ReportEvent:
    """Close ``report`` as a duplicate of ``original``; the resident is pointed at the original."""
    from flask_babel import gettext as _
    if original.id == report.id:
        raise ValidationError(fields={"duplicate_of": _("a report cannot duplicate itself")})
    if original.duplicate_of_id == report.id:
        raise ValidationError(fields={"duplicate_of": _("that report is already a duplicate of this one")})
    _check_version(report, expected_version)
    at = at or utcnow()
    plan = rules.plan_transition(report.status, "duplicate", at, report.acknowledged_at, report.closed_at)
    from_status = report.status
    report.status, report.acknowledged_at, report.closed_at = plan.to_status, plan.acknowledged_at, plan.closed_at
    report.duplicate_of_id = original.id
    report.updated_at = at
    event = _event(report, "duplicate", "staff" if staff else "system", at, staff=staff, from_status=from_status,
                   to_status="duplicate", public_text=public_text or None,
                   internal_text=f"duplicate of #{original.id}")
    if notify:
        report_event_happened(report.id, event.id, "duplicate")
    return event


def record_feedback_event(report: Report, answer: str, *, at: datetime | None = None,
                          comment: str | None = None) -> ReportEvent:
    """The reporter's answer to "is it really fixed?" goes into the timeline (the comment stays private)."""
    return _event(report, "feedback", "reporter", at or utcnow(), internal_text=f"answer: {answer}"
                  + (f"; {comment}" if comment else ""))


# ---- intake and public reads ----------------------------------------------------------------------

def submit_report(sub: ReportSubmission) -> Report:
    """Store a validated submission: route it, keep its photos, write the outbox rows. Flush only.

    A submission carrying an idempotency key that is already stored returns that report: a phone
    that retries an upload after a dropped connection does not file the problem twice.
    """
    from cityreport.media.services import store_photos

    if sub.idempotency_key:
        existing = report_by_idempotency_key(sub.idempotency_key)
        if existing is not None:
            return existing
    data = NewReport(category=sub.category, lat=sub.lat, lon=sub.lon, description=sub.description,
                     address=sub.address, name=sub.name, email=sub.email, phone=sub.phone, locale=sub.locale,
                     source=sub.source, external_id=sub.external_id, idempotency_key=sub.idempotency_key,
                     attributes=sub.attributes)
    if not sub.idempotency_key:
        report = create_report(data)
    else:
        # Two copies of the same retry can race; the unique key lets exactly one of them win.
        try:
            with attempt():
                report = create_report(data)
        except IntegrityError:
            existing = report_by_idempotency_key(sub.idempotency_key)
            if existing is None:
                raise
            return existing
    if sub.photos:
        store_photos(report.id, list(sub.photos))
        db.session.flush()
    return report


def report_by_idempotency_key(key: str) -> Report | None:
    return db.session.scalars(select(Report).where(Report.idempotency_key == key)).first()


def publicly_visible():
    """Reports the public may see: not hidden by moderation and not closed as spam."""
    return and_(Report.hidden.is_(False), Report.status != "invalid")


def public_report_or_none(report_id: int) -> Report | None:
    if not 0 < report_id <= 2**63 - 1:
        return None
    stmt = (select(Report).where(Report.id == report_id, publicly_visible())
            .options(selectinload(Report.photos), selectinload(Report.events)))
    return db.session.scalars(stmt).first()


# Matches the partial index ix_reports_open_location word for word, so the planner can use it
# whatever parameters a prepared statement is later run with.
OPEN_VISIBLE_SQL = "reports.status IN ('new', 'acknowledged', 'in_progress') AND NOT reports.hidden"
METRES_PER_DEGREE_LAT = 110_500.0  # the smallest value on the spheroid, so the box never cuts the circle


def nearby_open_reports(lat: float, lon: float, category_id: int, radius_m: float, *,
                        exclude_id: int | None = None, limit: int = 10) -> list[tuple[Report, float]]:
    """Open public reports of one category within ``radius_m`` metres, nearest first.

    The category and the geometry box (`&&`) let the partial GiST index pick candidates;
    `ST_DWithin` on geography then measures true metres on the spheroid.
    """
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    dy = radius_m / METRES_PER_DEGREE_LAT
    dx = dy / max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    distance = func.ST_Distance(cast(Report.location, Geography), cast(point, Geography)).label("distance")
    stmt = (
        select(Report, distance)
        .where(text(OPEN_VISIBLE_SQL), Report.category_id == category_id,
               Report.location.op("&&")(func.ST_Expand(point, dx, dy)),
               func.ST_DWithin(cast(Report.location, Geography), cast(point, Geography), radius_m))
        .order_by(distance, Report.id)
        .limit(limit)
        .options(selectinload(Report.photos))
    )
    if exclude_id is not None:
        stmt = stmt.where(Report.id != exclude_id)
    return [(row[0], float(row[1])) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class ReportFilter:
    bbox: tuple[float, float, float, float] | None = None
    status: str | None = None
    category: str | None = None
    department: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(report: Report) -> str:
    raw = f"{report.created_at.timestamp():.6f}:{report.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    from flask_babel import gettext as _
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split(":")
        moment, report_id = datetime.fromtimestamp(float(stamp), UTC), int(ident)
        if not 0 < report_id <= 2**63 - 1:
            raise ValueError(report_id)
        return moment, report_id
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
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
        moment, report_id = decode_cursor(cursor)
        stmt = stmt.where(tuple_(Report.created_at, Report.id) < tuple_(literal(moment), literal(report_id)))
    stmt = (stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit + 1)
            .options(selectinload(Report.photos)))
    rows = list(db.session.scalars(stmt))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def public_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.group_ro, Category.name_ro)))


def public_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.slug)))


def city_bounds() -> list[list[float]] | None:
    """[[south, west], [north, east]] of all jurisdictions, for fitting a map; None when none exist."""
    from cityreport.routing.models import Jurisdiction

    row = db.session.execute(select(func.ST_XMin(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_YMin(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_XMax(func.ST_Extent(Jurisdiction.boundary)),
                                    func.ST_YMax(func.ST_Extent(Jurisdiction.boundary)))).one()
    if row[0] is None:
        return None
    west, south, east, north = (float(v) for v in row)
    return [[south, west], [north, east]]
