"""Open311 GeoReport v2 at /open311/v2/, in XML and JSON.

Every endpoint answers in the format its extension names, errors included (the spec's
``errors/error`` with ``code`` and ``description``). Clients post from other sites with an API key,
not a browser session, so the blueprint is exempt from CSRF; GET answers allow any origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import HTTPException

from cityreport.config import SUPPORTED_LOCALES
from cityreport.core.inputs import read
from cityreport.core.transaction import unit_of_work
from cityreport.errors import AppError
from cityreport.i18n import select_locale
from cityreport.models_base import utcnow
from cityreport.open311 import schemas, services
from cityreport.open311.rules import (
    FORMATS,
    MAX_PAGE_SIZE,
    BadParameter,
    error_document,
    normalise_locale,
    prune,
    requested_window,
    to_xml,
)
from cityreport.reports import intake

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf_exempt = True

FMT = "<any(xml, json):fmt>"
ATTRIBUTE_PARAM = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
PHOTO_FIELD = re.compile(r"^(media|photo\d{1,2})$")
# Open311 names of the intake's fields, for error descriptions a client can act on.
OPEN311_NAMES = {"category": "service_code", "lon": "long", "location": "lat/long", "name": "first_name/last_name",
                 "photos": "media", "address": "address_string"}


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[tuple[int, str]]):
        super().__init__(errors[0][1] if errors else "")
        self.status = status
        self.errors = errors


def fail(status: int, description: str) -> Open311Error:
    return Open311Error(status, [(status, description)])


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CITY_TIMEZONE"])


def _locale() -> str:
    # select_locale() reads this request afresh (Babel caches its choice on the app context).
    return normalise_locale(request.values.get("locale"), SUPPORTED_LOCALES) or \
        normalise_locale(select_locale(), SUPPORTED_LOCALES) or current_app.config["DEFAULT_LOCALE"]


def _render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    if fmt == "xml":
        response = Response(to_xml(root, value), status=status)
        # Exactly text/xml: the body is ASCII with character references (see rules.to_xml), so no
        # charset parameter is needed for any reader.
        response.headers["Content-Type"] = FORMATS["xml"]
    else:
        response = jsonify(prune(value))
        response.status_code = status
        response.headers["Content-Type"] = FORMATS["json"]
    return response


def _error_response(fmt: str, error: Open311Error) -> Response:
    return _render(fmt, "errors", error_document(error.errors), error.status)


def _check_jurisdiction() -> None:
    wanted = read(schemas.Scope, _values()).jurisdiction_id
    if wanted is not None and not services.serves_jurisdiction(wanted):
        raise fail(404, _("jurisdiction_id %(value)s is not served here", value=wanted))


def _described(field: str, problem: str) -> str:
    """An error description a client can act on: the Open311 name of the field, then the problem (whose
    words may already start with the name)."""
    name = OPEN311_NAMES.get(field, field)
    return problem if problem.startswith(name) else f"{name}: {problem}"


def endpoint(view: Callable[..., tuple[str, Any] | Response]) -> Callable[..., Response]:
    """Format, language, jurisdiction, errors in the spec's shape, and CORS for reads."""
    @wraps(view)
    def wrapped(fmt: str, **kwargs: Any) -> Response:
        locale = _locale()
        with force_locale(locale):
            try:
                # One unit of work per call: a refused POST leaves nothing behind (see core/transaction.py).
                with unit_of_work():
                    _check_jurisdiction()
                    result = view(fmt=fmt, locale=locale, **kwargs)
                    response = result if isinstance(result, Response) else _render(fmt, *result)
            except Open311Error as error:
                response = _error_response(fmt, error)
            except BadParameter as error:
                response = _error_response(fmt, fail(400, error.message))
            except AppError as error:
                status = error.status if error.status in (403, 404) else 400
                items = [(status, _described(k, v)) for k, v in error.fields.items()]
                response = _error_response(fmt, Open311Error(status, items or [(status, error.message)]))
            except HTTPException as error:
                status = error.code or 400
                response = _error_response(fmt, fail(status, error.description or error.name))
            except SQLAlchemyError:
                current_app.logger.exception("open311 database error")
                response = _error_response(fmt, fail(500, _("Something went wrong on our side. Please try "
                                                            "again later.")))
        if request.method == "GET":
            response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Content-Language"] = locale
        response.vary.add("Accept-Language")
        return response
    return wrapped


# ---- discovery and services ---------------------------------------------------------------------

@bp.get(f"/discovery.{FMT}")
@endpoint
def discovery(fmt: str, locale: str):
    sender = current_app.config.get("MAIL_DEFAULT_SENDER")
    return "discovery", schemas.discovery(_zone(), sender)


@bp.get(f"/services.{FMT}")
@endpoint
def services_list(fmt: str, locale: str):
    with_metadata = services.categories_with_attributes()
    items = [schemas.service(c, locale, c.id in with_metadata) for c in services.active_categories()]
    return "services", items


@bp.get(f"/services/<code>.{FMT}")
@endpoint
def service_definition(fmt: str, locale: str, code: str):
    category = services.category_by_code(code)
    if category is None:
        raise fail(404, _("service_code %(code)s not found", code=code))
    return "service_definition", schemas.service_definition(category, services.attributes_for(category.id), locale)


# ---- reading requests ---------------------------------------------------------------------------

def _values() -> CombinedMultiDict:
    """The parameters from the form body and the query string; the body wins where both have one."""
    return CombinedMultiDict([request.form, request.args])


def _request_query() -> tuple[services.RequestQuery, bool]:
    zone = _zone()
    wanted = read(schemas.RequestsQuery, _values(), context={"zone": zone})
    query = services.RequestQuery()
    if wanted.service_request_id is not None:
        query.ids = list(wanted.service_request_id)
        return query, wanted.extensions
    query.service_codes = list(wanted.service_code) if wanted.service_code else None
    query.statuses = set(wanted.status) if wanted.status else None
    query.updated_after, query.updated_before = wanted.updated_after, wanted.updated_before
    window = requested_window(wanted.start_date, wanted.end_date, utcnow(),
                              default_applies=not (wanted.updated_after or wanted.updated_before))
    query.start, query.end = window.start, window.end
    query.bbox = wanted.bbox()
    query.page = wanted.page or 1
    query.page_size = wanted.page_size or MAX_PAGE_SIZE
    return query, wanted.extensions


def _requests_document(rows: list[dict[str, Any]], locale: str, extensions: bool) -> list[dict[str, Any]]:
    zone = _zone()
    if not extensions:
        return [schemas.service_request(row, locale, zone) for row in rows]
    ids = [row["id"] for row in rows]
    history = services.public_history(ids)
    photos = services.photo_keys(ids)
    specs = services.attribute_specs({row["category_id"] for row in rows})
    return [schemas.service_request(row, locale, zone, history=history[row["id"]], photos=photos[row["id"]],
                                    specs=specs[row["category_id"]]) for row in rows]


@bp.get(f"/requests.{FMT}")
@endpoint
def requests_list(fmt: str, locale: str):
    query, extensions = _request_query()
    return "service_requests", _requests_document(services.find_requests(query), locale, extensions)


@bp.get(f"/requests/<request_id>.{FMT}")
@endpoint
def request_detail(fmt: str, locale: str, request_id: str):
    if not request_id.isdigit() or len(request_id) > 18:
        raise fail(404, _("service_request_id %(id)s not found", id=request_id))
    extensions = read(schemas.RequestsQuery, _values(), context={"zone": _zone()}).extensions
    rows = services.find_requests(services.RequestQuery(ids=[int(request_id)]))
    if not rows:
        raise fail(404, _("service_request_id %(id)s not found", id=request_id))
    return "service_requests", _requests_document(rows, locale, extensions)


@bp.get(f"/tokens/<token>.{FMT}")
@endpoint
def token_detail(fmt: str, locale: str, token: str):
    report_id = services.report_id_for_token(token) if len(token) <= 40 else None
    if report_id is None:
        raise fail(404, _("token %(token)s not found", token=token))
    return "service_requests", schemas.token_answer(token, report_id)


@bp.get(f"/servicerequestupdates.{FMT}")
@endpoint
def request_updates(fmt: str, locale: str):
    zone = _zone()
    wanted = read(schemas.UpdatesQuery, _values(), context={"zone": zone})
    window = requested_window(wanted.start_date, wanted.end_date, utcnow(), default_applies=True)
    rows = services.find_updates(window.start, window.end, wanted.page or 1, wanted.page_size or MAX_PAGE_SIZE)
    return "service_request_updates", [schemas.request_update(row, zone) for row in rows]


# ---- posting a request --------------------------------------------------------------------------

def _attribute_answers() -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for source in (request.args, request.form):
        for key, values in source.lists():
            match = ATTRIBUTE_PARAM.match(key)
            if match:
                kept = [v for v in values if v.strip()]
                if kept:
                    answers.setdefault(match.group(1), []).extend(kept)
    return answers


def _photos() -> list[FileStorage]:
    def order(name: str) -> tuple[int, int]:
        return (0, 0) if name == "media" else (1, int(name[5:]))

    names = sorted((n for n in request.files if PHOTO_FIELD.match(n)), key=order)
    return [f for name in names for f in request.files.getlist(name) if f and f.filename != ""]


@bp.post(f"/requests.{FMT}")
@endpoint
def create_request(fmt: str, locale: str):
    values = _values()
    api_key = services.verify_api_key(values.get("api_key"))
    if api_key is None:
        raise fail(403, _("A valid api_key is required to create a service request."))
    form = read(schemas.RequestForm, values)
    category = services.category_by_code(form.service_code)
    if category is None:
        raise fail(404, _("service_code %(code)s not found", code=form.service_code))
    if form.lat is None and form.long is None and (form.address_string or form.address_id):
        raise fail(400, _("address_string and address_id cannot be located by this server: send lat and long "
                          "(WGS 84) as well."))
    if form.lat is None or form.long is None:
        raise fail(400, _("lat and long are required"))
    answers, problems = services.validate_attributes(category, _attribute_answers(), _zone())
    if problems:
        raise Open311Error(400, [(400, f"{name}: {message}") for name, message in problems.items()])
    # The report itself is checked as from any front door; Open311's names map onto the intake's.
    report_data = {"category": form.service_code, "lat": form.lat, "lon": form.long, "address": form.address_string,
                   "name": form.name, **{key: values.get(key) for key in ("description", "email", "phone")}}
    submission = intake.intake(report_data, _photos(), source="open311", locale=locale)
    report = intake.submit_report(replace(submission, attributes=answers))
    recorded = services.record_submission(report, api_key, form.media_url)
    notice = _("Report %(id)s was received and sent to %(department)s.", id=report.id,
               department=report.department.name(locale))
    return "service_requests", schemas.created(report.id, recorded.token, form.account_id, notice)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def not_found(rest: str) -> Response:
    fmt = "xml" if rest.endswith(".xml") else "json"
    with force_locale(_locale()):
        response = _error_response(fmt, fail(404, _("There is no such Open311 endpoint: %(path)s", path=rest)))
    return response


@bp.after_request
def _preflight(response: Response) -> Response:
    # Reads are public: a browser app on another site may call them (simple GETs need no preflight,
    # but a client adding a header asks with OPTIONS first).
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
