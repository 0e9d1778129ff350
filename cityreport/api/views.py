"""The OpenAPI 3 document of the JSON API, at /api/openapi.json (the API's endpoints live in their packages)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from cityreport.api.openapi import document

bp = Blueprint("openapi", __name__, url_prefix="/api")
csrf_exempt = True


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
