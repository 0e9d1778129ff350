"""Open data at /opendata: the human page, reports as CSV and GeoJSON, indicators, the DCAT catalogue.

Exports stream (constant memory) and carry a strong ETag and Last-Modified; a client or a portal
harvester that already has the current bytes gets 304 without the database producing them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, render_template, request, stream_with_context
from flask_babel import gettext as _

from cityreport.config import licence
from cityreport.errors import ValidationError
from cityreport.i18n import current_language
from cityreport.indicators.rules import METRIC_KEYS
from cityreport.opendata import catalog, services
from cityreport.opendata.rules import (
    INDICATOR_DEFINITIONS,
    INDICATOR_LEAD_COLUMNS,
    REPORT_COLUMNS,
    Period,
    PeriodError,
    parse_period,
)

bp = Blueprint("opendata", __name__, url_prefix="/opendata")

CACHE = "public, max-age=300"


def _period():
    try:
        return parse_period(request.args.get("month"), request.args.get("from"), request.args.get("to"),
                            ZoneInfo(current_app.config["CITY_TIMEZONE"]))
    except PeriodError as exc:
        raise ValidationError(fields={exc.field: exc.message}, status=400) from None


def _conditional(stamp: services.Stamp) -> Response | None:
    """304 when the client's copy is current: If-None-Match first, else If-Modified-Since (RFC 9110)."""
    if request.if_none_match:
        if request.if_none_match.contains(stamp.etag):
            return _not_modified(stamp)
        return None
    since = request.if_modified_since
    if since is not None and stamp.last_modified.replace(microsecond=0) <= since:
        return _not_modified(stamp)
    return None


def _not_modified(stamp: services.Stamp) -> Response:
    response = Response(status=304)
    _validators(response, stamp)
    return response


def _validators(response: Response, stamp: services.Stamp) -> None:
    response.set_etag(stamp.etag)
    response.last_modified = stamp.last_modified
    response.headers["Cache-Control"] = CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"


def _stream(body: Iterator[bytes], mimetype: str, filename: str, stamp: services.Stamp) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    _validators(response, stamp)
    return response


@bp.get("/reports.csv")
def reports_csv():
    period = _period()
    stamp = services.reports_stamp(period, "csv")
    return _conditional(stamp) or _stream(services.reports_csv(period), "text/csv",
                                          f"reports-{period.label}.csv", stamp)


@bp.get("/reports.geojson")
def reports_geojson():
    period = _period()
    stamp = services.reports_stamp(period, "geojson")
    return _conditional(stamp) or _stream(services.reports_geojson(period), "application/geo+json",
                                          f"reports-{period.label}.geojson", stamp)


@bp.get("/indicators.csv")
def indicators_csv():
    stamp = services.indicators_stamp()
    return _conditional(stamp) or _stream(services.indicators_csv(), "text/csv", "indicators.csv", stamp)


@bp.get("/catalog.json")
def catalog_json():
    everything = Period(None, None, "all")
    reports = services.reports_stamp(everything, "catalog")
    indicators = services.indicators_stamp()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    response = jsonify(catalog.build(base, services.city_name(), reports.last_modified, indicators.last_modified))
    # JSON-LD is JSON: harvesters that ask for application/ld+json get the same document.
    if request.accept_mimetypes.best == "application/ld+json":
        response.mimetype = "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("")
@bp.get("/")
def index():
    lang = current_language()
    licence_name, licence_url = licence(current_app.config["OPENDATA_LICENSE"])
    indicator_columns = INDICATOR_LEAD_COLUMNS + METRIC_KEYS
    return render_template("opendata/index.html", lang=lang, columns=REPORT_COLUMNS,
                           indicator_columns=indicator_columns, definitions=INDICATOR_DEFINITIONS,
                           months=services.months_available()[:36],
                           licence_name=licence_name, licence_url=licence_url,
                           now=datetime.now(UTC), title=_("Open data"))
