"""Administration of service areas, under /staff/admin/areas (city admins): upload GeoJSON, delete."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cityreport.core.access import require
from cityreport.core.pages import admin_page, refused_form
from cityreport.core.transaction import commits
from cityreport.departments.services import categories_by_group, departments_by_name
from cityreport.routing import services

bp = Blueprint("routing_admin", __name__, url_prefix="/staff/admin")


def _areas_page(status_code: int = 200, **context: Any):
    lookups = {"departments": {d.id: d for d in departments_by_name()},
               "categories": {c.id: c for c in categories_by_group()}}
    return admin_page("areas.html", status_code, areas=services.area_rows(), lookups=lookups,
                      geojson=json.dumps(services.areas_feature_collection()), **context)


@bp.get("/areas")
@require("manage_areas")
def areas_list():
    return _areas_page()


@bp.post("/areas")
@require("manage_areas")
@commits(refused=refused_form(_areas_page))
def area_upload():
    areas = services.import_upload(request.form, request.files.get("file"))
    flash(_("%(n)s areas imported.", n=len(areas)))
    return redirect(url_for("routing_admin.areas_list"), 303)


@bp.post("/areas/<int:area_id>/delete")
@require("manage_areas")
@commits
def area_delete(area_id: int) -> Response:
    area = services.delete_area(area_id)
    flash(_("Area “%(name)s” deleted.", name=area.name))
    return redirect(url_for("routing_admin.areas_list"), 303)
