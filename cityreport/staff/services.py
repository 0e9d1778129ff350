"""Database and Redis work behind the staff pages: sign-in throttling, the queue, triage actions.

Functions flush and never commit; the request commits once.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from redis.exceptions import RedisError
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
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from cityreport.departments import services as departments
from cityreport.departments.models import Category, Department, StaffUser
from cityreport.errors import Conflict, ValidationError
from cityreport.extensions import db
from cityreport.geo import latlon
from cityreport.models_base import upsert, utcnow
from cityreport.queue import get_redis
from cityreport.reports import rules as report_rules
from cityreport.reports import services as reports
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing.models import ServiceArea, ServiceAreaPiece
from cityreport.staff import rules
from cityreport.staff.models import ResponseTemplate
from cityreport.staff.schemas import QueueFilter

log = logging.getLogger(__name__)

# ---- sign-in -----------------------------------------------------------------------------------

THROTTLE = rules.ThrottlePolicy()
_KEY = "cityreport:login-failures"


@cache
def _dummy_hash() -> str:
    # Verifying against this when the e-mail is unknown makes both answers take the same time.
    return departments.hash_password("not a real password, only for timing")


def _throttle_keys(email: str, ip: str) -> tuple[str, str]:
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{_KEY}:account:{account}", f"{_KEY}:ip:{ip}"


def login_wait(email: str, ip: str, policy: rules.ThrottlePolicy = THROTTLE) -> int:
    """Seconds before this account or IP may try again; 0 when allowed.

    If Redis is unreachable sign-in stays possible (argon2 still makes each guess slow): staff
    must be able to work while the queue server is being repaired.
    """
    account_key, ip_key = _throttle_keys(email, ip)
    try:
        pipe = get_redis().pipeline()
        pipe.get(account_key).ttl(account_key).get(ip_key).ttl(ip_key)
        account, account_ttl, ip_count, ip_ttl = pipe.execute()
    except RedisError as exc:
        log.warning("sign-in throttle unavailable: %s", exc)
        return 0
    return rules.throttle_wait(int(account or 0), int(account_ttl), int(ip_count or 0), int(ip_ttl), policy)


def record_login_failure(email: str, ip: str, policy: rules.ThrottlePolicy = THROTTLE) -> None:
    account_key, ip_key = _throttle_keys(email, ip)
    try:
        pipe = get_redis().pipeline()
        for key in (account_key, ip_key):
            pipe.incr(key)
            pipe.expire(key, policy.window_seconds, nx=True)
        pipe.execute()
    except RedisError as exc:
        log.warning("sign-in failure not recorded: %s", exc)


def clear_login_failures(email: str, ip: str) -> None:
    # Only the account's count: clearing the IP's would let one valid account launder
    # guesses at every other account from the same address.
    account_key, _ip_key = _throttle_keys(email, ip)
    try:
        get_redis().delete(account_key)
    except RedisError as exc:
        log.warning("sign-in failures not cleared: %s", exc)


def authenticate(email: str, password: str) -> StaffUser | None:
    from cityreport.departments.rules import normalise_email

    user = db.session.scalars(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()
    if user is None:
        departments.verify_password(StaffUser(password_hash=_dummy_hash()), password)
        return None
    if not departments.verify_password(user, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def end_sessions(user: StaffUser) -> None:
    """Every session cookie issued so far stops working (sign-out, deactivation, password change)."""
    user.session_version += 1
    db.session.flush()


# ---- the queue ---------------------------------------------------------------------------------

def due_expression():
    """SQL twin of rules.due_at: new reports are due for acknowledgement, open ones for resolution."""
    # Hours, not days: "+ 1 day" on a timestamptz follows daylight saving in the session's zone,
    # while the rule (and the keyset arithmetic below) counts exact 24-hour days.
    return Report.created_at + case(
        (Report.status == "new", func.make_interval(0, 0, 0, 0, Category.ack_target_hours)),
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
    if rules.can(user, "view_all_departments"):
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
    offset = case((status_rows.c.status == "new", func.make_interval(0, 0, 0, 0, Category.ack_target_hours)),
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
        next_cursor = rules.encode_cursor(wanted.sort, last.due_at if wanted.sort == "overdue" else last.created_at,
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


# ---- the triage page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NearbyReport:
    id: int
    status: str
    category_id: int
    department_id: int
    created_at: datetime
    address: str | None
    excerpt: str
    distance_m: float


def nearby_open(report: Report, *, radius_m: int | None = None, limit: int = 10) -> list[NearbyReport]:
    """Open, visible reports near this one, nearest first: the candidates it may duplicate."""
    radius = radius_m or (report.category.nearby_radius_m if report.category else 250)
    lat, lon = latlon(report.location)
    # A box in degrees lets the GiST index pick candidates; the exact distance is in metres.
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    envelope = func.ST_MakeEnvelope(lon - dlon, lat - dlat, lon + dlon, lat + dlat, 4326)
    here = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    distance = func.ST_DistanceSphere(Report.location, here)
    stmt = (select(Report.id, Report.status, Report.category_id, Report.department_id, Report.created_at,
                   Report.address, func.left(Report.description, 120).label("excerpt"), distance.label("distance"))
            .where(Report.location.op("&&")(envelope), distance <= radius, Report.id != report.id,
                   Report.status.in_(report_rules.OPEN_STATUSES), Report.hidden.is_(False))
            .order_by(distance, Report.id).limit(limit))
    return [NearbyReport(r.id, r.status, r.category_id, r.department_id, r.created_at, r.address, r.excerpt,
                         float(r.distance)) for r in db.session.execute(stmt)]


def history(report: Report) -> list[ReportEvent]:
    stmt = (select(ReportEvent).where(ReportEvent.report_id == report.id)
            .options(selectinload(ReportEvent.staff)).order_by(ReportEvent.at, ReportEvent.id))
    return list(db.session.scalars(stmt))


def templates_for(report: Report) -> list[ResponseTemplate]:
    stmt = (select(ResponseTemplate)
            .where(ResponseTemplate.active.is_(True),
                   or_(ResponseTemplate.category_id.is_(None), ResponseTemplate.category_id == report.category_id),
                   or_(ResponseTemplate.department_id.is_(None),
                       ResponseTemplate.department_id == report.department_id))
            .order_by(ResponseTemplate.title, ResponseTemplate.id))
    return list(db.session.scalars(stmt))


# ---- triage actions ----------------------------------------------------------------------------

def _transition_problem(report: Report, to_status: str) -> str | None:
    try:
        report_rules.plan_transition(report.status, to_status, utcnow(), report.acknowledged_at, report.closed_at)
    except report_rules.TransitionError as exc:
        return exc.reason
    return None


def apply_status(report: Report, to_status: str, *, staff: StaffUser, public_text: str = "",
                 internal_text: str = "", expected_version: int | None = None) -> ReportEvent:
    """A clerk's status change, with its notes. Invalid hides the report; reopening shows it again.

    The same status with a note only records the note.
    """
    if expected_version is not None and report.version != expected_version:
        raise Conflict()
    if to_status == report.status:
        if not public_text and not internal_text:
            raise ValidationError(fields={"status": _("the report already has this status; add a note or "
                                                      "choose another status")})
        return _stale_safe(lambda: reports.add_note(report, staff=staff, public_text=public_text,
                                                     internal_text=internal_text))
    if to_status == "duplicate":
        raise ValidationError(fields={"status": _("use “Mark as duplicate” and name the original report")})
    problem = _transition_problem(report, to_status)
    if problem:
        raise ValidationError(fields={"status": problem})
    if to_status == "invalid":
        report.hidden = True
    elif report_rules.is_closed(report.status):
        # Reopening: an invalid report becomes public again, a duplicate stands on its own again.
        report.hidden = False
        report.duplicate_of_id = None
    return _stale_safe(lambda: reports.change_status(report, to_status, staff=staff, public_text=public_text,
                                                      internal_text=internal_text))


def _stale_safe(action):
    try:
        return action()
    except StaleDataError:
        raise Conflict() from None


def reassign(report: Report, department_id: int, *, staff: StaffUser, reason: str,
             expected_version: int | None = None) -> ReportEvent:
    fields: dict[str, str] = {}
    if not reason:
        fields["reason"] = _("say why the report belongs elsewhere")
    department = db.session.get(Department, department_id)
    if department is None or not department.active:
        fields["department"] = _("no such active department")
    if fields:
        raise ValidationError(fields=fields)
    return _stale_safe(lambda: reports.reassign(report, department_id, staff=staff, reason=reason,
                                                 expected_version=expected_version))


def mark_duplicate(report: Report, original_id: int, *, staff: StaffUser, public_text: str = "",
                   expected_version: int | None = None) -> ReportEvent:
    if expected_version is not None and report.version != expected_version:
        raise Conflict()
    original = db.session.get(Report, original_id)
    if original is None or (original.hidden and original.department_id != report.department_id):
        raise ValidationError(fields={"duplicate_of": _("no report #%(id)s", id=original_id)})
    if original.status == "duplicate" and original.duplicate_of_id:
        raise ValidationError(fields={"duplicate_of": _("#%(id)s is itself a duplicate of #%(orig)s; choose that one",
                                                        id=original.id, orig=original.duplicate_of_id)})
    problem = _transition_problem(report, "duplicate")
    if problem:
        raise ValidationError(fields={"status": problem})
    text = public_text or _("This problem was already reported as #%(id)s. Follow that report for updates.",
                            id=original.id)
    return _stale_safe(lambda: reports.mark_duplicate(report, original, staff=staff, public_text=text))


@dataclass(frozen=True)
class BulkItem:
    report_id: int
    version: int


def bulk_change(user: StaffUser, items: Sequence[BulkItem], to_status: str, *, public_text: str = "",
                internal_text: str = "") -> list[ReportEvent]:
    """Change every selected report or none: one refused report refuses the whole batch."""
    if not items:
        raise ValidationError(fields={"reports": _("select at least one report")})
    if to_status not in report_rules.STATUSES or to_status in ("new", "duplicate"):
        raise ValidationError(fields={"status": _("choose a status reports can be moved to in bulk")})
    wanted = {item.report_id: item.version for item in items}
    # Locked in id order, so two clerks' overlapping batches cannot deadlock.
    found = {r.id: r for r in db.session.scalars(
        select(Report).where(Report.id.in_(wanted)).order_by(Report.id).with_for_update(of=Report))}
    problems: dict[str, str] = {}
    for report_id, version in sorted(wanted.items()):
        report = found.get(report_id)
        if report is None or not rules.can(user, "change_status", department_id=report.department_id):
            problems[f"#{report_id}"] = _("not found")
        elif report.version != version:
            problems[f"#{report_id}"] = _("changed meanwhile; reload the queue")
        elif report.status == to_status:
            problems[f"#{report_id}"] = _("already has this status")
        else:
            problem = _transition_problem(report, to_status)
            if problem:
                problems[f"#{report_id}"] = problem
    if problems:
        raise ValidationError(_("No report was changed: %(n)s of the selected reports cannot move to this status.",
                                n=len(problems)), fields=problems)
    return [apply_status(found[report_id], to_status, staff=user, public_text=public_text,
                         internal_text=internal_text) for report_id in sorted(wanted)]



# ---- response templates ------------------------------------------------------------------------

def templates_visible_to(user: StaffUser) -> list[ResponseTemplate]:
    stmt = select(ResponseTemplate).order_by(ResponseTemplate.active.desc(), ResponseTemplate.title)
    if not rules.can(user, "view_all_departments"):
        stmt = stmt.where(or_(ResponseTemplate.department_id == user.department_id,
                              ResponseTemplate.department_id.is_(None)))
    return list(db.session.scalars(stmt))


def save_template(user: StaffUser, data: Any, template: ResponseTemplate | None = None) -> ResponseTemplate:
    """Create or update a template. A department admin's templates always belong to their department."""
    fields: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    text_ro = str(data.get("text_ro") or "").replace("\r\n", "\n").strip()
    text_en = str(data.get("text_en") or "").replace("\r\n", "\n").strip()
    if not title:
        fields["title"] = _("is required")
    elif len(title) > 120:
        fields["title"] = _("at most %(n)s characters", n=120)
    if not text_ro:
        fields["text_ro"] = _("is required")
    for name, value in (("text_ro", text_ro), ("text_en", text_en)):
        if len(value) > 5000:
            fields[name] = _("at most %(n)s characters", n=5000)
    status = str(data.get("status") or "").strip() or None
    if status is not None and status not in report_rules.STATUSES:
        fields["status"] = _("unknown status")
    category_id = None
    raw = str(data.get("category") or "").strip()
    if raw:
        category = db.session.get(Category, int(raw)) if raw.isdigit() else None
        if category is None:
            fields["category"] = _("no such category")
        else:
            category_id = category.id
    if rules.can(user, "view_all_departments"):
        raw = str(data.get("department") or "").strip()
        department_id = None
        if raw:
            department = db.session.get(Department, int(raw)) if raw.isdigit() else None
            if department is None:
                fields["department"] = _("no such department")
            else:
                department_id = department.id
    else:
        department_id = user.department_id
    if fields:
        raise ValidationError(fields=fields)
    values = {"title": title, "text_ro": text_ro, "text_en": text_en, "status": status,
              "category_id": category_id, "department_id": department_id,
              "active": str(data.get("active") or "").lower() in {"1", "on", "true", "yes"}}
    return upsert(ResponseTemplate, template, values)
