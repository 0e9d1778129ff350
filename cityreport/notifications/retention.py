"""Retention: reporters' contact details are erased RETENTION_MONTHS after their report was closed."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from cityreport.core.models import Outbox
from cityreport.extensions import db
from cityreport.notifications.models import Subscription
from cityreport.reports.models import Report, ReportEvent


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
