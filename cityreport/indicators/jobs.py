"""Background work: the monthly snapshot build (scheduled on the 1st at 03:00 city time)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from cityreport.core.transaction import job
from cityreport.extensions import db
from cityreport.indicators import rules, services
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.models_base import utcnow
from cityreport.reports.models import Report


@job
def build_previous_months(now: datetime | None = None) -> list[str]:
    """Build last month, and rebuild the month before it so late closures and answers are counted.

    One transaction: both months are replaced together or not at all.
    """
    now = now or utcnow()
    current = rules.month_of(now, current_app.config["CITY_TIMEZONE"])
    last = rules.previous_month(current)
    before = rules.previous_month(last)
    built = []
    for month in (before, last):
        services.build_month(month, now=now)
        built.append(rules.format_month(month))
    return built


@job
def build_missing_months(now: datetime | None = None) -> list[str]:
    """Build every complete month since the first report that has no snapshot yet (a new install,
    an imported history, the demo city). Months already built are left as published."""


    now = now or utcnow()
    zone = current_app.config["CITY_TIMEZONE"]
    first = db.session.scalar(select(func.min(Report.created_at)))
    if first is None:
        return []
    done = set(db.session.scalars(select(IndicatorSnapshot.month).distinct()))
    month, last = rules.month_of(first, zone), rules.previous_month(rules.month_of(now, zone))
    built = []
    while month <= last:
        if month not in done:
            services.build_month(month, now=now)
            built.append(rules.format_month(month))
        month = rules.next_month(month)
    return built
