"""Public reads: report pages and JSON, list filters and keyset paging, nearby, categories, areas; no personal data."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box

from cityreport.extensions import db
from cityreport.reports.services import add_note, change_status, mark_duplicate
from cityreport.routing.services import add_service_area
from tests.integration.intake_helpers import PRIVATE, jpeg


@pytest.fixture()
def city(make_jurisdiction, make_department, make_category):
    make_jurisdiction(population=123_456)
    roads = make_department(slug="roads")
    lights = make_department(slug="lights")
    pothole = make_category(code="pothole", default_department=roads, ack_target_hours=24, resolve_target_days=10,
                            name_ro="Groapă", name_en="Pothole", group_ro="Drumuri", group_en="Roads")
    lamp = make_category(code="lamp", default_department=lights, name_ro="Stâlp", name_en="Street light",
                         group_ro="Iluminat", group_en="Lighting")
    return {"roads": roads, "lights": lights, "pothole": pothole, "lamp": lamp}


def _all_text(response) -> str:
    return response.get_data(as_text=True)


def assert_no_personal_data(text: str) -> None:
    for value in (*PRIVATE.values(), "internal: caller was rude"):
        assert value not in text


@pytest.fixture()
def private_report(city, create_report):
    report = create_report(category=city["pothole"], **PRIVATE)
    add_note(report, staff=None, internal_text="internal: caller was rude", public_text="Crew scheduled")
    return report


def test_no_personal_data_in_any_public_response(client, private_report):
    rid = private_report.id
    for url in ["/", "/reports", f"/reports/{rid}", "/api/v1/reports", f"/api/v1/reports/{rid}",
                "/api/v1/reports/nearby?lat=46.77&lon=23.62&category=pothole", "/api/v1/categories",
                "/api/v1/areas"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(_all_text(response))
    detail = client.get(f"/api/v1/reports/{rid}").json
    assert not {"name", "email", "phone", "reporter_name", "reporter_email", "reporter_phone"} & set(detail)
    assert [item["text"] for item in detail["timeline"] if item["kind"] == "note"] == ["Crew scheduled"]


def test_report_page_shows_number_status_department_timeline_and_follow_anchor(client, private_report, city):
    change_status(private_report, "in_progress", public_text="Works start Monday")
    page = client.get(f"/reports/{private_report.id}", headers={"Accept-Language": "en"})
    html = _all_text(page)
    assert f"Report {private_report.id}" in html
    assert "In progress" in html and city["roads"].name_en in html
    assert "Works start Monday" in html and "Crew scheduled" in html
    assert 'id="follow"' in html


def test_hidden_and_invalid_reports_are_404_for_the_public(client, city, create_report):
    hidden = create_report(category=city["pothole"])
    hidden.hidden = True
    spam = create_report(category=city["pothole"])
    change_status(spam, "invalid")
    db.session.flush()
    for report in (hidden, spam):
        assert client.get(f"/reports/{report.id}").status_code == 404
        assert client.get(f"/api/v1/reports/{report.id}").status_code == 404
    listed = [r["id"] for r in client.get("/api/v1/reports").json["reports"]]
    assert hidden.id not in listed and spam.id not in listed
    assert client.get("/api/v1/reports/99999999999999999999999").status_code == 404


def test_list_filters_and_keyset_paging(client, city, create_report):
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    made = [create_report(category=city["pothole"] if i % 2 else city["lamp"], created_at=base + timedelta(hours=i),
                          lat=46.75 + i * 0.002, lon=23.60) for i in range(7)]
    change_status(made[1], "fixed")
    seen, url = [], "/api/v1/reports?limit=3"
    while url:
        page = client.get(url).json
        assert len(page["reports"]) <= 3
        seen += [r["id"] for r in page["reports"]]
        url = page["next"]
    assert seen == [r.id for r in reversed(made)]

    def ids(query):
        response = client.get("/api/v1/reports?" + query)
        assert response.status_code == 200, response.json
        return {r["id"] for r in response.json["reports"]}

    assert ids("category=pothole") == {made[i].id for i in (1, 3, 5)}
    assert ids("status=fixed") == {made[1].id}
    assert ids("department=lights") == {made[i].id for i in (0, 2, 4, 6)}
    assert ids("since=2026-03-01T15:00:00Z&until=2026-03-01T17:00:00Z") == {made[3].id, made[4].id}
    assert ids("bbox=23.59,46.7545,23.61,46.7585") == {made[3].id, made[4].id}


@pytest.mark.parametrize(("query", "field", "status"), [
    ("bbox=1,2,3", "bbox", 400), ("bbox=10,50,5,40", "bbox", 422), ("status=lost", "status", 422),
    ("since=yesterday", "since", 400), ("cursor=!!!", "cursor", 400), ("limit=0", "limit", 422),
    ("limit=ten", "limit", 400),
])
def test_list_rejects_bad_filters(client, city, query, field, status):
    response = client.get("/api/v1/reports?" + query)
    assert response.status_code == status
    assert field in response.json["error"]["fields"]


def test_nearby_uses_category_radius_and_open_reports_only(client, city, create_report):
    close = create_report(category=city["pothole"], lat=46.7710, lon=23.6200)  # ~110 m north
    closed = create_report(category=city["pothole"], lat=46.7705, lon=23.6200)
    change_status(closed, "fixed")
    original = create_report(category=city["pothole"], lat=46.7702, lon=23.6201)
    duplicate = create_report(category=city["pothole"], lat=46.7702, lon=23.6202)
    mark_duplicate(duplicate, original, staff=None)
    far = create_report(category=city["pothole"], lat=46.7740, lon=23.6200)  # ~440 m
    response = client.get("/api/v1/reports/nearby?lat=46.7700&lon=23.6200&category=pothole")
    assert response.status_code == 200
    assert response.json["radius_m"] == 250
    assert [r["id"] for r in response.json["reports"]] == [original.id, close.id]
    wider = client.get("/api/v1/reports/nearby?lat=46.7700&lon=23.6200&category=pothole&radius=600").json
    assert far.id in [r["id"] for r in wider["reports"]]
    city["pothole"].nearby_radius_m = 50
    db.session.flush()
    assert [r["id"] for r in client.get(
        "/api/v1/reports/nearby?lat=46.7700&lon=23.6200&category=pothole").json["reports"]] == [original.id]
    assert client.get("/api/v1/reports/nearby?lat=46.77&lon=23.62&category=none").status_code == 422
    assert client.get("/api/v1/reports/nearby?lat=x&lon=23.62&category=pothole").status_code == 400


def test_nearby_query_uses_the_partial_gist_index(db_session, city, create_report):
    from sqlalchemy import text

    for i in range(30):
        create_report(category=city["pothole"], lat=46.74 + i * 0.002, lon=23.60)
    db.session.execute(text("ANALYZE reports"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    from cityreport.reports import public

    plan = "\n".join(r[0] for r in db.session.execute(text(
        "EXPLAIN SELECT id FROM reports WHERE " + public.OPEN_VISIBLE_SQL + " AND category_id = :c "
        "AND location && ST_Expand(ST_SetSRID(ST_MakePoint(23.6, 46.77), 4326), 0.003, 0.003)"),
        {"c": city["pothole"].id}))
    assert "ix_reports_open_location" in plan


def test_categories_are_grouped_with_targets_in_both_languages(client, city):
    groups = client.get("/api/v1/categories").json["groups"]
    by_code = {c["code"]: c for g in groups for c in g["categories"]}
    assert by_code["pothole"]["name"] == {"ro": "Groapă", "en": "Pothole"}
    assert by_code["pothole"]["ack_target_hours"] == 24 and by_code["pothole"]["resolve_target_days"] == 10
    assert {g["name"]["en"] for g in groups} == {"Roads", "Lighting"}


def test_areas_feature_collection(client, city):
    add_service_area(department_id=city["roads"].id, category_id=city["pothole"].id, name="Centre",
                     geometry=box(23.6, 46.76, 23.63, 46.78))
    response = client.get("/api/v1/areas")
    assert response.mimetype == "application/geo+json"
    features = response.json["features"]
    kinds = {f["properties"]["kind"]: f["properties"] for f in features}
    assert kinds["jurisdiction"]["population"] == 123_456 and kinds["jurisdiction"]["name"] == "Test City"
    assert kinds["service_area"] == {**kinds["service_area"], "department": "roads", "category": "pothole",
                                     "name": "Centre"}
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in features)


def test_home_page_keeps_city_heading_and_offers_the_report_button(client, city, create_report):
    create_report(category=city["pothole"])
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Test City</h1>" in html
    assert 'href="/report"' in html and "Report a problem" in html
    assert "data-reports=" in html


# ---- the HTML form without JavaScript ------------------------------------------------------------

def test_plain_form_post_lands_on_the_report_page_with_its_number(client, city):
    response = client.post("/report", data={
        "category": "pothole", "lat": "46,7712", "lon": "23.6236", "description": "Lamp post leaning",
        "email": PRIVATE["email"], "idempotency_key": "form-key-123456",
        "photos": [(io.BytesIO(jpeg()), "p.jpg"), (io.BytesIO(b""), "")]},
        content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    report_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert f"Your report has number {report_id}" in html
    assert PRIVATE["email"] not in html
    assert "/media/" in html


def test_plain_form_errors_are_tied_to_their_fields_and_values_kept(client, city):
    response = client.post("/report", data={"category": "", "lat": "abc", "lon": "23.6", "description": "Broken",
                                            "email": "nope"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="err-lat"' in html and 'aria-describedby="coords-hint err-lat"' in html
    assert 'id="err-email"' in html and 'id="err-category"' in html
    assert ">Broken</textarea>" in html and 'value="abc"' in html


def test_form_page_has_everything_a_phone_needs(client, city):
    html = client.get("/report", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'accept="image/*"' in html and "multiple" in html
    assert "vendor/leaflet/leaflet.js" in html and "//unpkg" not in html and "cdn" not in html.lower()
    assert '<optgroup label="Roads">' in html and '<optgroup label="Lighting">' in html
    assert 'id="use-location"' in html and 'name="lat"' in html and 'name="lon"' in html
    assert "never published" in html
    assert "data-map=" in html


def test_reports_page_filters_and_survives_bad_filters(client, city, create_report):
    open_one = create_report(category=city["pothole"], description="Still open pothole")
    fixed = create_report(category=city["lamp"], description="Lamp now working")
    change_status(fixed, "fixed")
    html = client.get("/reports?status=fixed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="/reports/{fixed.id}"' in html and f'href="/reports/{open_one.id}"' not in html
    html = client.get("/reports?category=pothole").get_data(as_text=True)
    assert f'href="/reports/{open_one.id}"' in html and f'href="/reports/{fixed.id}"' not in html
    bad = client.get("/reports?status=lost&since=never&cursor=%00", headers={"Accept-Language": "en"})
    assert bad.status_code == 200 and "must be one of" in bad.get_data(as_text=True)
