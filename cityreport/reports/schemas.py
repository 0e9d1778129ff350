"""What the reports package accepts and answers, described once: the input models (core/inputs.py) and
the output serializers with the JSON Schemas of what they produce.

The input models validate and feed the OpenAPI document (cityreport/api/openapi.py), so the document
cannot drift from what the server accepts; a test checks each output schema against its serializer.
Nothing here reads the database or processes a photo: the services do (services.intake).

Status codes: 400 when a value cannot be read as its type (a latitude that is not a number),
422 when it can be read but is not acceptable (an unknown category, a point outside the city).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from flask import url_for
from flask_babel import gettext as _
from pydantic import BeforeValidator, Field, WithJsonSchema

from cityreport.core.inputs import (
    Choice,
    DateTime,
    Email,
    Input,
    Integer,
    Number,
    Phone,
    Text,
    malformed,
    unacceptable,
)
from cityreport.departments.models import Category
from cityreport.geo import latlon
from cityreport.media.services import photo_url
from cityreport.reports.labels import status_label
from cityreport.reports.rules import PUBLIC_STATUSES, STATUSES, is_open, is_public_event

BBOX_PATTERN = r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?$"


def _bbox(value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, tuple):
        return value
    if not isinstance(value, str) or not re.match(BBOX_PATTERN, value.strip()):
        raise malformed(_("must be four numbers: min_lon,min_lat,max_lon,max_lat"))
    west, south, east, north = (float(part) for part in value.strip().split(","))
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise unacceptable(_("must be four numbers: min_lon,min_lat,max_lon,max_lat"))
    return (west, south, east, north)


BBox = Annotated[tuple[float, float, float, float], BeforeValidator(_bbox),
                 WithJsonSchema({"type": "string", "pattern": BBOX_PATTERN})]


class ReportInput(Input):
    """A report from any front door: the form, the JSON API, Open311 (photos come beside it)."""

    category: Text(40) = Field(description="Category code (`GET /api/v1/categories`).")
    lat: Number(-90, 90) | None = Field(None, description="Latitude, WGS 84. May be left out when a photo "
                                                          "carries GPS.")
    lon: Number(-180, 180) | None = Field(None, description="Longitude, WGS 84. May be left out when a photo "
                                                            "carries GPS.")
    description: Text(5000, min_length=1, multiline=True) = Field(description="What is wrong, in the "
                                                                              "resident's words.")
    address: Text(300) | None = Field(None, description="Street address or landmark, if known.")
    name: Text(200) | None = Field(None, description="Reporter's name. Private: never published.")
    email: Email | None = Field(None, description="Reporter's e-mail, for status updates. Private: never "
                                                  "published.")
    phone: Phone | None = Field(None, description="Reporter's phone. Private: never published.")
    idempotency_key: Text(80, min_length=8) | None = Field(None, description=(
        "A key the client makes up per report; sending it again returns the report already stored instead of "
        "storing a second one."))


class ReportListQuery(Input):
    bbox: BBox | None = Field(None, description="min_lon,min_lat,max_lon,max_lat")
    status: Choice(*PUBLIC_STATUSES) | None = Field(None, description="Only reports in this status.")
    category: Text(40) | None = Field(None, description="Category code.")
    department: Text(80) | None = Field(None, description="Department slug.")
    since: DateTime | None = Field(None, description="Created at or after (ISO 8601).")
    until: DateTime | None = Field(None, description="Created before (ISO 8601).")
    cursor: Text(100) | None = Field(None, description="Opaque cursor from the previous page's `next_cursor`.")
    limit: Integer(1, 200) | None = Field(None, description="Page size.")


class NearbyQuery(Input):
    lat: Number(-90, 90) = Field(description="Latitude, WGS 84.")
    lon: Number(-180, 180) = Field(description="Longitude, WGS 84.")
    category: Text(40) = Field(description="Category code.")
    radius: Integer(10, 5000) | None = Field(None, description="Metres; defaults to the category's nearby radius.")


# ---- output --------------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def public_photo(photo: Any) -> dict[str, Any]:
    return {"url": photo_url(photo, "display", external=True),
            "thumbnail_url": photo_url(photo, "thumbnail", external=True),
            "width": photo.width, "height": photo.height}


def public_timeline(report: Any, locale: str) -> list[dict[str, Any]]:
    """Events a resident may see (rules.is_public_event). Internal text, staff identities and feedback
    comments stay inside."""
    items = []
    for event in report.events:
        if not is_public_event(event.kind, event.to_status, event.public_text):
            continue
        item = {"at": _iso(event.at), "kind": event.kind, "from_status": event.from_status,
                "to_status": event.to_status, "text": event.public_text}
        items.append(item)
    return items


def public_report(report: Any, *, locale: str = "ro", timeline: bool = False) -> dict[str, Any]:
    """The public view of a report: no reporter name, e-mail or phone, no internal notes."""
    lat, lon = latlon(report.location)
    body: dict[str, Any] = {
        "id": report.id,
        "status": report.status,
        "status_label": status_label(report.status),
        "open": is_open(report.status),
        "category": {"code": report.category.code, "name": report.category.name(locale)},
        "department": {"slug": report.department.slug, "name": report.department.name(locale)},
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "address": report.address,
        "description": report.description,
        "created_at": _iso(report.created_at),
        "acknowledged_at": _iso(report.acknowledged_at),
        "closed_at": _iso(report.closed_at),
        "duplicate_of": report.duplicate_of_id,
        "photos": [public_photo(p) for p in report.photos],
        "public_url": url_for("reports.show", report_id=report.id, _external=True),
    }
    if timeline:
        body["timeline"] = public_timeline(report, locale)
    return body


def public_category(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": {"ro": category.name_ro, "en": category.name_en},
        "group": {"ro": category.group_ro, "en": category.group_en},
        "description": {"ro": category.description_ro, "en": category.description_en},
        "ack_target_hours": category.ack_target_hours,
        "resolve_target_days": category.resolve_target_days,
        "nearby_radius_m": category.nearby_radius_m,
    }


# JSON Schemas of the responses (OpenAPI 3.0 dialect: `nullable`).
_STR_OR_NULL = {"type": "string", "nullable": True}
_TIME_OR_NULL = {"type": "string", "format": "date-time", "nullable": True}
_LANG_PAIR = {"type": "object", "required": ["ro", "en"],
              "properties": {"ro": {"type": "string"}, "en": {"type": "string"}}}
PHOTO_SCHEMA = {"type": "object", "required": ["url", "thumbnail_url", "width", "height"], "properties": {
    "url": {"type": "string"}, "thumbnail_url": {"type": "string"},
    "width": {"type": "integer"}, "height": {"type": "integer"}}}
TIMELINE_ITEM_SCHEMA = {"type": "object", "required": ["at", "kind"], "properties": {
    "at": {"type": "string", "format": "date-time"}, "kind": {"type": "string"},
    "from_status": _STR_OR_NULL, "to_status": _STR_OR_NULL, "text": _STR_OR_NULL}}
REPORT_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "status_label", "open", "category", "department", "lat", "lon", "description",
                 "created_at", "photos", "public_url"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "status_label": {"type": "string"},
        "open": {"type": "boolean"},
        "category": {"type": "object", "required": ["code", "name"],
                     "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
        "department": {"type": "object", "required": ["slug", "name"],
                       "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
        "lat": {"type": "number"}, "lon": {"type": "number"},
        "address": _STR_OR_NULL,
        "description": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "acknowledged_at": _TIME_OR_NULL,
        "closed_at": _TIME_OR_NULL,
        "duplicate_of": {"type": "integer", "nullable": True},
        "photos": {"type": "array", "items": PHOTO_SCHEMA},
        "public_url": {"type": "string"},
        "timeline": {"type": "array", "items": TIMELINE_ITEM_SCHEMA},
        "distance_m": {"type": "number"},
    },
}
CATEGORY_SCHEMA = {
    "type": "object",
    "required": ["code", "name", "group", "ack_target_hours", "resolve_target_days", "nearby_radius_m"],
    "properties": {"code": {"type": "string"}, "name": _LANG_PAIR, "group": _LANG_PAIR, "description": _LANG_PAIR,
                   "ack_target_hours": {"type": "integer"}, "resolve_target_days": {"type": "integer"},
                   "nearby_radius_m": {"type": "integer"}},
}
CREATED_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "department", "public_url", "duplicates_nearby"],
    "properties": {
        "id": {"type": "integer"}, "status": {"type": "string"},
        "department": {"type": "object", "required": ["slug", "name"],
                       "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
        "public_url": {"type": "string"},
        "location_from_photo": {"type": "boolean"},
        "duplicates_nearby": {"type": "array", "items": REPORT_SCHEMA},
    },
}
ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}
