"""Reading service areas from GeoJSON in whatever CRS the file declares, checked before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

WGS84 = CRS.from_epsg(4326)


class AreaImportError(ValueError):
    """The file cannot be imported as it is; the message names the feature and the problem."""


@dataclass(frozen=True)
class AreaFeature:
    name: str
    geometry: BaseGeometry  # Polygon or MultiPolygon in EPSG:4326, lon/lat order


def declared_crs(document: dict[str, Any]) -> CRS:
    """The CRS the file declares (GeoJSON 2008 `crs` member); RFC 7946 files without one are WGS 84."""
    member = document.get("crs")
    if not member:
        return WGS84
    name = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    if not name:
        raise AreaImportError("the file's `crs` member has no properties.name")
    if re.search(r"CRS84$", name):
        return WGS84
    try:
        return CRS.from_user_input(name)
    except CRSError as exc:
        raise AreaImportError(f"unknown coordinate reference system {name!r}: {exc}") from None


def _features(document: dict[str, Any]) -> list[dict[str, Any]]:
    kind = document.get("type")
    if kind == "FeatureCollection":
        return list(document.get("features") or [])
    if kind == "Feature":
        return [document]
    if kind in ("Polygon", "MultiPolygon"):
        return [{"type": "Feature", "geometry": document, "properties": {}}]
    raise AreaImportError(f"expected a GeoJSON FeatureCollection, Feature or polygon, got {kind!r}")


def read_areas(document: dict[str, Any], *, name_property: str = "name", default_name: str = "area") -> list[
        AreaFeature]:
    """Every feature as a valid WGS 84 polygon, or an AreaImportError naming the first bad feature."""
    crs = declared_crs(document)
    to_wgs84 = None if crs == WGS84 else Transformer.from_crs(crs, WGS84, always_xy=True).transform
    areas = []
    for index, feature in enumerate(_features(document), start=1):
        properties = feature.get("properties") or {}
        name = str(properties.get(name_property) or f"{default_name} {index}")
        label = f"feature {index} ({name})"
        try:
            geometry = shape(feature.get("geometry") or {})
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise AreaImportError(f"{label}: unreadable geometry: {exc}") from None
        if not isinstance(geometry, Polygon | MultiPolygon):
            raise AreaImportError(f"{label}: expected a Polygon or MultiPolygon, got {geometry.geom_type}")
        if geometry.is_empty:
            raise AreaImportError(f"{label}: the geometry is empty")
        if not geometry.is_valid:
            raise AreaImportError(f"{label}: invalid geometry: {explain_validity(geometry)}")
        if to_wgs84 is not None:
            geometry = shapely.transform(geometry, to_wgs84, interleaved=False)
        west, south, east, north = geometry.bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise AreaImportError(f"{label}: coordinates outside longitude/latitude range; "
                                  "does the file declare its CRS?")
        areas.append(AreaFeature(name=name[:200], geometry=geometry))
    if not areas:
        raise AreaImportError("the file has no features")
    return areas
