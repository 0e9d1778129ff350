"""What /stats and the annual report show, assembled from the stored snapshots (never recomputed here).

The pages read snapshots only, so they are fast and they show exactly the figures that were
published; the one exception is the annual map, which counts report locations for the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.i18n import current_language
from cityreport.indicators import charts, rules, services
from cityreport.indicators.services import CATEGORY, CITY, DEPARTMENT
from cityreport.routing.models import Jurisdiction

STATS_MONTHS = 12


@dataclass
class Scope:
    kind: str
    id: int
    key: str  # slug or code; "" for the city
    name: str
    series: list[dict[str, Any] | None]

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.series[-1] if self.series else None


@dataclass
class StatsPage:
    months: list[date]
    labels: list[str]
    city: Scope | None
    departments: list[Scope] = field(default_factory=list)
    categories: list[Scope] = field(default_factory=list)
    computed_at: datetime | None = None


def month_label(month: date, with_year: bool = True) -> str:
    return format_date(month, "LLL yyyy" if with_year else "LLL")


def _names() -> tuple[dict[int, Department], dict[int, Category]]:
    return ({d.id: d for d in db.session.scalars(select(Department))},
            {c.id: c for c in db.session.scalars(select(Category))})


def _scopes(series: dict[tuple[str, int], list[dict[str, Any] | None]], months: list[date]) -> tuple[
        Scope | None, list[Scope], list[Scope]]:
    locale = current_language()
    departments, categories = _names()
    empty: list[dict[str, Any] | None] = [None] * len(months)
    city = Scope(CITY, 0, "", _("Whole city"), series.get((CITY, 0), empty)) if (CITY, 0) in series else None
    dept_scopes = [Scope(DEPARTMENT, i, d.slug, d.name(locale), series[(DEPARTMENT, i)])
                   for i, d in departments.items() if (DEPARTMENT, i) in series]
    cat_scopes = [Scope(CATEGORY, i, c.code, c.name(locale), series[(CATEGORY, i)])
                  for i, c in categories.items() if (CATEGORY, i) in series]
    return city, sorted(dept_scopes, key=lambda s: s.name), sorted(cat_scopes, key=lambda s: s.name)


def stats_page() -> StatsPage:
    built = services.built_months(limit=1)
    if not built:
        return StatsPage(months=[], labels=[], city=None)
    months = rules.last_months(built[-1], STATS_MONTHS)
    city, departments, categories = _scopes(services.scope_series(months), months)
    return StatsPage(months=months, labels=[month_label(m) for m in months], city=city, departments=departments,
                     categories=categories, computed_at=services.computed_at_of(months))


def scope_page(kind: str, key: str) -> tuple[StatsPage, Scope | None]:
    page = stats_page()
    pool = page.departments if kind == DEPARTMENT else page.categories
    return page, next((s for s in pool if s.key == key), None)


def _values(scope: Scope, key: str) -> list[Any]:
    return [m.get(key) if m else None for m in scope.series]


def scope_charts(scope: Scope, labels: list[str]) -> dict[str, Markup]:
    short = labels
    return {
        "volume": charts.bar_chart(_("Reports received and closed per month"), short, [
            charts.Series(_("received"), _values(scope, "received")),
            charts.Series(_("closed"), _values(scope, "closed"))]),
        "on_time": charts.line_chart(_("Share on time per month"), short, [
            charts.Series(_("resolved on time"), _values(scope, "on_time_pct")),
            charts.Series(_("acknowledged on time"), _values(scope, "ack_on_time_pct"), dashed=True)],
            unit="%", y_max=100),
        "times": charts.line_chart(_("Time to close, in days"), short, [
            charts.Series(_("median of those closed"), _values(scope, "close_days_median")),
            charts.Series(_("Kaplan–Meier median"), _values(scope, "km_median_days"), dashed=True)]),
        "backlog": charts.bar_chart(_("Open at the end of the month"), short, [
            charts.Series(_("open"), _values(scope, "open_at_end")),
            charts.Series(_("past due"), _values(scope, "open_past_due_at_end")),
            charts.Series(_("older than 30 days"), _values(scope, "open_over_30_days_at_end"))]),
    }


# ---- the annual report ---------------------------------------------------------------------------

HEADLINE_KEYS = ("received", "per_10k_residents", "closed", "fixed", "on_time_pct", "ack_on_time_pct",
                 "open_at_end", "open_past_due_at_end", "reopened", "duplicates", "reassigned",
                 "feedback_n", "confirmed_fixed_pct", "rating_mean")


@dataclass
class YearScope:
    kind: str
    key: str
    name: str
    pooled: dict[str, Any]
    previous: dict[str, Any] | None


@dataclass
class AnnualReport:
    year: int
    months: list[date]
    built: list[date]
    labels: list[str]
    city: YearScope
    city_series: Scope
    departments: list[YearScope]
    categories: list[YearScope]
    top_categories: list[YearScope]
    charts: dict[str, Markup]
    map_svg: Markup
    computed_at: datetime | None
    headline: list[tuple[str, Any, Any, float | None]]


def _pool(series: list[dict[str, Any] | None], population: int | None) -> dict[str, Any] | None:
    present = [m for m in series if m]
    return rules.pool_months(present, population) if present else None


def annual_report(year: int) -> AnnualReport | None:
    months = [date(year, m, 1) for m in range(1, 13)]
    previous_months = [date(year - 1, m, 1) for m in range(1, 13)]
    series = services.scope_series(months)
    if (CITY, 0) not in series:
        return None
    before = services.scope_series(previous_months)
    population = services.populations()
    city_scope, departments, categories = _scopes(series, months)
    assert city_scope is not None
    built = [m for m, s in zip(months, city_scope.series, strict=True) if s]

    def year_scope(scope: Scope) -> YearScope:
        key = (scope.kind, scope.id)
        pooled = _pool(scope.series, population.get(key)) or rules.pool_months([], population.get(key))
        return YearScope(scope.kind, scope.key, scope.name, pooled, _pool(before.get(key, []), population.get(key)))

    city = year_scope(city_scope)
    dept_rows = [year_scope(s) for s in departments]
    cat_rows = [year_scope(s) for s in categories]
    top = sorted((c for c in cat_rows if c.pooled["received"]), key=lambda c: -c.pooled["received"])[:10]
    labels = [month_label(m, with_year=False) for m in months]
    zone = current_app.config["CITY_TIMEZONE"]
    start, _end = rules.month_bounds(months[0], zone)
    _start, end = rules.month_bounds(months[-1], zone)
    map_svg = charts.hex_map(_("Where reports came from in %(year)s", year=year),
                             services.location_cells(start, end), services.city_outline(),
                             _("reports per hexagon of about 0.3 km²"))
    headline = [(key, city.pooled.get(key), (city.previous or {}).get(key),
                 rules.change(city.pooled.get(key), (city.previous or {}).get(key)))
                for key in HEADLINE_KEYS]
    return AnnualReport(year=year, months=months, built=built, labels=labels, city=city, city_series=city_scope,
                        departments=dept_rows, categories=cat_rows, top_categories=top,
                        charts=scope_charts(city_scope, labels), map_svg=map_svg,
                        computed_at=services.computed_at_of(months), headline=headline)


ANNUAL_CSV_FIELDS = ("period", "scope", "id", "name", "months", *rules.POOLED_COUNTS, "ack_on_time_pct",
                     "on_time_pct", "confirmed_fixed_pct", "rating_mean", "open_at_end", "open_past_due_at_end",
                     "open_over_30_days_at_end", "per_10k_residents", "small_sample",
                     "ack_hours_median", "close_days_median", "km_median_days")


def annual_csv_rows(report: AnnualReport) -> list[dict[str, Any]]:
    """The year's figures per scope, then every scope's monthly figures, as the open-data CSV."""
    rows: list[dict[str, Any]] = []
    scopes = [(CITY, "", report.city.name, report.city)] + \
        [(DEPARTMENT, s.key, s.name, s) for s in report.departments] + \
        [(CATEGORY, s.key, s.name, s) for s in report.categories]
    for kind, key, name, scope in scopes:
        rows.append({"period": str(report.year), "scope": kind, "id": key, "name": name, **scope.pooled})
    series = services.scope_series(report.months)
    ids = _scope_ids()
    for kind, key, name, _scope in scopes:
        for month, metrics in zip(report.months, series.get((kind, ids.get((kind, key), 0)), []), strict=False):
            if metrics:
                rows.append({"period": rules.format_month(month), "scope": kind, "id": key, "name": name,
                             "months": 1, **metrics})
    return [{f: rules.csv_value(row.get(f)) for f in ANNUAL_CSV_FIELDS} for row in rows]


def _scope_ids() -> dict[tuple[str, str], int]:
    ids: dict[tuple[str, str], int] = {(CITY, ""): 0}
    ids.update(((DEPARTMENT, slug), i) for i, slug in db.session.execute(select(Department.id, Department.slug)))
    ids.update(((CATEGORY, code), i) for i, code in db.session.execute(select(Category.id, Category.code)))
    return ids


def city_name() -> str:
    return db.session.scalar(select(Jurisdiction.name).order_by(Jurisdiction.id).limit(1)) or "CityReport"
