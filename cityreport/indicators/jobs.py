"""Background work: the monthly snapshot build (scheduled on the 1st at 03:00 city time)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from cityreport.extensions import db
from cityreport.indicators import rules, services
from cityreport.models_base import utcnow


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
    db.session.commit()
    return built
