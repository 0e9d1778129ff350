"""Staff pages: sign-in, the queue (list and map), bulk changes, and the triage page of one report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from cityreport.core.access import check, current_staff, require, staff_required
from cityreport.core.inputs import read
from cityreport.core.permissions import can
from cityreport.core.transaction import commits
from cityreport.errors import AppError, Conflict, ValidationError
from cityreport.geo import latlon
from cityreport.i18n import current_language
from cityreport.media import services as media
from cityreport.models_base import utcnow
from cityreport.reports import rules as report_rules
from cityreport.reports.labels import STAFF, status_label
from cityreport.reports.models import Report
from cityreport.staff import accounts, responses, rules, schemas, signin, triage, worklist
from cityreport.staff.triage import report_for

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.queue")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


# ---- sign-in -----------------------------------------------------------------------------------

@bp.get("/")
def home() -> Response:
    return redirect(url_for("staff.queue"))


@bp.get("/login")
def login():
    if current_staff() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("staff/login.html", next_url=request.args.get("next") or "", email="")


@bp.post("/login")
@commits
def login_submit():
    next_url = request.values.get("next") or ""
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    ip = _client_ip()
    wait = signin.login_wait(email.lower(), ip)
    if wait:
        return render_template("staff/login.html", next_url=next_url, email=email,
                               error=_("Too many failed sign-ins. Try again in %(minutes)s minutes.",
                                       minutes=max(1, (wait + 59) // 60))), 429, {"Retry-After": str(wait)}
    user = signin.authenticate(email, password) if email and password else None
    if user is None:
        signin.record_login_failure(email.lower(), ip)
        return render_template("staff/login.html", next_url=next_url, email=email,
                               error=_("The e-mail or the password is wrong.")), 401
    signin.clear_login_failures(email.lower(), ip)
    session.clear()  # nothing from before sign-in survives into the signed-in session
    login_user(user)
    return redirect(_safe_next(next_url), 303)


@bp.post("/logout")
@staff_required
@commits
def logout() -> Response:
    user = current_staff()
    accounts.end_sessions(user)
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("staff.login"), 303)


# ---- the queue ---------------------------------------------------------------------------------

def _queue_filter() -> schemas.QueueFilter:
    return schemas.queue_filter(request.args)


def _render_queue(wanted: schemas.QueueFilter, *, status_code: int = 200, error: str | None = None,
                  fields: dict[str, str] | None = None, form: dict[str, Any] | None = None):
    user = current_staff()
    page = worklist.queue_page(user, wanted)
    return render_template("staff/queue.html", page=page, wanted=wanted, lookups=worklist.lookups(),
                           statuses=report_rules.STATUSES, status_choices=schemas.STATUS_CHOICES,
                           age_choices=schemas.AGE_CHOICES, sorts=rules.SORTS, lang=current_language(),
                           scope_department_id=worklist.queue_department(user, wanted),
                           bulk_targets=report_rules.BULK_TARGETS, open_statuses=report_rules.OPEN_STATUSES,
                           error=error, fields=fields or {}, form=form or {}), status_code


@bp.get("/queue")
@require("view_queue")
def queue():
    return _render_queue(_queue_filter())


@bp.get("/queue/map")
@require("view_queue")
def queue_map():
    wanted = _queue_filter()
    return render_template("staff/queue_map.html", wanted=wanted, lookups=worklist.lookups(),
                           status_choices=schemas.STATUS_CHOICES, age_choices=schemas.AGE_CHOICES,
                           sorts=rules.SORTS, lang=current_language(),
                           scope_department_id=worklist.queue_department(current_staff(), wanted))


@bp.get("/queue.geojson")
@require("view_queue")
def queue_geojson():
    wanted = _queue_filter()
    return jsonify(worklist.queue_features(current_staff(), wanted))


def _refused_bulk(exc: AppError):
    if not isinstance(exc, ValidationError | Conflict):
        raise exc
    form = {"status": request.form.get("status") or "", "public_note": request.form.get("public_note", ""),
            "internal_note": request.form.get("internal_note", ""), "selected": request.form.getlist("report")}
    return _render_queue(_queue_filter(), status_code=exc.status, error=exc.message,
                         fields=exc.fields, form=form)


@bp.post("/queue/bulk")
@require("bulk_change")
@commits(refused=_refused_bulk)
def bulk():
    # All or nothing: a refused report refuses the batch, and the unit of work undoes the ones before it.
    wanted = _queue_filter()
    form = read(schemas.BulkForm, request.form)
    items = [triage.BulkItem(report_id, version) for report_id, version in form.report]
    events = triage.bulk_change(current_staff(), items, form.status, public_text=form.public_note,
                                internal_text=form.internal_note)
    flash(_("%(n)s reports changed to “%(status)s”.", n=len(events), status=status_label(form.status, STAFF)))
    query = wanted.query_string()
    return redirect(url_for("staff.queue") + (f"?{query}" if query else ""), 303)


# ---- the triage page ---------------------------------------------------------------------------

def _photos(report: Report) -> list[dict[str, Any]]:
    return [{"url": media.photo_url(photo), "thumbnail": media.photo_url(photo, "thumbnail"),
             "width": photo.width, "height": photo.height} for photo in report.photos]


def _render_triage(report: Report, *, status_code: int = 200, error: str | None = None,
                   fields: dict[str, str] | None = None, form: dict[str, Any] | None = None):
    lat, lon = latlon(report.location)
    lookups = worklist.lookups()
    templates = responses.templates_for(report)
    return render_template(
        "staff/report.html", report=report, lat=lat, lon=lon, lookups=lookups, lang=current_language(),
        events=triage.history(report), nearby=triage.nearby_open(report), templates=templates,
        photos=_photos(report), targets=report_rules.form_targets(report.status),
        is_open=report_rules.is_open(report.status),
        awaits_acknowledgement=report_rules.awaits_acknowledgement(report.status),
        publicly_visible=report_rules.is_publicly_visible(report), error=error, fields=fields or {}, form=form or {},
        due=rules.due_at(report.status, report.created_at, report.category.ack_target_hours,
                         report.category.resolve_target_days),
        now=utcnow(), rules=rules,
        other_departments=[d for d in lookups["departments"].values() if d.active and d.id != report.department_id],
    ), status_code


@bp.get("/reports/<int:report_id>")
@require("view_report")
def report_page(report_id: int):
    return _render_triage(report_for(current_staff(), report_id))


def _form_state() -> dict[str, Any]:
    return {key: request.form.get(key, "") for key in
            ("status", "public_note", "internal_note", "department", "reason", "duplicate_of", "template")}


def _refused_action(exc: AppError, report_id: int):
    """A refused triage action (already rolled back): the page again, with the problem and the form as typed."""
    if not isinstance(exc, ValidationError | Conflict):
        raise exc
    report = report_for(current_staff(), report_id, "view_report")
    error = exc.message
    if isinstance(exc, Conflict):
        error = _("Someone else changed this report meanwhile. Their change is shown below; "
                  "your notes are kept in the form. Check and save again.")
    return _render_triage(report, status_code=exc.status, error=error, fields=exc.fields, form=_form_state())


def _after(report: Report, message: str) -> Any:
    """The page after a triage action: the report again, or the queue when it left the clerk's department."""
    flash(message)
    if not can(current_staff(), "view_report", department_id=report.department_id):
        return redirect(url_for("staff.queue"), 303)
    return redirect(url_for("staff.report_page", report_id=report.id), 303)


@bp.post("/reports/<int:report_id>/status")
@require("change_status")
@commits(refused=_refused_action)
def change_status(report_id: int):
    user = current_staff()
    report = report_for(user, report_id, "change_status")
    form = read(schemas.StatusForm, request.form)
    action = "reopen" if report_rules.is_closed(report.status) else (
        "mark_invalid" if report_rules.hides(form.status) else "change_status")
    check(action, department_id=report.department_id)
    before = report.status
    triage.apply_status(report, form.status, staff=user,
                        public_text=triage.public_note(report, form.public_note, form.template),
                        internal_text=form.internal_note, expected_version=form.version)
    if before == report.status:
        return _after(report, _("Note added to #%(id)s.", id=report.id))
    return _after(report, _("#%(id)s is now “%(status)s”.", id=report.id, status=status_label(report.status, STAFF)))


@bp.post("/reports/<int:report_id>/reassign")
@require("reassign")
@commits(refused=_refused_action)
def reassign(report_id: int):
    user = current_staff()
    report = report_for(user, report_id, "reassign")
    form = read(schemas.ReassignForm, request.form)
    department = triage.reassign(report, form.department, staff=user, reason=form.reason,
                                 expected_version=form.version)
    return _after(report, _("#%(id)s was sent to %(department)s.", id=report.id,
                            department=department.name(current_language())))


@bp.post("/reports/<int:report_id>/duplicate")
@require("mark_duplicate")
@commits(refused=_refused_action)
def duplicate(report_id: int):
    user = current_staff()
    report = report_for(user, report_id, "mark_duplicate")
    form = read(schemas.DuplicateForm, request.form)
    triage.mark_duplicate(report, form.original_id, staff=user, public_text=form.public_note,
                          expected_version=form.version)
    return _after(report, _("#%(id)s was closed as a duplicate of #%(orig)s.", id=report.id, orig=form.original_id))

