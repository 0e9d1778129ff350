"""Checking one row of an `import-reports` CSV (docs/status-machine.md, "Importing a history"), without the database.

A row either becomes an ImportRow whose timestamps and status agree with the status machine
(docs/status-machine.md), or a RowError naming its line and everything wrong with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cityreport.reports.rules import CLOSED_STATUSES, OPEN_STATUSES, STATUSES

COLUMNS = ("external_id", "category", "lat", "lon", "description", "created_at", "acknowledged_at", "closed_at",
           "status", "department")
EXTERNAL_ID_MAX = 100
DESCRIPTION_MAX = 10_000


@dataclass(frozen=True)
class ImportRow:
    line: int
    external_id: str
    category_id: int
    lat: float
    lon: float
    description: str
    created_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    status: str
    department_id: int | None  # None: route it


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def check_header(header: list[str] | None) -> str | None:
    """What is wrong with the header row, or None."""
    if not header:
        return "the file is empty (expected a header row: " + ",".join(COLUMNS) + ")"
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return "the header lacks the column(s) " + ", ".join(missing)
    return None


def parse_timestamp(value: str, timezone: str) -> datetime:
    """ISO 8601; a time without an offset is read as the city's local time. Returns UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


def _coordinate(value: str, low: float, high: float) -> float:
    number = float(value.strip())
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError
    return number


def validate_row(line: int, record: Mapping[str, str | None], *, categories: Mapping[str, int],
                 departments: Mapping[str, int], timezone: str, now: datetime,
                 seen_ids: set[str]) -> ImportRow | RowError:
    """Check one row; `seen_ids` collects the external ids met so far so a repeat in the file is refused."""
    problems: list[str] = []

    def field(name: str) -> str:
        return (record.get(name) or "").strip()

    external_id = field("external_id")
    if not external_id:
        problems.append("external_id: is required")
    elif len(external_id) > EXTERNAL_ID_MAX:
        problems.append(f"external_id: longer than {EXTERNAL_ID_MAX} characters")
    elif external_id in seen_ids:
        problems.append(f"external_id: {external_id!r} appears earlier in the file")

    category_id = categories.get(field("category"))
    if not field("category"):
        problems.append("category: is required")
    elif category_id is None:
        problems.append(f"category: unknown code {field('category')!r}")

    lat = lon = 0.0
    try:
        lat = _coordinate(field("lat"), -90, 90)
    except ValueError:
        problems.append("lat: must be a number between -90 and 90")
    try:
        lon = _coordinate(field("lon"), -180, 180)
    except ValueError:
        problems.append("lon: must be a number between -180 and 180")

    description = field("description")
    if not description:
        problems.append("description: is required")
    elif len(description) > DESCRIPTION_MAX:
        problems.append(f"description: longer than {DESCRIPTION_MAX} characters")

    stamps: dict[str, datetime | None] = {}
    for name in ("created_at", "acknowledged_at", "closed_at"):
        raw = field(name)
        if not raw:
            stamps[name] = None
            if name == "created_at":
                problems.append("created_at: is required")
            continue
        try:
            stamps[name] = parse_timestamp(raw, timezone)
        except ValueError:
            stamps[name] = None
            problems.append(f"{name}: {raw!r} is not an ISO 8601 date and time")
            continue
        if stamps[name] > now:
            problems.append(f"{name}: is in the future")
    created, acknowledged, closed = stamps["created_at"], stamps["acknowledged_at"], stamps["closed_at"]
    if created and acknowledged and acknowledged < created:
        problems.append("acknowledged_at: is before created_at")
    if created and closed and closed < created:
        problems.append("closed_at: is before created_at")
    if acknowledged and closed and acknowledged > closed:
        problems.append("acknowledged_at: is after closed_at")

    status = field("status").lower()
    if not status:
        if field("closed_at"):
            problems.append("status: is required when closed_at is given (which closed status?)")
        status = "acknowledged" if field("acknowledged_at") else "new"
    if status not in STATUSES:
        problems.append(f"status: unknown status {status!r} (one of {', '.join(STATUSES)})")
    elif status in CLOSED_STATUSES and not field("closed_at"):
        problems.append(f"closed_at: is required for the closed status {status!r}")
    elif status in OPEN_STATUSES and field("closed_at"):
        problems.append(f"closed_at: must be empty for the open status {status!r}")
    elif status == "new" and field("acknowledged_at"):
        problems.append("status: a report acknowledged at some time cannot still be 'new'")
    elif status in ("acknowledged", "in_progress") and not field("acknowledged_at"):
        problems.append(f"acknowledged_at: is required for status {status!r}")

    department_id = None
    if field("department"):
        department_id = departments.get(field("department"))
        if department_id is None:
            problems.append(f"department: unknown slug {field('department')!r}")

    if external_id:
        seen_ids.add(external_id)
    if problems:
        return RowError(line, "; ".join(problems))
    assert created is not None and category_id is not None
    # A report closed without an explicit acknowledgement was acknowledged when it left `new` (docs/status-machine.md).
    if closed is not None and acknowledged is None:
        acknowledged = closed
    return ImportRow(line=line, external_id=external_id, category_id=category_id, lat=lat, lon=lon,
                     description=description, created_at=created, acknowledged_at=acknowledged,
                     closed_at=closed, status=status, department_id=department_id)
