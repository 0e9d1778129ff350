"""Serving stored photos. Keys are content hashes, so a response never changes and may be cached forever."""

from __future__ import annotations

from flask import Blueprint, Response, request

from cityreport.errors import NotFound
from cityreport.media import rules
from cityreport.media.storage import get_storage

bp = Blueprint("media", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/media/<path:key>")
def serve(key: str) -> Response:
    # Only keys of the form this pipeline writes are looked up, which also rules out `..` and the like.
    if not rules.is_valid_key(key):
        raise NotFound()
    try:
        data = get_storage().open(key)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise NotFound() from None
    response = Response(data, mimetype=rules.content_type_for_key(key))
    response.set_etag(rules.key_digest(key) or key)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
