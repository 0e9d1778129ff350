"""Address search, reverse geocoding and the basemap's tiles on real PostGIS, through the services and
the HTTP API (GET /api/v1/geocode, /api/v1/basemap, /tiles/{z}/{x}/{y}.pbf)."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
from shapely.geometry import box
from sqlalchemy import select

from cityreport.extensions import db
from cityreport.geo import as_multipolygon, element_from_shape
from cityreport.places import services, tiles
from cityreport.places.models import ReportPlace
from cityreport.routing.models import Jurisdiction
from cityreport.static_files import STATIC_DIR
from tests.integration.places_helpers import DLAT, LAT0, LON0, load_small_register


@pytest.fixture()
def register(db_session):
    return load_small_register()


def _best(query: str) -> tuple[str, str, str | None]:
    first = services.search(query)[0]
    return first.kind, first.street, first.housenumber


MEMO_12 = ("address", "Strada Memorandumului", "12")


@pytest.mark.parametrize("query", [
    "memorandumului 12", "12 memorandumului", "Memorandumului nr. 12", "str. Memorandumului nr. 12",
    "str memorandumului 12", "strada memorandumului 12", "Strada Memorandumului, nr.12", "12, str. Memorandumului",
    "MEMORANDUMULUI 12", "memorandumlui 12", "memorandumului nr 12 bl. A sc. 2 ap. 4",
])
def test_memorandumului_12_in_every_way_people_write_it(register, query):
    assert _best(query) == MEMO_12


@pytest.mark.parametrize(("query", "expected"), [
    ("dorobantilor", ("street", "Calea Dorobanților", None)),  # no diacritics
    ("cal. dorobanților", ("street", "Calea Dorobanților", None)),
    ("Calea Doroban\u0163ilor", ("street", "Calea Dorobanților", None)),  # cedilla, as old keyboards type it
    ("piata unirii", ("street", "Piața Unirii", None)),
    ("al. detunata", ("street", "Aleea Detunata", None)),
    ("obsevatorului 7", ("address", "Strada Observatorului", "7")),  # a typo
    ("observator", ("street", "Strada Observatorului", None)),  # typing in progress
    ("bd. 21 Decembrie 1989 5", ("address", "Bulevardul 21 Decembrie 1989", "5")),
    ("b-dul 21 decembrie 1989 nr 5", ("address", "Bulevardul 21 Decembrie 1989", "5")),
    ("21 decembrie 1989", ("street", "Bulevardul 21 Decembrie 1989", None)),
    ("horea 12a", ("address", "Strada Horea", "12A")),
])
def test_diacritics_typos_abbreviations_and_numbers_in_names(register, query, expected):
    assert _best(query) == expected


def test_a_number_the_street_lacks_gives_the_street_and_lettered_numbers_are_offered(register):
    assert _best("memorandumului 99") == ("street", "Strada Memorandumului", None)
    found = [(c.kind, c.housenumber) for c in services.search("horea 12")]
    assert found[:3] == [("address", "12A"), ("address", "12B"), ("street", None)]


def test_unknown_places_find_nothing(register):
    assert services.search("zzzqqq 4") == []


def test_geocode_api_returns_ranked_candidates_with_label_point_and_kind(client, register):
    body = client.get("/api/v1/geocode?q=memorandumului+12", headers={"Accept-Language": "ro"}).json
    first, second = body["candidates"][:2]
    assert first["label"] == "Strada Memorandumului nr. 12" and first["kind"] == "address"
    assert second["label"] == "Strada Memorandumului" and second["kind"] == "street"
    assert first["score"] > second["score"]
    assert abs(first["point"]["lat"] - LAT0) < 0.001 and abs(first["point"]["lon"] - LON0) < 0.006
    english = client.get("/api/v1/geocode?q=memorandumului+12&lang=en").json["candidates"][0]
    assert english["label"] == "Strada Memorandumului 12"
    assert len(client.get("/api/v1/geocode?q=strada&limit=1").json["candidates"]) <= 1


@pytest.mark.parametrize(("query", "field", "ro", "en"), [
    ("", "q", "este obligatoriu", "is required"),
    ("?q=a", "q", "cel puțin 2", "at least 2"),
    ("?q=" + "a" * 201, "q", "cel mult 200", "at most 200"),
    ("?q=horea&limit=0", "limit", "între 1 și 20", "between 1 and 20"),
    ("?q=horea&limit=two", "limit", "număr întreg", "whole number"),
])
def test_bad_search_input_is_a_400_naming_the_field_in_the_request_language(client, query, field, ro, en):
    for language, text in (("ro", ro), ("en", en)):
        response = client.get(f"/api/v1/geocode{query}", headers={"Accept-Language": language})
        assert response.status_code == 400
        assert text in response.json["error"]["fields"][field]


# ---- reverse geocoding --------------------------------------------------------------------------------

def test_nearest_address_then_nearest_street_then_nothing(register):
    place = services.nearest_place(LAT0 + 0.0001, LON0 - 0.0022)
    assert place.kind == "address" and place.street == "Strada Memorandumului" and place.distance_m < 20
    # 100 m from any house but 40 m from the line of Strada Horea's west end
    street = services.nearest_place(LAT0 - 0.005 - 40 * DLAT, LON0 - 0.0058)
    assert (street.kind, street.street, street.housenumber) == ("street", "Strada Horea", None)
    assert 35 < street.distance_m < 45
    assert services.nearest_place(LAT0 + 0.03, LON0 + 0.03) is None


def test_place_labels_in_both_languages(app, register):
    place = services.nearest_place(LAT0 + 0.0001, LON0 - 0.0022)
    with app.test_request_context():
        assert services.place_label(place, "ro") == f"lângă Strada Memorandumului nr. {place.housenumber}"
        assert services.place_label(place, "en") == f"near Strada Memorandumului {place.housenumber}"
        street = services.nearest_place(LAT0 - 0.005 - 40 * DLAT, LON0 - 0.0058)
        assert services.place_label(street, "ro") == "lângă Strada Horea"
        assert services.place_label(None, "ro") is None


def test_existing_reports_get_their_nearest_address_when_a_register_is_imported(create_report):
    near = create_report(lat=LAT0 + 0.0001, lon=LON0 - 0.0022)
    nowhere = create_report(lat=LAT0 + 0.03, lon=LON0 + 0.03)
    summary = load_small_register()
    assert summary.reports == 1
    stored = db.session.get(ReportPlace, near.id)
    assert (stored.kind, stored.street) == ("address", "Strada Memorandumului") and stored.distance_m < 20
    assert db.session.get(ReportPlace, nowhere.id) is None
    assert services.report_place(near.id) == services.nearest_place(LAT0 + 0.0001, LON0 - 0.0022)
    # one report again, e.g. after its pin moved
    assert services.fill_report_places([near.id]) == 1
    assert db.session.scalars(select(ReportPlace.report_id)).all() == [near.id]


# ---- tiles ----------------------------------------------------------------------------------------------

def _tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _decode(response) -> dict:
    data = gzip.decompress(response.data) if response.headers.get("Content-Encoding") == "gzip" else response.data
    return mapbox_vector_tile.decode(data)


def test_street_zoom_tiles_carry_streets_with_names_parks_water_and_then_buildings(client, make_jurisdiction, register):
    make_jurisdiction(geometry=box(LON0 - 0.004, LAT0 - 0.004, LON0 + 0.004, LAT0 + 0.004))
    x0, y0 = _tile_xy(LAT0, LON0, 14)
    layers: dict[str, list] = {}
    for x in (x0 - 1, x0, x0 + 1):
        for y in (y0 - 1, y0, y0 + 1):
            response = client.get(f"/tiles/14/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
            if response.data:
                assert response.headers["Content-Encoding"] == "gzip"
            for name, layer in _decode(response).items():
                layers.setdefault(name, []).extend(layer["features"])
    assert {"boundary", "streets", "park", "water", "road"} <= set(layers) and "building" not in layers
    names = {f["properties"].get("name") for f in layers["streets"]}
    assert {"Strada Memorandumului", "Calea Dorobanților", "Bulevardul 21 Decembrie 1989"} <= names
    assert {f["properties"]["class"] for f in layers["streets"]} >= {"major", "minor"}
    # the city's zoom: major roads only, no names, no buildings
    x, y = _tile_xy(LAT0, LON0, 10)
    city = _decode(client.get(f"/tiles/10/{x}/{y}.pbf"))
    assert {f["properties"]["class"] for f in city["streets"]["features"]} == {"major"}
    assert "name" not in city["streets"]["features"][0]["properties"] and "building" not in city
    # buildings from the next zoom; the closest zoom adds the house numbers
    x, y = _tile_xy(LAT0 + 0.0004, LON0 + 0.00045, 15)
    assert "building" in _decode(client.get(f"/tiles/15/{x}/{y}.pbf"))
    house = services.search("memorandumului 12")[0]
    x, y = _tile_xy(house.lat, house.lon, 17)
    numbers = _decode(client.get(f"/tiles/17/{x}/{y}.pbf"))["housenumbers"]["features"]
    assert any(f["properties"]["n"] == "12" for f in numbers)


def test_tiles_are_cached_for_good_under_the_current_version_and_revalidated_otherwise(client, register):
    version = tiles.version()
    x, y = _tile_xy(LAT0, LON0, 15)
    url = f"/tiles/15/{x}/{y}.pbf"
    current = client.get(f"{url}?v={version}")
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(url).headers["Cache-Control"] == "public, no-cache"
    etag = current.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert client.get("/tiles/15/0/0.pbf").data == b""  # nothing there: an empty tile
    assert client.get("/tiles/3/9/0.pbf").status_code == 404
    assert client.get("/tiles/24/0/0.pbf").status_code == 404


def test_the_version_changes_with_the_register_and_the_boundary(client, register):
    first = tiles.version()
    load_small_register()
    second = tiles.version()
    assert second != first
    db.session.add(Jurisdiction(slug="alta", name="Alta", boundary=element_from_shape(as_multipolygon(
        box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)))))
    db.session.flush()
    assert tiles.version() != second
    # an old tile URL is no longer the current one: browsers revalidate it
    x, y = _tile_xy(LAT0, LON0, 15)
    assert client.get(f"/tiles/15/{x}/{y}.pbf?v={first}").headers["Cache-Control"] == "public, no-cache"


def test_basemap_description_names_its_versioned_tiles_and_vendored_scripts(client, register):
    response = client.get("/api/v1/basemap")
    body = response.json
    assert body["tiles"] == f"/tiles/{{z}}/{{x}}/{{y}}.pbf?v={tiles.version()}"
    assert {"streets", "housenumbers", "park", "water", "building"} <= set(body["layers"])
    assert body["attribution"] == "© test"
    for script in body["scripts"]:
        path, _, digest = script.partition("?v=")
        assert digest and (STATIC_DIR / path.removeprefix("/static/")).is_file()
    assert client.get("/api/v1/basemap", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
