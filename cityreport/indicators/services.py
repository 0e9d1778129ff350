"""Computing and storing the monthly indicators (docs/indicators.md, version 1).

Two passes over the reports count for all scopes at once (GROUPING SETS: city, each department,
each category): the month's flow (received, closed, with the percentiles) and its stock (the
cohort falling due, the backlog at the end); reopen events and feedback answers are two small
passes of their own; the Kaplan–Meier curves are drawn in rules.py from
one row per report created in M. "Open at the end of M" is read from report_events: a report's
status at `end` is the from_status of its first status-changing event at or after `end`, or its
current status when nothing has changed since, so rebuilding an old month gives the same answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, text

from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.indicators import rules
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.models_base import utcnow
from cityreport.notifications.rules import ANSWER_FIXED, ANSWER_NOT_FIXED
from cityreport.reports import sql as report_sql
from cityreport.reports.rules import DUPLICATE, FIXED, OPEN_STATUSES
from cityreport.routing.models import Jurisdiction

CITY = "city"
DEPARTMENT = "department"
CATEGORY = "category"

# The status rules as SQL text (reports/sql.py): every metric leaves invalid reports out (docs/indicators.md).
_OPEN = report_sql.literal_list(OPEN_STATUSES)
_COUNTED = report_sql.counts_as_reported("r")
_FIXED = report_sql.status_is(FIXED)
_DUPLICATE = report_sql.status_is(DUPLICATE)
_ANSWER_FIXED, _ANSWER_NOT_FIXED = (f"'{answer}'" for answer in (ANSWER_FIXED, ANSWER_NOT_FIXED))

# Two passes over the reports, so the percentiles only sort the reports they describe.
# Pass 1: reports received in M or closed in M: counts, percentiles, acknowledgement, duplicates, moves.
_FLOW_SQL = f"""
WITH moved AS (
    SELECT DISTINCT report_id FROM report_events WHERE kind = 'reassigned' AND at >= :s
), facts AS (
    SELECT r.department_id, r.category_id, r.status, r.created_at, r.acknowledged_at, r.closed_at,
           r.created_at >= :s AND r.created_at < :e AS received,
           coalesce(r.closed_at >= :s AND r.closed_at < :e, false) AS closed_in_month,
           r.created_at + c.ack_target_hours * interval '1 hour' AS ack_due,
           m.report_id IS NOT NULL AS moved
      FROM reports r
      JOIN categories c ON c.id = r.category_id
      LEFT JOIN moved m ON m.report_id = r.id
     WHERE {_COUNTED}
       AND ((r.created_at >= :s AND r.created_at < :e) OR (r.closed_at >= :s AND r.closed_at < :e))
), measured AS (
    SELECT f.*,
           CASE WHEN f.received AND f.acknowledged_at IS NOT NULL
                THEN extract(epoch FROM f.acknowledged_at - f.created_at)::float8 / 3600 END AS ack_hours,
           CASE WHEN f.closed_in_month
                THEN extract(epoch FROM f.closed_at - f.created_at)::float8 / 86400 END AS close_days
      FROM facts f
)
SELECT GROUPING(department_id) AS g_department, GROUPING(category_id) AS g_category,
       department_id, category_id,
       count(*) FILTER (WHERE received) AS received,
       count(*) FILTER (WHERE closed_in_month) AS closed,
       count(*) FILTER (WHERE closed_in_month AND {_FIXED}) AS fixed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_hours) AS ack_hours_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ack_hours) AS ack_hours_p90,
       count(ack_hours) AS ack_hours_n,
       count(*) FILTER (WHERE received AND ack_due < :now) AS ack_due_n,
       count(*) FILTER (WHERE received AND ack_due < :now AND acknowledged_at <= ack_due) AS ack_on_time_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY close_days) AS close_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY close_days) AS close_days_p90,
       count(close_days) AS close_days_n,
       count(*) FILTER (WHERE received AND {_DUPLICATE}) AS duplicates,
       count(*) FILTER (WHERE received AND moved) AS reassigned
  FROM measured
 GROUP BY GROUPING SETS ((), (department_id), (category_id))
"""

# Pass 2 (counts only, so it aggregates by hashing): the cohort falling due in M, and the backlog at the
# end of M. Candidates: created early enough to fall due in M, still open, or changed status after M.
_STOCK_SQL = f"""
WITH after_end AS (
    SELECT DISTINCT ON (ev.report_id) ev.report_id, ev.from_status
    FROM report_events ev
    WHERE ev.to_status IS NOT NULL AND ev.at >= :e
    ORDER BY ev.report_id, ev.at, ev.id
), window_start AS (
    SELECT :s - coalesce(max(resolve_target_days), 0) * interval '24 hours' AS at FROM categories
), candidates AS (
    -- Open now, or falling due in M or later (the first condition only lets an index narrow the scan).
    SELECT r.id, r.department_id, r.category_id, r.status, r.created_at, r.closed_at,
           r.created_at + c.resolve_target_days * interval '24 hours' AS due
      FROM reports r JOIN categories c ON c.id = r.category_id
     WHERE {_COUNTED} AND r.created_at < :e
       AND (r.created_at >= (SELECT at FROM window_start) OR r.status IN {_OPEN})
       AND (r.status IN {_OPEN} OR r.created_at + c.resolve_target_days * interval '24 hours' >= :s)
    UNION ALL
    -- The rest of those whose status changed after M: one index probe each.
    SELECT x.* FROM after_end a CROSS JOIN LATERAL (
        SELECT r.id, r.department_id, r.category_id, r.status, r.created_at, r.closed_at,
               r.created_at + c.resolve_target_days * interval '24 hours' AS due
          FROM reports r JOIN categories c ON c.id = r.category_id
         WHERE r.id = a.report_id AND {_COUNTED} AND r.created_at < :e
           AND r.status NOT IN {_OPEN} AND r.created_at + c.resolve_target_days * interval '24 hours' < :s
        OFFSET 0) x
), facts AS (
    SELECT k.department_id, k.category_id, k.created_at, k.closed_at, k.due,
           coalesce(a.from_status, k.status) IN {_OPEN} AS open_at_end
      FROM candidates k
      LEFT JOIN after_end a ON a.report_id = k.id
)
SELECT GROUPING(department_id) AS g_department, GROUPING(category_id) AS g_category,
       department_id, category_id,
       count(*) FILTER (WHERE open_at_end) AS open_at_end,
       count(*) FILTER (WHERE due >= :s AND due < :e AND due < :now) AS due_n,
       count(*) FILTER (WHERE due >= :s AND due < :e AND due < :now AND closed_at <= due) AS closed_on_time_n,
       count(*) FILTER (WHERE open_at_end AND due < :e) AS open_past_due_at_end,
       count(*) FILTER (WHERE open_at_end AND created_at < :e - interval '720 hours') AS open_over_30_days_at_end
  FROM facts
 GROUP BY GROUPING SETS ((), (department_id), (category_id))
"""

_REOPENED_SQL = f"""
SELECT GROUPING(r.department_id) AS g_department, GROUPING(r.category_id) AS g_category,
       r.department_id, r.category_id, count(*) AS reopened
  FROM report_events ev JOIN reports r ON r.id = ev.report_id
 WHERE ev.kind = 'reopened' AND ev.at >= :s AND ev.at < :e AND {_COUNTED}
 GROUP BY GROUPING SETS ((), (r.department_id), (r.category_id))
"""

_FEEDBACK_SQL = f"""
SELECT GROUPING(r.department_id) AS g_department, GROUPING(r.category_id) AS g_category,
       r.department_id, r.category_id,
       count(*) AS feedback_n,
       count(*) FILTER (WHERE f.answer IN ({_ANSWER_FIXED}, {_ANSWER_NOT_FIXED})) AS feedback_yes_no_n,
       count(*) FILTER (WHERE f.answer = {_ANSWER_FIXED}) AS feedback_fixed_n,
       count(f.rating) AS rating_n,
       sum(f.rating) AS rating_sum
  FROM feedback f JOIN reports r ON r.id = f.report_id
 WHERE f.answer IS NOT NULL AND f.at >= :s AND f.at < :e AND {_COUNTED}
 GROUP BY GROUPING SETS ((), (r.department_id), (r.category_id))
"""

# The Kaplan–Meier cohort: reports created in M; a close after the computation time is not known yet.
# Sorted here as kaplan_meier() wants them, so its own sort only confirms the order.
_COHORT_SQL = f"""
SELECT r.department_id, r.category_id,
       extract(epoch FROM least(coalesce(r.closed_at, :now), :now) - r.created_at)::float8 / 86400 AS days,
       r.closed_at IS NOT NULL AND r.closed_at <= :now AS closed
  FROM reports r
 WHERE r.created_at >= :s AND r.created_at < :e AND r.created_at <= :now AND {_COUNTED}
 ORDER BY days, closed DESC
"""

# An area counts once however many categories it is registered for.
_DEPARTMENT_POPULATION_SQL = """
SELECT department_id, sum(population) AS population FROM (
    SELECT DISTINCT ON (department_id, ST_AsEWKB(geom)) department_id, population
      FROM service_areas WHERE population IS NOT NULL
) areas GROUP BY department_id
"""


@dataclass(frozen=True)
class MonthBuild:
    month: date
    computed_at: datetime
    snapshots: int


def _scope_key(row: Any) -> tuple[str, int]:
    if row.g_department and row.g_category:
        return CITY, 0
    if not row.g_department:
        return DEPARTMENT, row.department_id
    return CATEGORY, row.category_id


def _grouped(sql: str, params: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for row in db.session.execute(text(sql), params):
        values = dict(row._mapping)
        for key in ("g_department", "g_category", "department_id", "category_id"):
            values.pop(key)
        out[_scope_key(row)] = values
    return out


def _cohorts(params: dict[str, Any]) -> dict[tuple[str, int], list[rules.Observation]]:
    cohorts: dict[tuple[str, int], list[rules.Observation]] = defaultdict(list)
    city = cohorts[(CITY, 0)]
    for department_id, category_id, days, closed in db.session.execute(text(_COHORT_SQL), params):
        observation = rules.Observation(days, closed)
        city.append(observation)
        cohorts[(DEPARTMENT, department_id)].append(observation)
        cohorts[(CATEGORY, category_id)].append(observation)
    return cohorts


def populations() -> dict[tuple[str, int], int]:
    found: dict[tuple[str, int], int] = {}
    city = db.session.scalar(select(func.sum(Jurisdiction.population)))
    if city:
        found[(CITY, 0)] = int(city)
    for department_id, population in db.session.execute(text(_DEPARTMENT_POPULATION_SQL)):
        if population:
            found[(DEPARTMENT, department_id)] = int(population)
    return found


def compute_month(month: date, *, now: datetime | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    """Every scope's metrics for `month`, as of `now` (the computation time)."""
    now = now or utcnow()
    start, end = rules.month_bounds(month, current_app.config["CITY_TIMEZONE"])
    params = {"s": start, "e": end, "now": now}
    main = _grouped(_FLOW_SQL, params)
    stock = _grouped(_STOCK_SQL, params)
    reopened = _grouped(_REOPENED_SQL, params)
    feedback = _grouped(_FEEDBACK_SQL, params)
    cohorts = _cohorts(params)
    population = populations()

    scopes: set[tuple[str, int]] = {(CITY, 0)}
    scopes.update((DEPARTMENT, i) for i in db.session.scalars(select(Department.id).where(Department.active)))
    scopes.update((CATEGORY, i) for i in db.session.scalars(select(Category.id).where(Category.active)))
    # An inactive department or category still appears in a month it had reports.
    scopes.update((*main, *stock, *reopened, *feedback, *cohorts))
    result = {}
    for key in scopes:
        counts = {**main.get(key, {}), **stock.get(key, {}), **reopened.get(key, {}), **feedback.get(key, {})}
        km = rules.km_summary(cohorts.get(key, []))
        result[key] = rules.assemble(counts, km, population.get(key))
    return result


def build_month(month: date, *, now: datetime | None = None) -> MonthBuild:
    """Compute and store `month`'s snapshots, replacing any earlier build of it (idempotent)."""
    now = now or utcnow()
    metrics = compute_month(month, now=now)
    # Serialise concurrent builds of one month (the schedule and a manual `indicators build`).
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('indicators'), :m)"),
                       {"m": month.year * 100 + month.month})
    db.session.execute(delete(IndicatorSnapshot).where(IndicatorSnapshot.month == month))
    db.session.add_all(
        IndicatorSnapshot(month=month, scope=scope, scope_id=scope_id, metrics=values, computed_at=now,
                          definition_version=rules.DEFINITION_VERSION)
        for (scope, scope_id), values in sorted(metrics.items()))
    db.session.flush()
    return MonthBuild(month=month, computed_at=now, snapshots=len(metrics))


# ---- reading snapshots ---------------------------------------------------------------------------

def _snapshots(months: Iterable[date]) -> list[IndicatorSnapshot]:
    return list(db.session.scalars(select(IndicatorSnapshot).where(IndicatorSnapshot.month.in_(list(months)))))


def built_months(limit: int | None = None) -> list[date]:
    stmt = select(IndicatorSnapshot.month).where(IndicatorSnapshot.scope == CITY) \
        .order_by(IndicatorSnapshot.month.desc())
    if limit:
        stmt = stmt.limit(limit)
    return sorted(db.session.scalars(stmt))


def month_payload(month: date, locale: str) -> dict[str, Any] | None:
    """The published JSON for one month, or None when it has not been built."""
    snapshots = _snapshots([month])
    if not snapshots:
        return None
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    city = next((s for s in snapshots if s.scope == CITY), None)
    dept_rows, cat_rows = [], []
    for snap in snapshots:
        ordered = {key: snap.metrics.get(key) for key in rules.ALL_KEYS}
        if snap.scope == DEPARTMENT and snap.scope_id in departments:
            d = departments[snap.scope_id]
            dept_rows.append({"slug": d.slug, "name": d.name(locale), **ordered})
        elif snap.scope == CATEGORY and snap.scope_id in categories:
            c = categories[snap.scope_id]
            cat_rows.append({"code": c.code, "name": c.name(locale), **ordered})
    computed_at = max(s.computed_at for s in snapshots)
    return {
        "month": rules.format_month(month),
        "definition_version": rules.DEFINITION_VERSION,
        "computed_at": computed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "city": {key: city.metrics.get(key) for key in rules.ALL_KEYS} if city else {},
        "departments": sorted(dept_rows, key=lambda r: r["slug"]),
        "categories": sorted(cat_rows, key=lambda r: r["code"]),
    }


CSV_FIELDS = ("month", "definition_version", "scope", "id", "name", *rules.ALL_KEYS)


def payload_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat rows for CSV: one per scope, the city first."""
    base = {"month": payload["month"], "definition_version": payload["definition_version"]}
    rows = [{**base, "scope": CITY, "id": "", "name": "", **payload["city"]}]
    rows += [{**base, "scope": DEPARTMENT, "id": d["slug"], **d} for d in payload["departments"]]
    rows += [{**base, "scope": CATEGORY, "id": c["code"], **c} for c in payload["categories"]]
    return [{field: rules.csv_value(row.get(field)) for field in CSV_FIELDS} for row in rows]


# ---- what the public pages read ------------------------------------------------------------------

def scope_series(months: list[date]) -> dict[tuple[str, int], list[dict[str, Any] | None]]:
    """Per scope, one metrics dict (or None when that month was not built) per month, in order."""
    index = {m: i for i, m in enumerate(months)}
    out: dict[tuple[str, int], list[dict[str, Any] | None]] = {}
    stmt = select(IndicatorSnapshot.month, IndicatorSnapshot.scope, IndicatorSnapshot.scope_id,
                  IndicatorSnapshot.metrics).where(IndicatorSnapshot.month.in_(months))
    for month, scope, scope_id, metrics in db.session.execute(stmt):
        out.setdefault((scope, scope_id), [None] * len(months))[index[month]] = metrics
    return out


def computed_at_of(months: list[date]) -> datetime | None:
    return db.session.scalar(select(func.max(IndicatorSnapshot.computed_at))
                             .where(IndicatorSnapshot.month.in_(months)))


# The map pre-aggregates on a ~50 m grid in SQL, so a year of a million reports sends a few thousand
# rows to Python, where they are binned into hexagons.
_GRID_SQL = f"""
SELECT round(ST_X(location) / :step) * :step AS lon, round(ST_Y(location) / :step) * :step AS lat, count(*) AS n
  FROM reports
 WHERE created_at >= :s AND created_at < :e AND {report_sql.counts_as_reported()}
 GROUP BY 1, 2
"""


def location_cells(start: datetime, end: datetime) -> list[tuple[float, float, int]]:
    return [(float(lon), float(lat), int(n))
            for lon, lat, n in db.session.execute(text(_GRID_SQL), {"s": start, "e": end, "step": 0.0005})]


def city_outline() -> list[list[tuple[float, float]]]:
    """Exterior rings of the jurisdictions, simplified for drawing."""
    rows = db.session.execute(text(
        "SELECT ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, 0.0005)) FROM jurisdictions ORDER BY id"))
    rings: list[list[tuple[float, float]]] = []
    for (geojson,) in rows:
        shape = json.loads(geojson)
        polygons = shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
        rings += [[(x, y) for x, y, *_ in polygon[0]] for polygon in polygons]
    return rings
