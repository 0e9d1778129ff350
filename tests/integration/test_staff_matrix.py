"""Every role against every staff action over HTTP, including another department's report by id (IDOR).

The expected answer comes from one table: the public is sent to sign in, a role without the
right gets 403, and a department's report reached from another department is 404, never data.
"""

from __future__ import annotations

import pytest

from cityreport.extensions import db
from cityreport.reports.models import Report
from tests.integration.staff_helpers import (
    english,  # noqa: F401  (autouse)
    sign_in,
)

WHO = ("anonymous", "staff", "staff_other", "dept_admin", "dept_admin_other", "city_admin")


@pytest.fixture()
def world(make_department, make_category, make_staff, create_report):
    own, other = make_department(), make_department()
    category = make_category(default_department=own)
    report = create_report(category=category, email="ana@example.ro", name="Ana Pop")
    original = create_report(category=category, lat=46.7701, lon=23.6201)
    people = {
        "staff": make_staff(department=own), "staff_other": make_staff(department=other),
        "dept_admin": make_staff(role="dept_admin", department=own),
        "dept_admin_other": make_staff(role="dept_admin", department=other),
        "city_admin": make_staff(role="city_admin"),
    }
    return {"own": own, "other": other, "category": category, "report": report, "original": original,
            "people": people}


def _client(app, world, who):
    client = app.test_client()
    if who != "anonymous":
        assert sign_in(client, world["people"][who]).status_code == 303
    return client


# (name, method, path builder, form builder, expected per role)
SIGN_IN = "sign-in"
REPORT_RULE = {"anonymous": SIGN_IN, "staff": 200, "staff_other": 404, "dept_admin": 200, "dept_admin_other": 404,
               "city_admin": 200}
REPORT_POST = {**REPORT_RULE, "staff": 303, "dept_admin": 303, "city_admin": 303}
CITY_ONLY_GET = {"anonymous": SIGN_IN, "staff": 403, "staff_other": 403, "dept_admin": 403,
                 "dept_admin_other": 403, "city_admin": 200}
CITY_ONLY_POST = {**CITY_ONLY_GET, "city_admin": 303}
DEPT_ADMIN_GET = {"anonymous": SIGN_IN, "staff": 403, "staff_other": 403, "dept_admin": 200,
                  "dept_admin_other": 200, "city_admin": 200}
EVERY_STAFF_GET = {"anonymous": SIGN_IN, "staff": 200, "staff_other": 200, "dept_admin": 200,
                   "dept_admin_other": 200, "city_admin": 200}

CASES = [
    ("queue", "GET", lambda w: "/staff/queue", None, EVERY_STAFF_GET),
    ("queue map", "GET", lambda w: "/staff/queue/map", None, EVERY_STAFF_GET),
    ("triage page", "GET", lambda w: f"/staff/reports/{w['report'].id}", None, REPORT_RULE),
    ("change status", "POST", lambda w: f"/staff/reports/{w['report'].id}/status",
     lambda w: {"status": "acknowledged", "version": w["report"].version}, REPORT_POST),
    ("mark invalid", "POST", lambda w: f"/staff/reports/{w['report'].id}/status",
     lambda w: {"status": "invalid", "version": w["report"].version}, REPORT_POST),
    ("add note", "POST", lambda w: f"/staff/reports/{w['report'].id}/status",
     lambda w: {"status": "new", "internal_note": "sunat", "version": w["report"].version}, REPORT_POST),
    ("reassign", "POST", lambda w: f"/staff/reports/{w['report'].id}/reassign",
     lambda w: {"department": w["other"].id, "reason": "nu e al nostru", "version": w["report"].version},
     REPORT_POST),
    ("mark duplicate", "POST", lambda w: f"/staff/reports/{w['report'].id}/duplicate",
     lambda w: {"duplicate_of": w["original"].id, "version": w["report"].version}, REPORT_POST),
    ("bulk change", "POST", lambda w: "/staff/queue/bulk",
     lambda w: {"report": f"{w['report'].id}:{w['report'].version}", "status": "acknowledged"},
     {**REPORT_POST, "staff_other": 422, "dept_admin_other": 422}),
    ("admin home", "GET", lambda w: "/staff/admin/", None, DEPT_ADMIN_GET),
    ("departments page", "GET", lambda w: "/staff/admin/departments", None, CITY_ONLY_GET),
    ("create department", "POST", lambda w: "/staff/admin/departments",
     lambda w: {"slug": "noua", "name_ro": "Nouă", "name_en": "New", "notify_mode": "daily", "active": "1"},
     CITY_ONLY_POST),
    ("categories page", "GET", lambda w: "/staff/admin/categories", None, CITY_ONLY_GET),
    ("edit category", "POST", lambda w: "/staff/admin/categories",
     lambda w: {"id": w["category"].id, "code": "groapa-x", "name_ro": "Groapă", "name_en": "Pothole",
                "group_ro": "Drumuri", "group_en": "Roads", "ack_target_hours": 24, "resolve_target_days": 7,
                "active": "1"}, CITY_ONLY_POST),
    ("areas page", "GET", lambda w: "/staff/admin/areas", None, CITY_ONLY_GET),
    ("api keys page", "GET", lambda w: "/staff/admin/api-keys", None, CITY_ONLY_GET),
    ("create api key", "POST", lambda w: "/staff/admin/api-keys", lambda w: {"name": "Aplicația X"},
     {**CITY_ONLY_POST, "city_admin": 201}),
    ("staff page", "GET", lambda w: "/staff/admin/staff", None, DEPT_ADMIN_GET),
    ("create staff in own department", "POST", lambda w: "/staff/admin/staff",
     lambda w: {"name": "Ion", "email": "ion@city.test", "role": "staff", "department": w["own"].id,
                "password": "a long enough password"},
     {"anonymous": SIGN_IN, "staff": 403, "staff_other": 403, "dept_admin": 303, "dept_admin_other": 422,
      "city_admin": 303}),
    ("deactivate a clerk", "POST", lambda w: f"/staff/admin/staff/{w['people']['staff'].id}/active",
     lambda w: {"active": "0"},
     {"anonymous": SIGN_IN, "staff": 403, "staff_other": 403, "dept_admin": 303, "dept_admin_other": 404,
      "city_admin": 303}),
    ("templates page", "GET", lambda w: "/staff/admin/templates", None, DEPT_ADMIN_GET),
    ("create template", "POST", lambda w: "/staff/admin/templates",
     lambda w: {"title": "Programat", "text_ro": "Am programat lucrarea.", "active": "1"},
     {**DEPT_ADMIN_GET, "dept_admin": 303, "dept_admin_other": 303, "city_admin": 303}),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matrix(app, world, who, case):
    _name, method, path, form, expected = case
    client = _client(app, world, who)
    report = world["report"]
    before = (report.status, report.department_id, report.version)
    response = client.get(path(world)) if method == "GET" else client.post(path(world), data=form(world))
    want = expected[who]
    if want == SIGN_IN:
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    if want in (SIGN_IN, 403, 404) or (isinstance(want, int) and want >= 400):
        # Refused: nothing about the report leaks and nothing changed.
        assert "ana@example.ro" not in body and "Ana Pop" not in body
        db.session.expire_all()
        fresh = db.session.get(Report, report.id)
        assert (fresh.status, fresh.department_id, fresh.version) == before


def test_guessing_ids_reveals_nothing(app, world):
    client = _client(app, world, "staff_other")
    own_report = world["report"].id
    missing = client.get(f"/staff/reports/{own_report + 1000}")
    hidden = client.get(f"/staff/reports/{own_report}")
    assert missing.status_code == hidden.status_code == 404
    assert (missing.get_data(as_text=True).replace(str(own_report + 1000), "N")
            == hidden.get_data(as_text=True).replace(str(own_report), "N"))


def test_private_contact_is_shown_to_the_department(app, world):
    body = _client(app, world, "staff").get(f"/staff/reports/{world['report'].id}").get_data(as_text=True)
    assert "ana@example.ro" in body and "Ana Pop" in body


def test_queue_shows_only_the_own_department(app, world, create_report, make_category):
    foreign = create_report(category=make_category(default_department=world["other"]),
                            description="Raport al altui departament")
    staff_body = _client(app, world, "staff").get("/staff/queue").get_data(as_text=True)
    assert f"#{world['report'].id}<" in staff_body
    assert f"#{foreign.id}<" not in staff_body
    city_body = _client(app, world, "city_admin").get("/staff/queue").get_data(as_text=True)
    assert f"#{world['report'].id}<" in city_body and f"#{foreign.id}<" in city_body
    # A clerk cannot widen the queue by asking for another department.
    other = _client(app, world, "staff").get(f"/staff/queue?department={world['other'].id}").get_data(as_text=True)
    assert f"#{foreign.id}<" not in other and f"#{world['report'].id}<" in other
    geo = _client(app, world, "staff").get("/staff/queue.geojson").get_json()
    assert {f["id"] for f in geo["features"]} == {world["report"].id, world["original"].id}
