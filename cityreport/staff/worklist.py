"""The staff queue (the clerk's work list): one keyset page of a department's reports (or the city's), the counts per status, the
same filter as map points, and the small lookup tables the pages label rows with.

Read-only; never OFFSET, so page 1000 costs what page 1 does (bench/staff_queue.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    case,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    values,
)

from cityreport.core.permissions import can
from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.reports import rules as report_rules
from cityreport.reports.models import Report
from cityreport.routing.models import ServiceArea, ServiceAreaPiece
from cityreport.staff import rules
from cityreport.staff.models import StaffUser
from cityreport.staff.schemas import QueueFilter


def due_expression():
    """SQL twin of rules.due_at: new reports are due for acknowledgement, open ones for resolution."""
    # Hours, not days: "+ 1 day" on a timestamptz follows daylight saving in the session's zone,
    # while the rule (and the keyset arithmetic below) counts exact 24-hour days.
    return Report.created_at + case(
        (Report.status == report_rules.NEW, func.make_interval(0, 0, 0, 0, Category.ack_target_hours)),
        else_=func.make_interval(0, 0, 0, 0, Category.resolve_target_days * 24))


@dataclass(frozen=True)
class QueueRow:
    id: int
    status: str
    created_at: datetime
    category_id: int
    department_id: int
    address: str | None
    excerpt: str
    version: int
    due_at: datetime
    overdue_by: timedelta | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def queue_department(user: StaffUser, wanted: QueueFilter) -> int | None:
    """Whose reports the queue shows: one's own department, or any (None: all) for a city admin."""
    if can(user, "view_all_departments"):
        return wanted.department_id
    return user.department_id


def _conditions(user: StaffUser, wanted: QueueFilter, now: datetime) -> tuple[list[Any], bool]:
    """The WHERE terms except status and cursor, and whether they need the categories join."""
    terms: list[Any] = []
    needs_category = False
    department_id = queue_department(user, wanted)
    if department_id is not None:
        terms.append(Report.department_id == department_id)
    if wanted.category_id is not None:
        terms.append(Report.category_id == wanted.category_id)
    if wanted.age_days is not None:
        terms.append(Report.created_at < now - timedelta(days=wanted.age_days))
    if wanted.area_id is not None:
        terms.append(exists().where(ServiceAreaPiece.service_area_id == wanted.area_id,
                                    func.ST_Covers(ServiceAreaPiece.geom, Report.location)))
    if wanted.overdue:
        needs_category = True
        terms.append(Report.status.in_(report_rules.OPEN_STATUSES))
        terms.append(due_expression() < now)
    if wanted.text:
        pattern = "%" + wanted.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        text_terms = [Report.description.ilike(pattern), Report.address.ilike(pattern)]
        number = wanted.text.removeprefix("#")
        if number.isdigit() and len(number) < 18:
            text_terms.append(Report.id == int(number))
        terms.append(or_(*text_terms))
    return terms, needs_category


def _sort(wanted: QueueFilter):
    if wanted.sort == "overdue":
        key = due_expression()
        return key, (key.asc(), Report.id.asc()), False
    if wanted.sort == "newest":
        return Report.created_at, (Report.created_at.desc(), Report.id.desc()), True
    return Report.created_at, (Report.created_at.asc(), Report.id.asc()), False


def _page_columns(due):
    return (Report.id, Report.status, Report.created_at, Report.category_id, Report.department_id, Report.address,
            func.left(Report.description, 160).label("excerpt"), Report.version, due.label("due_at"))


def _due_groups(wanted: QueueFilter, statuses: Sequence[str]):
    """One row per (category, open status) with the interval from creation to due."""
    status_rows = values(column("status", String), name="wanted_statuses").data([(s,) for s in statuses])
    offset = case((status_rows.c.status == report_rules.NEW,
                   func.make_interval(0, 0, 0, 0, Category.ack_target_hours)),
                  else_=func.make_interval(0, 0, 0, 0, Category.resolve_target_days * 24))
    groups = select(Category.id.label("category_id"), status_rows.c.status, offset.label("due_after")) \
        .select_from(Category).join(status_rows, true())
    if wanted.category_id is not None:
        groups = groups.where(Category.id == wanted.category_id)
    return groups.subquery("groups")


def _in_group(groups) -> tuple[Any, ...]:
    # The explicit open-status list lets the planner prove the partial indexes apply; the
    # per-group status alone is a parameter it cannot reason about.
    return (Report.status.in_(report_rules.OPEN_STATUSES), Report.category_id == groups.c.category_id,
            Report.status == groups.c.status)


def _most_overdue_statement(user: StaffUser, wanted: QueueFilter, *, now: datetime, limit: int):
    """Most overdue first without sorting every open report.

    Within one category and one status the due time is created_at plus a constant, so each
    (category, status) group is already in due order in the index on created_at. A LATERAL join
    takes the first ``limit`` rows of every group straight from the index (the keyset cursor
    shifted by the group's constant), and only those few are merged and sorted.
    """
    terms, _needs = _conditions(user, replace(wanted, overdue=False), now)
    groups = _due_groups(wanted, wanted.statuses)
    page = select(*_page_columns(Report.created_at + groups.c.due_after)).where(*terms, *_in_group(groups))
    if wanted.overdue:
        page = page.where(Report.created_at < literal(now, DateTime(timezone=True)) - groups.c.due_after)
    if wanted.cursor is not None:
        after_due, after_id = wanted.cursor
        page = page.where(tuple_(Report.created_at, Report.id)
                          > tuple_(literal(after_due, DateTime(timezone=True)) - groups.c.due_after, after_id))
    page = page.order_by(Report.created_at, Report.id).limit(limit).lateral("group_page")
    return (select(*page.c).select_from(groups).join(page, true())
            .order_by(page.c.due_at, page.c.id).limit(limit))


def queue_statement(user: StaffUser, wanted: QueueFilter, *, now: datetime, limit: int = rules.PAGE_SIZE):
    """One keyset page of the queue: never OFFSET, so page 1000 costs what page 1 does."""
    if wanted.sort == "overdue" and set(wanted.statuses) <= set(report_rules.OPEN_STATUSES):
        return _most_overdue_statement(user, wanted, now=now, limit=limit)
    terms, _needs_category = _conditions(user, wanted, now)
    key, order, descending = _sort(wanted)
    due = due_expression()
    stmt = (select(*_page_columns(due))
            .join(Category, Category.id == Report.category_id)
            .where(*terms, Report.status.in_(wanted.statuses)))
    if wanted.cursor is not None:
        after_key, after_id = wanted.cursor
        position = tuple_(key, Report.id)
        stmt = stmt.where(position < tuple_(after_key, after_id) if descending else position > tuple_(after_key, after_id))
    return stmt.order_by(*order).limit(limit)


def queue_page(user: StaffUser, wanted: QueueFilter, *, now: datetime | None = None,
               with_counts: bool = True) -> QueuePage:
    now = now or utcnow()
    rows = db.session.execute(queue_statement(user, wanted, now=now, limit=rules.PAGE_SIZE + 1)).all()
    more = len(rows) > rules.PAGE_SIZE
    rows = rows[:rules.PAGE_SIZE]
    items = [QueueRow(id=r.id, status=r.status, created_at=r.created_at, category_id=r.category_id,
                      department_id=r.department_id, address=r.address, excerpt=r.excerpt, version=r.version,
                      due_at=r.due_at, overdue_by=rules.overdue_by(r.status, r.due_at, now)) for r in rows]
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = report_rules.encode_cursor(wanted.sort, last.due_at if wanted.sort == "overdue" else last.created_at,
                                          last.id)
    page = QueuePage(rows=items, next_cursor=next_cursor)
    if with_counts:
        page.counts = status_counts(user, wanted, now=now)
    return page


def status_counts(user: StaffUser, wanted: QueueFilter, *, now: datetime) -> dict[str, int]:
    """Reports per status under the filter's other terms, so the status tabs say what each would show.

    A view of open reports counts the open statuses only: years of closed reports would make the
    count read ten times the index entries of the page itself (see bench/queue.py).
    """
    counted = report_rules.OPEN_STATUSES if set(wanted.statuses) <= set(report_rules.OPEN_STATUSES) \
        else report_rules.STATUSES
    if wanted.overdue:
        return _overdue_counts(user, wanted, now=now)
    terms, needs_category = _conditions(user, wanted, now)
    stmt = select(Report.status, func.count()).where(*terms, Report.status.in_(counted)).group_by(Report.status)
    if needs_category:
        stmt = stmt.join(Category, Category.id == Report.category_id)
    counts = dict.fromkeys(counted, 0)
    counts.update({status: n for status, n in db.session.execute(stmt)})
    return counts


def _overdue_counts(user: StaffUser, wanted: QueueFilter, *, now: datetime) -> dict[str, int]:
    """Overdue reports per open status: per (category, status) group an index range count
    (created before now minus the group's interval) instead of every open report's due time."""
    terms, _needs = _conditions(user, replace(wanted, overdue=False), now)
    groups = _due_groups(wanted, report_rules.OPEN_STATUSES)
    per_group = (select(func.count().label("n")).select_from(Report)
                 .where(*terms, *_in_group(groups),
                        Report.created_at < literal(now, DateTime(timezone=True)) - groups.c.due_after)
                 .lateral("group_count"))
    stmt = (select(groups.c.status, func.sum(per_group.c.n)).select_from(groups).join(per_group, true())
            .group_by(groups.c.status))
    counts = dict.fromkeys(report_rules.OPEN_STATUSES, 0)
    counts.update({status: int(n or 0) for status, n in db.session.execute(stmt)})
    return counts


MAP_LIMIT = 2000


def queue_features(user: StaffUser, wanted: QueueFilter, *, now: datetime | None = None) -> dict[str, Any]:
    """The same filter as a GeoJSON FeatureCollection for the queue map (at most MAP_LIMIT points)."""
    now = now or utcnow()
    terms, _needs = _conditions(user, wanted, now)
    _key, order, _desc = _sort(wanted)
    due = due_expression()
    stmt = (select(Report.id, Report.status, Report.category_id, Report.created_at, due.label("due_at"),
                   func.ST_X(Report.location).label("lon"), func.ST_Y(Report.location).label("lat"),
                   func.left(Report.description, 80).label("excerpt"))
            .join(Category, Category.id == Report.category_id)
            .where(*terms, Report.status.in_(wanted.statuses)).order_by(*order).limit(MAP_LIMIT))
    features = [{"type": "Feature", "id": r.id,
                 "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
                 "properties": {"id": r.id, "status": r.status, "category_id": r.category_id,
                                "overdue": rules.is_overdue(r.status, r.due_at, now), "excerpt": r.excerpt}}
                for r in db.session.execute(stmt)]
    return {"type": "FeatureCollection", "features": features, "truncated": len(features) >= MAP_LIMIT}


def lookups() -> dict[str, Any]:
    """The small tables every staff page labels rows with, loaded once per request (no N+1)."""
    categories = list(db.session.scalars(select(Category).order_by(Category.group_ro, Category.name_ro)))
    department_rows = list(db.session.scalars(select(Department).order_by(Department.name_ro)))
    areas = db.session.execute(select(ServiceArea.id, ServiceArea.name, ServiceArea.department_id)
                               .order_by(ServiceArea.name)).all()
    return {"categories": {c.id: c for c in categories}, "departments": {d.id: d for d in department_rows},
            "areas": areas}
