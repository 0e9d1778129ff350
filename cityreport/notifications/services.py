"""Database work of the notifications: outbox rows, who hears of an event, subscriptions, feedback,
digests and retention. Functions flush and never commit: the request or the job does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from cityreport.core.contact import normalise_email
from cityreport.core.models import Outbox
from cityreport.core.outbox import add_outbox
from cityreport.departments.models import Category, Department
from cityreport.errors import AppError, NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import point_element
from cityreport.models_base import utcnow
from cityreport.notifications import rules
from cityreport.notifications.models import Feedback, Subscription
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.rules import FIXED, REOPEN_TO, is_closed
from cityreport.reports.services import (
    change_status,
    is_publicly_visible,
    publicly_visible,
    record_feedback_event,
)
from cityreport.routing.models import ServiceArea


def add_email(template: str, idempotency_key: str, *, enqueue: bool = True, **context: Any) -> int | None:
    """One e-mail to one recipient (a subscription or a department), rendered when it is sent."""
    return add_outbox("email", {"template": template, **context}, idempotency_key, enqueue=enqueue)


# ---- fan-out: who hears of a report event ----------------------------------------------------------

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

    def email(template: str, key: str, **context: Any) -> None:
        outbox_id = add_email(template, key, enqueue=False, **context)
        if outbox_id is not None:
            made.append((outbox_id, {"template": template, **context}))

    reporter = reporter_subscription(report)
    result.loaded.append(reporter)
    if (reporter is not None and reporter.active and report.reporter_email
            and rules.tells_reporter(kind, event.actor)):
        context: dict[str, Any] = {"subscription_id": reporter.id, "report_id": report.id, "event_id": event.id}
        if rules.asks_feedback(kind, event.to_status):
            context["feedback_id"] = create_feedback_request(report).id
        email("report_received" if kind == "created" else "report_update", f"email:{event.id}:sub:{reporter.id}",
              **context)
    if rules.tells_followers(kind):
        followers = db.session.scalars(select(Subscription).where(
            Subscription.report_id == report.id, Subscription.role == "follower",
            Subscription.confirmed_at.is_not(None), Subscription.unsubscribed_at.is_(None)))
        for sub in followers:
            result.loaded.append(sub)
            email("report_update", f"email:{event.id}:sub:{sub.id}", subscription_id=sub.id, report_id=report.id,
                  event_id=event.id)
    department = db.session.get(Department, report.department_id)
    if department is not None and rules.tells_department_now(kind, department.notify_mode, bool(department.email)):
        email("department_new_report", f"email:{event.id}:dept:{department.id}", department_id=department.id,
              report_id=report.id)
    return result


# ---- following a report or an area (double opt-in) ----------------------------------------------------

def _checked_email(raw: str | None) -> str:
    email = normalise_email(raw)
    if email is None:
        raise ValidationError(fields={"email": _("enter a valid e-mail address")})
    return email


def _ask_confirmation(sub: Subscription, now: datetime) -> bool:
    if sub.active:
        return False
    if sub.confirm_sent_at is not None and now - sub.confirm_sent_at < rules.CONFIRM_RESEND_AFTER \
            and sub.unsubscribed_at is None:
        return False  # one confirmation mail per address and target every few minutes, whoever asks
    sub.confirm_sent_at = now
    sub.confirmed_at = None
    sub.unsubscribed_at = None
    db.session.flush()
    add_email("confirm_subscription", f"confirm:{sub.id}:{int(now.timestamp())}", subscription_id=sub.id)
    return True


def follow_report(report, raw_email: str | None, locale: str) -> Subscription:
    email = _checked_email(raw_email)
    if not is_publicly_visible(report):
        raise NotFound()
    sub = db.session.scalars(select(Subscription).where(
        Subscription.report_id == report.id, Subscription.email == email)).first()
    if sub is None:
        sub = Subscription(email=email, kind="report", role="follower", report_id=report.id, locale=locale)
        db.session.add(sub)
        db.session.flush()
    _ask_confirmation(sub, utcnow())
    return sub


def follow_area(raw_email: str | None, locale: str, *, lat: float | None = None, lon: float | None = None,
                radius_m: int | None = None, service_area_id: int | None = None,
                category_id: int | None = None) -> Subscription:
    fields: dict[str, str] = {}
    email = normalise_email(raw_email)
    if email is None:
        fields["email"] = _("enter a valid e-mail address")
    if service_area_id is not None:
        if db.session.get(ServiceArea, service_area_id) is None:
            fields["area"] = _("choose one of the listed areas")
    elif lat is None or lon is None:
        fields["location"] = _("choose a place on the map or a named area")
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fields["location"] = _("the coordinates are not valid")
    if service_area_id is None and radius_m is not None and not (
            rules.RADIUS_MIN_M <= radius_m <= rules.RADIUS_MAX_M):
        fields["radius"] = _("the radius must be between %(min)s and %(max)s metres",
                             min=rules.RADIUS_MIN_M, max=rules.RADIUS_MAX_M)
    if category_id is not None and db.session.get(Category, category_id) is None:
        fields["category"] = _("choose one of the listed categories")
    if fields:
        raise ValidationError(fields=fields)
    assert email is not None
    query = select(Subscription).where(Subscription.kind == "area", Subscription.email == email,
                                       Subscription.category_id.is_(None) if category_id is None
                                       else Subscription.category_id == category_id)
    if service_area_id is not None:
        query = query.where(Subscription.service_area_id == service_area_id)
        values: dict[str, Any] = {"service_area_id": service_area_id}
    else:
        radius = radius_m or 500
        center = point_element(lat, lon)  # type: ignore[arg-type]
        query = query.where(Subscription.radius_m == radius,
                            func.ST_Equals(Subscription.center, func.ST_GeomFromText(center.data, 4326)))
        values = {"center": center, "radius_m": radius}
    sub = db.session.scalars(query).first()
    if sub is None:
        sub = Subscription(email=email, kind="area", role="follower", category_id=category_id, locale=locale,
                           **values)
        db.session.add(sub)
        db.session.flush()
    _ask_confirmation(sub, utcnow())
    return sub


def subscription_from_token(purpose: str, token: str) -> Subscription:
    sub_id = rules.verify(current_app.config["SECRET_KEY"], purpose, token)
    sub = db.session.get(Subscription, sub_id) if sub_id is not None else None
    if sub is None:
        raise NotFound(_("This link is not valid."))
    return sub


def confirm(token: str) -> Subscription:
    sub = subscription_from_token("confirm", token)
    if sub.unsubscribed_at is not None:
        raise AppError(_("You unsubscribed after this link was sent. Follow again to get a new link."),
                       status=410, code="unsubscribed")
    if sub.confirmed_at is None:
        sub.confirmed_at = utcnow()
        db.session.flush()
    return sub


def unsubscribe(token: str) -> Subscription:
    sub = subscription_from_token("unsubscribe", token)
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = utcnow()
        db.session.flush()
    return sub


def confirm_token(sub_id: int) -> str:
    return rules.sign(current_app.config["SECRET_KEY"], "confirm", sub_id)


def unsubscribe_token(sub_id: int) -> str:
    return rules.sign(current_app.config["SECRET_KEY"], "unsubscribe", sub_id)


# ---- feedback after a fix ---------------------------------------------------------------------------

def feedback_token(feedback_id: int) -> str:
    """Derived from SECRET_KEY, so the database keeps only its hash and a mail can be re-rendered."""
    return rules.sign(current_app.config["SECRET_KEY"], "feedback", feedback_id)


def create_feedback_request(report, now: datetime | None = None) -> Feedback:
    now = now or utcnow()
    feedback_id = db.session.execute(text("SELECT nextval(pg_get_serial_sequence('feedback', 'id'))")).scalar_one()
    feedback = Feedback(id=feedback_id, report_id=report.id, token_hash=rules.token_hash(feedback_token(feedback_id)),
                        requested_at=now, expires_at=now + rules.FEEDBACK_TTL)
    db.session.add(feedback)
    db.session.flush()
    return feedback


def feedback_for_token(token: str, *, lock: bool = False) -> Feedback:
    query = select(Feedback).where(Feedback.token_hash == rules.token_hash(token))
    if lock:
        query = query.with_for_update()
    feedback = db.session.scalars(query).first()
    if feedback is None:
        raise NotFound(_("This link is not valid."))
    return feedback


def check_usable(feedback: Feedback, now: datetime | None = None) -> None:
    if feedback.answer is not None:
        raise AppError(_("This question has already been answered. Thank you!"), status=410, code="feedback_used")
    if feedback.expires_at <= (now or utcnow()):
        raise AppError(_("This link has expired."), status=410, code="feedback_expired")


def parse_feedback(answer: Any, rating: Any, comment: Any) -> tuple[str, int | None, str | None]:
    fields: dict[str, str] = {}
    if answer not in rules.FEEDBACK_ANSWERS:
        fields["answer"] = _("choose yes, no or don't know")
    value: int | None = None
    if rating not in (None, ""):
        try:
            value = int(rating)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            fields["rating"] = _("the rating must be a whole number from 1 to 5")
    text_value = (comment or "").strip() if isinstance(comment, str | type(None)) else None
    if text_value is None:
        fields["comment"] = _("the comment must be text")
    elif len(text_value) > 2000:
        fields["comment"] = _("the comment must be at most 2000 characters")
    if fields:
        raise ValidationError(fields=fields)
    return answer, value, text_value or None


def answer_feedback(token: str, answer: Any, rating: Any = None, comment: Any = None, *,
                    report_id: int | None = None) -> Feedback:
    """Store the reporter's answer (once). "Not fixed" reopens the report and tells the department."""
    feedback = feedback_for_token(token, lock=True)
    if report_id is not None and feedback.report_id != report_id:
        raise NotFound(_("This link is not valid."))
    now = utcnow()
    check_usable(feedback, now)
    answer, value, text_value = parse_feedback(answer, rating, comment)
    feedback.answer, feedback.rating, feedback.comment, feedback.at = answer, value, text_value, now
    report = db.session.scalars(select(Report).where(Report.id == feedback.report_id)
                                .with_for_update(of=Report)).one()
    record_feedback_event(report, answer, at=now, comment=text_value)
    if answer == "not_fixed":
        if is_closed(report.status):
            change_status(report, REOPEN_TO, actor="reporter", at=now)
        if report.department is not None and report.department.email:
            add_email("department_not_fixed", f"not_fixed:{feedback.id}", department_id=report.department_id,
                      report_id=report.id, feedback_id=feedback.id)
    db.session.flush()
    return feedback


def due_feedback_reminders(now: datetime) -> int:
    """Reporters who have not answered in 14 days get one reminder."""

    rows = db.session.execute(select(Feedback, Subscription).join(Report, Report.id == Feedback.report_id)
                              .join(Subscription, and_(Subscription.report_id == Report.id,
                                                       Subscription.role == "reporter"))
                              .where(Feedback.answer.is_(None), Feedback.reminded_at.is_(None),
                                     Feedback.requested_at <= now - rules.FEEDBACK_REMINDER_AFTER,
                                     Feedback.expires_at > now, Report.status == FIXED,
                                     Report.reporter_email.is_not(None),
                                     Subscription.confirmed_at.is_not(None), Subscription.unsubscribed_at.is_(None))
                              .with_for_update(of=Feedback, skip_locked=True)).all()
    for feedback, sub in rows:
        feedback.reminded_at = now
        add_email("feedback_reminder", f"feedback_reminder:{feedback.id}", subscription_id=sub.id,
                  report_id=feedback.report_id, feedback_id=feedback.id)
    db.session.flush()
    return len(rows)


# ---- digests ----------------------------------------------------------------------------------------

def _public_reports():
    return select(Report.id).where(publicly_visible())


def area_digest_report_ids(sub: Subscription, window: rules.Window) -> list[int]:
    query = _public_reports().where(Report.created_at >= window.start, Report.created_at < window.end)
    if sub.category_id is not None:
        query = query.where(Report.category_id == sub.category_id)
    if sub.service_area_id is not None:
        query = query.where(select(ServiceArea.id).where(ServiceArea.id == sub.service_area_id,
                                                         func.ST_Covers(ServiceArea.geom, Report.location)).exists())
    else:
        center = select(Subscription.center).where(Subscription.id == sub.id).scalar_subquery()
        query = query.where(func.ST_DWithin(func.Geography(Report.location), func.Geography(center), sub.radius_m))
    return list(db.session.scalars(query.order_by(Report.id).limit(200)))


def queue_area_digests(window: rules.Window) -> int:
    subs = db.session.scalars(select(Subscription).where(
        Subscription.kind == "area", Subscription.confirmed_at.is_not(None), Subscription.unsubscribed_at.is_(None)))
    made = 0
    for sub in subs:
        ids = area_digest_report_ids(sub, window)
        if ids:
            made += add_email("area_digest", f"area_digest:{sub.id}:{window.day.isoformat()}",
                              subscription_id=sub.id, report_ids=ids, day=window.day.isoformat()) is not None
    db.session.flush()
    return made


def queue_department_digests(window: rules.Window) -> int:
    rows = db.session.execute(
        select(Department.id, func.array_agg(Report.id)).join(Report, Report.department_id == Department.id)
        .where(Department.notify_mode == "daily", Department.email.is_not(None), Department.active.is_(True),
               Report.created_at >= window.start, Report.created_at < window.end)
        .group_by(Department.id)).all()
    made = 0
    for department_id, ids in rows:
        made += add_email("department_digest", f"dept_digest:{department_id}:{window.day.isoformat()}",
                          department_id=department_id, report_ids=sorted(ids)[:500],
                          day=window.day.isoformat(), total=len(ids)) is not None
    db.session.flush()
    return made


# ---- retention --------------------------------------------------------------------------------------

def erase_expired_contacts(now: datetime, months: int, batch: int = 500) -> int:
    """Erase reporters' contact details from reports closed more than ``months`` ago; log each erasure.

    The report, its timeline and the statistics stay. Followers of such reports and sent outbox rows
    past the same age (they name recipients) go too.
    """

    cutoff = now - relativedelta(months=months)
    ids = list(db.session.scalars(select(Report.id).where(
        Report.closed_at < cutoff,
        or_(Report.reporter_name.is_not(None), Report.reporter_email.is_not(None),
            Report.reporter_phone.is_not(None))).order_by(Report.id).limit(batch).with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(Report).where(Report.id.in_(ids)).values(
            reporter_name=None, reporter_email=None, reporter_phone=None, version=Report.version + 1)
            .execution_options(synchronize_session=False))
        db.session.execute(insert(ReportEvent), [
            {"report_id": rid, "at": now, "actor": "system", "kind": "erased",
             "internal_text": f"reporter contact details erased {months} months after closing"} for rid in ids])
        db.session.execute(delete(Subscription).where(Subscription.report_id.in_(ids)))
    db.session.execute(delete(Outbox).where(or_(Outbox.sent_at < cutoff, Outbox.failed_at < cutoff)))
    db.session.flush()
    return len(ids)

