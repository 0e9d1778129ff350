"""Reading a street register from GeoJSON: streets, addresses and basemap features, in whatever CRS the
file declares, every feature checked before anything is stored.

OpenStreetMap's property names are the default; a city's GIS export names its own through PropertyNames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity, make_valid

from cityreport.places import rules
from cityreport.routing.importer import WGS84, AreaImportError, declared_crs

# A message lists at most this many bad features; the count says how many there were.
MAX_LISTED_PROBLEMS = 20


class RegisterImportError(ValueError):
    """The file cannot be imported as it is: `problems` names each unusable feature by its number."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
        more = f" (and {self.total - MAX_LISTED_PROBLEMS} more)" if self.total > MAX_LISTED_PROBLEMS else ""
        super().__init__(f"{self.total} unusable feature(s): {listed}{more}")


@dataclass(frozen=True)
class PropertyNames:
    """Which feature properties hold what. `kind` (optional) names a property whose value is one of
    street, address, park, water, building or road, for exports that carry no OpenStreetMap tags."""

    street: str = "name"
    address_street: str = "addr:street"
    housenumber: str = "addr:housenumber"
    postcode: str = "addr:postcode"
    housename: str = "addr:housename"
    highway: str = "highway"
    kind: str | None = None


@dataclass
class StreetData:
    name: str
    street_type: str | None
    core: str
    road_class: str
    lines: list[LineString] = field(default_factory=list)


@dataclass(frozen=True)
class AddressData:
    street: str
    housenumber: str
    postcode: str | None
    housename: str | None
    point: Point


@dataclass(frozen=True)
class FeatureData:
    kind: str
    name: str | None
    geometry: BaseGeometry


@dataclass
class Register:
    streets: dict[str, StreetData] = field(default_factory=dict)  # by folded name
    addresses: list[AddressData] = field(default_factory=list)
    features: list[FeatureData] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # problems of features left out (skip_unusable)

    def street_for(self, name: str) -> StreetData:
        """The street of that name, created without a line when only addresses name it."""
        name = rules.clean_name(name)
        key = rules.fold(name)
        street = self.streets.get(key)
        if street is None:
            street_type, core = rules.split_street_name(name)
            street = StreetData(name=name, street_type=street_type, core=core,
                                road_class=rules.road_class(street_type))
            self.streets[key] = street
        return street


def _features(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        raise RegisterImportError(["the file is not a GeoJSON object"])
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise RegisterImportError(["the FeatureCollection has no list of features"])
        return features
    if kind == "Feature":
        return [document]
    raise RegisterImportError([f"expected a GeoJSON FeatureCollection or Feature, got {kind!r}"])


def _text(properties: dict[str, Any], key: str | None, limit: int) -> str | None:
    if not key:
        return None
    value = properties.get(key)
    if value is None or isinstance(value, dict | list):
        return None
    value = rules.clean_name(str(value))
    return value[:limit] if value else None


def _lines(geometry: BaseGeometry) -> list[LineString]:
    if isinstance(geometry, LineString):
        return [geometry]
    return list(geometry.geoms)


class _Bad(ValueError):
    """One feature is unusable; the message says why."""


def read_register(document: Any, *, names: PropertyNames | None = None, skip_unusable: bool = False) -> Register:
    """Every feature of the file as street, address or basemap feature in WGS 84.

    Raises RegisterImportError naming every unusable feature, unless skip_unusable, where they are left
    out and listed in Register.skipped. Geometries are parsed, reprojected and checked in one vectorised
    pass (a city's register has hundreds of thousands of features)."""
    names = names or PropertyNames()
    try:
        crs = declared_crs(document) if isinstance(document, dict) else WGS84
    except AreaImportError as exc:
        raise RegisterImportError([str(exc)]) from None
    to_wgs84 = None if crs == WGS84 else Transformer.from_crs(crs, WGS84, always_xy=True).transform
    features = _features(document)
    problems: dict[int, str] = {}
    texts = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems[number] = "not a GeoJSON Feature"
        elif not isinstance(feature.get("properties") or {}, dict):
            problems[number] = "its properties are not an object"
        texts.append(json.dumps(feature.get("geometry") if isinstance(feature, dict) else None))
    geometries = shapely.from_geojson(texts, on_invalid="ignore") if texts else np.array([], dtype=object)
    missing = shapely.is_missing(geometries)
    if to_wgs84 is not None and len(geometries):
        geometries = shapely.transform(geometries, to_wgs84, interleaved=False)
    empty = shapely.is_empty(geometries)
    valid = shapely.is_valid(geometries)
    bounds = shapely.bounds(geometries)
    register = Register()
    for index, feature in enumerate(features):
        number = index + 1
        if number in problems:
            continue
        try:
            if missing[index]:
                _unreadable(feature.get("geometry"))
            if empty[index]:
                raise _Bad("the geometry is empty")
            west, south, east, north = bounds[index]
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                raise _Bad("coordinates outside longitude/latitude range; does the file declare its CRS?")
            _read_feature(register, feature.get("properties") or {}, names, geometries[index], bool(valid[index]))
        except _Bad as exc:
            problems[number] = str(exc)
    listed = [f"feature {number}: {problem}" for number, problem in sorted(problems.items())]
    if listed and not skip_unusable:
        raise RegisterImportError(listed)
    register.skipped = listed
    if not register.streets and not register.addresses and not register.features:
        raise RegisterImportError(["the file has no usable feature"])
    return register


def _unreadable(geometry: Any) -> None:
    """Raise the reason a geometry could not be read, in Shapely's words."""
    try:
        shape(geometry or {})
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise _Bad(f"unreadable geometry ({exc or 'missing'})") from None
    raise _Bad("unreadable geometry")


def _read_feature(register: Register, properties: dict[str, Any], names: PropertyNames,
                  geometry: BaseGeometry, valid: bool) -> None:
    declared = (_text(properties, names.kind, 20) or "").lower() or None
    housenumber = _text(properties, names.housenumber, 40)
    if isinstance(geometry, Point | Polygon | MultiPolygon) and (housenumber or declared == "address"):
        _read_address(register, properties, names, geometry, housenumber)
        if isinstance(geometry, Point):
            return
    if isinstance(geometry, LineString | MultiLineString):
        if not valid or geometry.length == 0:
            raise _Bad("a line without length")
        _read_line(register, properties, names, geometry, declared)
    elif isinstance(geometry, Polygon | MultiPolygon):
        _read_area(register, properties, names, geometry, declared, has_address=bool(housenumber), valid=valid)
    elif not isinstance(geometry, Point):
        raise _Bad(f"a {geometry.geom_type} is neither a street, an address nor an area")
    elif not housenumber:
        raise _Bad(f"a point without a house number ({names.housenumber})")


def _read_address(register: Register, properties: dict[str, Any], names: PropertyNames, geometry: BaseGeometry,
                  housenumber: str | None) -> None:
    if not housenumber:
        raise _Bad(f"an address without a house number ({names.housenumber})")
    # Romanian villages number their houses by the village, not a street (addr:place).
    street = _text(properties, names.address_street, 200) or _text(properties, "addr:place", 200)
    if not street:
        raise _Bad(f"house number {housenumber!r} without a street ({names.address_street})")
    if not rules.number_key(housenumber):
        raise _Bad(f"{housenumber!r} is not a house number")
    housename = _text(properties, names.housename, 200)
    if housename is None and isinstance(geometry, Point):
        housename = _text(properties, "name", 200)
    point = geometry if isinstance(geometry, Point) else geometry.representative_point()
    register.street_for(street)
    register.addresses.append(AddressData(street=rules.clean_name(street), housenumber=housenumber,
                                          postcode=_text(properties, names.postcode, 20), housename=housename,
                                          point=point))


def _read_line(register: Register, properties: dict[str, Any], names: PropertyNames, geometry: BaseGeometry,
               declared: str | None) -> None:
    name = _text(properties, names.street, 200)
    highway = _text(properties, names.highway, 40)
    if name and declared in (None, "street"):
        street = register.street_for(name)
        if highway:
            street.road_class = rules.road_class(street.street_type, highway)
        street.lines.extend(_lines(geometry))
        return
    kind = declared if declared in rules.FEATURE_KINDS else None
    if kind is None and highway:
        kind = "road"
    elif kind is None and (properties.get("waterway") or properties.get("natural") == "water"):
        kind = "water"
    if kind is None:
        raise _Bad(f"a line without a street name ({names.street})")
    register.features.append(FeatureData(kind=kind, name=name, geometry=geometry))


def _read_area(register: Register, properties: dict[str, Any], names: PropertyNames, geometry: BaseGeometry,
               declared: str | None, *, has_address: bool, valid: bool) -> None:
    if not valid:
        repaired = make_valid(geometry)
        if not isinstance(repaired, Polygon | MultiPolygon) or repaired.is_empty:
            raise _Bad(f"invalid polygon: {explain_validity(geometry)}")
        geometry = repaired
    kind = declared if declared in ("park", "water", "building") else rules.feature_kind(properties)
    if kind is None:
        if has_address:  # an address drawn as its plot: the address is what counts
            return
        raise _Bad("a polygon that is neither a park, water nor a building (no leisure, landuse, natural, "
                   "water or building tag)")
    register.features.append(FeatureData(kind=kind, name=_text(properties, "name", 200), geometry=geometry))
