"""Row checks for `import-reports`, without the database."""

from datetime import UTC, datetime

from cityreport.reports.import_rules import ImportRow, RowError, check_header, parse_timestamp, validate_row

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CATEGORIES = {"groapa": 1}
DEPARTMENTS = {"drumuri": 7}
GOOD = {"external_id": "X-1", "category": "groapa", "lat": "46.77", "lon": "23.62", "description": "Groapă",
        "created_at": "2026-03-01T10:00:00+02:00", "acknowledged_at": "", "closed_at": "", "status": "",
        "department": ""}


def check(**changes):
    return validate_row(5, {**GOOD, **changes}, categories=CATEGORIES, departments=DEPARTMENTS,
                        timezone="Europe/Bucharest", now=NOW, seen_ids=set())


def test_header_must_have_every_column():
    assert check_header(list(GOOD)) is None
    assert "status" in check_header([c for c in GOOD if c != "status"])
    assert "empty" in check_header(None)


def test_timestamps_are_iso_8601_and_local_when_without_offset():
    assert parse_timestamp("2026-03-01T10:00:00Z", "Europe/Bucharest") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_timestamp("2026-03-01 10:00", "Europe/Bucharest") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert parse_timestamp("2026-07-01T10:00", "Europe/Bucharest") == datetime(2026, 7, 1, 7, tzinfo=UTC)


def test_a_good_open_row():
    row = check()
    assert isinstance(row, ImportRow)
    assert row.status == "new" and row.department_id is None and row.category_id == 1
    assert row.created_at == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_a_closed_row_without_acknowledgement_was_acknowledged_when_closed():
    row = check(closed_at="2026-03-03T10:00:00Z", status="fixed", department="drumuri")
    assert row.acknowledged_at == row.closed_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert row.department_id == 7


def test_an_acknowledged_row_defaults_to_status_acknowledged():
    assert check(acknowledged_at="2026-03-01T12:00:00Z").status == "acknowledged"


def test_bad_rows_name_the_line_and_every_problem():
    error = check(external_id="", category="nope", lat="91", lon="abc", description=" ", created_at="yesterday",
                  department="nowhere")
    assert isinstance(error, RowError) and error.line == 5
    for part in ("external_id: is required", "category: unknown code 'nope'", "lat:", "lon:", "description:",
                 "created_at: 'yesterday' is not an ISO 8601", "department: unknown slug 'nowhere'"):
        assert part in error.reason
    assert str(error).startswith("line 5: ")


def test_timestamps_must_be_in_order_and_not_in_the_future():
    assert "acknowledged_at: is before created_at" in check(acknowledged_at="2026-02-01T00:00:00Z").reason
    assert "closed_at: is before created_at" in check(closed_at="2026-02-01T00:00:00Z", status="fixed").reason
    assert "after closed_at" in check(acknowledged_at="2026-03-05T00:00:00Z", closed_at="2026-03-04T00:00:00Z",
                                      status="fixed").reason
    assert "in the future" in check(created_at="2027-01-01T00:00:00Z").reason


def test_status_and_closing_must_agree():
    assert "closed_at: is required for the closed status 'fixed'" in check(status="fixed").reason
    assert "must be empty for the open status" in check(status="acknowledged", acknowledged_at="2026-03-02",
                                                        closed_at="2026-03-03").reason
    assert "status: is required when closed_at is given" in check(closed_at="2026-03-03").reason
    assert "unknown status 'done'" in check(status="done").reason
    assert "acknowledged_at: is required" in check(status="in_progress").reason
    assert "cannot still be 'new'" in check(status="new", acknowledged_at="2026-03-02").reason


def test_a_repeated_external_id_in_the_file_is_refused():
    seen: set[str] = set()
    first = validate_row(2, GOOD, categories=CATEGORIES, departments=DEPARTMENTS, timezone="Europe/Bucharest",
                         now=NOW, seen_ids=seen)
    second = validate_row(3, GOOD, categories=CATEGORIES, departments=DEPARTMENTS, timezone="Europe/Bucharest",
                          now=NOW, seen_ids=seen)
    assert isinstance(first, ImportRow)
    assert isinstance(second, RowError) and "appears earlier in the file" in second.reason
