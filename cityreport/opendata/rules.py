"""Pure rules of the open-data exports: the published columns, periods, licences and validators.

The column set is a public contract: re-users write scripts against it. Add columns at the end,
never rename or reorder; ``SCHEMA_VERSION`` goes up when it changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from flask_babel import lazy_gettext as _l

from cityreport.reports.rules import PUBLIC_STATUSES

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    ro: str
    en: str


REPORT_COLUMNS: tuple[Column, ...] = (
    Column("id", "integer", "Numărul public al sesizării.", "The report's public number."),
    Column("category_code", "string", "Codul categoriei (service_code în Open311).",
           "Category code (the Open311 service_code)."),
    Column("category_name_ro", "string", "Numele categoriei, în română.", "Category name in Romanian."),
    Column("category_name_en", "string", "Numele categoriei, în engleză.", "Category name in English."),
    Column("department", "string", "Codul direcției care răspunde acum de sesizare.",
           "Slug of the department now responsible for the report."),
    Column("department_name_ro", "string", "Numele direcției, în română.", "Department name in Romanian."),
    Column("department_name_en", "string", "Numele direcției, în engleză.", "Department name in English."),
    Column("status", "string", "Starea curentă: " + ", ".join(PUBLIC_STATUSES) + ".",
           "Current status: " + ", ".join(PUBLIC_STATUSES) + "."),
    Column("created_at", "datetime", "Când a fost primită (ISO 8601, cu decalajul orei locale).",
           "When it was received (ISO 8601 with the local UTC offset)."),
    Column("acknowledged_at", "datetime", "Când a fost confirmată de primărie; gol dacă încă nu.",
           "When the city hall acknowledged it; empty if not yet."),
    Column("closed_at", "datetime", "Când a fost închisă; gol dacă e deschisă.",
           "When it was closed; empty while open."),
    Column("latitude", "number", "Latitudine WGS 84, 6 zecimale.", "Latitude, WGS 84, 6 decimals."),
    Column("longitude", "number", "Longitudine WGS 84, 6 zecimale.", "Longitude, WGS 84, 6 decimals."),
    Column("description", "string", "Descrierea publică a problemei, în cuvintele cetățeanului.",
           "The public description of the problem, in the resident's words."),
    Column("photo_url", "string", "Adresa primei fotografii (fără metadate EXIF); gol dacă nu are.",
           "Address of the first photo (no EXIF metadata); empty if none."),
)
COLUMN_NAMES = tuple(c.name for c in REPORT_COLUMNS)

INDICATOR_LEAD_COLUMNS: tuple[str, ...] = ("month", "scope", "scope_id", "scope_code", "scope_name_ro",
                                           "scope_name_en", "definition_version", "computed_at")

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes; both None means every report."""

    start: datetime | None
    end: datetime | None
    label: str  # "2026-10", "2026-10-01_2026-10-15" or "all"


def month_period(text: str, zone: tzinfo) -> Period:
    match = MONTH_RE.match(text.strip())
    if not match:
        raise PeriodError("month", str(_l("must be a month written YYYY-MM")))
    year, month = int(match.group(1)), int(match.group(2))
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period(_midnight(first, zone), _midnight(following, zone), f"{year:04d}-{month:02d}")


def parse_period(month: str | None, start: str | None, end: str | None, zone: tzinfo) -> Period:
    """A month (YYYY-MM), or a date range from/to (YYYY-MM-DD, both days included), in city time."""
    if month:
        if start or end:
            raise PeriodError("month", str(_l("give either month or from/to, not both")))
        return month_period(month, zone)
    if not start and not end:
        return Period(None, None, "all")
    first = _day(start, "from") if start else None
    last = _day(end, "to") if end else None
    if first and last and last < first:
        raise PeriodError("to", str(_l("must not be before from")))
    label = f"{first.isoformat() if first else 'start'}_{last.isoformat() if last else 'now'}"
    return Period(_midnight(first, zone) if first else None,
                  _midnight(last + timedelta(days=1), zone) if last else None, label)


def _day(text: str, field: str) -> date:
    if not DATE_RE.match(text.strip()):
        raise PeriodError(field, str(_l("must be a date written YYYY-MM-DD")))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(field, str(_l("must be a date written YYYY-MM-DD"))) from None


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def etag(parts: Iterable[object]) -> str:
    """A strong validator from everything that shapes the bytes of an export."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return digest[:32]


# The indicators file's columns (docs/indicators.md has the full definitions), in Romanian and English.
INDICATOR_DEFINITIONS: dict[str, tuple[str, str]] = {
    "month": ("Luna, AAAA-LL, în ora orașului.", "Month, YYYY-MM, in city time."),
    "scope": ("city (tot orașul), department (direcție) sau category (categorie).",
              "city, department or category."),
    "scope_id": ("Id-ul direcției sau categoriei; 0 pentru oraș.", "Id of the department or category; 0 for the city."),
    "scope_code": ("Codul direcției sau categoriei; city pentru oraș.", "Department slug or category code; city."),
    "scope_name_ro": ("Numele, în română.", "Name in Romanian."),
    "scope_name_en": ("Numele, în engleză.", "Name in English."),
    "definition_version": ("Versiunea definițiilor (1).", "Version of the definitions (1)."),
    "computed_at": ("Când a fost calculat.", "When it was computed."),
    "received": ("Sesizări primite în lună.", "Reports received in the month."),
    "closed": ("Sesizări închise în lună.", "Reports closed in the month."),
    "fixed": ("Dintre cele închise, rezolvate.", "Of those closed, fixed."),
    "open_at_end": ("Deschise la sfârșitul lunii.", "Open at the end of the month."),
    "ack_hours_median": ("Mediana orelor până la confirmare.", "Median hours to acknowledgement."),
    "ack_hours_p90": ("Percentila 90 a orelor până la confirmare.", "90th percentile of hours to acknowledgement."),
    "ack_on_time_pct": ("% confirmate la timp.", "% acknowledged on time."),
    "close_days_median": ("Mediana zilelor până la închidere.", "Median days to close."),
    "close_days_p90": ("Percentila 90 a zilelor până la închidere.", "90th percentile of days to close."),
    "on_time_pct": ("% rezolvate în termen, din cele scadente în lună.", "% closed on time, of those due in the month."),
    "km_median_days": ("Mediana Kaplan–Meier a zilelor până la închidere.", "Kaplan–Meier median days to close."),
    "km_p90_days": ("Percentila 90 Kaplan–Meier.", "Kaplan–Meier 90th percentile of days to close."),
    "still_open_pct": ("% din sesizările lunii încă deschise.", "% of the month's reports still open."),
    "duplicates": ("Închise ca duplicate.", "Closed as duplicates."),
    "open_past_due_at_end": ("Deschise și depășite la sfârșitul lunii.", "Open and past due at the month's end."),
    "open_over_30_days_at_end": ("Deschise de peste 30 de zile la sfârșitul lunii.",
                                 "Open for over 30 days at the month's end."),
    "reassigned": ("Mutate la altă direcție cel puțin o dată.", "Moved to another department at least once."),
    "reopened": ("Redeschideri în lună.", "Reopenings in the month."),
    "feedback_n": ("Răspunsuri de la cetățeni.", "Residents' feedback answers."),
    "confirmed_fixed_pct": ("% confirmate ca rezolvate de cetățeni.", "% confirmed fixed by residents."),
    "rating_mean": ("Nota medie (1–5).", "Mean rating (1–5)."),
    "per_10k_residents": ("Sesizări la 10.000 de locuitori.", "Reports per 10,000 residents."),
    "small_sample": ("true când sub 10 sesizări: cifre de citit cu grijă.", "true below 10 reports: read with care."),
}
