"""The triage page of one report and what a clerk does there (a report of another department answers 404,
so its existence is not revealed to someone probing ids): change its status (with notes), send it to
another department, close it as a duplicate, or change many reports at once from the queue.

The status machine itself is the reports package's (reports/rules.py, reports/services.change_status);
this module adds what is particular to the staff forms. Functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    select,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from cityreport.core.permissions import can
from cityreport.departments.models import Department
from cityreport.errors import Conflict, Forbidden, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import latlon
from cityreport.models_base import utcnow
from cityreport.reports import public as public_reports
from cityreport.reports import rules as report_rules
from cityreport.reports import services as reports
from cityreport.reports.models import Report, ReportEvent
from cityreport.staff.models import StaffUser
from cityreport.staff.responses import templates_for


def report_for(user: Any, report_id: int, action: str = "view_report", *, for_update: bool = False) -> Report:
    """The report ``report_id`` if ``user`` may do ``action`` on it; 404 otherwise (never 403: no probing)."""
    if not can(user, action):
        # A role that may never do this at all: the answer does not depend on the report.
        raise Forbidden() if user is not None and user.is_authenticated else NotFound()
    stmt = select(Report).where(Report.id == report_id)
    if for_update:
        stmt = stmt.with_for_update(of=Report)
    report = db.session.scalars(stmt).first()
    if report is None or not can(user, action, department_id=report.department_id):
        raise NotFound()
    return report


@dataclass(frozen=True)
class NearbyReport:
    id: int
    status: str
    category_id: int
    department_id: int
    created_at: datetime
    address: str | None
    excerpt: str
    distance_m: float


def nearby_open(report: Report, *, radius_m: int | None = None, limit: int = 10) -> list[NearbyReport]:
    """Open, visible reports near this one, nearest first: the candidates it may duplicate (any category)."""
    radius = radius_m or (report.category.nearby_radius_m if report.category else 250)
    lat, lon = latlon(report.location)
    rows = public_reports.nearby_open_reports(lat, lon, radius, exclude_id=report.id, limit=limit, with_photos=False)
    return [NearbyReport(r.id, r.status, r.category_id, r.department_id, r.created_at, r.address,
                         r.description[:120], distance) for r, distance in rows]


def history(report: Report) -> list[ReportEvent]:
    stmt = (select(ReportEvent).where(ReportEvent.report_id == report.id)
            .options(selectinload(ReportEvent.staff)).order_by(ReportEvent.at, ReportEvent.id))
    return list(db.session.scalars(stmt))


def _transition_problem(report: Report, to_status: str) -> str | None:
    try:
        report_rules.plan_transition(report.status, to_status, utcnow(), report.acknowledged_at, report.closed_at)
    except report_rules.TransitionError as exc:
        return exc.reason
    return None


def apply_status(report: Report, to_status: str, *, staff: StaffUser, public_text: str = "",
                 internal_text: str = "", expected_version: int | None = None) -> ReportEvent:
    """A clerk's status change, with its notes (what else the change does is reports.change_status's).

    The same status with a note only records the note.
    """
    if expected_version is not None and report.version != expected_version:
        raise Conflict()
    if to_status == report.status:
        if not public_text and not internal_text:
            raise ValidationError(fields={"status": _("the report already has this status; add a note or "
                                                      "choose another status")})
        return _stale_safe(lambda: reports.add_note(report, staff=staff, public_text=public_text,
                                                     internal_text=internal_text))
    if to_status == report_rules.DUPLICATE:
        raise ValidationError(fields={"status": _("use “Mark as duplicate” and name the original report")})
    problem = _transition_problem(report, to_status)
    if problem:
        raise ValidationError(fields={"status": problem})
    return _stale_safe(lambda: reports.change_status(report, to_status, staff=staff, public_text=public_text,
                                                      internal_text=internal_text))


def _stale_safe(action):
    try:
        return action()
    except StaleDataError:
        raise Conflict() from None


def public_note(report: Report, typed: str, template_id: int | None) -> str:
    """The typed public note, or the chosen response template's text in the resident's language."""
    if typed or template_id is None:
        return typed
    template = next((t for t in templates_for(report) if t.id == template_id), None)
    if template is None:
        raise ValidationError(fields={"template": _("no such template for this report")})
    return template.text(report.locale)


def reassign(report: Report, department_id: int, *, staff: StaffUser, reason: str,
             expected_version: int | None = None) -> Department:
    """Send a report to another (active) department; returns that department."""
    fields: dict[str, str] = {}
    if not reason:
        fields["reason"] = _("say why the report belongs elsewhere")
    department = db.session.get(Department, department_id)
    if department is None or not department.active:
        fields["department"] = _("no such active department")
    if fields:
        raise ValidationError(fields=fields)
    _stale_safe(lambda: reports.reassign(report, department_id, staff=staff, reason=reason,
                                         expected_version=expected_version))
    return department


def mark_duplicate(report: Report, original_id: int, *, staff: StaffUser, public_text: str = "",
                   expected_version: int | None = None) -> ReportEvent:
    if expected_version is not None and report.version != expected_version:
        raise Conflict()
    original = db.session.get(Report, original_id)
    # A report the public cannot see is offered only within its own department.
    if original is None or (not public_reports.is_publicly_visible(original)
                            and original.department_id != report.department_id):
        raise ValidationError(fields={"duplicate_of": _("no report #%(id)s", id=original_id)})
    if original.status == report_rules.DUPLICATE and original.duplicate_of_id:
        raise ValidationError(fields={"duplicate_of": _("#%(id)s is itself a duplicate of #%(orig)s; choose that one",
                                                        id=original.id, orig=original.duplicate_of_id)})
    problem = _transition_problem(report, report_rules.DUPLICATE)
    if problem:
        raise ValidationError(fields={"status": problem})
    text = public_text or _("This problem was already reported as #%(id)s. Follow that report for updates.",
                            id=original.id)
    return _stale_safe(lambda: reports.mark_duplicate(report, original, staff=staff, public_text=text))


@dataclass(frozen=True)
class BulkItem:
    report_id: int
    version: int


def bulk_change(user: StaffUser, items: Sequence[BulkItem], to_status: str, *, public_text: str = "",
                internal_text: str = "") -> list[ReportEvent]:
    """Change every selected report or none: one refused report refuses the whole batch."""
    if not items:
        raise ValidationError(fields={"reports": _("select at least one report")})
    if to_status not in report_rules.BULK_TARGETS:
        raise ValidationError(fields={"status": _("choose a status reports can be moved to in bulk")})
    wanted = {item.report_id: item.version for item in items}
    # Locked in id order, so two clerks' overlapping batches cannot deadlock.
    found = {r.id: r for r in db.session.scalars(
        select(Report).where(Report.id.in_(wanted)).order_by(Report.id).with_for_update(of=Report))}
    problems: dict[str, str] = {}
    for report_id, version in sorted(wanted.items()):
        report = found.get(report_id)
        if report is None or not can(user, "change_status", department_id=report.department_id):
            problems[f"#{report_id}"] = _("not found")
        elif report.version != version:
            problems[f"#{report_id}"] = _("changed meanwhile; reload the queue")
        elif report.status == to_status:
            problems[f"#{report_id}"] = _("already has this status")
        else:
            problem = _transition_problem(report, to_status)
            if problem:
                problems[f"#{report_id}"] = problem
    if problems:
        raise ValidationError(_("No report was changed: %(n)s of the selected reports cannot move to this status.",
                                n=len(problems)), fields=problems)
    return [apply_status(found[report_id], to_status, staff=user, public_text=public_text,
                         internal_text=internal_text) for report_id in sorted(wanted)]
