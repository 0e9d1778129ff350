"""GET /api/v1/areas: the jurisdictions and service areas, as GeoJSON for maps."""

from __future__ import annotations

from flask import Blueprint, Response, json

from cityreport.routing.services import areas_feature_collection

bp = Blueprint("routing", __name__, url_prefix="/api/v1")
csrf_exempt = True


@bp.get("/areas")
def areas():
    return Response(json.dumps(areas_feature_collection()), mimetype="application/geo+json")
