"""City admins manage each category's Open311 questions; staff see the answers on a report."""

from __future__ import annotations

from flask import g, render_template_string

from cityreport.extensions import db
from cityreport.open311.models import Open311Submission, ServiceAttribute
from cityreport.open311.services import attributes_for


def sign_in(client, user) -> None:
    # The test app context outlives requests; drop the user Flask-Login cached on it.
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_city_admin_adds_edits_and_deletes_a_question(client, make_staff, make_category):
    category = make_category(code="pothole")
    sign_in(client, make_staff(role="city_admin"))
    url = "/staff/admin/categories/pothole/attributes"
    page = client.get(url)
    assert page.status_code == 200 and "pothole" in page.get_data(as_text=True)

    response = client.post(url, data={"code": "size", "datatype": "singlevaluelist", "description_ro": "Mărime?",
                                      "description_en": "Size?", "position": "1", "required": "1", "active": "1",
                                      "values": "small | Mică | Small\nlarge | Mare\n"})
    assert response.status_code == 303
    [question] = attributes_for(category.id)
    assert question.required and question.values == [
        {"key": "small", "name_ro": "Mică", "name_en": "Small"}, {"key": "large", "name_ro": "Mare", "name_en": "Mare"}]
    assert client.get("/open311/v2/services/pothole.json").get_json()["attributes"][0]["code"] == "size"

    edit = client.get(f"{url}?edit={question.id}").get_data(as_text=True)
    assert "small | Mică | Small" in edit
    client.post(url, data={"id": question.id, "code": "size", "datatype": "number", "description_ro": "Mărime (m)",
                           "position": "2", "active": "1"})
    db.session.refresh(question)
    assert question.datatype == "number" and question.values == [] and question.required is False

    client.post(f"{url}/{question.id}/delete")
    assert attributes_for(category.id, active_only=False) == []


def test_bad_question_is_refused_naming_the_fields(client, make_staff, make_category):
    make_category(code="pothole")
    sign_in(client, make_staff(role="city_admin"))
    response = client.post("/staff/admin/categories/pothole/attributes", data={
        "code": "bad code!", "datatype": "singlevaluelist", "description_ro": "", "position": "1"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in text and "values" in text and "description_ro" in text
    assert db.session.query(ServiceAttribute).count() == 0


def test_only_city_admins_manage_questions(client, make_staff, make_category):
    make_category(code="pothole")
    assert client.get("/staff/admin/categories/pothole/attributes").status_code in (302, 401)
    sign_in(client, make_staff(role="dept_admin"))
    assert client.get("/staff/admin/categories/pothole/attributes").status_code == 403
    assert client.post("/staff/admin/categories/pothole/attributes",
                       data={"code": "x", "datatype": "text", "description_ro": "x", "position": "1"}).status_code == 403
    sign_in(client, make_staff(role="city_admin"))
    assert client.get("/staff/admin/categories/nope/attributes").status_code == 404


def test_staff_report_partial_shows_labelled_answers_and_the_link(app, client, create_report, make_category):
    category = make_category(code="pothole")
    db.session.add(ServiceAttribute(category_id=category.id, code="size", datatype="multivaluelist",
                                    description_ro="Mărime", description_en="Size", position=1,
                                    values=[{"key": "s", "name_ro": "Mică", "name_en": "Small"},
                                            {"key": "l", "name_ro": "Mare", "name_en": "Large"}]))
    report = create_report(category=category, attributes={"size": ["s", "l"], "gone": "kept answer"})
    db.session.add(Open311Submission(report_id=report.id, token="t" * 20, media_url="https://example.org/a.jpg"))
    db.session.flush()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string('{% include "open311/_report_attributes.html" %}', report=report)
    assert "<dt>Size</dt><dd>Small, Large</dd>" in html
    assert "<dt>gone</dt><dd>kept answer</dd>" in html
    assert 'href="https://example.org/a.jpg"' in html and 'rel="noopener noreferrer nofollow"' in html
