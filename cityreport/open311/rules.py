"""Pure rules of the Open311 GeoReport v2 interface: dates, windows, answers, the XML shape.

Nothing here touches the database or the request; views and services feed it plain values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

from flask_babel import gettext as _

from cityreport.reports.rules import (
    ACKNOWLEDGED,
    DUPLICATE,
    FIXED,
    IN_PROGRESS,
    NEW,
    NOT_RESPONSIBLE,
    UNABLE_TO_FIX,
)

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# When the discovery document (endpoints, formats) last changed: it changes with the code, not the data.
DISCOVERY_CHANGESET = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
FORMATS = {"xml": "text/xml", "json": "application/json"}
DEFAULT_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")

# The element name of one item of each list, for XML. JSON uses arrays instead.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "notes": "note",
    "photos": "photo",
    "service_request_updates": "request_update",
}

# mySociety's extended statuses (as FixMyStreet reads them from servicerequestupdates): their vocabulary,
# keyed by ours. Some of their words happen to be spelled like our statuses.
UPDATE_STATUSES = {
    NEW: "open",
    ACKNOWLEDGED: "investigating",
    IN_PROGRESS: "in_progress",
    FIXED: "fixed",
    DUPLICATE: "duplicate",
    NOT_RESPONSIBLE: "not_councils_responsibility",
    UNABLE_TO_FIX: "no_further_action",
}


class BadParameter(ValueError):
    """A parameter that cannot be used; ``name`` is the parameter, the message says why."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


# ---- dates --------------------------------------------------------------------------------------

def format_datetime(moment: datetime | None, zone: tzinfo) -> str | None:
    """ISO 8601 / W3C with the city's offset, to the second (what the JSON Schemas call date-time)."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="seconds")


def parse_datetime(raw: str, zone: tzinfo, *, name: str) -> datetime:
    """Read an ISO 8601 date or date-time; one without an offset is a wall-clock time in the city."""
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(name, _("%(name)s must be an ISO 8601 date or date and time, for example "
                                   "2026-01-31T08:00:00+02:00", name=name)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None


def requested_window(start: datetime | None, end: datetime | None, now: datetime, *,
                     default_applies: bool) -> Window:
    """The spec's window on requested_datetime: at most 90 days; the latest 90 days when none is given.

    ``default_applies`` is False when the caller narrowed by other means (ids, updated_after/before),
    in which case an absent window means no limit on creation time.
    """
    if start is not None and end is not None:
        if end < start:
            raise BadParameter("end_date", _("end_date must not be before start_date"))
        if end - start > DEFAULT_WINDOW:
            raise BadParameter("end_date", _("start_date and end_date may not span more than 90 days"))
        return Window(start, end)
    if start is not None:
        return Window(start, start + DEFAULT_WINDOW)
    if end is not None:
        return Window(end - DEFAULT_WINDOW, end)
    if not default_applies:
        return Window(None, None)
    return Window(now - DEFAULT_WINDOW, None)


# ---- small parameters ---------------------------------------------------------------------------

def parse_id_list(raw: str) -> list[int]:
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 18:
            raise BadParameter("service_request_id", _("service_request_id must be a number or a "
                                                       "comma-separated list of numbers"))
        ids.append(int(part))
    if len(ids) > MAX_IDS:
        raise BadParameter("service_request_id", _("at most %(count)d service_request_id values at once",
                                                                count=MAX_IDS))
    return ids


def parse_codes(raw: str) -> list[str]:
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    if any(len(c) > 40 for c in codes):
        raise BadParameter("service_code", _("service_code is too long"))
    return codes


def parse_status_filter(raw: str) -> set[str]:
    wanted = {s.strip().lower() for s in raw.split(",") if s.strip()}
    if not wanted <= {"open", "closed"}:
        raise BadParameter("status", _("status must be open, closed or both (comma-separated)"))
    return wanted


def parse_number(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        raise BadParameter(name, _("%(name)s must be a number", name=name)) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadParameter(name, _("%(name)s must be between %(low)s and %(high)s", name=name, low=f"{low:g}",
                                           high=f"{high:g}"))
    return value


def parse_bbox(values: Mapping[str, str | None]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) from lat_ne/long_ne/lat_sw/long_sw; all four or none."""
    names = ("lat_ne", "long_ne", "lat_sw", "long_sw")
    given = {n: values.get(n) for n in names if values.get(n)}
    if not given:
        return None
    missing = [n for n in names if n not in given]
    if missing:
        raise BadParameter(missing[0], _("a bounding box needs all of lat_ne, long_ne, lat_sw and long_sw"))
    north = parse_number(given["lat_ne"], "lat_ne", -90, 90)
    east = parse_number(given["long_ne"], "long_ne", -180, 180)
    south = parse_number(given["lat_sw"], "lat_sw", -90, 90)
    west = parse_number(given["long_sw"], "long_sw", -180, 180)
    if south > north or west > east:
        raise BadParameter("lat_ne", _("the north-east corner must lie north and east of the south-west "
                                          "corner"))
    return west, south, east, north


def normalise_locale(raw: str | None, supported: Sequence[str]) -> str | None:
    """"en-US", "en_GB" and "EN" all mean "en"; None when unsupported or absent."""
    if not raw:
        return None
    language = re.split(r"[-_]", raw.strip().lower(), maxsplit=1)[0]
    return language if language in supported else None


# ---- answers to service attributes --------------------------------------------------------------

@dataclass(frozen=True)
class AttributeSpec:
    """What validation needs to know of a question (a ServiceAttribute, detached from the database)."""

    code: str
    datatype: str
    required: bool
    keys: tuple[str, ...] = ()
    variable: bool = True


def validate_answers(specs: Iterable[AttributeSpec], raw: Mapping[str, list[str]],
                     zone: tzinfo) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the answers against the questions; returns (answers, problems by ``attribute[code]``).

    Lists keep their keys; numbers become int or float; date-times are stored in ISO form. Answers to
    unknown codes are problems too, so a client learns of a typo instead of losing the answer.
    """
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    known = {}
    for spec in specs:
        known[spec.code] = spec
        field = f"attribute[{spec.code}]"
        given = [v.strip() for v in raw.get(spec.code, []) if v is not None and v.strip()]
        if not given:
            if spec.required:
                problems[field] = _("is required")
            continue
        if spec.datatype == "multivaluelist":
            unknown = [v for v in given if v not in spec.keys]
            if unknown:
                problems[field] = _("must be among: %(choices)s", choices=", ".join(spec.keys))
                continue
            answers[spec.code] = list(dict.fromkeys(given))
            continue
        if len(given) > 1:
            problems[field] = _("takes one value")
            continue
        value = given[0]
        if spec.datatype == "singlevaluelist":
            if value not in spec.keys:
                problems[field] = _("must be one of: %(choices)s", choices=", ".join(spec.keys))
                continue
            answers[spec.code] = value
        elif spec.datatype == "number":
            try:
                number = float(value.replace(",", "."))
            except ValueError:
                problems[field] = _("must be a number")
                continue
            if not math.isfinite(number):
                problems[field] = _("must be a number")
                continue
            answers[spec.code] = int(number) if number.is_integer() and abs(number) < 2**53 else number
        elif spec.datatype == "datetime":
            try:
                answers[spec.code] = parse_datetime(value, zone, name=field).isoformat(timespec="seconds")
            except BadParameter:
                problems[field] = _("must be an ISO 8601 date and time")
        else:
            limit = 200 if spec.datatype == "string" else 2000
            if len(value) > limit:
                problems[field] = _("must be at most %(count)d characters", count=limit)
                continue
            answers[spec.code] = value
    for code in raw:
        if code not in known:
            problems[f"attribute[{code}]"] = _("is not a question of this service")
    return answers, problems


def public_answers(specs: Iterable[AttributeSpec], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers safe to publish: list choices and numbers. Free text may hold personal data."""
    safe = {"singlevaluelist", "multivaluelist", "number"}
    return {s.code: answers[s.code] for s in specs if s.datatype in safe and s.code in answers}


# ---- rendering ----------------------------------------------------------------------------------

def prune(value: Any) -> Any:
    """Drop None and empty strings from mappings (the spec leaves empty optional fields out)."""
    if isinstance(value, Mapping):
        return {k: prune(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        item_tag = XML_ITEMS.get(tag, "item")
        for child in value:
            _append(element, item_tag, child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """The spec's XML for ``value`` under ``root``.

    Non-ASCII characters are written as character references, so the bytes are plain ASCII: a client
    that reads ``text/xml`` without a charset parameter as US-ASCII (RFC 3023) and one that follows the
    UTF-8 declaration (RFC 7303) both get the Romanian diacritics right.
    """
    element = ET.Element(root)
    _fill(element, root, prune(value))
    body = ET.tostring(element, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("ascii", "xmlcharrefreplace")


def error_document(errors: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"code": code, "description": description} for code, description in errors]


# ---- the administration's text form of a list question's values -------------------------------------

def parse_values(text: str) -> list[dict[str, str]]:
    """One choice a line: ``key | Romanian name | English name`` (the English name may be left out)."""
    values = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        key = parts[0]
        name_ro = parts[1] if len(parts) > 1 and parts[1] else key
        name_en = parts[2] if len(parts) > 2 and parts[2] else name_ro
        values.append({"key": key, "name_ro": name_ro[:200], "name_en": name_en[:200]})
    return values


def values_text(values: list[dict[str, str]]) -> str:
    return "\n".join(f"{v['key']} | {v.get('name_ro', '')} | {v.get('name_en', '')}" for v in values or [])
