"""Drift between copies of the report rules, now owned by reports/ alone (issue 13).

Each test here failed before its fix: the rule that an invalid report is hidden lived in the staff
triage only, the triage page searched nearby reports with another geodesy than the public form, and
the public timeline, the Atom feed and Open311 each filtered the public events their own way.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from cityreport.extensions import db
from cityreport.reports import public as public_reports
from cityreport.reports import services as reports
from cityreport.reports.importer import import_csv
from cityreport.reports.models import Report
from cityreport.staff import triage
from tests.conftest import CENTER

HEADER = "external_id,category,lat,lon,description,created_at,acknowledged_at,closed_at,status,department\n"


# ---- an invalid report is hidden, whoever closes it ---------------------------------------------

def test_closing_as_invalid_through_the_service_hides_and_reopening_shows_and_unties(create_report):
    original = create_report()
    spam = create_report()
    reports.change_status(spam, "invalid", notify=False)
    assert spam.hidden and public_reports.public_report_or_none(spam.id) is None
    reports.change_status(spam, "acknowledged", notify=False)
    assert not spam.hidden and public_reports.public_report_or_none(spam.id) is not None

    copy = create_report()
    reports.mark_duplicate(copy, original, staff=None, notify=False)
    assert copy.duplicate_of_id == original.id
    reports.change_status(copy, "acknowledged", notify=False)
    assert copy.duplicate_of_id is None and copy.reopened_count == 1


def test_the_database_refuses_an_invalid_report_left_visible(create_report):
    report = create_report()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(Report).where(Report.id == report.id).values(status="invalid", hidden=False))


def test_an_imported_invalid_report_is_hidden(make_jurisdiction, make_category):
    make_jurisdiction()
    make_category(code="pothole")
    result = import_csv(io.StringIO(
        HEADER
        + f"S1,pothole,{CENTER[0]},{CENTER[1]},Reclamă,2026-03-01T10:00:00Z,,2026-03-01T12:00:00Z,invalid,\n"
        + f"S2,pothole,{CENTER[0]},{CENTER[1]},Groapă,2026-03-01T10:00:00Z,,2026-03-02T12:00:00Z,fixed,\n"),
        now=datetime(2026, 6, 1, tzinfo=UTC))
    assert result.errors == [] and result.imported == 2
    rows = {r.external_id: r for r in db.session.scalars(select(Report).where(Report.source == "import"))}
    assert rows["S1"].hidden and not rows["S2"].hidden


# ---- one nearby search ----------------------------------------------------------------------------

def _north_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` due north on the spheroid (PostGIS's own geodesy)."""
    north = db.session.execute(text(
        "SELECT ST_Y(p::geometry), ST_X(p::geometry) FROM ST_Project(ST_MakePoint(:lon, :lat)::geography, "
        ":metres, 0) AS p"), {"lat": lat, "lon": lon, "metres": metres}).one()
    return float(north[0]), float(north[1])


def test_the_triage_page_and_the_report_form_find_the_same_nearby_reports(create_report, make_category):
    category = make_category(nearby_radius_m=2000)
    here = create_report(category=category)
    # Inside the radius on the spheroid, but beyond a box drawn with 111,320 m to a degree of latitude
    # (a degree is 111,166 m here): the triage page used to miss it, the report form found it.
    lat, lon = _north_of(*CENTER, 1999)
    near = create_report(category=category, lat=lat, lon=lon)
    far_lat, far_lon = _north_of(*CENTER, 2001)
    create_report(category=category, lat=far_lat, lon=far_lon)
    public = [r.id for r, _d in public_reports.nearby_open_reports(*CENTER, 2000, category_id=category.id,
                                                            exclude_id=here.id)]
    staff = [candidate.id for candidate in triage.nearby_open(here)]
    assert public == staff == [near.id]
    [candidate] = triage.nearby_open(here)
    assert candidate.distance_m == pytest.approx(1999, abs=0.01)  # metres on the spheroid, not the sphere


# ---- one rule for the public events -------------------------------------------------------------

def test_a_note_with_only_internal_text_is_not_in_the_public_feed(client, create_report):
    report = create_report()
    reports.add_note(report, staff=None, internal_text="Sună la 0722 000 111 înainte.")
    reports.add_note(report, staff=None, public_text="Echipa vine mâine.")
    db.session.flush()
    feed = client.get(f"/feeds/reports/{report.id}.atom", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert feed.count("<entry>") == 2  # received, and the public update
    assert "Echipa vine mâine." in feed and "0722" not in feed


def test_the_page_and_open311_agree_on_a_reopened_spam_report(client, create_report):
    report = create_report()
    reports.change_status(report, "invalid", public_text="Nu este o problemă.", notify=False)
    reports.change_status(report, "acknowledged", public_text="Ne-am răzgândit.", notify=False)
    db.session.flush()
    timeline = client.get(f"/api/v1/reports/{report.id}").json["timeline"]
    open311 = client.get(f"/open311/v2/requests/{report.id}.json?extensions=true").json[0]["notes"]
    assert [item["to_status"] for item in timeline] == ["new", "acknowledged"]
    assert [note["detailed_status"] for note in open311] == ["new", "acknowledged"]


def test_the_event_rule_and_its_sql_agree(create_report):
    from cityreport.reports.models import ReportEvent
    from cityreport.reports.rules import is_public_event

    report = create_report()
    reports.add_note(report, staff=None, internal_text="intern")
    reports.add_note(report, staff=None, public_text="public")
    reports.change_status(report, "invalid", notify=False)
    reports.change_status(report, "acknowledged", notify=False)
    db.session.flush()
    every = db.session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)).all()
    by_rule = {e.id for e in every if is_public_event(e.kind, e.to_status, e.public_text)}
    assert by_rule == {e.id for e in public_reports.public_events_of(report.id)}
    assert len(by_rule) == 3  # created, the public note, the reopening
