"""The demo city: realistic, idempotent, and with events that agree with report timestamps."""

from sqlalchemy import func, select

from cityreport import demo
from cityreport.extensions import db
from cityreport.reports.models import Report, ReportEvent
from cityreport.reports.rules import CLOSED_STATUSES, is_closed
from cityreport.routing.models import ServiceArea


def _counts():
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Report, ReportEvent, ServiceArea)}


def test_demo_loads_a_realistic_city_and_a_second_run_changes_nothing(db_session):
    demo.load()
    first = _counts()
    assert 290 <= first["reports"] <= 310
    demo.load()
    assert _counts() == first

    reports = db.session.scalars(select(Report)).all()
    statuses = {r.status for r in reports}
    assert {"new", "acknowledged", "in_progress", "fixed", "duplicate"} <= statuses
    assert any(r.reopened_count > 0 for r in reports)
    assert any(r.status in ("new", "acknowledged", "in_progress")
               and (r.created_at - min(x.created_at for x in reports)).days > 0 for r in reports)
    # Sanitation is split between two contractors.
    contractors = {r.department.slug for r in reports if r.category.code == "deseuri-abandonate"}
    assert {"salubritate-vest", "salubritate-est"} <= contractors


def test_demo_events_agree_with_report_timestamps(db_session):
    demo.load()
    for report in db.session.scalars(select(Report)):
        events = report.events
        assert events[0].kind == "created" and events[0].at == report.created_at
        status_events = [e for e in events if e.to_status]
        assert status_events[-1].to_status == report.status
        assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
        leaving_new = [e for e in status_events if e.from_status == "new"]
        if leaving_new:
            assert report.acknowledged_at == leaving_new[0].at
        if is_closed(report.status):
            last_close = [e for e in status_events if e.to_status in CLOSED_STATUSES][-1]
            assert report.closed_at == last_close.at
        else:
            assert report.closed_at is None
        reopens = [e for e in events if e.kind == "reopened"]
        assert report.reopened_count == len(reopens)
        moves = [e for e in events if e.kind == "reassigned"]
        if moves:
            assert moves[-1].to_department_id == report.department_id


def test_every_invalid_demo_report_is_hidden_as_the_status_machine_says(db_session):
    demo.load()
    invalid = db.session.scalars(select(Report).where(Report.status == "invalid")).all()
    assert invalid and all(report.hidden for report in invalid)
    assert not any(r.hidden for r in db.session.scalars(select(Report).where(Report.status != "invalid")))
