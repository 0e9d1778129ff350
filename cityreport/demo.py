"""`cityreport demo`: a demo city that looks real, loaded idempotently.

Reports are created and moved through the same services the app uses, so every event row agrees
with the report's timestamps. No e-mail is queued for the invented residents.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta

from shapely.geometry import Point, Polygon, box
from sqlalchemy import func, select

from cityreport import demo_data as data
from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.geo import as_multipolygon, element_from_shape, latlon
from cityreport.models_base import utcnow
from cityreport.notifications.models import Feedback
from cityreport.notifications.rules import ANSWER_FIXED, ANSWER_NOT_FIXED, FEEDBACK_ANSWERS
from cityreport.places.demo_register import load_demo_register
from cityreport.reports import services as reports
from cityreport.reports.models import Report
from cityreport.reports.rules import (
    ACKNOWLEDGED,
    DUPLICATE,
    FIXED,
    IN_PROGRESS,
    INVALID,
    NOT_RESPONSIBLE,
    UNABLE_TO_FIX,
)
from cityreport.routing.models import Jurisdiction, ServiceArea
from cityreport.routing.services import add_service_area
from cityreport.staff.accounts import create_staff
from cityreport.staff.models import StaffUser

REPORT_COUNT = 300
DAYS = 182
SEED = 2026


def city_boundary() -> Polygon:
    """An irregular outline of about 11 km by 8 km around the centre."""
    lat0, lon0 = data.CITY["center"]
    points = []
    for i in range(48):
        angle = 2 * math.pi * i / 48
        radius_km = 4.6 + 0.9 * math.sin(3 * angle) + 0.5 * math.cos(5 * angle + 1) + 0.25 * math.sin(11 * angle)
        dlat = radius_km * math.sin(angle) / 111.0
        dlon = 1.35 * radius_km * math.cos(angle) / (111.0 * math.cos(math.radians(lat0)))
        points.append((lon0 + dlon, lat0 + dlat))
    return Polygon(points)


def load(now: datetime | None = None) -> str:
    now = now or utcnow()
    boundary = city_boundary()
    departments = _departments()
    categories = _categories(departments)
    jurisdiction = db.session.scalars(select(Jurisdiction).where(Jurisdiction.slug == data.CITY["slug"])).first()
    if jurisdiction is None:
        jurisdiction = Jurisdiction(slug=data.CITY["slug"], name=data.CITY["name"], population=data.CITY["population"],
                                    boundary=element_from_shape(as_multipolygon(boundary)))
        db.session.add(jurisdiction)
        db.session.flush()
    _areas(boundary, departments, categories)
    staff = _staff()
    created = _reports(boundary, categories, departments, staff, now)
    load_demo_register(boundary, data.CITY["center"])  # after the reports: it gives them their nearest address
    total = db.session.scalar(select(func.count()).select_from(Report).where(Report.external_id.like("demo-%")))
    return (f"demo city {data.CITY['name']}: {len(departments)} departments, {len(categories)} categories, "
            f"{len(staff)} staff, {total} reports ({created} new)")


def _departments() -> dict[str, Department]:
    existing = {d.slug: d for d in db.session.scalars(select(Department))}
    for slug, name_ro, name_en, email, fallback in data.DEPARTMENTS:
        if slug not in existing:
            dept = Department(slug=slug, name_ro=name_ro, name_en=name_en, email=email, is_fallback=fallback)
            db.session.add(dept)
            existing[slug] = dept
    db.session.flush()
    return existing


def _categories(departments: dict[str, Department]) -> dict[str, Category]:
    existing = {c.code: c for c in db.session.scalars(select(Category))}
    for code, ro, en, group_ro, group_en, dept, ack, resolve, _weight in data.CATEGORIES:
        if code not in existing:
            cat = Category(code=code, name_ro=ro, name_en=en, group_ro=group_ro, group_en=group_en,
                           default_department_id=departments[dept].id if dept else None,
                           ack_target_hours=ack, resolve_target_days=resolve,
                           nearby_radius_m=100 if code in ("semafor-defect", "capac-canal") else 250)
            db.session.add(cat)
            existing[code] = cat
    db.session.flush()
    return existing


def _areas(boundary: Polygon, departments: dict[str, Department], categories: dict[str, Category]) -> None:
    if db.session.scalar(select(func.count()).select_from(ServiceArea)):
        return
    lat0, lon0 = data.CITY["center"]
    minx, miny, maxx, maxy = boundary.bounds
    west = boundary.intersection(box(minx - 1, miny - 1, lon0, maxy + 1))
    east = boundary.intersection(box(lon0, miny - 1, maxx + 1, maxy + 1))
    # Waste collection is contracted out in two zones that share the meridian through the centre.
    for code in ("deseuri-abandonate", "pubele-pline"):
        add_service_area(department_id=departments["salubritate-vest"].id, category_id=categories[code].id,
                         name="Zona Vest — Eco Vest SRL", geometry=west)
        add_service_area(department_id=departments["salubritate-est"].id, category_id=categories[code].id,
                         name="Zona Est — Curat Est SA", geometry=east)
    # The central park is run by the parks department whatever the problem.
    park = Point(lon0 - 0.012, lat0 + 0.004).buffer(0.006).intersection(boundary)
    add_service_area(department_id=departments["spatii-verzi"].id, category_id=None, name="Parcul Central",
                     geometry=park, priority=10)


def _staff() -> list[StaffUser]:
    users = []
    for email, name, role, dept, password in data.STAFF:
        user = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        if user is None:
            user = create_staff(email=email, name=name, role=role, password=password, department_slug=dept)
        users.append(user)
    return users


def _random_point(rng: random.Random, boundary: Polygon) -> tuple[float, float]:
    lat0, lon0 = data.CITY["center"]
    while True:
        # Denser near the centre, as reports are.
        lat = rng.gauss(lat0, 0.018)
        lon = rng.gauss(lon0, 0.03)
        if boundary.contains(Point(lon, lat)):
            return lat, lon


def _reports(boundary: Polygon, categories: dict[str, Category], departments: dict[str, Department],
             staff: list[StaffUser], now: datetime) -> int:
    if db.session.scalar(select(func.count()).select_from(Report).where(Report.external_id.like("demo-%"))):
        return 0
    rng = random.Random(SEED)
    weights = [c[8] for c in data.CATEGORIES]
    codes = [c[0] for c in data.CATEGORIES]
    clerk_by_dept = {u.department_id: u for u in staff if u.department_id}
    admin = next(u for u in staff if u.role == "city_admin")
    # Use grows over the half-year, so recent weeks are busier than the first ones.
    plans = sorted(now - timedelta(seconds=DAYS * 86400 * rng.random() ** 1.3 + 1800) for _ in range(REPORT_COUNT))
    made: list[Report] = []
    for index, created_at in enumerate(plans, start=1):
        created_at = created_at.replace(hour=rng.choice([7, 8, 9, 10, 12, 14, 16, 17, 18, 19, 21]),
                                        minute=rng.randrange(60))
        if created_at >= now:
            created_at = now - timedelta(hours=rng.uniform(1, 20))
        category = categories[rng.choices(codes, weights)[0]]
        original = None
        if made and rng.random() < 0.07:
            same = [r for r in made[-60:] if r.category_id == category.id and r.status != DUPLICATE]
            original = rng.choice(same) if same else None
        if original is not None:
            olat, olon = _latlon(original)
            lat, lon = olat + rng.uniform(-0.0006, 0.0006), olon + rng.uniform(-0.0008, 0.0008)
        else:
            lat, lon = _random_point(rng, boundary)
        with_contact = rng.random() < 0.55
        name = rng.choice(data.NAMES) if with_contact else None
        report = reports.create_report(reports.NewReport(
            category=category, lat=lat, lon=lon, description=rng.choice(data.DESCRIPTIONS[category.code]),
            address=f"{rng.choice(data.STREETS)} nr. {rng.randint(1, 120)}",
            name=name, email=_email(name, index) if name else None,
            phone=f"07{rng.randint(20, 89)}{rng.randint(100000, 999999)}" if with_contact and rng.random() < 0.4 else None,
            locale="en" if rng.random() < 0.05 else "ro", source=rng.choice(["web"] * 8 + ["api", "open311"]),
            external_id=f"demo-{index:04d}", created_at=created_at), notify=False)
        _history(rng, report, category, original, departments, clerk_by_dept, admin, now)
        made.append(report)
    return len(made)


def _latlon(report: Report) -> tuple[float, float]:
    return latlon(report.location)


def _email(name: str, index: int) -> str:
    ascii_name = name.lower().replace(" ", ".").replace("ă", "a")
    return f"{ascii_name}.{index}@example.ro"


def _history(rng: random.Random, report: Report, category: Category, original: Report | None,
             departments: dict[str, Department], clerks: dict[int, StaffUser], admin: StaffUser,
             now: datetime) -> None:
    t = report.created_at
    # Misrouting: the dispatcher forwards "other" reports; a few others land in the wrong place.
    if category.code == "altele" or rng.random() < 0.04:
        t += timedelta(hours=rng.uniform(1, 30))
        if t >= now:
            return
        target = rng.choice([d for slug, d in departments.items()
                             if d.id != report.department_id and not d.is_fallback and "-" not in slug])
        reports.reassign(report, target.id, staff=clerks.get(report.department_id, admin), at=t,
                         reason="Nu este de competența noastră; redirecționat.")
    clerk = clerks.get(report.department_id, admin)
    if original is not None:
        t += timedelta(hours=rng.uniform(2, 60))
        if t < now:
            reports.mark_duplicate(report, original, staff=clerk, at=t, notify=False,
                                   public_text=f"Problema a fost deja semnalată în sesizarea #{original.id}.")
        return
    if rng.random() < 0.03:
        t += timedelta(hours=rng.uniform(1, 48))
        if t < now:
            reports.change_status(report, INVALID, staff=clerk, at=t, notify=False,
                                  public_text=rng.choice(data.PUBLIC_NOTES[INVALID]))
        return
    if rng.random() < 0.06:
        return  # never looked at: the backlog that a journalist should be able to see
    # Acknowledgement: usually within target, with a long tail of late ones.
    ack_at = t + timedelta(hours=rng.lognormvariate(math.log(category.ack_target_hours * 0.45), 0.9))
    if ack_at >= now:
        return
    note = rng.choice(data.PUBLIC_NOTES[ACKNOWLEDGED]) if rng.random() < 0.7 else None
    reports.change_status(report, ACKNOWLEDGED, staff=clerk, at=ack_at, public_text=note, notify=False)
    outcome = rng.choices([FIXED, NOT_RESPONSIBLE, UNABLE_TO_FIX, None], [70, 6, 5, 19])[0]
    close_days = rng.lognormvariate(math.log(category.resolve_target_days * 0.6), 0.8)
    close_at = ack_at + timedelta(days=close_days)
    if outcome is None or close_at >= now:
        progress_at = ack_at + (min(close_at, now) - ack_at) * rng.uniform(0.2, 0.6)
        if rng.random() < 0.6 and progress_at < now:
            reports.change_status(report, IN_PROGRESS, staff=clerk, at=progress_at, notify=False,
                                  public_text=rng.choice(data.PUBLIC_NOTES[IN_PROGRESS]))
        return
    if rng.random() < 0.5:
        progress_at = ack_at + (close_at - ack_at) * rng.uniform(0.3, 0.8)
        reports.change_status(report, IN_PROGRESS, staff=clerk, at=progress_at, notify=False,
                              public_text=rng.choice(data.PUBLIC_NOTES[IN_PROGRESS]))
    reports.change_status(report, outcome, staff=clerk, at=close_at, notify=False,
                          public_text=rng.choice(data.PUBLIC_NOTES[outcome]))
    if outcome != FIXED:
        return
    _feedback_and_reopen(rng, report, clerk, close_at, now)


def _feedback_and_reopen(rng: random.Random, report: Report, clerk: StaffUser, closed_at: datetime,
                         now: datetime) -> None:
    answered_at = closed_at + timedelta(hours=rng.uniform(3, 96))
    reopen_by_staff = rng.random() < 0.03
    if report.reporter_email and rng.random() < 0.45 and answered_at < now:
        answer = rng.choices(FEEDBACK_ANSWERS, [78, 14, 8])[0]
        token = hashlib.sha256(f"demo-feedback-{report.external_id}".encode()).hexdigest()
        db.session.add(Feedback(report_id=report.id, token_hash=token, requested_at=closed_at,
                                expires_at=closed_at + timedelta(days=30), answer=answer, at=answered_at,
                                rating=rng.choice([2, 3, 4, 4, 5, 5]) if answer == ANSWER_FIXED else rng.choice([1, 2, None]),
                                comment=None))
        reports.record_feedback_event(report, answer, at=answered_at)
        if answer == ANSWER_NOT_FIXED:
            reports.change_status(report, ACKNOWLEDGED, actor="reporter", at=answered_at + timedelta(seconds=1),
                                  public_text=None, notify=False)
            _fix_again(rng, report, clerk, answered_at, now)
            return
    if reopen_by_staff:
        reopen_at = closed_at + timedelta(days=rng.uniform(1, 10))
        if reopen_at < now:
            reports.change_status(report, ACKNOWLEDGED, staff=clerk, at=reopen_at, notify=False,
                                  public_text="Redeschidem sesizarea: problema a reapărut.")
            _fix_again(rng, report, clerk, reopen_at, now)


def _fix_again(rng: random.Random, report: Report, clerk: StaffUser, since: datetime, now: datetime) -> None:
    again = since + timedelta(days=rng.uniform(1, 12))
    if again < now and rng.random() < 0.75:
        reports.change_status(report, FIXED, staff=clerk, at=again, notify=False,
                              public_text="Am revenit și am remediat complet problema.")
