"""The staff queue: scope, filters, sorting, counts, overdue marking, keyset paging, the map's
GeoJSON, bulk changes, and a constant number of queries however many rows are shown."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from shapely.geometry import box
from werkzeug.datastructures import MultiDict

from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.reports import rules as report_rules
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing.services import add_service_area
from cityreport.staff import rules, schemas, triage, worklist
from tests.integration.staff_helpers import (
    english,  # noqa: F401  (autouse)
    set_status,
    sign_in,
)


@pytest.fixture()
def department(make_department):
    return make_department()


@pytest.fixture()
def clerk(make_staff, department):
    return make_staff(department=department)


@pytest.fixture()
def category(make_category, department):
    return make_category(default_department=department, ack_target_hours=48, resolve_target_days=14)


@pytest.fixture()
def signed_in(client, clerk):
    sign_in(client, clerk)
    return client


def _age(report, **delta):
    report.created_at = utcnow() - timedelta(**delta)
    db.session.flush()
    return report


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="open" href="/staff/reports/(\d+)"', html)]


def _filter(**args) -> schemas.QueueFilter:
    return schemas.queue_filter(MultiDict(args))


def test_default_is_open_reports_oldest_first(signed_in, create_report, category):
    newest = create_report(category=category)
    oldest = _age(create_report(category=category), days=5)
    middle = _age(create_report(category=category), days=2)
    closed = _age(create_report(category=category), days=9)
    set_status(closed, "fixed")
    assert _ids(signed_in.get("/staff/queue").get_data(as_text=True)) == [oldest.id, middle.id, newest.id]
    assert _ids(signed_in.get("/staff/queue?sort=newest").get_data(as_text=True)) == [newest.id, middle.id, oldest.id]
    assert _ids(signed_in.get("/staff/queue?status=closed").get_data(as_text=True)) == [closed.id]
    assert _ids(signed_in.get("/staff/queue?status=all").get_data(as_text=True)) == [
        closed.id, oldest.id, middle.id, newest.id]


def test_most_overdue_first_uses_each_categorys_targets(signed_in, create_report, make_category, department):
    slow = make_category(default_department=department, ack_target_hours=240, resolve_target_days=60)
    fast = make_category(default_department=department, ack_target_hours=2, resolve_target_days=1)
    old_but_slow = _age(create_report(category=slow), days=5)  # due in 5 more days
    recent_but_fast = _age(create_report(category=fast), hours=6)  # 4 h late
    acknowledged_fast = _age(create_report(category=fast), days=3)
    set_status(acknowledged_fast, "acknowledged")  # due a day after creation: 2 days late
    html = signed_in.get("/staff/queue?sort=overdue").get_data(as_text=True)
    assert _ids(html) == [acknowledged_fast.id, recent_but_fast.id, old_but_slow.id]
    assert html.count('class="overdue"') == 2


def test_overdue_filter_and_marking(signed_in, create_report, category):
    late_new = _age(create_report(category=category), hours=50)  # ack target 48 h
    on_time_new = _age(create_report(category=category), hours=10)
    acknowledged = _age(create_report(category=category), days=3)
    set_status(acknowledged, "acknowledged")  # resolve target 14 days: on time
    late_open = _age(create_report(category=category), days=15)
    set_status(late_open, "in_progress")
    late_closed = _age(create_report(category=category), days=30)
    set_status(late_closed, "fixed")
    html = signed_in.get("/staff/queue?overdue=1").get_data(as_text=True)
    assert sorted(_ids(html)) == sorted([late_new.id, late_open.id])
    counts = dict(re.findall(r'data-status="(\w+)">\s*<span[^>]*>[^<]*</span> <strong>(\d+)</strong>', html))
    assert counts == {"new": "1", "acknowledged": "0", "in_progress": "1"}
    assert "Overdue by" in html
    all_html = signed_in.get("/staff/queue").get_data(as_text=True)
    assert set(_ids(all_html)) == {late_new.id, on_time_new.id, acknowledged.id, late_open.id}
    assert all_html.count('class="overdue"') == 2


def test_filters_category_age_text_number_and_area(signed_in, create_report, category, make_category, department):
    other_category = make_category(default_department=department)
    pothole = _age(create_report(category=category, description="Groapă pe Calea Dorobanților"), days=10)
    light = create_report(category=other_category, description="Bec ars", address="Strada Horea 5",
                          lat=46.80, lon=23.66)
    assert _ids(signed_in.get(f"/staff/queue?category={category.id}").get_data(as_text=True)) == [pothole.id]
    assert _ids(signed_in.get("/staff/queue?age=7").get_data(as_text=True)) == [pothole.id]
    assert _ids(signed_in.get("/staff/queue?q=dorobanților").get_data(as_text=True)) == [pothole.id]
    assert _ids(signed_in.get("/staff/queue?q=horea").get_data(as_text=True)) == [light.id]
    assert _ids(signed_in.get(f"/staff/queue?q=%23{light.id}").get_data(as_text=True)) == [light.id]
    assert _ids(signed_in.get("/staff/queue?q=100%25").get_data(as_text=True)) == []  # % is literal
    area = add_service_area(department_id=department.id, name="Nord", geometry=box(23.64, 46.79, 23.68, 46.81))
    assert _ids(signed_in.get(f"/staff/queue?area={area.id}").get_data(as_text=True)) == [light.id]


def test_bad_filter_values_are_named(signed_in):
    response = signed_in.get("/staff/queue?status=lost&age=abc&sort=random&after=garbage")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    for name in ("status", "age", "sort", "after"):
        assert f"<strong>{name}</strong>" in body


def test_counts_per_status(signed_in, create_report, category):
    reports = [create_report(category=category) for _ in range(5)]
    set_status(reports[0], "acknowledged")
    set_status(reports[1], "fixed")
    set_status(reports[2], "fixed")
    pattern = r'data-status="(\w+)">\s*<span[^>]*>[^<]*</span> <strong>(\d+)</strong>'
    every = dict(re.findall(pattern, signed_in.get("/staff/queue?status=all").get_data(as_text=True)))
    assert every == {"new": "2", "acknowledged": "1", "in_progress": "0", "fixed": "2", "duplicate": "0",
                     "not_responsible": "0", "unable_to_fix": "0", "invalid": "0"}
    # The open queue counts its own statuses only (closed ones would cost more than the page).
    open_view = dict(re.findall(pattern, signed_in.get("/staff/queue").get_data(as_text=True)))
    assert open_view == {"new": "2", "acknowledged": "1", "in_progress": "0"}


def test_keyset_paging_visits_every_row_once_in_every_order(signed_in, create_report, category, monkeypatch):
    monkeypatch.setattr(rules, "PAGE_SIZE", 3)
    reports = [create_report(category=category) for _ in range(8)]
    same_time = utcnow() - timedelta(days=1)
    for report in reports[:4]:
        report.created_at = same_time  # ties on the sort key are broken by id
    db.session.flush()
    for sort in rules.SORTS:
        seen, url = [], f"/staff/queue?sort={sort}"
        for _ in range(10):
            html = signed_in.get(url).get_data(as_text=True)
            seen += _ids(html)
            found = re.search(r'rel="next" href="([^"]+)"', html)
            if not found:
                break
            url = found.group(1).replace("&amp;", "&")
        assert sorted(seen) == sorted(r.id for r in reports), sort
        assert len(seen) == len(set(seen))


def test_queue_sql_never_uses_offset(db_session, clerk, count_queries, create_report, category):
    create_report(category=category)
    wanted = _filter(sort="overdue")
    first = worklist.queue_page(clerk, wanted)
    with count_queries() as counter:
        worklist.queue_page(clerk, wanted)
    assert not any("OFFSET" in statement.upper() for statement in counter.statements)
    assert first.rows


def test_cursor_of_another_sort_is_refused(signed_in, create_report, category):
    cursor = report_rules.encode_cursor("newest", utcnow(), 1)
    response = signed_in.get(f"/staff/queue?sort=oldest&after={cursor}")
    assert response.status_code == 400


def test_query_count_does_not_grow_with_rows(app, signed_in, create_report, make_category, department,
                                             count_queries):
    categories = [make_category(default_department=department) for _ in range(3)]
    create_report(category=categories[0])
    signed_in.get("/staff/queue")  # the first request after signing in reloads the account itself
    with count_queries() as few:
        assert signed_in.get("/staff/queue").status_code == 200
    for n in range(30):
        create_report(category=categories[n % 3])
    with count_queries() as many:
        html = signed_in.get("/staff/queue").get_data(as_text=True)
    assert len(_ids(html)) == 31
    assert many.count == few.count
    assert many.count <= 8, many.statements


def test_triage_page_query_count_does_not_grow_with_history(signed_in, create_report, category, clerk,
                                                           count_queries):
    report = create_report(category=category)
    db.session.add(ReportEvent(report_id=report.id, kind="note", actor="staff", staff_id=clerk.id,
                               internal_text="prima notă"))
    db.session.flush()
    signed_in.get(f"/staff/reports/{report.id}")  # the first request after signing in reloads the account
    with count_queries() as short:
        signed_in.get(f"/staff/reports/{report.id}")
    for n in range(10):
        db.session.add(ReportEvent(report_id=report.id, kind="note", actor="staff", staff_id=clerk.id,
                                   internal_text=f"nota {n}"))
    db.session.flush()
    with count_queries() as long:
        html = signed_in.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert "nota 9" in html
    assert long.count == short.count


def test_map_geojson_follows_the_filter(signed_in, create_report, category):
    open_report = create_report(category=category, lat=46.771, lon=23.621)
    closed = create_report(category=category)
    set_status(closed, "fixed")
    data = signed_in.get("/staff/queue.geojson").get_json()
    assert data["type"] == "FeatureCollection"
    assert [f["id"] for f in data["features"]] == [open_report.id]
    assert data["features"][0]["geometry"]["coordinates"] == [23.621, 46.771]
    assert [f["id"] for f in signed_in.get("/staff/queue.geojson?status=fixed").get_json()["features"]] == [closed.id]
    page = signed_in.get("/staff/queue/map?status=fixed").get_data(as_text=True)
    assert 'data-source="/staff/queue.geojson?status=fixed"' in page


def test_the_list_works_without_the_map_library(signed_in, create_report, category):
    create_report(category=category)
    html = signed_in.get("/staff/queue").get_data(as_text=True)
    assert "leaflet" not in html.lower()


# ---- bulk ----------------------------------------------------------------------------------------

def _selection(*reports):
    return [f"{r.id}:{r.version}" for r in reports]


def test_bulk_change_moves_every_selected_report(signed_in, create_report, category):
    chosen = [create_report(category=category) for _ in range(3)]
    untouched = create_report(category=category)
    response = signed_in.post("/staff/queue/bulk?sort=newest", data={
        "report": _selection(*chosen), "status": "acknowledged", "public_note": "Am preluat sesizarea."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/queue?sort=newest")
    for report in chosen:
        db.session.refresh(report)
        assert report.status == "acknowledged"
        assert report.events[-1].public_text == "Am preluat sesizarea."
    db.session.refresh(untouched)
    assert untouched.status == "new"


def test_bulk_change_refuses_the_whole_batch_when_one_cannot_move(signed_in, create_report, category):
    fine = [create_report(category=category) for _ in range(2)]
    closed = create_report(category=category)
    set_status(closed, "fixed")
    response = signed_in.post("/staff/queue/bulk", data={"report": _selection(*fine, closed),
                                                         "status": "in_progress"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "No report was changed" in body and f"#{closed.id}" in body
    for report in fine:
        db.session.refresh(report)
        assert report.status == "new"
        assert [e.kind for e in report.events] == ["created", "routed"]
    # The selection is kept so the clerk can untick the bad one.
    assert f'value="{fine[0].id}:{fine[0].version}"\n' in body or f'value="{fine[0].id}:{fine[0].version}"' in body


def test_bulk_change_refuses_a_stale_selection(signed_in, create_report, category, clerk):
    report = create_report(category=category)
    selection = _selection(report)
    triage.apply_status(report, "acknowledged", staff=clerk)
    response = signed_in.post("/staff/queue/bulk", data={"report": selection, "status": "in_progress"})
    assert response.status_code == 422
    assert "changed meanwhile" in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.status == "acknowledged"


def test_bulk_change_refuses_another_departments_report(signed_in, create_report, category, make_category):
    mine = create_report(category=category)
    foreign = create_report(category=make_category())
    response = signed_in.post("/staff/queue/bulk", data={"report": _selection(mine, foreign), "status": "fixed"})
    assert response.status_code == 422
    db.session.refresh(mine)
    db.session.refresh(foreign)
    assert mine.status == "new" and foreign.status == "new"


def test_bulk_change_needs_a_selection_and_a_real_status(signed_in, create_report, category):
    report = create_report(category=category)
    assert signed_in.post("/staff/queue/bulk", data={"status": "fixed"}).status_code == 422
    assert signed_in.post("/staff/queue/bulk", data={"report": _selection(report), "status": "new"}).status_code == 422
    assert signed_in.post("/staff/queue/bulk", data={"report": ["x:y"], "status": "fixed"}).status_code == 422
    db.session.refresh(report)
    assert report.status == "new"


def test_bulk_invalid_hides_the_reports(signed_in, create_report, category):
    spam = [create_report(category=category) for _ in range(2)]
    response = signed_in.post("/staff/queue/bulk", data={"report": _selection(*spam), "status": "invalid"})
    assert response.status_code == 303
    for report in spam:
        fresh = db.session.get(Report, report.id)
        db.session.refresh(fresh)
        assert fresh.hidden and fresh.status == "invalid"


def test_most_overdue_first_with_filters_and_closed_reports(signed_in, create_report, make_category, department):
    fast = make_category(default_department=department, ack_target_hours=1, resolve_target_days=1)
    slow = make_category(default_department=department, ack_target_hours=100, resolve_target_days=100)
    late_fast = _age(create_report(category=fast), hours=30)
    later_fast = _age(create_report(category=fast), hours=50)
    slow_one = _age(create_report(category=slow), hours=50)
    closed = _age(create_report(category=fast), days=9)
    set_status(closed, "fixed")
    only_fast = signed_in.get(f"/staff/queue?sort=overdue&category={fast.id}&overdue=1").get_data(as_text=True)
    assert _ids(only_fast) == [later_fast.id, late_fast.id]
    everything = signed_in.get("/staff/queue?sort=overdue&status=all").get_data(as_text=True)
    assert _ids(everything) == [closed.id, later_fast.id, late_fast.id, slow_one.id]
