"""Conversions between lat/lon, WKB/WKT, GeoJSON and Shapely. Everything is SRID 4326."""

from __future__ import annotations

from typing import Any

from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

SRID = 4326


def point_element(lat: float, lon: float) -> WKTElement:
    """A PostGIS point; note the x=lon, y=lat order that PostGIS expects."""
    return WKTElement(f"POINT({lon!r} {lat!r})", srid=SRID)


def element_from_shape(geom: BaseGeometry) -> WKBElement:
    return from_shape(geom, srid=SRID)


def latlon(element: WKBElement | WKTElement) -> tuple[float, float]:
    point = to_shape(element)
    return point.y, point.x


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise ValueError(f"expected a polygon, got {geom.geom_type}")


def to_geojson(element: WKBElement | WKTElement | BaseGeometry) -> dict[str, Any]:
    geom = element if isinstance(element, BaseGeometry) else to_shape(element)
    return dict(mapping(geom))


def from_geojson(geometry: dict[str, Any]) -> BaseGeometry:
    return shape(geometry)


__all__ = ["SRID", "Point", "point_element", "element_from_shape", "latlon", "as_multipolygon",
           "to_geojson", "from_geojson", "to_shape"]
