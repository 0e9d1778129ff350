"""The reports' JSON API under /api/v1: file a report, list and read public reports, nearby open reports,
categories. Its OpenAPI document is served by cityreport/api/."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _

from cityreport.core.inputs import read
from cityreport.core.transaction import commits
from cityreport.errors import NotFound, ValidationError
from cityreport.i18n import current_language
from cityreport.reports import intake, public, schemas
from cityreport.reports.http import limit_report_creation, request_report_data

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Clients authenticate nothing here and send no cookies worth forging; the rate limit guards creation.
csrf_exempt = True


def nearby_payload(lat: float, lon: float, category: Any, *, radius: int | None = None,
                   exclude_id: int | None = None) -> list[dict]:
    locale = current_language()
    radius = radius or category.nearby_radius_m
    rows = public.nearby_open_reports(lat, lon, radius, category_id=category.id, exclude_id=exclude_id)
    return [{**schemas.public_report(report, locale=locale), "distance_m": round(distance, 1)}
            for report, distance in rows]


@bp.post("/reports")
@limit_report_creation
@commits
def create_report():
    data, photos = request_report_data()
    submission = intake.intake(data, photos, source="api", locale=current_language())
    report = intake.submit_report(submission)
    body = {
        "id": report.id,
        "status": report.status,
        "department": {"slug": report.department.slug, "name": report.department.name(current_language())},
        "public_url": url_for("reports.show", report_id=report.id, _external=True),
        "location_from_photo": submission.location_from_photo,
        "duplicates_nearby": nearby_payload(submission.lat, submission.lon, report.category,
                                            exclude_id=report.id),
    }
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_report", report_id=report.id, _external=True)
    return response


@bp.get("/reports")
def list_reports():
    query = read(schemas.ReportListQuery, request.args)
    reports, next_cursor = public.list_public_reports(public.ReportFilter.of(query), cursor=query.cursor,
                                                        limit=query.limit or 50)
    locale = current_language()
    next_url = url_for("api.list_reports", **{**request.args.to_dict(), "cursor": next_cursor}) \
        if next_cursor else None
    return jsonify({"reports": [schemas.public_report(r, locale=locale) for r in reports],
                    "next_cursor": next_cursor, "next": next_url})


@bp.get("/reports/<int:report_id>")
def get_report(report_id: int):
    report = public.public_report_or_none(report_id)
    if report is None:
        raise NotFound()
    return jsonify(schemas.public_report(report, locale=current_language(), timeline=True))


@bp.get("/reports/nearby")
def nearby():
    query = read(schemas.NearbyQuery, request.args)
    category = intake.active_category(query.category)
    if category is None:
        raise ValidationError(fields={"category": _("is not a category this city handles")})
    radius = query.radius or category.nearby_radius_m
    return jsonify({"radius_m": radius, "reports": nearby_payload(query.lat, query.lon, category, radius=radius)})


@bp.get("/categories")
def categories():
    groups: dict[str, dict[str, Any]] = {}
    for category in public.public_categories():
        group = groups.setdefault(category.group_ro, {"name": {"ro": category.group_ro, "en": category.group_en},
                                                      "categories": []})
        group["categories"].append(schemas.public_category(category))
    return jsonify({"groups": list(groups.values())})
