"""Pages of the notifications: follow forms, feedback after a fix, Atom feeds, development mail."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from cityreport.core.transaction import commits
from cityreport.departments.models import Category
from cityreport.errors import AppError, NotFound, ValidationError
from cityreport.extensions import db, limiter
from cityreport.geo import point_element
from cityreport.i18n import current_language
from cityreport.notifications import rules, services
from cityreport.notifications.mail import mail_directory
from cityreport.reports import services as reports
from cityreport.reports.labels import status_label
from cityreport.reports.models import Report
from cityreport.routing.models import ServiceArea

bp = Blueprint("notifications", __name__)

FEED_SIZE = 50


def _public_report(report_id: int) -> Report:
    report = reports.public_report_or_none(report_id)
    if report is None:
        raise NotFound()
    return report


# ---- follow ------------------------------------------------------------------------------------------

def _refused_follow(exc: AppError, report_id: int):
    if not isinstance(exc, ValidationError):
        raise exc
    return render_template("notifications/follow_report.html", report=_public_report(report_id),
                           errors=exc.fields, email=request.form.get("email", "")), 422


@bp.post("/reports/<int:report_id>/follow")
@limiter.limit("20 per hour")
@commits(refused=_refused_follow)
def follow_report(report_id: int):
    report = _public_report(report_id)
    services.follow_report(report, request.form.get("email"), current_language())
    return render_template("notifications/check_inbox.html", back_url=f"/reports/{report.id}")


def _follow_area_page(values, errors: dict[str, str]):
    categories = list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.code)))
    areas = list(db.session.scalars(select(ServiceArea).order_by(ServiceArea.name)))
    return render_template("notifications/follow_area.html", categories=categories, areas=areas, values=values,
                           errors=errors, lang=current_language()), 422 if errors else 200


@bp.get("/follow/area")
def follow_area():
    return _follow_area_page(request.args, {})


def _refused_area(exc: AppError):
    if not isinstance(exc, ValidationError):
        raise exc
    return _follow_area_page(request.form, exc.fields)


@bp.post("/follow/area")
@limiter.limit("20 per hour")
@commits(refused=_refused_area)
def follow_area_save():
    values = request.form
    lat, lon, radius, area_id, category_id = _area_form(values)
    services.follow_area(values.get("email"), current_language(), lat=lat, lon=lon, radius_m=radius,
                         service_area_id=area_id, category_id=category_id)
    return render_template("notifications/check_inbox.html", back_url=url_for("reports.home"))


def _number(values, name: str, kind: type, errors: dict[str, str], message: str):
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[name] = message
        return None


def _area_form(values) -> tuple[float | None, float | None, int | None, int | None, int | None]:
    errors: dict[str, str] = {}
    lat = _number(values, "lat", float, errors, _("the latitude must be a number"))
    lon = _number(values, "lon", float, errors, _("the longitude must be a number"))
    radius = _number(values, "radius", int, errors, _("the radius must be a whole number of metres"))
    area_id = _number(values, "area", int, errors, _("choose one of the listed areas"))
    category_id = _number(values, "category", int, errors, _("choose one of the listed categories"))
    if errors:
        raise ValidationError(fields=errors)
    return lat, lon, radius, area_id, category_id


# ---- feedback after a fix ------------------------------------------------------------------------

def _feedback_page(token: str, values, errors: dict[str, str]):
    record = services.feedback_for_token(token)
    report = db.session.get(Report, record.report_id)
    try:
        services.check_usable(record)
    except AppError as exc:
        return render_template("notifications/feedback_done.html", message=exc.message, report=report), exc.status
    return render_template("notifications/feedback.html", report=report, values=values, errors=errors,
                           category=report.category.name(current_language())), 422 if errors else 200


@bp.get("/feedback/<token>")
def feedback(token: str):
    return _feedback_page(token, request.args, {})


def _refused_feedback(exc: AppError, token: str):
    if isinstance(exc, ValidationError):
        return _feedback_page(token, request.form, exc.fields)

    record = services.feedback_for_token(token)
    report = db.session.get(Report, record.report_id)
    return render_template("notifications/feedback_done.html", message=exc.message, report=report), exc.status


@bp.post("/feedback/<token>")
@commits(refused=_refused_feedback)
def feedback_answer(token: str):
    values = request.form
    feedback = services.answer_feedback(token, values.get("answer"), values.get("rating"), values.get("comment"))
    message = (_("Thank you. We have reopened the report and told the department.")
               if feedback.answer == "not_fixed" else _("Thank you for your answer."))

    return render_template("notifications/feedback_done.html", message=message,
                           report=db.session.get(Report, feedback.report_id))


# ---- Atom feeds ----------------------------------------------------------------------------------

def _atom(title: str, entries: list[dict], self_url: str, alternate: str) -> Response:
    updated = max((entry["updated"] for entry in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    body = render_template("notifications/feed.xml", title=title, entries=entries, self_url=self_url,
                           alternate=alternate, updated=updated, feed_id=self_url)
    return Response(body, mimetype="application/atom+xml")


def _report_entries(query) -> list[dict]:
    lang = current_language()
    found = db.session.scalars(query.where(reports.publicly_visible())
                               .order_by(Report.created_at.desc(), Report.id.desc()).limit(FEED_SIZE))
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return [{"id": f"{base}/reports/{r.id}", "title": _("#%(id)s %(category)s: %(status)s", id=r.id,
                                                           category=r.category.name(lang),
                                                           status=status_label(r.status)),
             "updated": r.updated_at or r.created_at, "published": r.created_at, "link": f"{base}/reports/{r.id}",
             "summary": (r.address + " — " if r.address else "") + r.description} for r in found]


@bp.get("/feeds/reports/<int:report_id>.atom")
def report_feed(report_id: int):
    report = _public_report(report_id)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    events = reports.public_events_of(report.id, newest_first=True, limit=FEED_SIZE)
    entries = []
    for event in events:
        if event.kind == "note":
            title = _("Update")
        elif event.kind == "created":
            title = _("Report received")
        else:
            title = _("Status: %(status)s", status=status_label(event.to_status))
        entries.append({"id": f"{base}/reports/{report.id}#event-{event.id}", "title": title, "updated": event.at,
                        "published": event.at, "link": f"{base}/reports/{report.id}",
                        "summary": event.public_text or title})
    title = _("Report #%(id)s: %(category)s", id=report.id, category=report.category.name(current_language()))
    return _atom(title, entries, request.url, f"{base}/reports/{report.id}")


@bp.get("/feeds/categories/<code>.atom")
def category_feed(code: str):
    category = db.session.scalars(select(Category).where(Category.code == code)).first()
    if category is None:
        raise NotFound()
    entries = _report_entries(select(Report).where(Report.category_id == category.id))
    return _atom(_("New reports: %(category)s", category=category.name(current_language())), entries,
                 request.url, current_app.config["PUBLIC_BASE_URL"])


def _category_filter(query):
    code = request.args.get("category")
    if not code:
        return query
    category = db.session.scalars(select(Category).where(Category.code == code)).first()
    if category is None:
        raise ValidationError(fields={"category": _("unknown category")})
    return query.where(Report.category_id == category.id)


@bp.get("/feeds/area.atom")
def area_feed():
    errors: dict[str, str] = {}
    lat = _number(request.args, "lat", float, errors, _("the latitude must be a number"))
    lon = _number(request.args, "lon", float, errors, _("the longitude must be a number"))
    radius = _number(request.args, "radius", int, errors, _("the radius must be a whole number of metres")) or 500
    if lat is None or lon is None:
        errors.setdefault("lat", _("give lat and lon"))
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors["lat"] = _("the coordinates are not valid")
    if not rules.RADIUS_MIN_M <= radius <= rules.RADIUS_MAX_M:
        errors["radius"] = _("the radius must be between %(min)s and %(max)s metres",
                             min=rules.RADIUS_MIN_M, max=rules.RADIUS_MAX_M)
    if errors:
        raise ValidationError(fields=errors)
    center = func.Geography(func.ST_GeomFromText(point_element(lat, lon).data, 4326))  # type: ignore[arg-type]
    query = select(Report).where(func.ST_DWithin(func.Geography(Report.location), center, radius))
    entries = _report_entries(_category_filter(query))
    return _atom(_("New reports within %(radius)s m", radius=radius), entries, request.url,
                 current_app.config["PUBLIC_BASE_URL"])


@bp.get("/feeds/service-areas/<int:area_id>.atom")
def service_area_feed(area_id: int):
    area = db.session.get(ServiceArea, area_id)
    if area is None:
        raise NotFound()
    query = select(Report).where(select(ServiceArea.id).where(
        ServiceArea.id == area.id, func.ST_Covers(ServiceArea.geom, Report.location)).exists())
    entries = _report_entries(_category_filter(query))
    return _atom(_("New reports in %(name)s", name=area.name), entries, request.url,
                 current_app.config["PUBLIC_BASE_URL"])


# ---- development mail --------------------------------------------------------------------------

def _development_only() -> None:
    if current_app.config["ENV_NAME"] != "development":
        abort(404)


@bp.get("/dev/mail")
def dev_mail():
    _development_only()
    directory = mail_directory()
    files = sorted(directory.glob("*.eml"), reverse=True)[:200] if directory.is_dir() else []
    messages = []
    for path in files:
        with path.open("rb") as handle:
            parsed = email.message_from_binary_file(handle, policy=email.policy.default)
        messages.append({"name": path.name, "to": parsed["To"], "subject": parsed["Subject"], "date": parsed["Date"]})
    return render_template("notifications/dev_mail.html", messages=messages, directory=str(directory))


@bp.get("/dev/mail/<name>")
def dev_mail_message(name: str):
    _development_only()
    directory = mail_directory()
    path = directory / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        abort(404)
    if request.args.get("raw"):
        return Response(path.read_bytes(), mimetype="message/rfc822")
    with path.open("rb") as handle:
        parsed = email.message_from_binary_file(handle, policy=email.policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return render_template("notifications/dev_mail_message.html", name=name, message=parsed,
                           text=text_part.get_content() if text_part else "",
                           html=html_part.get_content() if html_part else "")
