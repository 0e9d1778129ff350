"""Open311 documents: what each endpoint answers, as plain values that render to JSON or XML.

Element names follow GeoReport v2 (and mySociety's servicerequestupdates). Ids are strings;
optional fields that are empty are left out by the renderer. Nothing here reads personal data:
the rows handed in carry no reporter name, e-mail or phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from cityreport.departments.models import Category
from cityreport.open311.models import ServiceAttribute
from cityreport.open311.rules import (
    DISCOVERY_CHANGESET,
    SPEC_URL,
    UPDATE_STATUSES,
    AttributeSpec,
    format_datetime,
    open311_status,
    public_answers,
)
from cityreport.reports.rules import NEW


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
