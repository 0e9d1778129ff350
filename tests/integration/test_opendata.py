"""Open data: anonymised exports, streaming, HTTP validators, indicators, the DCAT catalogue, the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image

from cityreport.extensions import db
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.indicators.rules import METRIC_KEYS
from cityreport.media.services import process_upload, store_photos
from cityreport.opendata.rules import COLUMN_NAMES
from cityreport.reports.services import add_note, change_status
from tests.conftest import CENTER

# Newlines, tabs, quotes, backslashes, commas and diacritics must come out exactly as they went in.
TRICKY = 'Bec ars,\n\t"stâlpul 12"\\C:\\cale; ăîșțâ'
PRIVATE = ("Maria Ionescu", "maria@example.ro", "0744555666", "internal remark")


@pytest.fixture()
def data(make_jurisdiction, make_department, make_category, create_report, make_staff):
    make_jurisdiction(name="Cluj-Napoca")
    roads = make_department(slug="drumuri", name_ro="Direcția Drumuri", name_en="Roads")
    pothole = make_category(code="pothole", name_ro="Groapă", name_en="Pothole", default_department=roads)
    staff = make_staff(department=roads)
    october = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)
    visible = create_report(category=pothole, description='Groapă "mare", lângă școală', name=PRIVATE[0],
                            email=PRIVATE[1], phone=PRIVATE[2], created_at=october)
    add_note(visible, staff=staff, internal_text=PRIVATE[3], at=october + timedelta(hours=2))
    change_status(visible, "fixed", staff=staff, at=october + timedelta(days=2))
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(buffer, "JPEG")
    store_photos(visible.id, [process_upload(buffer.getvalue())])
    # Midnight on 1 November in Bucharest is still 31 October in UTC: it belongs to November.
    november = create_report(category=pothole, description=TRICKY, created_at=datetime(2026, 10, 31, 22, 30,
                                                                                            tzinfo=UTC))
    hidden = create_report(category=pothole, description="Ascunsă", created_at=october)
    hidden.hidden = True
    spam = create_report(category=pothole, description="Spam", created_at=october)
    change_status(spam, "invalid", staff=staff, at=october + timedelta(hours=1))
    db.session.flush()
    return {"visible": visible, "november": november, "hidden": hidden, "spam": spam, "roads": roads,
            "pothole": pothole}


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_reports_csv_has_the_documented_columns_and_no_personal_data(client, data):
    response = client.get("/opendata/reports.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(COLUMN_NAMES)
    listed = rows(response)
    assert [r["id"] for r in listed] == [str(data["visible"].id), str(data["november"].id)]
    first = listed[0]
    assert first["category_code"] == "pothole" and first["category_name_en"] == "Pothole"
    assert first["department"] == "drumuri" and first["department_name_ro"] == "Direcția Drumuri"
    assert first["status"] == "fixed"
    assert first["created_at"] == "2026-10-15T12:30:00+03:00"
    assert first["acknowledged_at"] == "2026-10-17T12:30:00+03:00" and first["closed_at"] == first["acknowledged_at"]
    assert float(first["latitude"]) == pytest.approx(CENTER[0]) and float(first["longitude"]) == pytest.approx(
        CENTER[1])
    assert first["description"] == 'Groapă "mare", lângă școală'
    assert first["photo_url"].startswith("http://cityreport.test/media/") and first["photo_url"].endswith(
        "-display.jpg")
    assert listed[1]["acknowledged_at"] == "" and listed[1]["photo_url"] == ""
    assert listed[1]["description"] == TRICKY
    for private in PRIVATE + ("Ascunsă", "Spam"):
        assert private not in text


def test_month_and_date_range_use_city_time(client, data):
    october = rows(client.get("/opendata/reports.csv?month=2026-10"))
    assert [r["id"] for r in october] == [str(data["visible"].id)]
    november = rows(client.get("/opendata/reports.csv?month=2026-11"))
    assert [r["id"] for r in november] == [str(data["november"].id)]
    assert [r["id"] for r in rows(client.get("/opendata/reports.csv?from=2026-10-15&to=2026-10-15"))] == \
        [str(data["visible"].id)]
    assert rows(client.get("/opendata/reports.csv?from=2026-10-16&to=2026-10-31")) == []


@pytest.mark.parametrize("query, field", [("month=2026-13", "month"), ("from=2026-02-30", "from"),
                                          ("from=2026-10-05&to=2026-10-01", "to"),
                                          ("month=2026-10&from=2026-10-01", "month")])
def test_bad_periods_are_400_naming_the_parameter(client, data, query, field):
    response = client.get(f"/opendata/reports.csv?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_reports_geojson(client, data):
    response = client.get("/opendata/reports.geojson")
    assert response.mimetype == "application/geo+json"
    document = json.loads(response.get_data())
    assert document["type"] == "FeatureCollection"
    [first, second] = document["features"]
    assert first["type"] == "Feature" and first["id"] == data["visible"].id
    assert first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == pytest.approx([CENTER[1], CENTER[0]])
    assert list(first["properties"]) == list(COLUMN_NAMES)
    assert first["properties"]["created_at"] == "2026-10-15T12:30:00+03:00"
    assert second["properties"]["photo_url"] is None
    assert second["properties"]["description"] == TRICKY
    for private in PRIVATE + ("Ascunsă", "Spam"):
        assert private not in response.get_data(as_text=True)
    empty = json.loads(client.get("/opendata/reports.geojson?month=2020-01").get_data())
    assert empty == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize("path", ["/opendata/reports.csv?month=2026-10", "/opendata/reports.geojson",
                                  "/opendata/indicators.csv"])
def test_etag_last_modified_and_304(client, data, path):
    response = client.get(path)
    etag = response.headers["ETag"]
    assert etag.startswith('"') and response.headers["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_etag_changes_when_the_data_does(client, data):
    before = client.get("/opendata/reports.csv").headers["ETag"]
    data["pothole"].name_en = "Road hole"
    db.session.flush()
    renamed = client.get("/opendata/reports.csv").headers["ETag"]
    assert renamed != before
    data["november"].hidden = True
    db.session.flush()
    assert client.get("/opendata/reports.csv").headers["ETag"] not in (before, renamed)


def test_indicators_csv_one_row_per_month_and_scope(client, data):
    now = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for month in (date(2026, 9, 1), date(2026, 10, 1)):
        db.session.add(IndicatorSnapshot(month=month, scope="city", scope_id=0, computed_at=now,
                                         metrics={"received": 12, "on_time_pct": 66.666, "small_sample": False,
                                                  "km_median_days": None}))
        db.session.add(IndicatorSnapshot(month=month, scope="department", scope_id=data["roads"].id,
                                         computed_at=now, metrics={"received": 3, "small_sample": True}))
        db.session.add(IndicatorSnapshot(month=month, scope="category", scope_id=data["pothole"].id,
                                         computed_at=now, metrics={"received": 3}))
    db.session.flush()
    listed = rows(client.get("/opendata/indicators.csv"))
    assert [(r["month"], r["scope"]) for r in listed] == [
        ("2026-09", "city"), ("2026-09", "department"), ("2026-09", "category"),
        ("2026-10", "city"), ("2026-10", "department"), ("2026-10", "category")]
    city, department, category = listed[3:]
    assert list(city)[8:] == list(METRIC_KEYS)
    assert city["scope_name_ro"] == "Cluj-Napoca" and city["on_time_pct"] == "66.67"
    assert city["small_sample"] == "false" and city["km_median_days"] == ""
    assert department["scope_code"] == "drumuri" and department["small_sample"] == "true"
    assert category["scope_code"] == "pothole" and category["scope_name_en"] == "Pothole"
    assert city["computed_at"] == "2026-11-02T05:00:00+02:00"


def test_catalog_is_dcat_that_a_ckan_harvester_reads(client, data):
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

    response = client.get("/opendata/catalog.json")
    assert response.status_code == 200
    graph = Graph()
    # ckanext-dcat parses JSON-LD the same way: rdflib, format json-ld.
    graph.parse(data=response.get_data(as_text=True), format="json-ld")
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(catalogs) == 1 and len(datasets) == 2
    reports = URIRef("http://cityreport.test/opendata#reports")
    titles = {t.language: str(t) for t in graph.objects(reports, DCTERMS.title)}
    assert set(titles) == {"ro", "en"} and "Cluj-Napoca" in titles["ro"]
    assert {d.language for d in graph.objects(reports, DCTERMS.description)} == {"ro", "en"}
    assert graph.value(reports, DCTERMS.license) == URIRef(
        "http://data.gov.ro/base/images/logoinst/OGL-ROU-1.0.pdf")
    assert graph.value(reports, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY")
    publisher = graph.value(reports, DCTERMS.publisher)
    assert Literal("Primăria Cluj-Napoca", lang="ro") in set(graph.objects(publisher, FOAF.name))
    downloads = {str(graph.value(d, DCAT.downloadURL)): str(graph.value(d, DCAT.mediaType))
                 for d in graph.objects(reports, DCAT.distribution)}
    assert downloads == {"http://cityreport.test/opendata/reports.csv":
                         "https://www.iana.org/assignments/media-types/text/csv",
                         "http://cityreport.test/opendata/reports.geojson":
                         "https://www.iana.org/assignments/media-types/application/geo+json"}
    assert list(graph.objects(reports, DCAT.keyword))
    assert graph.value(reports, DCTERMS.modified) is not None
    del Namespace


def test_catalog_licence_is_configurable(app, db_session):
    from cityreport import create_app
    from cityreport.config import ConfigError
    from tests.conftest import test_config

    other = create_app(test_config(OPENDATA_LICENSE="CC-BY-4.0"))
    with other.test_request_context("/"):
        from cityreport.opendata.catalog import build

        document = build("http://x.test", "Oraș", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert document["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    with pytest.raises(ConfigError):
        create_app(test_config(OPENDATA_LICENSE="whatever"))


def test_human_page_lists_datasets_and_the_dictionary(client, data):
    page = client.get("/opendata", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in COLUMN_NAMES + ("on_time_pct",):
        assert f"<code>{name}</code>" in text
    assert "/opendata/reports.csv" in text and "/opendata/indicators.csv" in text and "catalog.json" in text
    assert '<option value="2026-11">' in text and '<option value="2026-10">' in text


def test_export_streams_in_chunks_without_loading_rows(app, client, data, monkeypatch):
    from cityreport.opendata import services

    monkeypatch.setattr(services, "CHUNK", 64)
    response = client.get("/opendata/reports.geojson")
    assert response.is_streamed
    chunks = list(response.response)
    # Header, first feature, second feature, footer: with 64-byte blocks every row is sent on as soon as
    # it is read, rather than gathered.
    assert len(chunks) == 4 and b"Bec ars" not in chunks[1] and b"Bec ars" in chunks[2]
    assert json.loads(b"".join(chunks))["features"]


def test_cli_export_writes_the_same_files(runner, client, data, tmp_path):
    result = runner.invoke(args=["opendata", "export", "--month", "2026-10", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["catalog.json", "indicators.csv", "reports-2026-10.csv", "reports-2026-10.geojson"]
    assert (tmp_path / "reports-2026-10.csv").read_bytes() == client.get(
        "/opendata/reports.csv?month=2026-10").get_data()
    assert (tmp_path / "reports-2026-10.geojson").read_bytes() == client.get(
        "/opendata/reports.geojson?month=2026-10").get_data()
    assert (tmp_path / "indicators.csv").read_bytes() == client.get("/opendata/indicators.csv").get_data()
    assert json.loads((tmp_path / "catalog.json").read_text()) == client.get("/opendata/catalog.json").get_json()
    bad = runner.invoke(args=["opendata", "export", "--month", "October", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "--month" in bad.output


def test_streamed_exports_leave_no_open_transaction_in_the_pool(app, committed):
    # Flask ends the request before a streamed body is read; the export must take its connection
    # when it starts streaming, or a connection goes back to the pool inside a transaction.
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/opendata"
        for path in ("/reports.csv", "/reports.geojson", "/indicators.csv", "/reports.csv?month=2026-10"):
            with urllib.request.urlopen(base + path, timeout=30) as response:
                assert response.status == 200 and response.read()
    finally:
        server.shutdown()
        thread.join(timeout=5)
    statuses = [record.dbapi_connection.info.transaction_status.name for record in list(db.engine.pool._pool.queue)]
    assert statuses and set(statuses) == {"IDLE"}
