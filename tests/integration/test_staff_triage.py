"""The triage page and its actions: the status machine over HTTP, notes, templates, duplicates,
reassignment, invalid and reopen, and two clerks saving the same report."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text

from cityreport.core.models import Outbox
from cityreport.errors import Conflict
from cityreport.extensions import db
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.rules import STATUSES, allowed_targets
from cityreport.staff import triage
from cityreport.staff.models import ResponseTemplate
from tests.integration.staff_helpers import (
    english,  # noqa: F401  (autouse)
    set_status,
    sign_in,
)


@pytest.fixture()
def clerk(make_staff, make_department):
    return make_staff(name="Maria Ionescu", department=make_department())


@pytest.fixture()
def report(create_report, make_category, clerk):
    return create_report(category=make_category(default_department=clerk.department),
                         description="Groapă adâncă pe strada Horea", name="Ana Pop", email="ana@example.ro",
                         phone="0722000111")


@pytest.fixture()
def signed_in(client, clerk):
    assert sign_in(client, clerk).status_code == 303
    return client


def _events(report, kind=None):
    stmt = select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.id)
    if kind:
        stmt = stmt.where(ReportEvent.kind == kind)
    return list(db.session.scalars(stmt))


def _outbox_for(event):
    return db.session.scalars(select(Outbox).where(Outbox.idempotency_key == f"report_event:{event.id}")).first()


def _post_status(client, report, status, **form):
    return client.post(f"/staff/reports/{report.id}/status",
                       data={"status": status, "version": report.version, **form})


def test_triage_page_shows_everything(signed_in, report):
    body = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    for expected in ("Groapă adâncă pe strada Horea", "Ana Pop", "ana@example.ro", "0722000111", "report-map",
                     'name="version" value="1"', "reported", "routed"):
        assert expected in body


PAIRS = list(itertools.product(STATUSES, STATUSES))


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition_is_allowed_or_refused_as_the_machine_says(signed_in, report, from_status, to_status):
    set_status(report, from_status)
    before_version = report.version
    response = _post_status(signed_in, report, to_status, public_note="Mulțumim, ne ocupăm.")
    db.session.expire_all()
    fresh = db.session.get(Report, report.id)
    if to_status == from_status:
        # Same status: the note is recorded, the status stays.
        assert response.status_code == 303
        assert fresh.status == from_status
        note = _events(fresh, "note")[-1]
        assert note.public_text == "Mulțumim, ne ocupăm." and _outbox_for(note) is not None
    elif to_status in allowed_targets(from_status) and to_status != "duplicate":
        assert response.status_code == 303, response.get_data(as_text=True)[:400]
        assert fresh.status == to_status
        event = _events(fresh)[-1]
        assert event.kind == ("reopened" if from_status not in ("new", "acknowledged", "in_progress") else "status")
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert event.public_text == "Mulțumim, ne ocupăm."
        assert event.staff_id is not None
        assert _outbox_for(event) is not None
        assert fresh.version > before_version
    else:
        assert response.status_code == 422
        assert fresh.status == from_status and fresh.version == before_version
        assert "status" in response.get_data(as_text=True)


def test_status_change_with_only_an_internal_note(signed_in, report):
    response = _post_status(signed_in, report, "in_progress", internal_note="Echipa 3, joi.")
    assert response.status_code == 303
    event = _events(report, "status")[-1]
    assert event.internal_text == "Echipa 3, joi." and event.public_text is None
    assert report.acknowledged_at is not None


def test_internal_note_is_not_sent_to_the_resident(signed_in, report):
    _post_status(signed_in, report, "new", internal_note="doar intern")
    note = _events(report, "note")[-1]
    assert _outbox_for(note) is None


def test_same_status_without_a_note_is_refused(signed_in, report):
    response = _post_status(signed_in, report, "new")
    assert response.status_code == 422
    assert _events(report, "note") == []


def test_mark_invalid_hides_and_reopen_shows_again(signed_in, report):
    assert _post_status(signed_in, report, "invalid", internal_note="spam").status_code == 303
    db.session.refresh(report)
    assert report.status == "invalid" and report.hidden and report.closed_at is not None
    assert _post_status(signed_in, report, "acknowledged").status_code == 303
    db.session.refresh(report)
    assert report.status == "acknowledged" and not report.hidden
    assert report.reopened_count == 1 and report.closed_at is None
    assert _events(report, "reopened")[-1].staff.name == "Maria Ionescu"


def test_history_names_who_did_what(signed_in, report):
    _post_status(signed_in, report, "in_progress", public_note="Am trimis echipa.")
    body = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert "Maria Ionescu" in body and "Am trimis echipa." in body


# ---- two clerks ----------------------------------------------------------------------------------

def test_second_clerk_with_a_stale_form_gets_changed_meanwhile(app, report, make_staff, signed_in, clerk):
    other = app.test_client()
    sign_in(other, make_staff(department=report.department))
    stale_version = report.version
    first = signed_in.post(f"/staff/reports/{report.id}/status",
                           data={"status": "in_progress", "version": stale_version, "public_note": "Prima."})
    assert first.status_code == 303
    second = other.post(f"/staff/reports/{report.id}/status",
                        data={"status": "fixed", "version": stale_version, "public_note": "A doua notă."})
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "changed this report meanwhile" in body
    assert "A doua notă." in body  # the second clerk's text is kept for them
    db.session.refresh(report)
    assert report.status == "in_progress"
    assert [(e.public_text, e.staff_id) for e in _events(report, "status")] == [("Prima.", clerk.id)]


@pytest.mark.parametrize("action", ["reassign", "duplicate"])
def test_stale_version_is_refused_for_every_action(signed_in, report, create_report, make_department, action):
    original = create_report(category=report.category)
    form = {"version": report.version - 1 if report.version > 1 else 99}
    if action == "reassign":
        form |= {"department": make_department().id, "reason": "greșit"}
    else:
        form |= {"duplicate_of": original.id}
    response = signed_in.post(f"/staff/reports/{report.id}/{action}", data=form)
    assert response.status_code == 409
    db.session.refresh(report)
    assert report.status == "new" and report.duplicate_of_id is None


def test_concurrent_commit_between_load_and_save_is_caught(report, clerk):
    """The form's version matched when loaded, but another transaction committed before our UPDATE."""
    loaded_version = report.version
    db.session.execute(text("UPDATE reports SET version = version + 1 WHERE id = :id"), {"id": report.id})
    with pytest.raises(Conflict):
        triage.apply_status(report, "acknowledged", staff=clerk, expected_version=loaded_version)


# ---- duplicates, reassignment, templates ---------------------------------------------------------

def test_nearby_open_reports_are_offered_and_duplicate_closes(signed_in, report, create_report):
    near = create_report(category=report.category, lat=46.7702, lon=23.6202, description="Aceeași groapă")
    far = create_report(category=report.category, lat=46.80, lon=23.66, description="Altă groapă departe")
    page = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert f'name="duplicate_of" value="{near.id}"' in page
    assert f'value="{far.id}"' not in page
    response = signed_in.post(f"/staff/reports/{report.id}/duplicate",
                              data={"duplicate_of": [str(near.id), ""], "version": report.version})
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "duplicate" and report.duplicate_of_id == near.id and report.closed_at
    event = _events(report, "duplicate")[-1]
    assert f"#{near.id}" in event.public_text  # the resident is told which report to follow
    assert _outbox_for(event) is not None


def test_duplicate_of_itself_or_of_a_missing_report_is_refused(signed_in, report):
    for target in (report.id, report.id + 10_000):
        response = signed_in.post(f"/staff/reports/{report.id}/duplicate",
                                  data={"duplicate_of": target, "version": report.version})
        assert response.status_code == 422
    db.session.refresh(report)
    assert report.status == "new"


def test_duplicate_of_a_duplicate_points_to_the_original(signed_in, report, create_report, clerk):
    original = create_report(category=report.category)
    middle = create_report(category=report.category)
    triage.mark_duplicate(middle, original.id, staff=clerk)
    response = signed_in.post(f"/staff/reports/{report.id}/duplicate",
                              data={"duplicate_of": middle.id, "version": report.version})
    assert response.status_code == 422
    assert f"#{original.id}" in response.get_data(as_text=True)


def test_reassign_needs_a_reason_and_is_recorded_as_misrouting(signed_in, report, make_department):
    target = make_department(name_ro="Iluminat")
    refused = signed_in.post(f"/staff/reports/{report.id}/reassign",
                             data={"department": target.id, "reason": "", "version": report.version})
    assert refused.status_code == 422
    from_department = report.department_id
    response = signed_in.post(f"/staff/reports/{report.id}/reassign",
                              data={"department": target.id, "reason": "Stâlp de iluminat, nu drum",
                                    "version": report.version})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/queue")  # no longer ours to see
    db.session.refresh(report)
    assert report.department_id == target.id
    event = _events(report, "reassigned")[-1]
    assert (event.from_department_id, event.to_department_id) == (from_department, target.id)
    assert event.internal_text == "Stâlp de iluminat, nu drum"
    assert signed_in.get(f"/staff/reports/{report.id}").status_code == 404


def test_reassign_to_an_unknown_department_is_refused(signed_in, report):
    response = signed_in.post(f"/staff/reports/{report.id}/reassign",
                              data={"department": 999_999, "reason": "x", "version": report.version})
    assert response.status_code == 422


def _template(**fields):
    template = ResponseTemplate(**{"title": "Programat", "text_ro": "Am programat intervenția.",
                                   "text_en": "We have scheduled the repair.", "active": True, **fields})
    db.session.add(template)
    db.session.flush()
    return template


def test_templates_for_the_category_prefill_the_public_note(signed_in, report, make_category):
    mine = _template(category_id=report.category_id)
    citywide = _template(title="General", text_ro="Vă mulțumim.", text_en="Thank you.")
    other_category = _template(title="Alt tip", category_id=make_category().id)
    inactive = _template(title="Vechi", active=False)
    page = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert f'value="{mine.id}" data-text="Am programat intervenția."' in page
    assert f'value="{citywide.id}"' in page
    assert f'value="{other_category.id}"' not in page and f'value="{inactive.id}"' not in page
    # Without JavaScript the server uses the template's text in the resident's language.
    response = _post_status(signed_in, report, "in_progress", template=mine.id)
    assert response.status_code == 303
    assert _events(report, "status")[-1].public_text == "Am programat intervenția."


def test_template_uses_the_residents_language(signed_in, report):
    report.locale = "en"
    db.session.flush()
    template = _template(category_id=report.category_id)
    _post_status(signed_in, report, "acknowledged", template=template.id)
    assert _events(report, "status")[-1].public_text == "We have scheduled the repair."


def test_a_template_of_another_category_cannot_be_used(signed_in, report, make_category):
    foreign = _template(category_id=make_category().id)
    response = _post_status(signed_in, report, "acknowledged", template=foreign.id)
    assert response.status_code == 422
    db.session.refresh(report)
    assert report.status == "new"


def test_photos_are_shown_as_thumbnails_linking_to_the_display_size(signed_in, report):
    from cityreport.media.models import Photo

    db.session.add(Photo(report_id=report.id, position=0, storage_key="ab/abcdef-display.jpg",
                         thumbnail_key="ab/abcdef-thumb.jpg", width=1600, height=1200, bytes=123_456, sha256="0" * 64))
    db.session.flush()
    db.session.expire(report, ["photos"])
    page = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert 'href="/media/ab/abcdef-display.jpg"' in page
    assert 'src="/media/ab/abcdef-thumb.jpg"' in page


def test_triage_page_shows_answers_to_the_categorys_open311_questions(signed_in, clerk, create_report,
                                                                      make_category):
    from cityreport.open311.models import ServiceAttribute

    category = make_category(default_department=clerk.department)
    db.session.add(ServiceAttribute(category_id=category.id, code="depth", datatype="singlevaluelist",
                                    description_ro="Cât de adâncă este?", description_en="How deep is it?",
                                    values=[{"key": "deep", "name_ro": "Adâncă", "name_en": "Deep"}]))
    db.session.flush()
    report = create_report(category=category, attributes={"depth": "deep"})
    page = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert "How deep is it?" in page and "Deep" in page
