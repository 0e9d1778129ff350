"""The street register on the web: GET /api/v1/geocode (address search), GET /api/v1/basemap (what a
map needs to draw the city's own basemap) and GET /tiles/{z}/{x}/{y}.pbf (its vector tiles)."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, jsonify, request, url_for

from cityreport.core.inputs import read
from cityreport.errors import NotFound
from cityreport.extensions import limiter
from cityreport.places import rules, schemas, services, tiles

bp = Blueprint("places", __name__)
csrf_exempt = True  # GET only

YEAR = 365 * 24 * 3600
TILE_MIMETYPE = "application/vnd.mapbox-vector-tile"


@bp.get("/api/v1/geocode")
@limiter.limit("120 per minute")
def geocode():
    query = read(schemas.GeocodeQuery, request.args)
    candidates = services.search(query.q, limit=query.limit)
    response = jsonify({"query": query.q, "candidates": [services.candidate_payload(c) for c in candidates]})
    # Typing goes back and forth over the same prefixes; the phone may reuse an answer for a while.
    response.cache_control.private = True
    response.cache_control.max_age = 300
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.get("/api/v1/basemap")
def basemap():
    version = tiles.version()
    template = url_for("places.tile", z=1, x=2, y=3, v=version).replace("/1/2/3.pbf", "/{z}/{x}/{y}.pbf")
    body = {
        "version": version,
        "tiles": template,
        "max_data_zoom": rules.MAX_DATA_ZOOM,
        "layers": tiles.available_layers(),
        "attribution": " · ".join(tiles.attributions()),
        "scripts": [url_for("static", filename="vendor/protomaps-leaflet/protomaps-leaflet.js"),
                    url_for("static", filename="js/basemap.js")],
    }
    response = jsonify(body)
    response.cache_control.no_cache = True
    response.cache_control.public = True
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.pbf")
def tile(z: int, x: int, y: int):
    if not rules.valid_tile(z, x, y):
        raise NotFound()
    version = tiles.version()
    current = request.args.get("v") == version
    etag = f"{version}.{z}.{x}.{y}"
    if request.if_none_match.contains_weak(etag):  # If-None-Match compares weakly (RFC 9110)
        response = Response(status=304)
    else:
        data = tiles.tile(z, x, y)
        response = Response(data, mimetype=TILE_MIMETYPE)
        if data and "gzip" in request.accept_encodings:
            response.set_data(gzip.compress(data, compresslevel=6))
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag, weak=True)  # one validator for the gzip and the plain bytes
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    if current:
        # The URL names the basemap's version: its content never changes, a new register gets new URLs.
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response
