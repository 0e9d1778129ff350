"""Who hears of a report event: the reporter, the followers of the report, and the department when it wants
every new report at once. One outbox e-mail row per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from cityreport.core.contact import normalise_email
from cityreport.departments.models import Department
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import rules
from cityreport.notifications.emails import add_email
from cityreport.notifications.feedback import create_feedback_request
from cityreport.notifications.models import Subscription
from cityreport.notifications.rules import Template
from cityreport.reports.models import Report, ReportEvent


def reporter_subscription(report) -> Subscription | None:
    """The reporter's own (confirmed) subscription, made on first need if they gave an e-mail."""
    if not report.reporter_email:
        return None
    sub = db.session.scalars(select(Subscription).where(
        Subscription.report_id == report.id, Subscription.role == "reporter")).first()
    if sub is None:
        email = normalise_email(report.reporter_email)
        if email is None:
            return None
        now = utcnow()
        sub = Subscription(email=email, kind="report", role="reporter", report_id=report.id,
                           locale=report.locale or "ro", created_at=now, confirmed_at=now)
        db.session.add(sub)
        db.session.flush()
    return sub


@dataclass
class FanOut:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Strong references: the session's identity map is weak, and rendering the rows right after
    # would otherwise load the report and the subscriptions again.
    loaded: list[Any] = field(default_factory=list)


def fan_out_report_event(payload: dict[str, Any]) -> FanOut:
    """Turn one report event into one outbox e-mail per recipient; returns the rows made.

    The rows are not enqueued: the job that fans out sends them itself right after its commit.
    """
    found = db.session.execute(select(Report, ReportEvent).join(ReportEvent, ReportEvent.report_id == Report.id)
                               .where(Report.id == payload["report_id"], ReportEvent.id == payload["event_id"])).first()
    result = FanOut()
    if found is None:
        return result
    report, event = found
    kind = payload["event_kind"]
    made = result.rows
    result.loaded += [report, event]

    def email(template: Template, key: str, **context: Any) -> None:
        outbox_id = add_email(template, key, enqueue=False, **context)
        if outbox_id is not None:
            made.append((outbox_id, {"template": template.value, **context}))

    reporter = reporter_subscription(report)
    result.loaded.append(reporter)
    if (reporter is not None and reporter.active and report.reporter_email
            and rules.tells_reporter(kind, event.actor)):
        context: dict[str, Any] = {"subscription_id": reporter.id, "report_id": report.id, "event_id": event.id}
        if rules.asks_feedback(kind, event.to_status):
            context["feedback_id"] = create_feedback_request(report).id
        email(Template.REPORT_RECEIVED if kind == "created" else Template.REPORT_UPDATE, f"email:{event.id}:sub:{reporter.id}",
              **context)
    if rules.tells_followers(kind):
        followers = db.session.scalars(select(Subscription).where(
            Subscription.report_id == report.id, Subscription.role == "follower",
            Subscription.confirmed_at.is_not(None), Subscription.unsubscribed_at.is_(None)))
        for sub in followers:
            result.loaded.append(sub)
            email(Template.REPORT_UPDATE, f"email:{event.id}:sub:{sub.id}", subscription_id=sub.id, report_id=report.id,
                  event_id=event.id)
    department = db.session.get(Department, report.department_id)
    if department is not None and rules.tells_department_now(kind, department.notify_mode, bool(department.email)):
        email(Template.DEPARTMENT_NEW_REPORT, f"email:{event.id}:dept:{department.id}", department_id=department.id,
              report_id=report.id)
    return result
