"""Indicator definitions that are plain arithmetic (docs/indicators.md, version 1), free of the database.

The SQL in services.py does the counting; what is awkward in SQL lives here: month boundaries in
the city's time zone, the Kaplan–Meier estimator, rounding and the assembly of one metrics dict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFINITION_VERSION = 1
SMALL_SAMPLE_BELOW = 10

# The metric keys of docs/indicators.md, in the order they are published.
METRIC_KEYS: tuple[str, ...] = (
    "received", "closed", "fixed", "open_at_end",
    "ack_hours_median", "ack_hours_p90", "ack_on_time_pct",
    "close_days_median", "close_days_p90", "on_time_pct",
    "km_median_days", "km_p90_days", "still_open_pct",
    "duplicates", "open_past_due_at_end", "open_over_30_days_at_end",
    "reassigned", "reopened",
    "feedback_n", "confirmed_fixed_pct", "rating_mean",
    "per_10k_residents", "small_sample",
)
# The n behind each median and percentage, so every published figure can show its sample and
# yearly figures can be pooled exactly from monthly snapshots (a mean of monthly percentages
# would weight a quiet month like a busy one).
SUPPORT_KEYS: tuple[str, ...] = (
    "ack_hours_n", "ack_due_n", "ack_on_time_n",
    "close_days_n", "due_n", "closed_on_time_n",
    "km_n", "still_open_n",
    "feedback_yes_no_n", "feedback_fixed_n", "rating_n", "rating_sum",
)
ALL_KEYS = METRIC_KEYS + SUPPORT_KEYS

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    pass


def parse_month(value: str | None) -> date:
    """"YYYY-MM" to the first day of that month; MonthError says what is wrong."""
    match = _MONTH_RE.match((value or "").strip())
    if not match:
        raise MonthError("expected a month as YYYY-MM, e.g. 2026-03")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise MonthError("the month must be between 01 and 12")
    if year < 1970 or year > 9998:
        raise MonthError("the year is out of range")
    return date(year, month, 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in the city's zone, as UTC instants.

    Local midnight on the 1st is converted with the offset in force on that day, so March (23-hour
    last Sunday) and October (25-hour last Sunday) keep exactly the hours they have locally.
    """
    zone = ZoneInfo(timezone)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = next_month(month)
    end = datetime(following.year, following.month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(instant: datetime, timezone: str) -> date:
    local = instant.astimezone(ZoneInfo(timezone))
    return date(local.year, local.month, 1)


def last_months(until: date, count: int) -> list[date]:
    """`count` months ending with `until`, oldest first."""
    months = [until]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return list(reversed(months))


# ---- Kaplan–Meier -------------------------------------------------------------------------------

# S(t) is a product of fractions; a curve that lands exactly on 0.5 must count as having reached it
# even when the floating-point product comes out a hair above.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Observation:
    time: float  # days from creation to closing, or to the censoring time
    closed: bool  # False: still open, censored at `time`


def kaplan_meier(observations: Iterable[Observation]) -> list[tuple[float, float]]:
    """The survival curve as (event time, S just after it) steps, one per distinct close time.

    Reports still open are censored: they count in the risk set up to and including their
    censoring time (a report censored at the same instant as a close was still at risk), then
    leave it without making the curve drop.
    """
    ordered = sorted(observations, key=lambda o: (o.time, not o.closed))
    at_risk = len(ordered)
    survival = 1.0
    curve: list[tuple[float, float]] = []
    i = 0
    while i < len(ordered):
        t = ordered[i].time
        events = censored = 0
        while i < len(ordered) and ordered[i].time == t:
            if ordered[i].closed:
                events += 1
            else:
                censored += 1
            i += 1
        if events:
            survival *= 1.0 - events / at_risk
            curve.append((t, survival))
        at_risk -= events + censored
    return curve


def km_time_to(curve: list[tuple[float, float]], level: float) -> float | None:
    """The smallest observed close time t with S(t) <= level; None if the curve never gets there."""
    for t, survival in curve:
        if survival <= level + _EPSILON:
            return t
    return None


def km_summary(observations: list[Observation]) -> dict[str, Any]:
    curve = kaplan_meier(observations)
    n = len(observations)
    still_open = sum(1 for o in observations if not o.closed)
    return {
        "km_median_days": km_time_to(curve, 0.5),
        "km_p90_days": km_time_to(curve, 0.1),
        "still_open_pct": pct(still_open, n),
        "km_n": n,
        "still_open_n": still_open,
    }


# ---- arithmetic shared with SQL -----------------------------------------------------------------

def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, exactly as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def pct(part: int | float | None, whole: int | float | None) -> float | None:
    if not whole or part is None:
        return None
    return 100.0 * part / whole


def csv_value(value: Any) -> Any:
    """A metric as a CSV cell, the same in every export: empty for none, true/false, numbers rounded to 2
    decimals and whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return repr(value)
        value = round(value, 2) + 0.0
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def round2(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value
    return round(float(value) + 0.0, 2)


def per_10k(received: int, population: int | None) -> float | None:
    if not population:
        return None
    return received * 10_000 / population


def assemble(counts: Mapping[str, Any], km: Mapping[str, Any], population: int | None) -> dict[str, Any]:
    """One scope's published metrics from the SQL aggregates and the Kaplan–Meier summary.

    Missing data stays None: a department that received nothing has no median, not a median of 0.
    """
    get = counts.get
    received = int(get("received") or 0)
    yes_no = int(get("feedback_yes_no_n") or 0)
    rating_n = int(get("rating_n") or 0)
    rating_sum = get("rating_sum")
    metrics: dict[str, Any] = {
        "received": received,
        "closed": int(get("closed") or 0),
        "fixed": int(get("fixed") or 0),
        "open_at_end": int(get("open_at_end") or 0),
        "ack_hours_median": get("ack_hours_median"),
        "ack_hours_p90": get("ack_hours_p90"),
        "ack_on_time_pct": pct(get("ack_on_time_n"), get("ack_due_n")),
        "close_days_median": get("close_days_median"),
        "close_days_p90": get("close_days_p90"),
        "on_time_pct": pct(get("closed_on_time_n"), get("due_n")),
        "km_median_days": km.get("km_median_days"),
        "km_p90_days": km.get("km_p90_days"),
        "still_open_pct": km.get("still_open_pct"),
        "duplicates": int(get("duplicates") or 0),
        "open_past_due_at_end": int(get("open_past_due_at_end") or 0),
        "open_over_30_days_at_end": int(get("open_over_30_days_at_end") or 0),
        "reassigned": int(get("reassigned") or 0),
        "reopened": int(get("reopened") or 0),
        "feedback_n": int(get("feedback_n") or 0),
        "confirmed_fixed_pct": pct(get("feedback_fixed_n"), yes_no),
        "rating_mean": (float(rating_sum) / rating_n) if rating_n else None,
        "per_10k_residents": per_10k(received, population),
        "small_sample": received < SMALL_SAMPLE_BELOW,
        "ack_hours_n": int(get("ack_hours_n") or 0),
        "ack_due_n": int(get("ack_due_n") or 0),
        "ack_on_time_n": int(get("ack_on_time_n") or 0),
        "close_days_n": int(get("close_days_n") or 0),
        "due_n": int(get("due_n") or 0),
        "closed_on_time_n": int(get("closed_on_time_n") or 0),
        "km_n": int(km.get("km_n") or 0),
        "still_open_n": int(km.get("still_open_n") or 0),
        "feedback_yes_no_n": yes_no,
        "feedback_fixed_n": int(get("feedback_fixed_n") or 0),
        "rating_n": rating_n,
        "rating_sum": int(rating_sum or 0),
    }
    return {key: round2(value) for key, value in metrics.items()}


# ---- a year pooled from its monthly snapshots ---------------------------------------------------

POOLED_COUNTS = ("received", "closed", "fixed", "duplicates", "reassigned", "reopened", "feedback_n",
                 "ack_hours_n", "ack_due_n", "ack_on_time_n", "close_days_n", "due_n", "closed_on_time_n",
                 "km_n", "feedback_yes_no_n", "feedback_fixed_n", "rating_n", "rating_sum")


def pool_months(monthly: list[Mapping[str, Any]], population: int | None = None) -> dict[str, Any]:
    """Figures for a run of months: counts add up, shares are recomputed from pooled numerators.

    Medians do not pool (the median of monthly medians is not the yearly median), so none is
    given here; the monthly medians are shown as a trend instead. Backlog figures are those at the
    end of the last month present.
    """
    total = {key: sum(int(m.get(key) or 0) for m in monthly) for key in POOLED_COUNTS}
    last = monthly[-1] if monthly else {}
    pooled: dict[str, Any] = dict(total)
    pooled.update({
        "months": len(monthly),
        "ack_on_time_pct": pct(total["ack_on_time_n"], total["ack_due_n"]),
        "on_time_pct": pct(total["closed_on_time_n"], total["due_n"]),
        "confirmed_fixed_pct": pct(total["feedback_fixed_n"], total["feedback_yes_no_n"]),
        "rating_mean": total["rating_sum"] / total["rating_n"] if total["rating_n"] else None,
        "open_at_end": last.get("open_at_end"),
        "open_past_due_at_end": last.get("open_past_due_at_end"),
        "open_over_30_days_at_end": last.get("open_over_30_days_at_end"),
        "per_10k_residents": per_10k(total["received"], population),
        "small_sample": total["received"] < SMALL_SAMPLE_BELOW,
    })
    return {key: round2(value) for key, value in pooled.items()}


def change(current: float | int | None, previous: float | int | None) -> float | None:
    """Relative change in percent; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return round2(100.0 * (current - previous) / previous)
