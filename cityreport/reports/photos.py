"""Serving stored photos, through the app whatever the storage: a photo is public only while its report is.

Every request asks the database whether the photo's report is publicly visible, so hiding a report (or
closing it as invalid) takes its photos from the public at once. Public answers may be stored by browsers
and shared caches but carry `no-cache`: a cache must revalidate each use, and the revalidation answers 404
once the report is hidden, even for an ETag the cache already holds. A key's bytes never change, so an
unchanged photo costs a 304 and one indexed query, without reading the storage. Staff who may view the
report still see photos of hidden reports, with `private, no-store`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.http import is_resource_modified

from cityreport.core.access import current_staff
from cityreport.core.permissions import can
from cityreport.errors import NotFound
from cityreport.media import rules
from cityreport.media.storage import get_storage
from cityreport.reports.public import photo_audience

bp = Blueprint("media", __name__)

NOT_STORED = {"Cache-Control": "no-store"}


@bp.get("/media/<path:key>")
def serve(key: str) -> Response:
    # Only keys of the form this pipeline writes are looked up, which also rules out `..` and the like.
    if not rules.is_valid_key(key):
        raise NotFound(headers=NOT_STORED)
    audience = photo_audience(key)
    if audience is None:
        raise NotFound(headers=NOT_STORED)
    if not audience.public:
        staff = current_staff()
        if not any(can(staff, "view_report", department_id=department) for department in audience.department_ids):
            # The same answer as for an unknown key: a hidden report's photo does not reveal that it exists.
            raise NotFound(headers=NOT_STORED)

    response = Response(mimetype=rules.content_type_for_key(key))
    response.set_etag(rules.key_digest(key) or key)
    if audience.public:
        response.cache_control.public = True
        response.cache_control.no_cache = True
    else:
        response.cache_control.private = True
        response.cache_control.no_store = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not is_resource_modified(request.environ, etag=response.get_etag()[0]):
        response.status_code = 304
        return response
    try:
        response.set_data(get_storage().open(key))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise NotFound(headers=NOT_STORED) from None
    return response
