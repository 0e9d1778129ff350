"""Open311 GeoReport v2: every endpoint in XML and JSON, against the spec's element names and shapes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from cityreport.extensions import db
from cityreport.open311.models import Open311Submission, ServiceAttribute
from cityreport.open311.services import create_api_key
from cityreport.reports.services import add_note, change_status
from tests.conftest import CENTER

BASE = "/open311/v2"


def xml(response) -> ET.Element:
    assert response.headers["Content-Type"] == "text/xml"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    body.decode("ascii")  # plain ASCII: diacritics travel as character references
    return ET.fromstring(body)


def js(response):
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.get_data())


@pytest.fixture()
def city(db_session, make_jurisdiction, make_department, make_category):
    make_jurisdiction()
    roads = make_department(name_ro="Direcția Drumuri", name_en="Roads Department")
    pothole = make_category(code="pothole", name_ro="Groapă în carosabil", name_en="Pothole", group_ro="Drumuri",
                            group_en="Roads", description_ro="Gropi în asfalt", description_en="Holes in asphalt",
                            keywords="road,asphalt", default_department=roads, resolve_target_days=10)
    light = make_category(code="streetlight", name_ro="Iluminat stradal", name_en="Street light",
                          group_ro="Iluminat", group_en="Lighting", default_department=roads)
    make_category(code="retired", name_ro="Veche", name_en="Old", active=False, default_department=roads)
    db.session.add(ServiceAttribute(category_id=pothole.id, code="size", datatype="singlevaluelist",
                                    description_ro="Cât de mare este?", description_en="How big is it?",
                                    required=True, position=1,
                                    values=[{"key": "small", "name_ro": "Mică", "name_en": "Small"},
                                            {"key": "large", "name_ro": "Mare", "name_en": "Large"}]))
    db.session.add(ServiceAttribute(category_id=pothole.id, code="lanes", datatype="multivaluelist",
                                    description_ro="Benzi afectate", description_en="Lanes affected", position=2,
                                    values=[{"key": "left", "name_ro": "Stânga", "name_en": "Left"},
                                            {"key": "right", "name_ro": "Dreapta", "name_en": "Right"}]))
    db.session.add(ServiceAttribute(category_id=pothole.id, code="depth_cm", datatype="number",
                                    description_ro="Adâncime (cm)", description_en="Depth (cm)", position=3))
    db.session.add(ServiceAttribute(category_id=pothole.id, code="remark", datatype="text",
                                    description_ro="Altceva?", description_en="Anything else?", position=4))
    db.session.flush()
    return {"roads": roads, "pothole": pothole, "light": light}


@pytest.fixture()
def api_key(db_session):
    return create_api_key("test client")[1]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


# ---- discovery ----------------------------------------------------------------------------------

def test_discovery_json_and_xml(client, city):
    doc = js(client.get(f"{BASE}/discovery.json"))
    assert datetime.fromisoformat(doc["changeset"]).utcoffset() is not None
    endpoint = doc["endpoints"][0]
    assert endpoint["type"] == "production"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://cityreport.test/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.find("changeset").text == doc["changeset"]
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/type").text == "production"


# ---- services -----------------------------------------------------------------------------------

def test_services_list_active_categories_in_the_request_language(client, city):
    services = js(client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}))
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"pothole", "streetlight"}
    assert by_code["pothole"] == {"service_code": "pothole", "service_name": "Pothole",
                                  "description": "Holes in asphalt", "metadata": True, "type": "realtime",
                                  "keywords": "road,asphalt", "group": "Roads"}
    assert by_code["streetlight"]["metadata"] is False
    assert "keywords" not in by_code["streetlight"]  # empty optional fields are left out

    ro = js(client.get(f"{BASE}/services.json?locale=ro", headers={"Accept-Language": "en"}))
    assert {s["service_name"] for s in ro} == {"Groapă în carosabil", "Iluminat stradal"}

    root = xml(client.get(f"{BASE}/services.xml", headers={"Accept-Language": "ro-RO,ro;q=0.9"}))
    assert root.tag == "services"
    service = next(s for s in root.findall("service") if s.find("service_code").text == "pothole")
    assert [child.tag for child in service] == ["service_code", "service_name", "description", "metadata", "type",
                                                "keywords", "group"]
    assert service.find("service_name").text == "Groapă în carosabil"
    assert service.find("metadata").text == "true"
    assert service.find("type").text == "realtime"


def test_service_definition_json_and_xml(client, city):
    doc = js(client.get(f"{BASE}/services/pothole.json?locale=en"))
    assert doc["service_code"] == "pothole"
    codes = [a["code"] for a in doc["attributes"]]
    assert codes == ["size", "lanes", "depth_cm", "remark"]
    size = doc["attributes"][0]
    assert size == {"variable": True, "code": "size", "datatype": "singlevaluelist", "required": True, "order": 1,
                    "description": "How big is it?",
                    "values": [{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}]}
    assert "values" not in doc["attributes"][2]

    root = xml(client.get(f"{BASE}/services/pothole.xml"))
    assert root.tag == "service_definition"
    first = root.find("attributes/attribute")
    assert first.find("variable").text == "true"
    assert first.find("datatype").text == "singlevaluelist"
    assert first.find("description").text == "Cât de mare este?"
    assert [v.find("key").text for v in first.findall("values/value")] == ["small", "large"]
    assert [v.find("name").text for v in first.findall("values/value")] == ["Mică", "Mare"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_in_the_spec_error_shape(client, city, fmt):
    response = client.get(f"{BASE}/services/nope.{fmt}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    if fmt == "json":
        assert js(response) == [{"code": 404, "description": "service_code nope not found"}]
    else:
        root = xml(response)
        assert root.tag == "errors"
        assert root.find("error/code").text == "404"
        assert "nope" in root.find("error/description").text


# ---- posting ------------------------------------------------------------------------------------

def post_fields(api_key, **extra):
    fields = {"api_key": api_key, "service_code": "pothole", "lat": str(CENTER[0]), "long": str(CENTER[1]),
              "description": "Groapă adâncă lângă trecere", "email": "ana@example.ro", "first_name": "Ana",
              "last_name": "Pop", "phone": "0722 000 000", "attribute[size]": "large"}
    fields.update(extra)
    return fields


def test_post_creates_a_report_through_the_intake_and_returns_id_and_token(client, city, api_key):
    fields = post_fields(api_key, **{"attribute[lanes]": ["left", "right"], "attribute[depth_cm]": "12",
                                     "media": (io.BytesIO(jpeg()), "a.jpg"), "photo1": (io.BytesIO(jpeg()), "b.jpg"),
                                     "media_url": "https://example.org/p/1.jpg", "device_id": "dev-1",
                                     "account_id": "acct-9"})
    response = client.post(f"{BASE}/requests.json", data=fields, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    [created] = js(response)
    assert set(created) >= {"service_request_id", "token", "account_id"}
    assert isinstance(created["service_request_id"], str)
    assert created["account_id"] == "acct-9"

    from cityreport.reports.models import Report
    report = db.session.get(Report, int(created["service_request_id"]))
    assert report.source == "open311"
    assert report.reporter_name == "Ana Pop" and report.reporter_email == "ana@example.ro"
    assert report.department_id == city["roads"].id
    assert report.attributes == {"size": "large", "lanes": ["left", "right"], "depth_cm": 12}
    assert len(report.photos) == 2
    submission = db.session.get(Open311Submission, report.id)
    assert submission.token == created["token"] and submission.media_url == "https://example.org/p/1.jpg"


def test_post_reads_the_query_string_too_and_answers_xml(client, city, api_key):
    query = "&".join(f"{k}={v}" for k, v in post_fields(api_key, description="Din query").items())
    response = client.post(f"{BASE}/requests.xml?{query}")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.isdigit()
    assert root.find("request/token").text


def test_empty_parameters_count_as_absent(client, city, api_key):
    response = client.post(f"{BASE}/requests.json", data=post_fields(api_key, email="", phone="", first_name=""))
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_valid_key_is_403(client, city, fmt):
    for key in ("", "wrong-key"):
        response = client.post(f"{BASE}/requests.{fmt}", data=post_fields(key))
        assert response.status_code == 403
        if fmt == "json":
            assert js(response)[0]["code"] == 403
        else:
            assert xml(response).find("error/code").text == "403"


def test_address_string_without_coordinates_is_400_with_a_clear_message(client, city, api_key):
    fields = post_fields(api_key, address_string="Strada Memorandumului 28")
    del fields["lat"], fields["long"]
    response = client.post(f"{BASE}/requests.json", data=fields, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "lat and long" in js(response)[0]["description"]


@pytest.mark.parametrize("extra, fragment", [
    ({"attribute[size]": ""}, "attribute[size]: is required"),
    ({"attribute[size]": "huge"}, "attribute[size]: must be one of"),
    ({"attribute[depth_cm]": "deep"}, "attribute[depth_cm]: must be a number"),
    ({"attribute[colour]": "red"}, "attribute[colour]: is not a question"),
    ({"lat": "north"}, "lat"),
    ({"lat": "10", "long": "10"}, "lat/long"),
    ({"description": ""}, "description"),
    ({"email": "not-an-address"}, "email"),
    ({"media_url": "ftp://x"}, "media_url"),
])
def test_bad_input_is_400_naming_the_parameter(client, city, api_key, extra, fragment):
    response = client.post(f"{BASE}/requests.json", data=post_fields(api_key, **extra),
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400, response.get_data(as_text=True)
    descriptions = " ".join(e["description"] for e in js(response))
    assert fragment in descriptions


def test_unknown_service_code_on_post_is_404(client, city, api_key):
    response = client.post(f"{BASE}/requests.json", data=post_fields(api_key, service_code="nope"))
    assert response.status_code == 404


def test_a_broken_photo_is_400_and_stores_nothing(client, city, api_key):
    from cityreport.reports.models import Report
    before = db.session.query(Report).count()
    fields = post_fields(api_key, photo1=(io.BytesIO(b"not an image"), "x.jpg"))
    response = client.post(f"{BASE}/requests.json", data=fields, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "media" in js(response)[0]["description"]
    assert db.session.query(Report).count() == before


# ---- reading ------------------------------------------------------------------------------------

@pytest.fixture()
def reports(city, create_report, make_staff):
    staff = make_staff(department=city["roads"])
    first = create_report(category=city["pothole"], description="Groapă", email="secret@example.ro",
                          name="Secret Name", phone="0700111222", address="Str. Lungă 1")
    change_status(first, "in_progress", staff=staff, public_text="Echipa e pe drum")
    add_note(first, staff=staff, internal_text="internal only", public_text=None)
    second = create_report(category=city["light"], description="Bec ars")
    change_status(second, "fixed", staff=staff, public_text="Înlocuit")
    hidden = create_report(category=city["pothole"], description="Ascuns")
    hidden.hidden = True
    spam = create_report(category=city["pothole"], description="Spam")
    change_status(spam, "invalid", staff=staff)
    db.session.flush()
    return {"first": first, "second": second, "hidden": hidden, "spam": spam}


def test_requests_list_json_shape_and_privacy(client, reports):
    response = client.get(f"{BASE}/requests.json", headers={"Accept-Language": "en"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    items = js(response)
    ids = {i["service_request_id"] for i in items}
    assert ids == {str(reports["first"].id), str(reports["second"].id)}
    first = next(i for i in items if i["service_request_id"] == str(reports["first"].id))
    assert first["status"] == "open"
    assert first["status_notes"] == "Echipa e pe drum"
    assert first["service_code"] == "pothole" and first["service_name"] == "Pothole"
    assert first["agency_responsible"] == "Roads Department"
    assert first["address"] == "Str. Lungă 1"
    assert first["lat"] == pytest.approx(CENTER[0]) and first["long"] == pytest.approx(CENTER[1])
    for stamp in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(first[stamp]).utcoffset() is not None
    assert "media_url" not in first  # no photo: left out, not empty
    text = response.get_data(as_text=True)
    for private in ("secret@example.ro", "Secret Name", "0700111222", "internal only"):
        assert private not in text
    second = next(i for i in items if i["service_request_id"] == str(reports["second"].id))
    assert second["status"] == "closed"


def test_requests_list_xml(client, reports):
    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 2
    names = [c.tag for c in requests[0]]
    assert names[:2] == ["service_request_id", "status"]
    assert {"service_code", "service_name", "requested_datetime", "lat", "long", "agency_responsible"} <= set(names)


def test_request_filters(client, reports):
    first, second = reports["first"], reports["second"]
    assert [i["service_request_id"] for i in js(client.get(f"{BASE}/requests.json?status=closed"))] == \
        [str(second.id)]
    assert [i["service_request_id"] for i in js(client.get(f"{BASE}/requests.json?service_code=pothole"))] == \
        [str(first.id)]
    listed = js(client.get(f"{BASE}/requests.json?service_request_id={first.id},{second.id},"
                           f"{reports['hidden'].id},{reports['spam'].id}"))
    assert {i["service_request_id"] for i in listed} == {str(first.id), str(second.id)}
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert js(client.get(f"{BASE}/requests.json?start_date={future}")) == []
    assert len(js(client.get(f"{BASE}/requests.json?page_size=1"))) == 1
    assert len(js(client.get(f"{BASE}/requests.json?page_size=1&page=2"))) == 1
    assert js(client.get(f"{BASE}/requests.json?page_size=1&page=3")) == []
    assert js(client.get(f"{BASE}/requests.json?updated_after={future}")) == []
    assert len(js(client.get(f"{BASE}/requests.json?updated_before={future}"))) == 2
    inside = f"lat_ne={CENTER[0] + 0.01}&long_ne={CENTER[1] + 0.01}&lat_sw={CENTER[0] - 0.01}&long_sw={CENTER[1] - 0.01}"
    assert len(js(client.get(f"{BASE}/requests.json?{inside}"))) == 2
    outside = "lat_ne=46.0&long_ne=23.0&lat_sw=45.9&long_sw=22.9"
    assert js(client.get(f"{BASE}/requests.json?{outside}")) == []


def test_dates_without_zone_are_city_time(client, reports):
    created = reports["first"].created_at.astimezone()
    from zoneinfo import ZoneInfo
    local = created.astimezone(ZoneInfo("Europe/Bucharest"))
    just_after = (local + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    # Read as UTC this would include the report (Bucharest is ahead of UTC); read as city time it excludes it.
    listed = js(client.get(f"{BASE}/requests.json?start_date={just_after}"))
    assert str(reports["first"].id) not in {i["service_request_id"] for i in listed}


@pytest.mark.parametrize("query, fragment", [
    ("status=pending", "status"),
    ("start_date=2026-01-01&end_date=2026-06-01", "90 days"),
    ("start_date=yesterday", "start_date"),
    ("service_request_id=abc", "service_request_id"),
    ("page_size=5000", "page_size"),
    ("lat_ne=1", "bounding box"),
    ("jurisdiction_id=elsewhere", "jurisdiction_id"),
])
def test_bad_filters_are_400_or_404(client, reports, query, fragment):
    response = client.get(f"{BASE}/requests.json?{query}", headers={"Accept-Language": "en"})
    assert response.status_code in (400, 404)
    assert fragment in js(response)[0]["description"]


def test_extensions_add_extended_attributes_and_public_notes(client, reports):
    first = reports["first"]
    first.attributes = {"size": "large", "remark": "my neighbour Ion did it"}
    db.session.flush()
    [item] = js(client.get(f"{BASE}/requests/{first.id}.json?extensions=true"))
    extended = item["extended_attributes"]
    assert extended["detailed_status"] == "in_progress"
    assert extended["attributes"] == {"size": "large"}  # free text may hold personal data: not published
    notes = item["notes"]
    assert [n["kind"] for n in notes] == ["created", "status"]
    assert notes[-1]["description"] == "Echipa e pe drum" and notes[-1]["status"] == "open"
    root = xml(client.get(f"{BASE}/requests/{first.id}.xml?extensions=true"))
    assert root.find("request/extended_attributes/detailed_status").text == "in_progress"
    assert len(root.findall("request/notes/note")) == 2
    assert "internal only" not in client.get(f"{BASE}/requests/{first.id}.xml?extensions=true").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_single_request_uses_the_list_wrapper_and_hides_hidden(client, reports, fmt):
    response = client.get(f"{BASE}/requests/{reports['first'].id}.{fmt}")
    if fmt == "json":
        assert isinstance(js(response), list) and len(js(response)) == 1
    else:
        assert xml(response).tag == "service_requests" and len(xml(response).findall("request")) == 1
    for hidden in (reports["hidden"].id, reports["spam"].id, 999999, "abc"):
        assert client.get(f"{BASE}/requests/{hidden}.{fmt}").status_code == 404


def test_media_url_is_the_absolute_display_photo(client, city, api_key):
    fields = post_fields(api_key, media=(io.BytesIO(jpeg()), "a.jpg"))
    created = js(client.post(f"{BASE}/requests.json", data=fields, content_type="multipart/form-data"))
    [item] = js(client.get(f"{BASE}/requests/{created[0]['service_request_id']}.json"))
    assert item["media_url"].startswith("http://cityreport.test/")
    assert item["media_url"].endswith("-display.jpg")
    assert client.get(item["media_url"].removeprefix("http://cityreport.test")).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens(client, city, api_key, fmt):
    created = js(client.post(f"{BASE}/requests.json", data=post_fields(api_key)))[0]
    response = client.get(f"{BASE}/tokens/{created['token']}.{fmt}")
    if fmt == "json":
        assert js(response) == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    else:
        root = xml(response)
        assert root.find("request/service_request_id").text == created["service_request_id"]
        assert root.find("request/token").text == created["token"]
    assert client.get(f"{BASE}/tokens/unknown.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_request_updates(client, reports, fmt):
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = client.get(f"{BASE}/servicerequestupdates.{fmt}", query_string={"start_date": start})
    if fmt == "json":
        updates = js(response)
    else:
        root = xml(response)
        assert root.tag == "service_request_updates"
        updates = [{child.tag: child.text or "" for child in item} for item in root.findall("request_update")]
    by_request = {(u["service_request_id"], u["status"]) for u in updates}
    assert (str(reports["first"].id), "in_progress") in by_request
    assert (str(reports["second"].id), "fixed") in by_request
    assert all(u["service_request_id"] not in (str(reports["spam"].id), str(reports["hidden"].id))
               for u in updates)
    fixed = next(u for u in updates if u["status"] == "fixed")
    assert fixed["description"] == "Înlocuit" and fixed["update_id"].isdigit()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get(f"{BASE}/servicerequestupdates.json", query_string={"start_date": later}).get_json() == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_endpoint_is_404_in_the_format(client, db_session, fmt):
    response = client.get(f"{BASE}/nothing/here.{fmt}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == ("text/xml" if fmt == "xml" else "application/json")
