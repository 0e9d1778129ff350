"""The street register on real PostGIS: import (OSM-style, custom properties, any CRS, bad features,
idempotent replace, scopes), the `import-addresses` command, and the demo city's register."""

from __future__ import annotations

import json

import pytest
from pyproj import Transformer
from sqlalchemy import func, select, text

from cityreport import demo, demo_data
from cityreport.extensions import db
from cityreport.places import services
from cityreport.places.demo_register import build_register, load_demo_register
from cityreport.places.importer import PropertyNames, RegisterImportError, read_register
from cityreport.places.models import Address, MapFeature, Street, StreetRegister
from tests.integration.places_helpers import (
    LAT0,
    LON0,
    address,
    line,
    load_small_register,
    polygon,
    small_register,
)


def _street(name: str) -> Street:
    return db.session.scalars(select(Street).where(Street.name == name)).one()


def test_osm_style_export_becomes_streets_addresses_and_map_features(db_session):
    summary = load_small_register()
    assert (summary.streets, summary.addresses, summary.features) == (8, 94, 4)
    memo = _street("Strada Memorandumului")
    assert (memo.street_type, memo.core, memo.search, memo.road_class) == \
        ("strada", "Memorandumului", "memorandumului", "minor")
    assert _street("Calea Dorobanților").search == "dorobantilor"  # folded by unaccent in the database
    assert _street("Bulevardul 21 Decembrie 1989").road_class == "major"
    assert _street("Piața Unirii").road_class == "path"
    numbers = db.session.scalars(select(Address.housenumber).where(Address.street_id == memo.id)).all()
    assert len(numbers) == 40 and "12" in numbers
    # a street named only by addresses: no line, but a point amid its houses
    fabricii = _street("Strada Fabricii")
    assert fabricii.geom is None and fabricii.point is not None
    assert db.session.scalar(select(Address.housename).where(Address.street_id == fabricii.id,
                                                             Address.housenumber == "3")) == "Bloc F3"
    kinds = db.session.execute(select(MapFeature.kind, MapFeature.name).order_by(MapFeature.kind)).all()
    assert [k for k, _ in kinds] == ["building", "park", "road", "water"]
    assert ("park", "Parcul Central") in kinds
    assert db.session.get(StreetRegister, "").source == "small.geojson"


def test_the_indexes_the_searches_need_exist(db_session):
    rows = db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('streets', 'addresses', 'map_features')"))
    defs = {name: definition for name, definition in rows}
    assert "gist (search gist_trgm_ops)" in defs["ix_streets_search_trgm"]
    assert "gist" in defs["idx_addresses_geom"] and "gist" in defs["idx_streets_geom"]
    assert "gist (kind, geom)" in defs["ix_map_features_kind_geom"]
    extensions = set(db.session.scalars(text("SELECT extname FROM pg_extension")))
    assert {"unaccent", "pg_trgm", "postgis"} <= extensions
    # the name search and the nearest-address lookup can be KNN index scans, not sorts of the table (on a
    # table this small the planner would rather scan it: tell it not to, to see that the index serves)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM streets ORDER BY 'memorandumului' <<-> search LIMIT 16")))
    assert "ix_streets_search_trgm" in plan
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM addresses ORDER BY geom <-> ST_SetSRID(ST_MakePoint(23.6, 46.7), 4326) LIMIT 4")))
    assert "idx_addresses_geom" in plan


def test_a_city_gis_export_with_its_own_property_names(db_session):
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"DENUMIRE": "Strada Avram Iancu", "CATEGORIE": "street"},
         "geometry": {"type": "LineString", "coordinates": [[LON0, LAT0], [LON0 + 0.003, LAT0]]}},
        {"type": "Feature", "properties": {"ARTERA": "Strada Avram Iancu", "NR_POSTAL": "7B", "COD": "400117",
                                           "CATEGORIE": "address"},
         "geometry": {"type": "Point", "coordinates": [LON0 + 0.001, LAT0 + 0.0001]}},
        {"type": "Feature", "properties": {"CATEGORIE": "park", "name": "Scuarul Avram Iancu"},
         "geometry": {"type": "Polygon", "coordinates": [[[LON0, LAT0 + 0.001], [LON0 + 0.001, LAT0 + 0.001],
                                                          [LON0 + 0.001, LAT0 + 0.002], [LON0, LAT0 + 0.001]]]}},
    ]}
    names = PropertyNames(street="DENUMIRE", address_street="ARTERA", housenumber="NR_POSTAL", postcode="COD",
                          kind="CATEGORIE")
    summary = services.replace_register(read_register(document, names=names), source="gis.geojson")
    assert (summary.streets, summary.addresses, summary.features) == (1, 1, 1)
    row = db.session.execute(select(Address.housenumber, Address.number_key, Address.postcode)).one()
    assert tuple(row) == ("7B", "7b", "400117")
    assert services.search("avram iancu 7b")[0].housenumber == "7B"


def test_a_file_in_stereo_70_is_reprojected_to_wgs84(db_session):
    to_stereo = Transformer.from_crs("EPSG:4326", "EPSG:3844", always_xy=True)
    document = small_register()
    for feature in document["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            geometry["coordinates"] = list(to_stereo.transform(*geometry["coordinates"]))
        elif geometry["type"] == "LineString":
            geometry["coordinates"] = [list(to_stereo.transform(*c)) for c in geometry["coordinates"]]
        else:
            geometry["coordinates"] = [[list(to_stereo.transform(*c)) for c in ring] for ring in geometry["coordinates"]]
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3844"}}
    services.replace_register(read_register(document), source="stereo70.geojson")
    memo12 = services.search("memorandumului 12")[0]
    plain = read_register(small_register())
    expected = next(a.point for a in plain.addresses if a.street == "Strada Memorandumului" and a.housenumber == "12")
    assert memo12.lat == pytest.approx(expected.y, abs=1e-5) and memo12.lon == pytest.approx(expected.x, abs=1e-5)


def test_unusable_features_are_named_by_number_and_nothing_is_stored(db_session):
    load_small_register()
    before = services.register_counts()
    document = {"type": "FeatureCollection", "features": [
        line("Strada Bună", [(LON0, LAT0), (LON0 + 0.001, LAT0)]),
        {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "LineString", "coordinates": [[1]]}},
        address("Strada Bună", "", LON0, LAT0),
        {"type": "Feature", "properties": {"name": "fără stradă"},
         "geometry": {"type": "LineString", "coordinates": [[LON0, LAT0], [LON0, LAT0 + 0.001]]}} | {},
        polygon([(LON0, LAT0), (LON0 + 0.001, LAT0), (LON0, LAT0 + 0.001)], amenity="school"),
        {"type": "Feature", "properties": {"addr:housenumber": "4"}, "geometry": {"type": "Point",
                                                                                   "coordinates": [LON0, LAT0]}},
        address("Strada Bună", "9", 400000.0, 500000.0),
        "not a feature",
    ]}
    document["features"][3]["properties"] = {"name": None}
    with pytest.raises(RegisterImportError) as caught:
        read_register(document)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == [f"feature {n}" for n in (2, 3, 4, 5, 6, 7, 8)]
    assert "unreadable geometry" in problems[0]
    assert "without a house number" in problems[1]
    assert "without a street name" in problems[2]
    assert "neither a park, water nor a building" in problems[3]
    assert "without a street" in problems[4]
    assert "does the file declare its CRS" in problems[5]
    assert services.register_counts() == before
    # with --skip-unusable the good feature goes in and the others are listed
    register = read_register(document, skip_unusable=True)
    assert len(register.skipped) == 7 and list(register.streets) == ["strada buna"]


def test_reimport_replaces_the_register_and_bodies_keep_their_own(db_session):
    load_small_register()
    load_small_register()
    assert services.register_counts() == {"streets": 8, "addresses": 94, "features": 4}
    load_small_register(scope="Compania de Apă")
    assert db.session.scalar(select(func.count()).select_from(Street).where(Street.scope == "Compania de Apă")) == 8
    services.replace_register(read_register({"type": "FeatureCollection", "features": [
        line("Strada Nouă", [(LON0, LAT0), (LON0 + 0.001, LAT0)])]}), source="new.geojson")
    assert db.session.scalars(select(Street.name).where(Street.scope == "")).all() == ["Strada Nouă"]
    assert db.session.scalar(select(func.count()).select_from(Street).where(Street.scope == "Compania de Apă")) == 8


def test_import_addresses_command(runner, tmp_path):
    path = tmp_path / "register.geojson"
    path.write_text(json.dumps(small_register()), encoding="utf-8")
    result = runner.invoke(args=["import-addresses", str(path), "--attribution", "© OpenStreetMap contributors"])
    assert result.exit_code == 0, result.output
    assert "8 streets, 94 addresses, 4 map features" in result.output
    assert db.session.get(StreetRegister, "").attribution == "© OpenStreetMap contributors"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        line("Strada Bună", [(LON0, LAT0), (LON0 + 0.001, LAT0)]), address("Strada Bună", "", LON0, LAT0)]}))
    result = runner.invoke(args=["import-addresses", str(bad)])
    assert result.exit_code == 2
    assert "feature 2: a point without a house number (addr:housenumber)" in result.output and "nothing imported" in result.output
    assert services.register_counts()["streets"] == 8
    custom = tmp_path / "custom.geojson"
    custom.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"NUME": "Strada Lungă"},
         "geometry": {"type": "LineString", "coordinates": [[LON0, LAT0], [LON0 + 0.002, LAT0]]}},
        {"type": "Feature", "properties": {"STR": "Strada Lungă", "NR": "2"},
         "geometry": {"type": "Point", "coordinates": [LON0 + 0.001, LAT0 + 0.0001]}}]}))
    result = runner.invoke(args=["import-addresses", str(custom), "--body", "Direcția Patrimoniu",
                                 "--street-property", "NUME", "--address-street-property", "STR",
                                 "--housenumber-property", "NR"])
    assert result.exit_code == 0, result.output
    assert "for Direcția Patrimoniu: 1 streets, 1 addresses" in result.output


def test_demo_register_is_plausible_and_memorandumului_12_resolves(db_session):
    boundary = demo.city_boundary()
    document = build_register(boundary, demo_data.CITY["center"])
    assert document == build_register(boundary, demo_data.CITY["center"])  # deterministic
    assert load_demo_register(boundary, demo_data.CITY["center"]).startswith("street register: ")
    counts = services.register_counts()
    assert counts["streets"] > 300 and counts["addresses"] > 10_000
    names = set(db.session.scalars(select(Street.name)))
    for prefix in ("Strada ", "Bulevardul ", "Calea ", "Aleea ", "Piața "):
        assert any(name.startswith(prefix) for name in names), prefix
    assert set(demo_data.STREETS) <= names  # the demo reports' typed addresses are on the map
    best = services.search("memorandumului 12")[0]
    assert (best.kind, best.street, best.housenumber) == ("address", "Strada Memorandumului", "12")
    kinds = set(db.session.scalars(select(MapFeature.kind).distinct()))
    assert {"park", "water", "building"} <= kinds
    assert load_demo_register(boundary, demo_data.CITY["center"]) == "street register already loaded"
