"""The street register's database work: replacing a register, address search, reverse geocoding, and
the nearest place of every report. Services flush, never commit; the command or request commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from flask_babel import force_locale
from flask_babel import gettext as _
from shapely.geometry import MultiLineString
from shapely.ops import linemerge
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer, Text

from cityreport.extensions import db
from cityreport.geo import SRID
from cityreport.models_base import utcnow
from cityreport.places import rules
from cityreport.places.importer import Register
from cityreport.places.models import StreetRegister


@dataclass(frozen=True)
class ImportSummary:
    scope: str
    streets: int
    addresses: int
    features: int
    reports: int  # reports whose nearest place was recomputed
    skipped: int


def _ewkb(geometry: Any) -> str:
    return shapely.to_wkb(shapely.set_srid(geometry, SRID), hex=True, include_srid=True)


def _copy(table: str, columns: Iterable[str], rows: Iterable[tuple]) -> None:
    """COPY rows into a table on the session's own connection, inside its transaction."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bump_basemap_version() -> None:
    db.session.execute(text(
        "INSERT INTO basemap_state (id, version, changed_at) VALUES (1, 2, now()) "
        "ON CONFLICT (id) DO UPDATE SET version = basemap_state.version + 1, changed_at = now()"))


def replace_register(register: Register, *, scope: str = "", source: str, attribution: str | None = None,
                     update_reports: bool = True) -> ImportSummary:
    """Replace the scope's register with this one, all at once: a failure leaves the old one whole.

    Then recompute every report's nearest place (the register they were computed from is gone)."""
    params = {"scope": scope}
    db.session.execute(text("DELETE FROM map_features WHERE scope = :scope"), params)
    db.session.execute(text("DELETE FROM streets WHERE scope = :scope"), params)  # addresses cascade
    streets = list(register.streets.values())
    _copy("streets", ("scope", "name", "street_type", "core", "road_class", "geom"),
          ((scope, s.name, s.street_type, s.core[:200], s.road_class, _street_geometry(s.lines)) for s in streets))
    ids = {rules.fold(name): street_id for street_id, name in db.session.execute(
        text("SELECT id, name FROM streets WHERE scope = :scope"), params)}
    _copy("addresses", ("scope", "street_id", "housenumber", "number_key", "number_int", "postcode", "housename",
                        "geom"),
          ((scope, ids[rules.fold(a.street)], a.housenumber, rules.number_key(a.housenumber)[:40],
            rules.number_int(a.housenumber), a.postcode, a.housename, _ewkb(a.point)) for a in register.addresses))
    _copy("map_features", ("scope", "kind", "name", "geom"),
          ((scope, f.kind, f.name, _ewkb(f.geometry)) for f in register.features))
    # A street's pin: on its line near the middle, or amid its addresses when it has no line.
    db.session.execute(text("""
        UPDATE streets s SET point = CASE WHEN s.geom IS NOT NULL THEN ST_ClosestPoint(s.geom, ST_Centroid(s.geom))
            ELSE (SELECT ST_ClosestPoint(ST_Collect(a.geom), ST_Centroid(ST_Collect(a.geom)))
                  FROM addresses a WHERE a.street_id = s.id) END
        WHERE s.scope = :scope"""), params)
    row = db.session.get(StreetRegister, scope) or StreetRegister(scope=scope)
    row.source, row.attribution, row.imported_at = source[:300], (attribution or None), utcnow()
    row.streets, row.addresses, row.features = len(streets), len(register.addresses), len(register.features)
    db.session.add(row)
    bump_basemap_version()
    db.session.flush()
    # Fresh statistics: the planner must know the trigram and KNN indexes are worth using.
    db.session.execute(text("ANALYZE streets, addresses, map_features"))
    reports = fill_report_places() if update_reports else 0
    return ImportSummary(scope=scope, streets=len(streets), addresses=len(register.addresses),
                         features=len(register.features), reports=reports, skipped=len(register.skipped))


def _street_geometry(lines: list) -> str | None:
    if not lines:
        return None
    merged = linemerge(lines)
    parts = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
    return _ewkb(MultiLineString(parts))


# ---- address search -------------------------------------------------------------------------------

STREETS_PER_READING = 16
# Below this trigram score a street shares too little with the typed words to be offered at all.
MATCH_FLOOR = 0.3

# For each reading, the streets whose names are nearest by trigram word distance, in index order (GiST
# KNN), scored: similarity for whole names, word similarity for what is still being typed. Then, in the
# same statement, those streets' addresses with the typed numbers (or the same leading number: 12 -> 12A).
_SEARCH_SQL = text("""
    WITH q AS (
        SELECT (t.i - 1)::int AS i, places_fold(t.core) AS core
        FROM unnest(:cores) WITH ORDINALITY AS t(core, i)
    ), m AS MATERIALIZED (
        SELECT q.i, c.id, c.name, c.street_type, c.score, c.prefix, c.point
        FROM q CROSS JOIN LATERAL (
            SELECT s.id, s.name, s.street_type, s.point,
                   greatest(similarity(s.search, q.core), word_similarity(q.core, s.search)) AS score,
                   s.search LIKE q.core || '%' AS prefix
            FROM streets s
            ORDER BY q.core <<-> s.search
            LIMIT :per_reading
        ) c
        WHERE c.score >= :floor
    )
    SELECT 'street' AS row, m.i, m.id AS street_id, m.name, m.street_type, m.score, m.prefix,
           ST_Y(m.point) AS lat, ST_X(m.point) AS lon,
           NULL AS housenumber, NULL AS number_key, NULL::int AS number_int, NULL AS postcode, NULL AS housename
    FROM m
    UNION ALL
    SELECT 'address', NULL, a.street_id, NULL, NULL, NULL, NULL, ST_Y(a.geom), ST_X(a.geom),
           a.housenumber, a.number_key, a.number_int, a.postcode, a.housename
    FROM addresses a
    WHERE a.street_id IN (SELECT id FROM m) AND (a.number_key = ANY(:keys) OR a.number_int = ANY(:ints))
""").bindparams(bindparam("cores", type_=ARRAY(Text)), bindparam("keys", type_=ARRAY(Text)),
                bindparam("ints", type_=ARRAY(Integer)))


def search(query: str, *, limit: int = rules.LIMIT_DEFAULT) -> list[rules.Candidate]:
    """Ranked candidates for a typed address, in one statement (docs/places.md, "Search ranking")."""
    parsed = rules.parse_query(query)
    if not parsed.interpretations:
        return []
    cores = parsed.cores
    keys = [r.number for r in parsed.interpretations if r.number]
    ints = [n for n in (rules.number_int(k) for k in keys) if n is not None]
    rows = db.session.execute(_SEARCH_SQL, {"cores": cores, "per_reading": STREETS_PER_READING,
                                            "floor": MATCH_FLOOR, "keys": keys, "ints": ints}).all()
    by_core = {core: index for index, core in enumerate(cores)}
    matches, addresses = [], []
    for row in rows:
        if row.row == "address":
            addresses.append(rules.AddressRow(row.street_id, row.housenumber, row.number_key, row.number_int,
                                              row.postcode, row.housename, row.lat, row.lon))
    streets = [row for row in rows if row.row == "street"]
    for reading_index, reading in enumerate(parsed.interpretations):
        for row in streets:
            if row.i == by_core[reading.core]:
                matches.append(rules.StreetMatch(reading_index, row.street_id, row.name, row.street_type,
                                                 float(row.score), bool(row.prefix), row.lat, row.lon))
    return rules.rank(parsed, matches, addresses, limit=limit)


def address_label(street: str, housenumber: str | None, housename: str | None = None) -> str:
    """"Strada Memorandumului nr. 12" (ro) / "Strada Memorandumului 12" (en), in the current language."""
    # Translators: a street and its house number; Romanian writes "nr." between them.
    label = street if not housenumber else _("%(street)s %(number)s", street=street, number=housenumber)
    return f"{label}, {housename}" if housename else label


def candidate_payload(candidate: rules.Candidate) -> dict[str, Any]:
    return {"label": address_label(candidate.street, candidate.housenumber, candidate.housename),
            "kind": candidate.kind, "street": candidate.street, "housenumber": candidate.housenumber,
            "postcode": candidate.postcode,
            "point": {"lat": round(candidate.lat, 6), "lon": round(candidate.lon, 6)},
            "score": candidate.score}


# ---- reverse geocoding ------------------------------------------------------------------------------

KNN_CANDIDATES = 4

# The nearest address and the nearest street of each point in {points} (a FROM item giving `key` and
# `g`). The index orders by distance in degrees; the few nearest are then measured on the spheroid.
_NEAREST_SQL = """
    SELECT p.key, na.street AS a_street, na.housenumber AS a_number, na.d AS a_m, ns.name AS s_name, ns.d AS s_m
    FROM {points} p
    LEFT JOIN LATERAL (
        SELECT st.name AS street, c.housenumber, c.d FROM (
            SELECT a.street_id, a.housenumber, ST_Distance(a.geom::geography, p.g::geography) AS d
            FROM addresses a ORDER BY a.geom <-> p.g LIMIT {k}) c
        JOIN streets st ON st.id = c.street_id
        ORDER BY c.d LIMIT 1) na ON true
    LEFT JOIN LATERAL (
        SELECT c.name, c.d FROM (
            SELECT s.name, ST_Distance(s.geom::geography, p.g::geography) AS d
            FROM streets s WHERE s.geom IS NOT NULL ORDER BY s.geom <-> p.g LIMIT {k}) c
        ORDER BY c.d LIMIT 1) ns ON true
"""
_POINT_SQL = text(_NEAREST_SQL.format(
    points="(SELECT 0 AS key, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)", k=KNN_CANDIDATES))


def _place(row: Any) -> rules.Place | None:
    address = (row.a_street, row.a_number, float(row.a_m)) if row.a_street is not None else None
    street = (row.s_name, float(row.s_m)) if row.s_name is not None else None
    return rules.choose_place(address, street)


def nearest_place(lat: float, lon: float) -> rules.Place | None:
    """The nearest address within rules.ADDRESS_RADIUS_M, else the nearest street, else None."""
    return _place(db.session.execute(_POINT_SQL, {"lat": lat, "lon": lon}).one())


def place_label(place: rules.Place | None, locale: str | None = None) -> str | None:
    """"lângă Strada Observatorului nr. 25" / "near Strada Observatorului 25"; None when near nothing."""
    if place is None:
        return None
    if locale is None:
        return _("near %(place)s", place=address_label(place.street, place.housenumber))
    with force_locale(locale):
        return _("near %(place)s", place=address_label(place.street, place.housenumber))


def fill_report_places(report_ids: list[int] | None = None) -> int:
    """Compute the nearest place of every report (or of these), in one pass; returns how many have one."""
    where = "" if report_ids is None else "WHERE r.id = ANY(:ids)"
    points = f"(SELECT r.id AS key, r.location AS g FROM reports r {where})"
    params: dict[str, Any] = {}
    statement = text(_NEAREST_SQL.format(points=points, k=KNN_CANDIDATES))
    if report_ids is not None:
        statement = statement.bindparams(bindparam("ids", type_=ARRAY(Integer)))
        params["ids"] = report_ids
        db.session.execute(text("DELETE FROM report_places WHERE report_id = ANY(:ids)").bindparams(
            bindparam("ids", type_=ARRAY(Integer))), params)
    else:
        db.session.execute(text("DELETE FROM report_places"))
    now = utcnow()
    found = [(row.key, place.kind, place.street, place.housenumber, place.distance_m, now)
             for row in db.session.execute(statement, params) if (place := _place(row)) is not None]
    _copy("report_places", ("report_id", "kind", "street", "housenumber", "distance_m", "computed_at"), found)
    return len(found)


def report_place(report_id: int) -> rules.Place | None:
    row = db.session.execute(text("SELECT kind, street, housenumber, distance_m FROM report_places "
                                  "WHERE report_id = :id"), {"id": report_id}).first()
    return rules.Place(row.kind, row.street, row.housenumber, row.distance_m) if row else None


def register_counts() -> dict[str, int]:
    row = db.session.execute(text(
        "SELECT (SELECT count(*) FROM streets) AS streets, (SELECT count(*) FROM addresses) AS addresses, "
        "(SELECT count(*) FROM map_features) AS features")).one()
    return dict(row._mapping)
