"""Vector tiles of the city's own basemap, cut by PostGIS (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT).

Layers: boundary, water, park, building, road (unnamed), streets (with names from street zoom),
housenumbers. Which layers a zoom carries is rules.tile_layers; docs/places.md describes them."""

from __future__ import annotations

from functools import cache

from sqlalchemy import text

from cityreport.extensions import db
from cityreport.places import rules

# Bump when what a tile holds changes (layers, attributes, zooms): tile URLs carry it, so a deployment
# that draws differently is never served from a cache filled by the previous one.
TILE_SCHEMA = 1
EXTENT = 4096
BUFFER = 64  # grid units around the tile, so labels and line joins are not cut at its edge

_BOUNDARY = """
    SELECT j.name, ST_AsMVTGeom(ST_Simplify(ST_Transform(ST_Boundary(j.boundary), 3857), :tol), env.e,
                                {extent}, {buffer}, true) AS geom
    FROM jurisdictions j, env WHERE j.boundary && env.e4326"""
_FEATURES = """
    SELECT f.name, ST_AsMVTGeom(ST_Simplify(ST_Transform(f.geom, 3857), :tol), env.e, {extent}, {buffer}, true)
           AS geom
    FROM map_features f, env WHERE f.kind = '{kind}' AND f.geom && env.e4326"""
_STREETS = """
    SELECT {name} s.road_class AS class,
           ST_AsMVTGeom(ST_Simplify(ST_Transform(s.geom, 3857), :tol), env.e, {extent}, {buffer}, true) AS geom
    FROM streets s, env WHERE s.geom && env.e4326 AND s.road_class IN ({classes})"""
_NUMBERS = """
    SELECT a.housenumber AS n, ST_AsMVTGeom(ST_Transform(a.geom, 3857), env.e, {extent}, {buffer}, true) AS geom
    FROM addresses a, env WHERE a.geom && env.e4326"""


@cache
def _statement(z: int):
    """One statement per zoom: only the layers that zoom shows, each encoded and concatenated."""
    layers = rules.tile_layers(z)
    fmt = {"extent": EXTENT, "buffer": BUFFER}
    parts: list[tuple[str, str]] = [("boundary", _BOUNDARY.format(**fmt))]
    for kind in ("water", "park", "building", "road"):
        if kind in layers:
            parts.append((kind, _FEATURES.format(kind=kind, **fmt)))
    classes = [c for c in rules.ROAD_CLASSES if c in layers]
    if classes:
        name = "s.name," if "street_names" in layers else ""
        parts.append(("streets", _STREETS.format(name=name, classes=", ".join(f"'{c}'" for c in classes), **fmt)))
    if "housenumbers" in layers:
        parts.append(("housenumbers", _NUMBERS.format(**fmt)))
    ctes = ",\n".join(f"l_{layer} AS ({sql})" for layer, sql in parts)
    encoded = " || ".join(
        f"coalesce((SELECT ST_AsMVT(l, '{layer}', {EXTENT}, 'geom') FROM l_{layer} l WHERE l.geom IS NOT NULL),"
        f" ''::bytea)" for layer, _sql in parts)
    return text(f"""
        WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e,
                            ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326),
        {ctes}
        SELECT {encoded}""")


def tile(z: int, x: int, y: int) -> bytes:
    """The Mapbox Vector Tile at z/x/y (empty bytes where the city has nothing)."""
    data = db.session.execute(_statement(z), {"z": z, "x": x, "y": y, "tol": rules.tile_tolerance(z),
                                              "margin": BUFFER / EXTENT}).scalar()
    return bytes(data or b"")


def version() -> str:
    """The basemap's version: the tile schema and the register's counter (see BasemapState)."""
    counter = db.session.execute(text("SELECT version FROM basemap_state WHERE id = 1")).scalar()
    return f"{TILE_SCHEMA}.{counter or 1}"


def attributions() -> list[str]:
    rows = db.session.execute(text("SELECT DISTINCT attribution FROM street_registers "
                                   "WHERE attribution IS NOT NULL ORDER BY attribution"))
    return [row[0] for row in rows]


def available_layers() -> list[str]:
    """What the register holds, so the map's style draws only layers that exist."""
    row = db.session.execute(text("""
        SELECT EXISTS (SELECT 1 FROM streets WHERE geom IS NOT NULL) AS streets,
               EXISTS (SELECT 1 FROM addresses) AS housenumbers,
               EXISTS (SELECT 1 FROM map_features WHERE kind = 'park') AS park,
               EXISTS (SELECT 1 FROM map_features WHERE kind = 'water') AS water,
               EXISTS (SELECT 1 FROM map_features WHERE kind = 'building') AS building,
               EXISTS (SELECT 1 FROM map_features WHERE kind = 'road') AS road""")).one()
    return ["boundary"] + [name for name, present in row._mapping.items() if present]
