"""The daily digests: new reports in the areas people follow, and each department's new reports of the day."""

from __future__ import annotations

from sqlalchemy import func, select

from cityreport.departments.models import Department
from cityreport.extensions import db
from cityreport.notifications import rules
from cityreport.notifications.emails import add_email
from cityreport.notifications.models import Subscription
from cityreport.notifications.rules import Template
from cityreport.reports.models import Report
from cityreport.reports.public import publicly_visible
from cityreport.routing.models import ServiceArea


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
            made += add_email(Template.AREA_DIGEST, f"area_digest:{sub.id}:{window.day.isoformat()}",
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
        made += add_email(Template.DEPARTMENT_DIGEST, f"dept_digest:{department_id}:{window.day.isoformat()}",
                          department_id=department_id, report_ids=sorted(ids)[:500],
                          day=window.day.isoformat(), total=len(ids)) is not None
    db.session.flush()
    return made
