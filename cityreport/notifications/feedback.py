"""Feedback after a fix: the "is it really fixed?" question, the reporter's answer (once), and the reminder.

Functions flush and never commit: the request or the job does.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, select, text

from cityreport.errors import AppError, NotFound
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.notifications import rules
from cityreport.notifications.emails import add_email
from cityreport.notifications.models import Feedback, Subscription
from cityreport.notifications.rules import Template
from cityreport.notifications.schemas import FeedbackAnswer
from cityreport.reports.models import Report
from cityreport.reports.rules import FIXED, REOPEN_TO, is_closed
from cityreport.reports.services import change_status, record_feedback_event


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


def answer_feedback(token: str, given: FeedbackAnswer, *, report_id: int | None = None) -> Feedback:
    """Store the reporter's answer (once). "Not fixed" reopens the report and tells the department."""
    feedback = feedback_for_token(token, lock=True)
    if report_id is not None and feedback.report_id != report_id:
        raise NotFound(_("This link is not valid."))
    now = utcnow()
    check_usable(feedback, now)
    answer, value, text_value = given.answer, given.rating, given.comment
    feedback.answer, feedback.rating, feedback.comment, feedback.at = answer, value, text_value, now
    report = db.session.scalars(select(Report).where(Report.id == feedback.report_id)
                                .with_for_update(of=Report)).one()
    record_feedback_event(report, answer, at=now, comment=text_value)
    if answer == rules.ANSWER_NOT_FIXED:
        if is_closed(report.status):
            change_status(report, REOPEN_TO, actor="reporter", at=now)
        if report.department is not None and report.department.email:
            add_email(Template.DEPARTMENT_NOT_FIXED, f"not_fixed:{feedback.id}", department_id=report.department_id,
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
        add_email(Template.FEEDBACK_REMINDER, f"feedback_reminder:{feedback.id}", subscription_id=sub.id,
                  report_id=feedback.report_id, feedback_id=feedback.id)
    db.session.flush()
    return len(rows)
