"""Open311: what each endpoint accepts (input models, core/inputs.py) and answers (plain values that render
to JSON or XML).

Element names follow GeoReport v2 (and mySociety's servicerequestupdates). Ids are strings;
optional fields that are empty are left out by the renderer. Nothing here reads personal data:
the rows handed in carry no reporter name, e-mail or phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

from flask import current_app, url_for
from flask_babel import gettext as _
from pydantic import AfterValidator, BeforeValidator, StringConstraints, ValidationInfo, model_validator

from cityreport.core.inputs import Flag, Input, Integer, Text, malformed, unacceptable
from cityreport.departments.models import Category
from cityreport.open311.models import ServiceAttribute
from cityreport.open311.rules import (
    DISCOVERY_CHANGESET,
    MAX_PAGE_SIZE,
    SPEC_URL,
    UPDATE_STATUSES,
    AttributeSpec,
    BadParameter,
    format_datetime,
    parse_bbox,
    parse_codes,
    parse_datetime,
    parse_id_list,
    parse_status_filter,
    public_answers,
)
from cityreport.reports.rules import NEW, open311_status

# ---- input ------------------------------------------------------------------------------------

def _by_rule(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A field validator from one of open311/rules.py's parsers, which name the parameter in their message."""
    def validate(value: Any) -> Any:
        if isinstance(value, tuple | frozenset):
            return value  # read already (the model's second pass)
        if not isinstance(value, str):
            raise malformed(_("must be text"))
        try:
            return parse(value.strip())
        except BadParameter as exc:
            raise malformed(exc.message) from None
    return validate


def _city_moment(value: Any, info: ValidationInfo) -> datetime:
    """A date (and time) in ISO 8601; without an offset it is a wall-clock time in the city."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise malformed(_("must be text"))
    try:
        return parse_datetime(value, info.context["zone"], name=info.context["field"])
    except BadParameter as exc:
        raise malformed(exc.message) from None


IdList = Annotated[tuple[int, ...], BeforeValidator(_by_rule(lambda raw: tuple(parse_id_list(raw))))]
Codes = Annotated[tuple[str, ...], BeforeValidator(_by_rule(lambda raw: tuple(parse_codes(raw))))]
StatusFilter = Annotated[frozenset[str], BeforeValidator(_by_rule(lambda raw: frozenset(parse_status_filter(raw))))]
CityMoment = Annotated[datetime, BeforeValidator(_city_moment)]
MEDIA_URL_RE = re.compile(r"^https?://[^\s/]+\S*$")


def _media_url(value: str) -> str:
    if not MEDIA_URL_RE.match(value):
        raise unacceptable(_("must be an http or https address of at most 500 characters"))
    return value


# Kept as a link for staff, never fetched: the server makes no request to an address a client names.
MediaUrl = Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v),
                     StringConstraints(max_length=500), AfterValidator(_media_url)]


class Scope(Input):
    """What every call may say: which jurisdiction it is for (one city: its slug, or nothing)."""

    jurisdiction_id: Text(100) | None = None


class RequestsQuery(Input):
    """GET requests: which service requests to list (read with the city's zone in the context)."""

    service_request_id: IdList | None = None  # when given, the other filters do not apply
    service_code: Codes | None = None
    status: StatusFilter | None = None
    start_date: CityMoment | None = None
    end_date: CityMoment | None = None
    updated_after: CityMoment | None = None
    updated_before: CityMoment | None = None
    lat_ne: Text(40) | None = None
    long_ne: Text(40) | None = None
    lat_sw: Text(40) | None = None
    long_sw: Text(40) | None = None
    page: Integer(1, 100_000) | None = None
    page_size: Integer(1, MAX_PAGE_SIZE) | None = None
    extensions: Flag = False

    @model_validator(mode="after")
    def _bbox_whole(self) -> RequestsQuery:
        try:
            parse_bbox(self.corners())
        except BadParameter as exc:
            raise malformed(exc.message, field=exc.name) from None
        return self

    def corners(self) -> dict[str, str | None]:
        return {"lat_ne": self.lat_ne, "long_ne": self.long_ne, "lat_sw": self.lat_sw, "long_sw": self.long_sw}

    def bbox(self) -> tuple[float, float, float, float] | None:
        return parse_bbox(self.corners())


class UpdatesQuery(Input):
    """GET servicerequestupdates: public changes in a window."""

    start_date: CityMoment | None = None
    end_date: CityMoment | None = None
    page: Integer(1, 100_000) | None = None
    page_size: Integer(1, MAX_PAGE_SIZE) | None = None


class RequestForm(Input):
    """POST requests: the GeoReport fields that are Open311's own; the report itself (description, place,
    contact, photos) is checked by the intake, as from any other front door."""

    service_code: Text(40)
    lat: Text(40) | None = None
    long: Text(40) | None = None
    address_string: Text(300) | None = None
    address_id: Text(100) | None = None
    first_name: Text(100) | None = None
    last_name: Text(100) | None = None
    device_id: Text(100) | None = None
    account_id: Text(100) | None = None
    media_url: MediaUrl | None = None

    @property
    def name(self) -> str | None:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or None


class AttributeForm(Input):
    """The administration's form for one question of a category."""

    malformed_status = 422

    code: Text(40) | None = None  # checked with the values' keys (services.save_attribute)
    datatype: Text(40) | None = None
    description_ro: Text(2000, multiline=True) | None = None
    description_en: Text(2000, multiline=True) | None = None
    datatype_description_ro: Text(300) | None = None
    datatype_description_en: Text(300) | None = None
    required: Flag = False
    position: Integer() | None = None
    values: Text(20_000, multiline=True) | None = None  # one choice a line: key | Romanian name | English name
    active: Flag = False


class ApiKeyForm(Input):
    malformed_status = 422

    name: Text(120)


def absolute(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def public_url(report_id: int) -> str | None:
    if "reports.show" not in current_app.view_functions:
        return None
    return absolute(url_for("reports.show", report_id=report_id))


def media_url(storage_key: str | None) -> str | None:
    return absolute(url_for("media.serve", key=storage_key)) if storage_key else None


def discovery(zone: tzinfo, contact: str | None) -> dict[str, Any]:
    changeset = format_datetime(DISCOVERY_CHANGESET, zone)
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": _("API keys for posting requests are issued by the city hall's administrators; "
                         "ask the contact address for one."),
        "endpoints": [{
            "specification": SPEC_URL,
            "url": absolute(url_for("open311.discovery", fmt="json").rsplit("/", 1)[0]),
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def service(category: Category, locale: str, has_metadata: bool) -> dict[str, Any]:
    description = category.description_en if locale == "en" else category.description_ro
    return {
        "service_code": category.code,
        "service_name": category.name(locale),
        "description": description or category.description_ro,
        "metadata": has_metadata,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group(locale),
    }


def attribute(item: ServiceAttribute, locale: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "variable": True,
        "code": item.code,
        "datatype": item.datatype,
        "required": item.required,
        "datatype_description": item.datatype_description(locale),
        "order": item.position,
        "description": item.description(locale),
    }
    if item.datatype in ("singlevaluelist", "multivaluelist"):
        body["values"] = [{"key": v["key"], "name": v.get(f"name_{locale}") or v.get("name_ro") or v["key"]}
                          for v in item.values or []]
    return body


def service_definition(category: Category, attributes: Sequence[ServiceAttribute], locale: str) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": [attribute(a, locale) for a in attributes]}


def service_request(row: Mapping[str, Any], locale: str, zone: tzinfo, *,
                    history: Sequence[Mapping[str, Any]] | None = None,
                    photos: Sequence[str] | None = None,
                    specs: Sequence[AttributeSpec] | None = None) -> dict[str, Any]:
    """One request. ``history``/``photos``/``specs`` are given when extensions=true was asked for."""
    expected = row["created_at"] + timedelta(days=row["resolve_target_days"])
    body: dict[str, Any] = {
        "service_request_id": str(row["id"]),
        "status": open311_status(row["status"]),
        "status_notes": row["status_notes"],
        "service_name": row["name_en"] if locale == "en" else row["name_ro"],
        "service_code": row["code"],
        "description": row["description"],
        "agency_responsible": row["department_en"] if locale == "en" else row["department_ro"],
        "requested_datetime": format_datetime(row["created_at"], zone),
        "updated_datetime": format_datetime(row["closed_at"] or row["updated_at"], zone),
        "expected_datetime": format_datetime(expected, zone),
        "address": row["address"],
        "lat": round(row["lat"], 6),
        "long": round(row["lon"], 6),
        "media_url": media_url(row["photo_key"]),
    }
    if history is not None:
        body["extended_attributes"] = {
            "detailed_status": row["status"],
            "group": row["group_en"] if locale == "en" else row["group_ro"],
            "department": row["department_slug"],
            "acknowledged_datetime": format_datetime(row["acknowledged_at"], zone),
            "closed_datetime": format_datetime(row["closed_at"], zone),
            "reopened_count": row["reopened_count"],
            "duplicate_of": str(row["duplicate_of_id"]) if row["duplicate_of_id"] else None,
            "public_url": public_url(row["id"]),
            "photos": [media_url(key) for key in photos or []],
            "attributes": public_answers(specs or [], row["attributes"] or {}),
        }
        body["notes"] = [note(item, zone) for item in history]
    return body


def note(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    return {
        "datetime": format_datetime(item["at"], zone),
        "kind": item["kind"],
        "status": open311_status(item["to_status"]) if item["to_status"] else None,
        "detailed_status": item["to_status"],
        "description": item["text"],
    }


def request_update(row: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    return {
        "update_id": str(row["id"]),
        "service_request_id": str(row["report_id"]),
        "status": UPDATE_STATUSES.get(row["status"] or NEW, "closed"),
        "updated_datetime": format_datetime(row["at"], zone),
        "description": row["public_text"] or "",
    }


def created(report_id: int, token: str, account_id: str | None, notice: str | None) -> list[dict[str, Any]]:
    return [{"service_request_id": str(report_id), "token": token, "service_notice": notice,
             "account_id": account_id}]


def token_answer(token: str, report_id: int) -> list[dict[str, Any]]:
    return [{"service_request_id": str(report_id), "token": token}]


def when(moment: datetime | None, zone: tzinfo) -> str | None:
    return format_datetime(moment, zone)
