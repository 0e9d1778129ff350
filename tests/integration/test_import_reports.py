"""`cityreport import-reports`: bulk load with routing in SQL, events from the timestamps, idempotence."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from shapely.geometry import box
from sqlalchemy import func, select

from cityreport.extensions import db
from cityreport.reports.importer import ImportFileError, import_csv
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing import services as routing
from cityreport.routing.services import add_service_area

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HEADER = "external_id,category,lat,lon,description,created_at,acknowledged_at,closed_at,status,department\n"
WEST = (46.77, 23.58)
EAST = (46.77, 23.66)


@pytest.fixture()
def setup(db_session, make_jurisdiction, make_department, make_category):
    make_jurisdiction()
    fallback = make_department(slug="dispatch", is_fallback=True)
    roads = make_department(slug="roads")
    west = make_department(slug="waste-west")
    pothole = make_category(code="pothole", default_department=roads)
    bins = make_category(code="bins", default_department=roads)
    other = make_category(code="other", default_department_id=None)
    add_service_area(department_id=west.id, category_id=bins.id, name="West",
                     geometry=box(23.55, 46.73, 23.62, 46.81))
    return {"fallback": fallback, "roads": roads, "west": west, "pothole": pothole, "bins": bins, "other": other}


def run(text: str):
    return import_csv(io.StringIO(HEADER + text), now=NOW)


def events_of(external_id: str) -> list[tuple]:
    report = db.session.scalars(select(Report).where(Report.external_id == external_id)).one()
    return [(e.kind, e.from_status, e.to_status, e.at) for e in db.session.scalars(
        select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.at, ReportEvent.id))]


def test_good_rows_import_with_routing_and_events_consistent_with_the_timestamps(setup):
    result = run(
        f"A1,pothole,{EAST[0]},{EAST[1]},Groapă,2026-03-01T10:00:00Z,2026-03-01T16:00:00Z,2026-03-04T10:00:00Z,fixed,\n"
        f"A2,bins,{WEST[0]},{WEST[1]},Pubele,2026-03-02T10:00:00Z,,,new,\n"
        f"A3,bins,{EAST[0]},{EAST[1]},Pubele,2026-03-02T10:00:00Z,2026-03-02T11:00:00Z,,in_progress,\n"
        f"A4,other,{EAST[0]},{EAST[1]},Altceva,2026-03-03T10:00:00Z,,2026-03-03T12:00:00Z,duplicate,\n"
        f"A5,pothole,{WEST[0]},{WEST[1]},Dat,2026-03-03T10:00:00Z,,,,waste-west\n")
    assert result.errors == [] and result.imported == 5 and result.already_present == 0
    by_id = {r.external_id: r for r in db.session.scalars(select(Report).where(Report.source == "import"))}
    # The same routing as live reports: a category area, else the category default, else the fallback.
    assert by_id["A1"].department_id == setup["roads"].id
    assert by_id["A2"].department_id == setup["west"].id
    assert by_id["A3"].department_id == setup["roads"].id
    assert by_id["A4"].department_id == setup["fallback"].id
    assert by_id["A5"].department_id == setup["west"].id  # given in the file
    # ...and exactly what the live routing service decides for the same point and category.
    for external_id in ("A1", "A2", "A3", "A4"):
        lat, lon = WEST if external_id == "A2" else EAST
        assert routing.route(lat, lon, by_id[external_id].category).department_id == by_id[external_id].department_id
    a1 = by_id["A1"]
    assert (a1.status, a1.acknowledged_at, a1.closed_at) == (
        "fixed", datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 4, 10, tzinfo=UTC))
    assert events_of("A1") == [
        ("created", None, "new", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("routed", None, None, datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("status", "new", "acknowledged", datetime(2026, 3, 1, 16, tzinfo=UTC)),
        ("status", "acknowledged", "fixed", datetime(2026, 3, 4, 10, tzinfo=UTC)),
    ]
    assert [e[:3] for e in events_of("A2")] == [("created", None, "new"), ("routed", None, None)]
    assert events_of("A3")[-1][:3] == ("status", "new", "in_progress")
    # Closed without an acknowledgement: acknowledged by the closing, one event from new.
    assert by_id["A4"].acknowledged_at == by_id["A4"].closed_at
    assert [e[:3] for e in events_of("A4")][2:] == [("duplicate", "new", "duplicate")]


def test_import_is_idempotent_on_external_id(setup):
    rows = f"B1,pothole,{EAST[0]},{EAST[1]},Groapă,2026-03-01T10:00:00Z,,,,\n"
    assert run(rows).imported == 1
    again = run(rows + f"B2,pothole,{EAST[0]},{EAST[1]},Alta,2026-03-01T11:00:00Z,,,,\n")
    assert again.imported == 1 and again.already_present == 1 and again.errors == []
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.external_id == "B1")) == 1
    assert len(events_of("B1")) == 2


def test_bad_rows_are_reported_by_line_and_left_out_while_good_rows_import(setup):
    result = run(
        f"C1,pothole,{EAST[0]},{EAST[1]},Bun,2026-03-01T10:00:00Z,,,,\n"
        f"C2,nope,{EAST[0]},{EAST[1]},Categorie greșită,2026-03-01T10:00:00Z,,,,\n"
        f'C3,pothole,{EAST[0]},{EAST[1]},"Pe două\nrânduri",2026-03-01T10:00:00Z,,,fixed,\n'
        f"C4,pothole,44.0,26.0,În afara orașului,2026-03-01T10:00:00Z,,,,\n"
        f"C5,pothole,{EAST[0]},{EAST[1]},Bun și el,2026-03-01T10:00:00Z,,,,\n"
        "C6,pothole,1\n")
    assert result.imported == 2
    reasons = {e.line: e.reason for e in result.errors}
    assert set(reasons) == {3, 4, 6, 8}
    assert "category: unknown code 'nope'" in reasons[3]
    assert "closed_at: is required for the closed status 'fixed'" in reasons[4]  # a two-line record
    assert "outside the area this city serves" in reasons[6]
    assert "has 3 fields" in reasons[8]
    imported = set(db.session.scalars(select(Report.external_id).where(Report.source == "import")))
    assert imported == {"C1", "C5"}


def test_a_file_without_the_columns_is_refused_as_a_whole(setup):
    with pytest.raises(ImportFileError, match="lacks the column"):
        import_csv(io.StringIO("external_id,category\nX,pothole\n"), now=NOW)


def test_cli_reports_bad_lines_and_exits_1(setup, runner, tmp_path):
    path = tmp_path / "old-register.csv"
    path.write_text(HEADER + f"D1,pothole,{EAST[0]},{EAST[1]},Bun,2026-03-01T10:00:00Z,,,,\n"
                    f"D2,pothole,{EAST[0]},{EAST[1]},Rău,2099-03-01T10:00:00Z,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["import-reports", str(path)])
    assert result.exit_code == 1
    assert "line 3: created_at: is in the future" in result.output
    assert "imported 1 report(s); 0 already present (skipped); 1 row(s) refused" in result.output
    again = runner.invoke(args=["import-reports", str(path)])
    assert "imported 0 report(s); 1 already present" in again.output
