"""Pages of the notifications: follow forms, feedback after a fix, Atom feeds, development mail."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from cityreport.core.inputs import read
from cityreport.core.transaction import commits
from cityreport.errors import AppError, NotFound, ValidationError
from cityreport.extensions import limiter
from cityreport.i18n import current_language
from cityreport.notifications import feedback, feeds, schemas, subscriptions
from cityreport.notifications.mail import mail_directory
from cityreport.notifications.rules import ANSWER_NOT_FIXED
from cityreport.reports import public as public_reports
from cityreport.reports import services as reports
from cityreport.reports.labels import status_label
from cityreport.reports.models import Report

bp = Blueprint("notifications", __name__)

def _public_report(report_id: int) -> Report:
    report = public_reports.public_report_or_none(report_id)
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
    form = read(schemas.FollowReportForm, request.form)
    subscriptions.follow_report(report, form.email, current_language())
    return render_template("notifications/check_inbox.html", back_url=f"/reports/{report.id}")


def _follow_area_page(values, errors: dict[str, str]):
    return render_template("notifications/follow_area.html", categories=subscriptions.categories_to_follow(),
                           areas=subscriptions.areas_to_follow(), values=values, errors=errors,
                           lang=current_language()), 422 if errors else 200


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
    subscriptions.follow_area(read(schemas.FollowAreaForm, request.form), current_language())
    return render_template("notifications/check_inbox.html", back_url=url_for("reports.home"))


# ---- feedback after a fix ------------------------------------------------------------------------

def _feedback_page(token: str, values, errors: dict[str, str]):
    record = feedback.feedback_for_token(token)
    report = reports.report_by_id(record.report_id)
    try:
        feedback.check_usable(record)
    except AppError as exc:
        return render_template("notifications/feedback_done.html", message=exc.message, report=report), exc.status
    return render_template("notifications/feedback.html", report=report, values=values, errors=errors,
                           category=report.category.name(current_language())), 422 if errors else 200


@bp.get("/feedback/<token>")
def feedback_page(token: str):
    return _feedback_page(token, request.args, {})


def _refused_feedback(exc: AppError, token: str):
    if isinstance(exc, ValidationError):
        return _feedback_page(token, request.form, exc.fields)
    report = reports.report_by_id(feedback.feedback_for_token(token).report_id)
    return render_template("notifications/feedback_done.html", message=exc.message, report=report), exc.status


@bp.post("/feedback/<token>")
@commits(refused=_refused_feedback)
def feedback_answer(token: str):
    record = feedback.feedback_for_token(token)
    feedback.check_usable(record)  # a used or expired link says so before the form is read
    answered = feedback.answer_feedback(token, read(schemas.FeedbackAnswer, request.form))
    message = (_("Thank you. We have reopened the report and told the department.")
               if answered.answer == ANSWER_NOT_FIXED else _("Thank you for your answer."))
    return render_template("notifications/feedback_done.html", message=message,
                           report=reports.report_by_id(answered.report_id))


# ---- Atom feeds ----------------------------------------------------------------------------------

def _atom(title: str, entries: list[dict], self_url: str, alternate: str) -> Response:
    updated = max((entry["updated"] for entry in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    body = render_template("notifications/feed.xml", title=title, entries=entries, self_url=self_url,
                           alternate=alternate, updated=updated, feed_id=self_url)
    return Response(body, mimetype="application/atom+xml")


def _report_entries(found: list[Report]) -> list[dict]:
    lang = current_language()
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
    events = public_reports.public_events_of(report.id, newest_first=True, limit=feeds.FEED_SIZE)
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
    category = feeds.category_by_code(code)
    return _atom(_("New reports: %(category)s", category=category.name(current_language())),
                 _report_entries(feeds.of_category(category)), request.url, current_app.config["PUBLIC_BASE_URL"])


@bp.get("/feeds/area.atom")
def area_feed():
    query = read(schemas.AreaFeedQuery, request.args)
    found = feeds.near(query.lat, query.lon, query.radius, query.category)
    return _atom(_("New reports within %(radius)s m", radius=query.radius or feeds.DEFAULT_RADIUS_M),
                 _report_entries(found), request.url, current_app.config["PUBLIC_BASE_URL"])


@bp.get("/feeds/service-areas/<int:area_id>.atom")
def service_area_feed(area_id: int):
    area = feeds.area_or_404(area_id)
    query = read(schemas.AreaFeedQuery, request.args)
    return _atom(_("New reports in %(name)s", name=area.name), _report_entries(feeds.in_area(area, query.category)),
                 request.url, current_app.config["PUBLIC_BASE_URL"])


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
