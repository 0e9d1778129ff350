"""Public pages: the home page, the report form, a report's page, the list. Thin: validation and storage
live in schemas.py and services.py."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cityreport.core.inputs import check, read
from cityreport.core.transaction import commits
from cityreport.errors import AppError, ValidationError
from cityreport.i18n import current_language
from cityreport.reports import intake, public, schemas
from cityreport.reports.http import limit_report_creation, request_report_data
from cityreport.reports.rules import PUBLIC_STATUSES

bp = Blueprint("reports", __name__)


def field_labels() -> dict[str, str]:
    return {"category": _("Category"), "lat": _("Latitude"), "lon": _("Longitude"), "location": _("Place"),
            "description": _("Description"), "address": _("Address"), "name": _("Name"), "email": _("E-mail"),
            "phone": _("Phone"), "photos": _("Photos"), "idempotency_key": _("Form"), "body": _("Form")}


def _grouped_categories() -> list[tuple[str, list[Any]]]:
    locale = current_language()
    groups: dict[str, list[Any]] = {}
    for category in public.public_categories():
        groups.setdefault(category.group(locale), []).append(category)
    return [(name, sorted(items, key=lambda c: c.name(locale))) for name, items in groups.items()]


def _form_page(values: dict[str, Any], errors: dict[str, str], status: int = 200):
    nearby: list[tuple[Any, float]] = []
    place = check(schemas.NearbyQuery, values)  # the form shows what is already reported near its pin
    category = intake.active_category(place.values["category"]) if "category" not in place.fields else None
    if category is not None and not {"lat", "lon"} & set(place.fields):
        nearby = public.nearby_open_reports(place.values["lat"], place.values["lon"], category.nearby_radius_m,
                                              category_id=category.id)
    return render_template("reports/form.html", values=values, errors=errors, groups=_grouped_categories(),
                           nearby=nearby, max_photos=current_app.config["PHOTO_MAX_COUNT"],
                           map_config=map_config(), field_labels=field_labels()), status


def map_config() -> dict[str, Any]:
    """What the page's map script needs: the tile URL (may be unset: no tiles) and the city's extent."""
    return {"tiles": current_app.config.get("MAP_TILE_URL"), "bounds": public.city_bounds(),
            "areas_url": url_for("routing.areas")}


@bp.get("/")
def home():
    """The home page: the city's map with the latest reports, and what is open and fixed."""
    recent, _next = public.list_public_reports(public.ReportFilter(), limit=100)
    markers = [schemas.public_report(r, locale=current_language()) for r in recent]
    return render_template("index.html", summary=public.home_summary(), recent=markers, map_config=map_config())


@bp.get("/report")
def form():
    values = {key: request.args.get(key, "") for key in ("category", "lat", "lon")}
    values["idempotency_key"] = uuid.uuid4().hex
    return _form_page(values, {})


def _refused_submission(exc: AppError):
    return _form_page(request.form.to_dict(), exc.fields, exc.status)


@bp.post("/report")
@limit_report_creation
@commits(refused=_refused_submission)
def submit():
    data, photos = request_report_data()
    report = intake.submit_report(intake.intake(data, photos, source="web", locale=current_language()))
    flash(_("Thank you. Your report has number %(number)s.", number=report.id), "success")
    return redirect(url_for("reports.show", report_id=report.id), 303)


@bp.get("/reports/<int:report_id>")
def show(report_id: int):
    report = public.public_report_or_none(report_id)
    if report is None:
        abort(404)
    locale = current_language()
    return render_template("reports/show.html", report=report,
                           data=schemas.public_report(report, locale=locale, timeline=True),
                           map_config=map_config())


@bp.get("/reports")
def index():
    try:
        query = read(schemas.ReportListQuery, request.args)
    except ValidationError as exc:
        query = schemas.ReportListQuery()
        flash(" ".join(f"{name}: {problem}" for name, problem in exc.fields.items()), "error")
    filters = public.ReportFilter.of(query)
    try:
        reports, next_cursor = public.list_public_reports(filters, cursor=query.cursor, limit=query.limit or 25)
    except ValidationError:
        reports, next_cursor = public.list_public_reports(filters, limit=query.limit or 25)
    locale = current_language()
    markers = [schemas.public_report(r, locale=locale) for r in reports]
    return render_template("reports/list.html", reports=reports, markers=markers, next_cursor=next_cursor,
                           query=query.model_dump(), groups=_grouped_categories(), statuses=PUBLIC_STATUSES,
                           departments=public.public_departments(),
                           map_config=map_config())
