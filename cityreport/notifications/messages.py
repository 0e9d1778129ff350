"""Rendering an outbox e-mail row into a message: text and HTML parts, in the recipient's language.

Rows carry ids, not addresses or text: the message is rendered when it is sent, so an unsubscribe
in between is honoured and the outbox holds as little personal data as possible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.notifications import subscriptions
from cityreport.notifications.feedback import feedback_token
from cityreport.notifications.mail import build_message
from cityreport.notifications.models import Feedback, Subscription
from cityreport.notifications.rules import FEEDBACK_ANSWERS, Template
from cityreport.reports.labels import status_label
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.rules import EVENT_DUPLICATE, is_closed
from cityreport.routing.models import ServiceArea


def public_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def report_url(report_id: int) -> str:
    return public_url(f"/reports/{report_id}")


class UnknownTemplate(ValueError):
    """A stored row names a template there is no longer: retrying cannot help."""


@dataclass
class Rendered:
    to: str | None
    message: EmailMessage | None
    skipped: str | None = None


def _skip(reason: str) -> Rendered:
    return Rendered(to=None, message=None, skipped=reason)


def render_context():
    """A request context on PUBLIC_BASE_URL, so that url_for(_external=True) gives the public links."""
    return current_app.test_request_context("/", base_url=current_app.config["PUBLIC_BASE_URL"])


def compose(outbox_id: int, payload: dict[str, Any]) -> Rendered:
    """The message for an `email` outbox row, or the reason there is none to send any more."""
    if not has_request_context():
        with render_context():
            return compose(outbox_id, payload)
    try:
        template = Template(payload["template"])
    except ValueError:
        raise UnknownTemplate(f"unknown e-mail template {payload['template']!r}") from None
    recipient, locale, sub = _recipient(payload, template)
    if recipient is None:
        return _skip("recipient gone or unsubscribed")
    with force_locale(locale):
        context = _context(template, payload, sub)
        if context is None:
            return _skip("subject of the message gone")
        unsubscribe_url = (url_for("notifications_links.unsubscribe", token=subscriptions.unsubscribe_token(sub.id),
                                   _external=True) if sub is not None else None)
        context.update(unsubscribe_url=unsubscribe_url, locale=locale, base_url=public_url("/"))
        subject = str(context.pop("subject"))
        text = render_template(f"email/{template}.txt", subject=subject, **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    message = build_message(to=recipient, subject=subject, text=text, html=html,
                            message_id=f"cityreport-outbox-{outbox_id}", unsubscribe_url=unsubscribe_url)
    return Rendered(to=recipient, message=message)


def _recipient(payload: dict[str, Any], template: Template) -> tuple[str | None, str, Subscription | None]:
    if "subscription_id" in payload:
        sub = db.session.get(Subscription, payload["subscription_id"])
        if sub is None or sub.unsubscribed_at is not None:
            return None, "ro", None
        if template is Template.CONFIRM_SUBSCRIPTION:
            if sub.confirmed_at is not None:
                return None, "ro", None
        elif sub.confirmed_at is None:
            return None, "ro", None
        return sub.email, sub.locale or current_app.config["DEFAULT_LOCALE"], sub
    department = db.session.get(Department, payload.get("department_id"))
    if department is None or not department.email:
        return None, "ro", None
    return department.email, current_app.config["DEFAULT_LOCALE"], None


def _report(report_id: int | None):
    return db.session.get(Report, report_id) if report_id is not None else None


def _report_item(report, locale: str) -> dict[str, Any]:
    return {"id": report.id, "category": report.category.name(locale), "address": report.address,
            "description": report.description, "status": status_label(report.status), "url": report_url(report.id),
            "created_at": report.created_at}


# Each template's context: given the row's payload, its subscription (None for a department) and report (None
# when the row names none), the values its .txt and .html render, with the subject; None when the message
# has nothing left to say (its subject is gone, or the question was answered meanwhile).
Context = dict[str, Any] | None


def _report_received(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    return {"subject": _("Report #%(id)s received", id=report.id), "report": _report_item(report, locale)}


def _report_update(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    event = db.session.get(ReportEvent, payload["event_id"])
    if event is None:
        return None
    context: dict[str, Any] = {"report": _report_item(report, locale), "role": sub.role if sub else "follower",
                               "kind": event.kind, "public_text": event.public_text,
                               "status": status_label(event.to_status),
                               "closed": bool(event.to_status and is_closed(event.to_status)),
                               "duplicate_of": (report_url(report.duplicate_of_id)
                                                if event.kind == EVENT_DUPLICATE and report.duplicate_of_id else None)}
    if event.kind == "note":
        context["subject"] = _("New update on report #%(id)s", id=report.id)
    elif event.kind == EVENT_DUPLICATE:
        context["subject"] = _("Report #%(id)s closed as a duplicate", id=report.id)
    elif event.kind == "reopened":
        context["subject"] = _("Report #%(id)s was reopened", id=report.id)
    elif context["closed"]:
        context["subject"] = _("Report #%(id)s closed: %(status)s", id=report.id, status=context["status"])
    else:
        context["subject"] = _("Report #%(id)s is now: %(status)s", id=report.id, status=context["status"])
    if payload.get("feedback_id"):
        context["feedback"] = _feedback_links(payload["feedback_id"])
    return context


def _feedback_reminder(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    feedback = db.session.get(Feedback, payload["feedback_id"])
    if feedback is None or feedback.answer is not None:
        return None
    return {"subject": _("Reminder: is report #%(id)s really fixed?", id=report.id),
            "report": _report_item(report, locale), "feedback": _feedback_links(payload["feedback_id"])}


def _confirm_subscription(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    assert sub is not None
    return {"subject": _("Please confirm: e-mail updates from CityReport"),
            "confirm_url": url_for("notifications_links.confirm", token=subscriptions.confirm_token(sub.id),
                                   _external=True),
            "target": _describe(sub, locale)}


def _area_digest(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    assert sub is not None
    reports = _reports(payload["report_ids"], locale)
    if not reports:
        return None
    return {"subject": ngettext("%(num)s new report in the area you follow",
                                "%(num)s new reports in the area you follow", len(reports)),
            "reports": reports, "target": _describe(sub, locale), "day": payload["day"]}


def _department_new_report(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    return {"subject": _("New report #%(id)s: %(category)s", id=report.id, category=report.category.name(locale)),
            "report": _report_item(report, locale), "staff_url": public_url("/staff/")}


def _department_digest(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    reports = _reports(payload["report_ids"], locale)
    total = payload.get("total", len(reports))
    return {"subject": ngettext("%(num)s new report on %(day)s", "%(num)s new reports on %(day)s", total,
                                day=payload["day"]),
            "reports": reports, "total": total, "day": payload["day"], "staff_url": public_url("/staff/")}


def _department_not_fixed(payload: dict[str, Any], sub: Subscription | None, report: Any, locale: str) -> Context:
    feedback = db.session.get(Feedback, payload["feedback_id"])
    if feedback is None:
        return None
    return {"subject": _("Report #%(id)s reopened: the reporter says it is not fixed", id=report.id),
            "report": _report_item(report, locale), "rating": feedback.rating, "comment": feedback.comment,
            "staff_url": public_url("/staff/")}


CONTEXTS: dict[Template, Callable[[dict[str, Any], Subscription | None, Any, str], Context]] = {
    Template.REPORT_RECEIVED: _report_received,
    Template.REPORT_UPDATE: _report_update,
    Template.FEEDBACK_REMINDER: _feedback_reminder,
    Template.CONFIRM_SUBSCRIPTION: _confirm_subscription,
    Template.AREA_DIGEST: _area_digest,
    Template.DEPARTMENT_NEW_REPORT: _department_new_report,
    Template.DEPARTMENT_DIGEST: _department_digest,
    Template.DEPARTMENT_NOT_FIXED: _department_not_fixed,
}
if set(CONTEXTS) != set(Template):
    raise RuntimeError("every e-mail template needs its context")  # fails at import, not at send time


def _context(template: Template, payload: dict[str, Any], sub: Subscription | None) -> Context:
    locale = sub.locale if sub is not None else current_app.config["DEFAULT_LOCALE"]
    report = _report(payload.get("report_id"))
    if payload.get("report_id") is not None and report is None:
        return None
    return CONTEXTS[template](payload, sub, report, locale)


def _reports(ids: list[int], locale: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.id))
    return [_report_item(report, locale) for report in rows]


def _feedback_links(feedback_id: int) -> dict[str, str]:
    token = feedback_token(feedback_id)
    base = url_for("notifications.feedback_page", token=token, _external=True)
    return {"page": base, **{answer: f"{base}?answer={answer}" for answer in FEEDBACK_ANSWERS}}


def _describe(sub: Subscription, locale: str) -> str:
    """What a subscription is for, in words."""
    if sub.kind == "report":
        return _("report #%(id)s", id=sub.report_id)
    category = db.session.get(Category, sub.category_id) if sub.category_id else None
    if sub.service_area_id:
        area = db.session.get(ServiceArea, sub.service_area_id)
        where = _("the area %(name)s", name=area.name if area else "?")
    else:
        where = _("within %(radius)s m of the place you chose", radius=sub.radius_m)
    if category is not None:
        return _("new reports of %(category)s %(where)s", category=category.name(locale), where=where)
    return _("new reports %(where)s", where=where)
