"""Database work on reports: creating them and moving them through the status machine.

Every change writes a report_events row; every event the resident should hear of also writes an
outbox row, in the same transaction. Functions flush and never commit: the request or job does.
What a resident sends is checked in intake.py; what the public may read is in public.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.core.outbox import add_outbox
from cityreport.departments.models import Category
from cityreport.errors import Conflict, ValidationError
from cityreport.extensions import db
from cityreport.geo import point_element
from cityreport.media.services import ProcessedPhoto
from cityreport.models_base import utcnow
from cityreport.reports import rules
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing import services as routing


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


def report_by_id(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)


def report_by_idempotency_key(key: str) -> Report | None:
    return db.session.scalars(select(Report).where(Report.idempotency_key == key)).first()
