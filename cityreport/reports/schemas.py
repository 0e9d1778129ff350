"""Report input and output, described once.

Each input field is a `Field`: `parse_fields` validates request data against the description and
`cityreport.api.openapi` turns the same description into the OpenAPI document, so the document
cannot drift from what the server accepts. Output shapes are JSON Schemas beside the serializers
that produce them; a test checks one against the other.

Status codes: 400 when a value cannot be read as its type (a latitude that is not a number),
422 when it can be read but is not acceptable (an unknown category, a point outside the city).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from cityreport.core.contact import is_email
from cityreport.departments.models import Category
from cityreport.errors import ValidationError
from cityreport.extensions import db
from cityreport.geo import latlon
from cityreport.reports.labels import status_label
from cityreport.reports.rules import OPEN_STATUSES, PUBLIC_STATUSES, STATUSES, is_open, is_public_event

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")
# PostgreSQL text cannot hold NUL; other C0 controls have no place in a report either.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BBOX_PATTERN = r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?$"
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Field:
    """One input field: its type and limits, for validation and for the OpenAPI document alike."""

    name: str
    kind: str  # string | email | number | integer | datetime | bbox | enum
    doc: str
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None


REPORT_FIELDS: tuple[Field, ...] = (
    Field("category", "string", "Category code (`GET /api/v1/categories`).", required=True, max_length=40),
    Field("lat", "number", "Latitude, WGS 84. May be left out when a photo carries GPS.", minimum=-90, maximum=90),
    Field("lon", "number", "Longitude, WGS 84. May be left out when a photo carries GPS.", minimum=-180,
          maximum=180),
    Field("description", "string", "What is wrong, in the resident's words.", required=True, min_length=1,
          max_length=5000),
    Field("address", "string", "Street address or landmark, if known.", max_length=300),
    Field("name", "string", "Reporter's name. Private: never published.", max_length=200),
    Field("email", "email", "Reporter's e-mail, for status updates. Private: never published.", max_length=254),
    Field("phone", "string", "Reporter's phone. Private: never published.", max_length=40),
    Field("idempotency_key", "string", "A key the client makes up per report; sending it again returns the "
          "report already stored instead of storing a second one.", max_length=80, min_length=8),
)

LIST_FIELDS: tuple[Field, ...] = (
    Field("bbox", "bbox", "min_lon,min_lat,max_lon,max_lat", pattern=BBOX_PATTERN),
    Field("status", "enum", "Only reports in this status.", choices=PUBLIC_STATUSES),
    Field("category", "string", "Category code.", max_length=40),
    Field("department", "string", "Department slug.", max_length=80),
    Field("since", "datetime", "Created at or after (ISO 8601)."),
    Field("until", "datetime", "Created before (ISO 8601)."),
    Field("cursor", "string", "Opaque cursor from the previous page's `next_cursor`.", max_length=100),
    Field("limit", "integer", "Page size.", minimum=1, maximum=200),
)

NEARBY_FIELDS: tuple[Field, ...] = (
    Field("lat", "number", "Latitude, WGS 84.", required=True, minimum=-90, maximum=90),
    Field("lon", "number", "Longitude, WGS 84.", required=True, minimum=-180, maximum=180),
    Field("category", "string", "Category code.", required=True, max_length=40),
    Field("radius", "integer", "Metres; defaults to the category's nearby radius.", minimum=10, maximum=5000),
)


class _Malformed(Exception):
    pass


class _Unacceptable(Exception):
    pass


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Malformed(_("must be text"))
    if CONTROL_RE.search(value):
        raise _Malformed(_("contains characters that are not allowed"))
    value = value.strip()
    return value or None


def _convert(spec: Field, raw: Any) -> Any:
    if spec.kind in ("number", "integer"):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            raise _Malformed(_("must be a number"))
        if isinstance(raw, str):
            text = raw.strip().replace(",", ".")  # a Romanian keyboard writes 46,77
            try:
                number: float = int(text) if spec.kind == "integer" else float(text)
            except ValueError:
                raise _Malformed(_("must be a whole number") if spec.kind == "integer"
                                 else _("must be a number")) from None
        elif isinstance(raw, int | float):
            number = raw
            if spec.kind == "integer" and isinstance(raw, float):
                if not raw.is_integer():
                    raise _Malformed(_("must be a whole number"))
                number = int(raw)
        else:
            raise _Malformed(_("must be a number"))
        if isinstance(number, float) and not math.isfinite(number):
            raise _Malformed(_("must be a number"))
        if (spec.minimum is not None and number < spec.minimum) or \
                (spec.maximum is not None and number > spec.maximum):
            raise _Unacceptable(_("must be between %(low)s and %(high)s", low=_fmt(spec.minimum),
                                  high=_fmt(spec.maximum)))
        return number
    text = _text(raw)
    if text is None:
        return None
    if spec.max_length is not None and len(text) > spec.max_length:
        raise _Unacceptable(_("must be at most %(count)d characters", count=spec.max_length))
    if spec.min_length is not None and len(text) < spec.min_length:
        raise _Unacceptable(_("must be at least %(count)d characters", count=spec.min_length))
    if spec.kind == "email" and not is_email(text):
        raise _Unacceptable(_("is not a valid e-mail address"))
    if spec.kind == "enum" and spec.choices and text not in spec.choices:
        raise _Unacceptable(_("must be one of: %(choices)s", choices=", ".join(spec.choices)))
    if spec.kind == "datetime":
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _Malformed(_("must be a date and time in ISO 8601 form")) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if spec.kind == "bbox":
        if not re.match(BBOX_PATTERN, text):
            raise _Malformed(_("must be four numbers: min_lon,min_lat,max_lon,max_lat"))
        west, south, east, north = (float(part) for part in text.split(","))
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise _Unacceptable(_("must be four numbers: min_lon,min_lat,max_lon,max_lat"))
        return (west, south, east, north)
    return text


def _fmt(number: float | None) -> str:
    return "" if number is None else f"{number:g}"


@dataclass
class Parsed:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    malformed: bool = False

    def fail(self, name: str, message: str, *, malformed: bool = False) -> None:
        self.errors.setdefault(name, message)
        self.malformed = self.malformed or malformed

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(fields=dict(self.errors), status=400 if self.malformed else 422)


def parse_fields(specs: Sequence[Field], data: Mapping[str, Any], *, check_required: bool = True) -> Parsed:
    """Convert and check each described field, collecting every problem rather than stopping at the first."""
    parsed = Parsed(values={})
    for spec in specs:
        raw = data.get(spec.name)
        try:
            value = _convert(spec, raw)
        except _Malformed as exc:
            parsed.fail(spec.name, str(exc), malformed=True)
            continue
        except _Unacceptable as exc:
            parsed.fail(spec.name, str(exc))
            continue
        if value is None and spec.required and check_required:
            parsed.fail(spec.name, _("is required"))
        parsed.values[spec.name] = value
    return parsed


def parse_query(specs: Sequence[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    parsed = parse_fields(specs, data)
    parsed.raise_if_errors()
    return parsed.values


@dataclass
class ReportSubmission:
    """A validated report, ready for `services.submit_report`."""

    category: Category
    lat: float
    lon: float
    description: str
    address: str | None
    name: str | None
    email: str | None
    phone: str | None
    photos: list[Any]  # cityreport.media.services.ProcessedPhoto
    locale: str
    source: str
    idempotency_key: str | None = None
    location_from_photo: bool = False
    external_id: str | None = None
    attributes: dict[str, Any] | None = None


def _photo_bytes(item: Any) -> bytes | None:
    """Multipart FileStorage, raw bytes, or (from JSON) base64 text; None for an empty file input."""
    if item is None:
        return None
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item) or None
    if isinstance(item, str):
        try:
            return base64.b64decode(item, validate=True) or None
        except (binascii.Error, ValueError):
            raise _Malformed(_("must be a file or base64-encoded image data")) from None
    if hasattr(item, "read"):
        limit = current_app.config["PHOTO_MAX_BYTES"] + 1
        data = item.read(limit)
        return data or None
    raise _Malformed(_("must be a file or base64-encoded image data"))


def active_category(code: str) -> Category | None:
    return db.session.scalars(select(Category).where(Category.code == code, Category.active.is_(True))).first()


def parse_report(data: Mapping[str, Any], files: Sequence[Any] | None, *, source: str,
                 locale: str) -> ReportSubmission:
    """Validate a report from any front door (form, JSON, Open311); raise one ValidationError naming every field.

    ``data`` maps field names to values (strings from a form, typed values from JSON). ``files`` are
    the photos: FileStorage objects, bytes, or base64 strings.
    """
    from cityreport.media.services import process_upload
    from cityreport.routing.services import jurisdiction_at

    parsed = parse_fields(REPORT_FIELDS, data)
    values = parsed.values

    category = None
    if values.get("category") and "category" not in parsed.errors:
        category = active_category(values["category"])
        if category is None:
            parsed.fail("category", _("is not a category this city handles"))

    blobs: list[bytes] = []
    for item in list(files or []):
        try:
            blob = _photo_bytes(item)
        except _Malformed as exc:
            parsed.fail("photos", str(exc), malformed=True)
            continue
        if blob is not None:
            blobs.append(blob)
    limit = current_app.config["PHOTO_MAX_COUNT"]
    photos = []
    if len(blobs) > limit:
        parsed.fail("photos", _("at most %(count)d photos per report", count=limit))
    elif "photos" not in parsed.errors:
        for blob in blobs:
            try:
                photos.append(process_upload(blob, field="photos"))
            except ValidationError as exc:
                for name, message in exc.fields.items():
                    parsed.fail(name, message, malformed=exc.status == 400)
                break

    lat, lon = values.get("lat"), values.get("lon")
    from_photo = False
    if "lat" not in parsed.errors and "lon" not in parsed.errors:
        if lat is None and lon is None:
            gps = next((p.gps for p in photos if getattr(p, "gps", None)), None)
            if gps is not None:
                (lat, lon), from_photo = gps, True
            else:
                missing = _("is required (or attach a photo that carries its location)")
                parsed.fail("lat", missing)
                parsed.fail("lon", missing)
        elif lat is None or lon is None:
            parsed.fail("lat" if lat is None else "lon", _("is required"))
        if lat is not None and lon is not None and jurisdiction_at(lat, lon) is None:
            parsed.fail("location", _("the photo's location is outside the area this city serves") if from_photo
                        else _("outside the area this city serves"))

    if parsed.errors:
        message = (_("The place is outside the area this city serves.") if set(parsed.errors) == {"location"}
                   else _("Some fields are not valid."))
        raise ValidationError(message, fields=dict(parsed.errors), status=400 if parsed.malformed else 422)
    return ReportSubmission(
        category=category, lat=float(lat), lon=float(lon), description=values["description"],
        address=values.get("address"), name=values.get("name"), email=values.get("email"),
        phone=values.get("phone"), photos=photos, locale=locale, source=source,
        idempotency_key=values.get("idempotency_key"), location_from_photo=from_photo,
    )


# ---- output --------------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def public_photo(photo: Any) -> dict[str, Any]:
    from cityreport.media.services import photo_url

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

__all__ = ["CATEGORY_SCHEMA", "CREATED_SCHEMA", "ERROR_SCHEMA", "Field", "LIST_FIELDS", "MAX_ID", "NEARBY_FIELDS",
           "OPEN_STATUSES", "PUBLIC_STATUSES", "REPORT_FIELDS", "REPORT_SCHEMA", "ReportSubmission",
           "parse_fields", "parse_query", "parse_report", "public_category", "public_report"]
