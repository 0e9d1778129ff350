"""Administration pages: departments, categories and targets, service areas from GeoJSON, staff
accounts, response templates, and Open311 API keys shown once."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from cityreport.departments.models import Category, Department
from cityreport.extensions import db
from cityreport.open311.models import ApiKey
from cityreport.open311.services import hash_key, verify_api_key
from cityreport.routing.models import ServiceArea
from cityreport.staff.models import ResponseTemplate, StaffUser
from tests.integration.staff_helpers import (
    PASSWORD,
    english,  # noqa: F401  (autouse)
    sign_in,
)


@pytest.fixture()
def city_admin(client, make_staff):
    user = make_staff(role="city_admin")
    sign_in(client, user)
    return user


@pytest.fixture()
def dept_admin(app, make_staff):
    user = make_staff(role="dept_admin")
    client = app.test_client()
    sign_in(client, user)
    return user, client


def test_create_and_edit_a_department(client, city_admin):
    form = {"slug": "apa-canal", "name_ro": "Apă-Canal", "name_en": "Water", "email": "apa@city.test",
            "notify_mode": "immediate", "active": "1"}
    assert client.post("/staff/admin/departments", data=form).status_code == 303
    department = db.session.scalars(select(Department).where(Department.slug == "apa-canal")).one()
    assert department.notify_mode == "immediate" and department.active
    response = client.post("/staff/admin/departments", data={**form, "id": department.id, "name_en": "Water and sewer"})
    assert response.status_code == 303
    db.session.refresh(department)
    assert department.name_en == "Water and sewer"
    assert "Water and sewer" in client.get("/staff/admin/departments").get_data(as_text=True)


def test_department_form_names_its_bad_fields(client, city_admin, make_department):
    taken = make_department()
    response = client.post("/staff/admin/departments", data={"slug": taken.slug, "name_ro": "", "name_en": "X",
                                                              "email": "not-an-email", "notify_mode": "pigeon"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for field in ("slug", "name_ro", "email", "notify_mode"):
        assert f'id="e-{field}"' in body or f"<strong>{field}</strong>" in body, field


def test_only_one_fallback_department(client, city_admin, make_department):
    old = make_department(is_fallback=True)
    client.post("/staff/admin/departments", data={"slug": "dispecer-nou", "name_ro": "D", "name_en": "D",
                                                  "notify_mode": "daily", "is_fallback": "1", "active": "1"})
    db.session.refresh(old)
    assert not old.is_fallback
    assert db.session.scalar(select(func.count()).where(Department.is_fallback.is_(True))) == 1


def test_create_category_with_targets_and_default_department(client, city_admin, make_department):
    department = make_department()
    form = {"code": "hidrant", "name_ro": "Hidrant defect", "name_en": "Broken hydrant", "group_ro": "Apă",
            "group_en": "Water", "default_department": department.id, "ack_target_hours": "6",
            "resolve_target_days": "3", "active": "1"}
    assert client.post("/staff/admin/categories", data=form).status_code == 303
    category = db.session.scalars(select(Category).where(Category.code == "hidrant")).one()
    assert (category.ack_target_hours, category.resolve_target_days) == (6, 3)
    assert category.default_department_id == department.id and category.active
    client.post("/staff/admin/categories", data={**form, "id": category.id, "active": "", "resolve_target_days": "5"})
    db.session.refresh(category)
    assert not category.active and category.resolve_target_days == 5


def test_category_targets_must_be_positive(client, city_admin):
    response = client.post("/staff/admin/categories", data={
        "code": "x", "name_ro": "X", "name_en": "X", "group_ro": "G", "group_en": "G",
        "ack_target_hours": "0", "resolve_target_days": "soon"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="e-ack_target_hours"' in body and 'id="e-resolve_target_days"' in body
    assert db.session.scalar(select(func.count()).select_from(Category).where(Category.code == "x")) == 0


def _geojson(*polygons, crs=None):
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for name, ring in polygons]}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return io.BytesIO(json.dumps(document).encode())


def test_upload_service_areas_and_see_them_on_the_map(client, city_admin, make_department):
    department = make_department()
    ring = [[23.60, 46.76], [23.63, 46.76], [23.63, 46.78], [23.60, 46.78], [23.60, 46.76]]
    response = client.post("/staff/admin/areas", data={
        "department": department.id, "priority": "2", "name_property": "name",
        "file": (_geojson(("Centru", ring)), "zone.geojson")}, content_type="multipart/form-data")
    assert response.status_code == 303
    area = db.session.scalars(select(ServiceArea).where(ServiceArea.name == "Centru")).one()
    assert area.department_id == department.id and area.priority == 2 and area.area_m2 > 1_000_000
    page = client.get("/staff/admin/areas").get_data(as_text=True)
    assert 'id="areas-map"' in page and '"Centru"' in page


def test_bad_geojson_imports_nothing_and_says_why(client, city_admin, make_department):
    department = make_department()
    bow_tie = [[23.60, 46.76], [23.63, 46.78], [23.63, 46.76], [23.60, 46.78], [23.60, 46.76]]
    good = [[23.60, 46.76], [23.61, 46.76], [23.61, 46.77], [23.60, 46.76]]
    response = client.post("/staff/admin/areas", data={
        "department": department.id, "file": (_geojson(("Bun", good), ("Rău", bow_tie)), "zone.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "feature 2" in response.get_data(as_text=True)
    not_json = client.post("/staff/admin/areas", data={"department": department.id,
                                                       "file": (io.BytesIO(b"\x89PNG"), "x.geojson")},
                           content_type="multipart/form-data")
    assert not_json.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ServiceArea)) == 0


def test_delete_an_area(client, city_admin, make_department):
    from shapely.geometry import box

    from cityreport.routing.services import add_service_area

    area = add_service_area(department_id=make_department().id, name="Vechi", geometry=box(23.6, 46.7, 23.61, 46.71))
    assert client.post(f"/staff/admin/areas/{area.id}/delete").status_code == 303
    assert db.session.get(ServiceArea, area.id) is None


def test_city_admin_creates_accounts_with_a_long_password(client, city_admin, make_department):
    department = make_department()
    short = client.post("/staff/admin/staff", data={"name": "Ion", "email": "ion@city.test", "role": "staff",
                                                    "department": department.id, "password": "scurtă"})
    assert short.status_code == 422
    assert "at least 12 characters" in short.get_data(as_text=True)
    assert 'value="scurtă"' not in short.get_data(as_text=True)  # the password is not echoed back
    ok = client.post("/staff/admin/staff", data={"name": "Ion", "email": "ion@city.test", "role": "staff",
                                                 "department": department.id, "password": PASSWORD})
    assert ok.status_code == 303
    created = db.session.scalars(select(StaffUser).where(StaffUser.email == "ion@city.test")).one()
    assert created.password_hash.startswith("$argon2")


def test_dept_admin_cannot_create_a_city_admin_or_staff_elsewhere(dept_admin, make_department):
    user, client = dept_admin
    promoted = client.post("/staff/admin/staff", data={"name": "X", "email": "x@city.test", "role": "city_admin",
                                                       "password": PASSWORD})
    assert promoted.status_code == 422
    elsewhere = client.post("/staff/admin/staff", data={"name": "Y", "email": "y@city.test", "role": "staff",
                                                        "department": make_department().id, "password": PASSWORD})
    assert elsewhere.status_code == 422
    assert db.session.scalar(select(func.count()).where(StaffUser.email.in_(["x@city.test", "y@city.test"]))) == 0


def test_dept_admin_sees_only_their_departments_staff(dept_admin, make_staff):
    user, client = dept_admin
    colleague = make_staff(department=user.department, email="coleg@city.test")
    stranger = make_staff(email="strain@city.test")
    body = client.get("/staff/admin/staff").get_data(as_text=True)
    assert colleague.email in body and stranger.email not in body


def test_deactivation_ends_the_accounts_sessions(app, client, city_admin, make_staff):
    clerk = make_staff()
    clerk_client = app.test_client()
    sign_in(clerk_client, clerk)
    assert clerk_client.get("/staff/queue").status_code == 200
    assert client.post(f"/staff/admin/staff/{clerk.id}/active", data={"active": "0"}).status_code == 303
    assert clerk_client.get("/staff/queue").status_code == 302
    assert sign_in(clerk_client, clerk).status_code == 401
    client.post(f"/staff/admin/staff/{clerk.id}/active", data={"active": "1"})
    assert sign_in(clerk_client, clerk).status_code == 303


def test_nobody_deactivates_themselves(client, city_admin):
    response = client.post(f"/staff/admin/staff/{city_admin.id}/active", data={"active": "0"})
    assert response.status_code == 422
    assert city_admin.active


def test_dept_admin_templates_belong_to_their_department(dept_admin, make_department, make_category):
    user, client = dept_admin
    category = make_category()
    response = client.post("/staff/admin/templates", data={
        "title": "Lucrare programată", "text_ro": "Am programat lucrarea.", "text_en": "Scheduled.",
        "category": category.id, "status": "in_progress", "department": make_department().id, "active": "1"})
    assert response.status_code == 303
    template = db.session.scalars(select(ResponseTemplate).where(ResponseTemplate.title == "Lucrare programată")).one()
    assert template.department_id == user.department_id  # the form's department is ignored for them
    assert template.category_id == category.id and template.status == "in_progress"
    client.post("/staff/admin/templates", data={"id": template.id, "title": "Lucrare programată",
                                                "text_ro": "Text nou.", "active": ""})
    db.session.refresh(template)
    assert template.text_ro == "Text nou." and not template.active


def test_templates_of_other_departments_are_out_of_reach(dept_admin, make_department):
    user, client = dept_admin
    foreign = ResponseTemplate(title="Străin", text_ro="x", text_en="x", department_id=make_department().id)
    citywide = ResponseTemplate(title="Oraș", text_ro="y", text_en="y")
    db.session.add_all([foreign, citywide])
    db.session.flush()
    body = client.get("/staff/admin/templates").get_data(as_text=True)
    assert "Străin" not in body and "Oraș" in body
    assert client.get(f"/staff/admin/templates?edit={foreign.id}").status_code == 404
    assert client.post("/staff/admin/templates", data={"id": foreign.id, "title": "Furat",
                                                       "text_ro": "z"}).status_code == 404
    assert client.post("/staff/admin/templates", data={"id": citywide.id, "title": "Furat",
                                                       "text_ro": "z"}).status_code == 403
    db.session.refresh(foreign)
    assert foreign.title == "Străin"


def test_template_needs_a_title_and_romanian_text(client, city_admin):
    response = client.post("/staff/admin/templates", data={"title": "", "text_ro": "", "status": "lost"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="e-title"' in body and 'id="e-text_ro"' in body


def test_api_key_is_shown_once_and_stored_hashed(client, city_admin):
    import re

    response = client.post("/staff/admin/api-keys", data={"name": "Aplicația Cartier"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    plaintext = re.search(r'<code class="secret">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    key = db.session.scalars(select(ApiKey).where(ApiKey.name == "Aplicația Cartier")).one()
    assert key.key_hash == hash_key(plaintext) and plaintext not in key.key_hash
    assert verify_api_key(plaintext) is not None
    later = client.get("/staff/admin/api-keys").get_data(as_text=True)
    assert plaintext not in later and key.prefix in later
    assert client.post(f"/staff/admin/api-keys/{key.id}/revoke").status_code == 303
    assert verify_api_key(plaintext) is None
    assert client.post("/staff/admin/api-keys", data={"name": ""}).status_code == 422


def test_a_refused_account_is_explained_in_the_pages_language(client, city_admin, make_department):
    department = make_department()
    response = client.post("/staff/admin/staff?lang=ro", data={
        "email": "nu-e-adresa", "name": "Ion", "role": "staff", "password": "scurtă", "department": department.id})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nu este o adresă de e-mail validă" in page
    assert "trebuie să aibă cel puțin 12 caractere" in page
    assert "not a valid e-mail address" not in page and "at least 12 characters" not in page
    assert "scurtă" not in page  # the password is never echoed back
