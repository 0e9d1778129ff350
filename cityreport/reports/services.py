"""Database work on reports: creating them and moving them through the status machine.

Every change writes a report_events row; every event the resident should hear of also writes an
outbox row, in the same transaction. Functions flush and never commit: the request or job does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cityreport.departments.models import Category, StaffUser
from cityreport.errors import Conflict, ValidationError
from cityreport.extensions import db
from cityreport.geo import point_element
from cityreport.models_base import utcnow
from cityreport.notifications.services import report_event_happened
from cityreport.reports import rules
from cityreport.reports.models import Report, ReportEvent
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
