"""Open311 output against the open311 project's JSON Schemas, and driven by a third-party client.

The client is `georeport` from PyPI (Apache-2.0, not ours), which speaks HTTP through `requests`,
so the app runs under a real werkzeug server on a random loopback port.
"""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from pathlib import Path

import pytest
import requests
from georeport import GeoReport
from jsonschema import Draft4Validator, FormatChecker
from PIL import Image
from referencing import Registry, Resource
from werkzeug.serving import make_server

from cityreport.extensions import db
from cityreport.open311.models import ServiceAttribute
from cityreport.open311.services import create_api_key
from cityreport.reports.services import change_status
from tests.conftest import CENTER

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "open311-schemas"
BASE = "/open311/v2"

checker = FormatChecker()


@checker.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # RFC 3339: a full date-time with an offset.
    return not isinstance(value, str) or (datetime.fromisoformat(value.replace("Z", "+00:00")).utcoffset()
                                          is not None and "T" in value)


@checker.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    return not isinstance(value, str) or value.startswith(("http://", "https://"))


def _registry() -> Registry:
    registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        registry = registry.with_resource(path.name, Resource.opaque(json.loads(path.read_text())))
    return registry


def validator(name: str, definition: str | None = None) -> Draft4Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    if definition is not None:
        schema = {"type": "array", "items": schema["definitions"][definition]}
    return Draft4Validator(schema, registry=_registry(), format_checker=checker)


def assert_valid(schema: Draft4Validator, document: object) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema.iter_errors(document)]
    assert errors == []


@pytest.fixture()
def city(make_jurisdiction, make_department, make_category, create_report, make_staff):
    make_jurisdiction()
    roads = make_department(name_ro="Drumuri", name_en="Roads")
    pothole = make_category(code="pothole", name_ro="Groapă", name_en="Pothole", default_department=roads,
                            keywords="road")
    make_category(code="graffiti", name_ro="Graffiti", name_en="Graffiti", default_department=roads)
    db.session.add(ServiceAttribute(category_id=pothole.id, code="size", datatype="singlevaluelist",
                                    description_ro="Mărime", description_en="Size", required=True,
                                    values=[{"key": "s", "name_ro": "Mică", "name_en": "Small"}]))
    db.session.add(ServiceAttribute(category_id=pothole.id, code="depth", datatype="number",
                                    description_ro="Adâncime", description_en="Depth"))
    report = create_report(category=pothole, description="Groapă adâncă", address="Str. Mare 3")
    staff = make_staff(department=roads)
    change_status(report, "fixed", staff=staff, public_text="Astupată")
    create_report(category=pothole, description="Altă groapă")
    db.session.flush()
    return {"pothole": pothole, "report": report}


def test_services_validate(client, city):
    assert_valid(validator("services.json"), client.get(f"{BASE}/services.json").get_json())
    assert_valid(validator("service.json"), client.get(f"{BASE}/services.json").get_json()[0])


def test_service_definition_validates(client, city):
    assert_valid(validator("service-definition.json"), client.get(f"{BASE}/services/pothole.json").get_json())


def test_requests_validate(client, city):
    for query in ("", "?extensions=true", "?status=closed"):
        document = client.get(f"{BASE}/requests.json{query}").get_json()
        assert document
        assert_valid(validator("requests.json"), document)
    single = client.get(f"{BASE}/requests/{city['report'].id}.json").get_json()
    assert_valid(validator("requests.json"), single)


def test_post_and_token_answers_validate(client, city):
    key = create_api_key("schema test")[1]
    created = client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "pothole", "lat": CENTER[0], "long": CENTER[1],
        "description": "Groapă", "attribute[size]": "s"}).get_json()
    assert_valid(validator("swagger.json", "RequestResponse"), created)
    token = client.get(f"{BASE}/tokens/{created[0]['token']}.json").get_json()
    assert_valid(validator("swagger.json", "TokenResponse"), token)


def test_the_validator_catches_a_wrong_shape():
    # The schemas bite: an id as a number and a status outside open/closed are rejected.
    wrong = [{"service_request_id": 7, "status": "fixed", "service_code": "x",
              "requested_datetime": "2026-01-01T00:00:00+02:00"}]
    assert len(list(validator("requests.json").iter_errors(wrong))) == 2


# ---- a real client over real HTTP ---------------------------------------------------------------

@pytest.fixture()
def live_city(app, committed):
    from shapely.geometry import box

    from cityreport.departments.models import Category, Department
    from cityreport.geo import as_multipolygon, element_from_shape
    from cityreport.reports.services import NewReport, create_report
    from cityreport.routing.models import Jurisdiction

    db.session.add(Jurisdiction(slug="test-city", name="Test City", population=1000,
                                boundary=element_from_shape(as_multipolygon(box(23.55, 46.73, 23.69, 46.81)))))
    roads = Department(slug="roads", name_ro="Drumuri", name_en="Roads")
    db.session.add(roads)
    db.session.flush()
    pothole = Category(code="pothole", name_ro="Groapă", name_en="Pothole", group_ro="Drumuri", group_en="Roads",
                       default_department_id=roads.id, keywords="road,asphalt")
    db.session.add(pothole)
    db.session.flush()
    db.session.add(ServiceAttribute(category_id=pothole.id, code="size", datatype="singlevaluelist",
                                    description_ro="Mărime", description_en="Size", required=True,
                                    values=[{"key": "s", "name_ro": "Mică", "name_en": "Small"},
                                            {"key": "l", "name_ro": "Mare", "name_en": "Large"}]))
    report = create_report(NewReport(category=pothole, lat=CENTER[0], lon=CENTER[1], description="Groapă veche"))
    key = create_api_key("live")[1]
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}{BASE}", "report_id": report.id, "key": key}
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_everything(live_city, fmt):
    client = GeoReport(live_city["url"], jurisdiction="test-city", output_format=fmt)

    services = client.get_service_list()
    if fmt == "xml":  # xmltodict gives a dict for a single element
        services = [services] if isinstance(services, dict) else services
    assert [s["service_code"] for s in services] == ["pothole"]
    assert services[0]["type"] == "realtime"

    definition = client.get_service_definition("pothole")
    attributes = definition["attributes"] if fmt == "json" else [definition["attributes"]["attribute"]]
    assert attributes[0]["code"] == "size"

    wanted = str(live_city["report_id"])
    listed = client.get_service_requests(status="open")
    listed = [listed] if isinstance(listed, dict) else listed
    assert [r["service_request_id"] for r in listed] == [wanted]

    single = client.get_service_request(wanted)
    assert single["service_request_id"] == wanted
    assert single["status"] == "open"
    assert single["service_name"] == "Groapă"

    # A request posted as FixMyStreet does (form fields, photo uploads), then read back by the client.
    response = requests.post(f"{live_city['url']}/requests.{fmt}", data={
        "api_key": live_city["key"], "jurisdiction_id": "test-city", "service_code": "pothole",
        "lat": str(CENTER[0]), "long": str(CENTER[1]), "description": "Nouă groapă", "first_name": "Ion",
        "last_name": "Pop", "email": "ion@example.ro", "attribute[size]": "l"},
        files={"photo1": ("p.jpg", _jpeg(), "image/jpeg")}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == ("application/json" if fmt == "json" else "text/xml")
    if fmt == "json":
        new_id = response.json()[0]["service_request_id"]
    else:
        import xmltodict
        new_id = xmltodict.parse(response.content)["service_requests"]["request"]["service_request_id"]
    fetched = client.get_service_request(new_id)
    assert fetched["service_code"] == "pothole"
    assert fetched["media_url"].startswith("http://cityreport.test/")
    assert "ion@example.ro" not in json.dumps(fetched)

    denied = requests.post(f"{live_city['url']}/requests.{fmt}", data={"service_code": "pothole"}, timeout=30)
    assert denied.status_code == 403
