"""Routing and area storage: the indexed queries behind routing/rules.py, and the areas' administration.

Functions flush and never commit: the request or the command does.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import defer

from cityreport.core.inputs import check, refusal
from cityreport.departments.models import Category, Department
from cityreport.errors import NotFound, ValidationError
from cityreport.extensions import db
from cityreport.geo import SRID, as_multipolygon, element_from_shape, point_element
from cityreport.routing.importer import AreaImportError, read_areas
from cityreport.routing.models import Jurisdiction, ServiceArea, ServiceAreaPiece
from cityreport.routing.rules import AreaCandidate, RouteDecision, decide
from cityreport.routing.schemas import AreaUploadForm

# Pieces of at most this many vertices keep each point-in-polygon test cheap.
SUBDIVIDE_MAX_VERTICES = 64


def jurisdiction_at(lat: float, lon: float) -> Jurisdiction | None:
    point = point_element(lat, lon)
    # The boundary itself is not loaded: a city outline can be megabytes of WKB.
    stmt = (select(Jurisdiction).options(defer(Jurisdiction.boundary))
            .where(func.ST_Covers(Jurisdiction.boundary, point)).order_by(Jurisdiction.id).limit(1))
    return db.session.scalars(stmt).first()


def candidate_areas(lat: float, lon: float, category_id: int) -> list[AreaCandidate]:
    point = point_element(lat, lon)
    stmt = (
        select(ServiceArea.id, ServiceArea.department_id, ServiceArea.category_id, ServiceArea.priority,
               ServiceArea.area_m2)
        .where(ServiceArea.id.in_(
            select(ServiceAreaPiece.service_area_id).where(func.ST_Covers(ServiceAreaPiece.geom, point))))
        .where((ServiceArea.category_id == category_id) | ServiceArea.category_id.is_(None))
    )
    return [AreaCandidate(row.id, row.department_id, row.category_id is not None, row.priority, row.area_m2)
            for row in db.session.execute(stmt)]


def fallback_department_id() -> int | None:
    stmt = select(Department.id).where(Department.is_fallback.is_(True), Department.active.is_(True)) \
        .order_by(Department.id).limit(1)
    return db.session.scalar(stmt)


def route(lat: float, lon: float, category: Category) -> RouteDecision:
    return decide(candidate_areas(lat, lon, category.id), category.default_department_id, fallback_department_id())


def add_service_area(*, department_id: int, name: str, geometry, category_id: int | None = None,
                     priority: int = 0, population: int | None = None) -> ServiceArea:
    """Store an area (a Shapely polygon or multipolygon in SRID 4326) and its subdivided pieces."""
    area = ServiceArea(department_id=department_id, category_id=category_id, name=name, priority=priority,
                       geom=element_from_shape(as_multipolygon(geometry)), population=population)
    db.session.add(area)
    db.session.flush()
    refresh_pieces(area.id)
    return area


def refresh_pieces(area_id: int) -> None:
    db.session.execute(text("DELETE FROM service_area_pieces WHERE service_area_id = :id"), {"id": area_id})
    db.session.execute(text(
        "INSERT INTO service_area_pieces (service_area_id, geom) "
        "SELECT id, ST_SetSRID((ST_Dump(ST_Subdivide(geom, :maxv))).geom, :srid) FROM service_areas WHERE id = :id"),
        {"id": area_id, "maxv": SUBDIVIDE_MAX_VERTICES, "srid": SRID})
    db.session.execute(text(
        "UPDATE service_areas SET area_m2 = ST_Area(geom::geography) WHERE id = :id"), {"id": area_id})
    db.session.expire_all()


def areas_feature_collection() -> dict:
    """Every jurisdiction and service area as one GeoJSON FeatureCollection (6 decimals: ~10 cm)."""
    features = []
    rows = db.session.execute(select(Jurisdiction.slug, Jurisdiction.name, Jurisdiction.population,
                                     func.ST_AsGeoJSON(Jurisdiction.boundary, 6)).order_by(Jurisdiction.id))
    for slug, name, population, geometry in rows:
        features.append({"type": "Feature", "geometry": json.loads(geometry), "properties": {
            "kind": "jurisdiction", "slug": slug, "name": name, "population": population}})
    rows = db.session.execute(
        select(ServiceArea.id, ServiceArea.name, ServiceArea.priority, ServiceArea.population, Department.slug,
               Category.code, func.ST_AsGeoJSON(ServiceArea.geom, 6))
        .join(Department, Department.id == ServiceArea.department_id)
        .outerjoin(Category, Category.id == ServiceArea.category_id)
        .order_by(ServiceArea.id))
    for area_id, name, priority, population, department, category, geometry in rows:
        features.append({"type": "Feature", "id": area_id, "geometry": json.loads(geometry), "properties": {
            "kind": "service_area", "name": name, "department": department, "category": category,
            "priority": priority, "population": population}})
    return {"type": "FeatureCollection", "features": features}


# ---- administration ------------------------------------------------------------------------------

MAX_GEOJSON_BYTES = 5 * 1024 * 1024


def area_rows() -> list[Any]:
    return list(db.session.execute(select(ServiceArea.id, ServiceArea.name, ServiceArea.priority, ServiceArea.area_m2,
                                          ServiceArea.department_id, ServiceArea.category_id)
                                   .order_by(ServiceArea.name)))


def read_geojson(data: bytes) -> dict[str, Any]:
    """A GeoJSON object from a file's bytes; AreaImportError when it is not one."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AreaImportError(_("not a JSON file")) from None
    if not isinstance(document, dict):
        raise AreaImportError(_("the file is not a GeoJSON object"))
    return document


def import_upload(form: Any, upload: Any) -> list[ServiceArea]:
    """Store the areas of an uploaded GeoJSON file for a department (all or nothing); names every problem."""
    checked = check(AreaUploadForm, form)
    department_id, category_id = checked.values.get("department"), checked.values.get("category")
    priority, name_property = checked.values.get("priority", 0), checked.values.get("name_property", "name")
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        checked.fail("department", _("choose a department"))
    if category_id and db.session.get(Category, category_id) is None:
        checked.fail("category", _("no such category"))
    if upload is None or not upload.filename:
        checked.fail("file", _("choose a GeoJSON file"))
    if checked.fields:
        raise refusal(AreaUploadForm, checked)
    data = upload.read(MAX_GEOJSON_BYTES + 1)
    if len(data) > MAX_GEOJSON_BYTES:
        raise ValidationError(fields={"file": _("at most 5 MB")})
    try:
        areas = read_areas(read_geojson(data), name_property=name_property or "name",
                           default_name=upload.filename.rsplit(".", 1)[0])
    except AreaImportError as exc:
        raise ValidationError(fields={"file": str(exc)}) from None
    return [add_service_area(department_id=department.id, category_id=category_id or None, name=area.name,
                             geometry=area.geometry, priority=priority) for area in areas]


def delete_area(area_id: int) -> ServiceArea:
    area = db.session.get(ServiceArea, area_id)
    if area is None:
        raise NotFound()
    db.session.delete(area)
    db.session.flush()
    return area
