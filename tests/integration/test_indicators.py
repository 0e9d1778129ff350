"""The monthly indicators on a small hand-built city, with every expected number worked out here.

March 2026 in Europe/Bucharest runs from 2026-02-28 22:00 UTC to 2026-03-31 21:00 UTC (the clocks
go forward on 29 March). The computation time is 2026-04-20 12:00 UTC. Category A (department D1)
has an acknowledgement target of 48 h and a resolution target of 14 days; category B (department
D2) 24 h and 7 days. Department D3 and category C have no reports at all.

    R1  A  created 03-02 10:00, ack +6 h, fixed 03-05 10:00 (3 d); feedback "fixed", rating 5
    R2  A  created 03-10 08:00, ack +60 h (late), fixed 03-30 08:00 (20 d; due 03-24: late)
    R3  A  created 03-15 12:00, ack +2 h, in progress, still open (due 03-29: past due at the end)
    R4  A  created 02-01 09:00, ack 02-02, still open (past due and over 30 days at the end of March)
    R5  A  created 03-20 09:00, closed as duplicate 03-20 15:00 (acknowledged by the closing, 6 h)
    R6  A  created 03-05, marked invalid 03-06: left out of everything
    R7  A  created 02-20 10:00, fixed 02-25, reopened 03-03 10:00 (after "not fixed", rating 2),
           fixed again 03-08 10:00 (16 d; due 03-06: late)
    R8  A  created 03-31 21:30 UTC = 1 April 00:30 local: April, not March
    R9  B  created 03-31 20:30 UTC = 31 March 23:30 local: March; never looked at
    R10 A  created 02-28 22:30 UTC = 1 March 00:30 local: March; came to D1 from D2 by reassignment;
           ack +4 h, fixed 03-04 22:30 (4 d); feedback "don't know"
    R11 A  created 02-28 21:30 UTC = 28 Feb 23:30 local: February; fixed 03-02 21:30 (2 d, on time)
    R12 A  created 03-25 10:00, fixed straight from new on 04-05 10:00 (open at the end of March)
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cityreport.extensions import db
from cityreport.indicators import jobs, services
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.notifications.models import Feedback
from cityreport.reports import services as reports
from cityreport.reports.services import NewReport
from tests.conftest import CENTER

MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


def t(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture()
def city(db_session, make_jurisdiction, make_department, make_category):
    make_jurisdiction(population=100_000)
    d1, d2, d3 = make_department(slug="d1"), make_department(slug="d2"), make_department(slug="d3")
    a = make_category(code="a", default_department=d1, ack_target_hours=48, resolve_target_days=14)
    b = make_category(code="b", default_department=d2, ack_target_hours=24, resolve_target_days=7)
    c = make_category(code="c", default_department=d3)
    made: dict[str, object] = {"d1": d1, "d2": d2, "d3": d3, "a": a, "b": b, "c": c}
    feedback_no = iter(range(1000))

    def report(name, category, created, department=None):
        r = reports.create_report(NewReport(category=category, lat=CENTER[0], lon=CENTER[1], description=name,
                                            created_at=created, department_id=department.id if department else None,
                                            external_id=name), notify=False)
        made[name] = r
        return r

    def status(r, to, at):
        reports.change_status(r, to, at=at, notify=False)

    def feedback(r, answer, rating, at):
        db.session.add(Feedback(report_id=r.id, token_hash=f"tok-{next(feedback_no)}", requested_at=at,
                                expires_at=at + timedelta(days=30), answer=answer, rating=rating, at=at))
        reports.record_feedback_event(r, answer, at=at)

    r1 = report("R1", a, t(3, 2, 10))
    status(r1, "acknowledged", t(3, 2, 16))
    status(r1, "fixed", t(3, 5, 10))
    feedback(r1, "fixed", 5, t(3, 6, 10))

    r2 = report("R2", a, t(3, 10, 8))
    status(r2, "acknowledged", t(3, 12, 20))
    status(r2, "fixed", t(3, 30, 8))

    r3 = report("R3", a, t(3, 15, 12))
    status(r3, "acknowledged", t(3, 15, 14))
    status(r3, "in_progress", t(3, 16, 9))

    r4 = report("R4", a, t(2, 1, 9))
    status(r4, "acknowledged", t(2, 2, 9))

    r5 = report("R5", a, t(3, 20, 9))
    reports.mark_duplicate(r5, r3, staff=None, at=t(3, 20, 15), notify=False)

    r6 = report("R6", a, t(3, 5, 11))
    status(r6, "invalid", t(3, 6, 11))
    feedback(r6, "fixed", 1, t(3, 7, 10))  # left out with its report

    r7 = report("R7", a, t(2, 20, 10))
    status(r7, "acknowledged", t(2, 20, 12))
    status(r7, "fixed", t(2, 25, 10))
    feedback(r7, "not_fixed", 2, t(3, 3, 9))
    status(r7, "acknowledged", t(3, 3, 10))  # reopened
    status(r7, "fixed", t(3, 8, 10))

    report("R8", a, t(3, 31, 21, 30))
    report("R9", b, t(3, 31, 20, 30))

    r10 = report("R10", a, t(2, 28, 22, 30), department=d2)
    reports.reassign(r10, d1.id, staff=None, reason="not ours", at=t(3, 1, 1))
    status(r10, "acknowledged", t(3, 1, 2, 30))
    status(r10, "fixed", t(3, 4, 22, 30))
    feedback(r10, "dont_know", None, t(3, 10, 10))

    r11 = report("R11", a, t(2, 28, 21, 30))
    status(r11, "fixed", t(3, 2, 21, 30))
    feedback(r11, "fixed", 4, t(4, 2, 10))  # April's answer, not March's

    r12 = report("R12", a, t(3, 25, 10))
    status(r12, "fixed", t(4, 5, 10))
    db.session.flush()
    return made


def _city_march():
    return services.compute_month(MARCH, now=NOW)


def test_every_city_metric_for_march(city):
    m = _city_march()[("city", 0)]
    expected = {
        # R1 R2 R3 R5 R9 R10 R12 (R6 invalid, R8 April, R11 and R4 and R7 February)
        "received": 7,
        # closed_at in March: R1 R2 R5 R7 R10 R11; of which fixed: all but the duplicate R5
        "closed": 6, "fixed": 5,
        # R3 (in progress), R4 (acknowledged), R9 (new), R12 (new at the end, fixed in April)
        "open_at_end": 4,
        # hours to acknowledge: R3 2, R10 4, R1 6, R5 6, R2 60, R12 264 -> median 6, p90 60+0.5*204
        "ack_hours_median": 6.0, "ack_hours_p90": 162.0, "ack_hours_n": 6,
        # all 7 deadlines have passed; on time: R1 R3 R5 R10 -> 4/7
        "ack_on_time_pct": 57.14, "ack_due_n": 7, "ack_on_time_n": 4,
        # days to close: R5 0.25, R11 2, R1 3, R10 4, R7 16, R2 20 -> median 3.5, p90 16+0.5*4
        "close_days_median": 3.5, "close_days_p90": 18.0, "close_days_n": 6,
        # due in March: R1 (on time), R2 (late), R3 (open), R7 (late), R10 (on time), R11 (on time)
        "on_time_pct": 50.0, "due_n": 6, "closed_on_time_n": 3,
        # KM over R5 0.25, R1 3, R10 4, R12 11, R9 censored 19.65, R2 20, R3 censored 36:
        # S = 6/7, 5/7, 4/7, 3/7 at t=11 (first <= 0.5); 3/14 at 20; never <= 0.1
        "km_median_days": 11.0, "km_p90_days": None, "still_open_pct": 28.57, "km_n": 7, "still_open_n": 2,
        "duplicates": 1,
        # of the 4 open at the end: R3 (due 03-29) and R4 (due 02-15) past due; R4 older than 30 days
        "open_past_due_at_end": 2, "open_over_30_days_at_end": 1,
        "reassigned": 1,  # R10
        "reopened": 1,  # R7 on 03-03
        # answers in March: R1 fixed/5, R7 not fixed/2, R10 don't know (R6 invalid, R11 April)
        "feedback_n": 3, "feedback_yes_no_n": 2, "feedback_fixed_n": 1, "confirmed_fixed_pct": 50.0,
        "rating_mean": 3.5, "rating_n": 2, "rating_sum": 7,
        "per_10k_residents": 0.7,  # 7 / 100,000 * 10,000
        "small_sample": True,
    }
    assert {k: m[k] for k in expected} == expected


def test_department_scope_is_the_current_department(city):
    result = _city_march()
    d1 = result[("department", city["d1"].id)]
    d2 = result[("department", city["d2"].id)]
    # D1: R1 R2 R3 R5 R10 (moved in from D2) R12; D2: R9
    assert d1["received"] == 6 and d2["received"] == 1
    assert d1["reassigned"] == 1 and d2["reassigned"] == 0
    assert d2["open_at_end"] == 1 and d2["ack_on_time_pct"] == 0.0 and d2["ack_hours_median"] is None
    assert d2["km_median_days"] is None and d2["still_open_pct"] == 100.0
    assert result[("category", city["b"].id)]["received"] == 1
    assert result[("category", city["a"].id)]["received"] == 6


def test_an_empty_department_and_category_have_nulls_not_zeros_that_look_like_data(city):
    result = _city_march()
    for key in (("department", city["d3"].id), ("category", city["c"].id)):
        m = result[key]
        assert m["received"] == 0 and m["closed"] == 0 and m["open_at_end"] == 0 and m["feedback_n"] == 0
        for metric in ("ack_hours_median", "ack_hours_p90", "ack_on_time_pct", "close_days_median",
                       "close_days_p90", "on_time_pct", "km_median_days", "km_p90_days", "still_open_pct",
                       "confirmed_fixed_pct", "rating_mean", "per_10k_residents"):
            assert m[metric] is None, metric
        assert m["small_sample"] is True


def test_the_dst_boundary_assigns_reports_by_local_time(city):
    april = services.compute_month(date(2026, 4, 1), now=NOW)[("city", 0)]
    # R8 (1 April 00:30 local) is April's only report.
    assert april["received"] == 1
    february = services.compute_month(date(2026, 2, 1), now=NOW)[("city", 0)]
    # R4 R7 R11 (28 Feb 23:30 local), not R10 (1 March 00:30 local)
    assert february["received"] == 3


def test_october_boundary_when_the_clocks_go_back(db_session, make_jurisdiction, make_category):
    make_jurisdiction()
    category = make_category()
    for name, created in (("first", datetime(2026, 9, 30, 21, 30, tzinfo=UTC)),  # 1 Oct 00:30 EEST
                          ("last", datetime(2026, 10, 31, 21, 30, tzinfo=UTC)),  # 31 Oct 23:30 EET
                          ("next", datetime(2026, 10, 31, 22, 30, tzinfo=UTC)),  # 1 Nov 00:30 EET
                          ("before", datetime(2026, 9, 30, 20, 30, tzinfo=UTC))):  # 30 Sep 23:30 EEST
        reports.create_report(NewReport(category=category, lat=CENTER[0], lon=CENTER[1], description=name,
                                        created_at=created), notify=False)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    assert services.compute_month(date(2026, 10, 1), now=later)[("city", 0)]["received"] == 2
    assert services.compute_month(date(2026, 11, 1), now=later)[("city", 0)]["received"] == 1
    assert services.compute_month(date(2026, 9, 1), now=later)[("city", 0)]["received"] == 1


def test_open_at_end_comes_from_the_history_so_later_changes_do_not_rewrite_it(city):
    before = _city_march()[("city", 0)]
    # R3 is fixed in April and R4 is closed too: March's backlog was still 4 at the end of March.
    reports.change_status(city["R3"], "fixed", at=t(4, 10, 9), notify=False)
    reports.change_status(city["R4"], "unable_to_fix", at=t(4, 11, 9), notify=False)
    after = _city_march()[("city", 0)]
    assert before["open_at_end"] == after["open_at_end"] == 4
    assert after["open_past_due_at_end"] == 2 and after["open_over_30_days_at_end"] == 1
    # What the cohort did next does change the survival figures: R3 is no longer censored.
    assert after["still_open_pct"] == 14.29  # only R9 of 7
    # A report reopened after the month ended counts as closed at the end of that month.
    reports.change_status(city["R1"], "acknowledged", at=t(4, 12, 9), notify=False)
    reopened_later = _city_march()[("city", 0)]
    assert reopened_later["open_at_end"] == 4
    assert reopened_later["closed"] == 5  # R1 is no longer closed, so it no longer counts as closed in March


def test_an_invalid_report_is_left_out_of_every_figure(city):
    before = _city_march()[("city", 0)]
    reports.change_status(city["R2"], "acknowledged", at=t(4, 1, 9), notify=False)  # reopen
    reports.change_status(city["R2"], "invalid", at=t(4, 1, 10), notify=False)
    after = _city_march()[("city", 0)]
    assert after["received"] == before["received"] - 1
    assert after["closed"] == before["closed"] - 1
    assert after["due_n"] == before["due_n"] - 1
    assert after["ack_hours_n"] == before["ack_hours_n"] - 1


def test_build_stores_one_snapshot_per_scope_and_rebuilding_replaces_them(city):
    first = services.build_month(MARCH, now=NOW)
    # city + d1 d2 d3 + a b c (+ any departments the fixtures created for the categories)
    count = db.session.scalar(select(func.count()).select_from(IndicatorSnapshot)
                              .where(IndicatorSnapshot.month == MARCH))
    assert count == first.snapshots >= 7
    city_row = db.session.scalars(select(IndicatorSnapshot).where(IndicatorSnapshot.scope == "city")).one()
    assert city_row.definition_version == 1 and city_row.computed_at == NOW
    assert city_row.metrics["received"] == 7
    later = NOW + timedelta(days=3)
    services.build_month(MARCH, now=later)
    rows = list(db.session.scalars(select(IndicatorSnapshot).where(IndicatorSnapshot.month == MARCH)))
    assert len(rows) == count
    assert {r.computed_at for r in rows} == {later}
    assert next(r for r in rows if r.scope == "city").metrics["received"] == 7


def test_month_payload_has_the_published_shape(city):
    services.build_month(MARCH, now=NOW)
    payload = services.month_payload(MARCH, "en")
    assert list(payload) == ["month", "definition_version", "computed_at", "city", "departments", "categories"]
    assert payload["month"] == "2026-03" and payload["definition_version"] == 1
    assert payload["computed_at"] == "2026-04-20T12:00:00Z"
    assert payload["city"]["received"] == 7
    d1 = next(d for d in payload["departments"] if d["slug"] == "d1")
    assert d1["name"] == city["d1"].name_en and d1["received"] == 6
    cat = next(c for c in payload["categories"] if c["code"] == "a")
    assert cat["name"] == city["a"].name_en and "on_time_pct" in cat
    assert services.month_payload(date(2020, 1, 1), "en") is None


def test_cli_build_and_show_json_and_csv(city, runner):
    result = runner.invoke(args=["indicators", "build", "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    assert "built 2026-03" in result.output
    shown = runner.invoke(args=["indicators", "show", "--month", "2026-03", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.output)
    assert payload["month"] == "2026-03" and payload["city"]["received"] == 7
    as_csv = runner.invoke(args=["indicators", "show", "--month", "2026-03", "--format", "csv"])
    lines = as_csv.output.splitlines()
    assert lines[0].startswith("month,definition_version,scope,id,name,received,closed,")
    assert lines[1].startswith("2026-03,1,city,,,7,6,5,4,")
    assert any(line.startswith("2026-03,1,department,d3,") for line in lines)
    missing = runner.invoke(args=["indicators", "show", "--month", "2019-01"])
    assert missing.exit_code == 1 and "has not been built" in missing.output
    bad = runner.invoke(args=["indicators", "build", "--month", "2026-3"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_api_returns_the_same_json(city, client):
    services.build_month(MARCH, now=NOW)
    response = client.get("/api/v1/indicators?month=2026-03", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.get_json() == services.month_payload(MARCH, "en")


@pytest.mark.parametrize("month", ["2026-13", "March", "", "2026-3"])
def test_api_refuses_a_bad_month_naming_the_field(client, month):
    response = client.get(f"/api/v1/indicators?month={month}")
    assert response.status_code == 400
    assert "month" in response.get_json()["error"]["fields"]


def test_api_says_404_for_a_month_not_built(client):
    response = client.get("/api/v1/indicators?month=2019-05")
    assert response.status_code == 404
    assert "2019-05" in response.get_json()["error"]["message"]


def test_the_scheduled_job_builds_last_month_and_rebuilds_the_one_before(city):
    # 1 May 2026, 03:00 in Bucharest
    built = jobs.build_previous_months(now=datetime(2026, 5, 1, 0, 0, tzinfo=UTC))
    assert built == ["2026-03", "2026-04"]
    months = set(db.session.scalars(select(IndicatorSnapshot.month).distinct()))
    assert months == {date(2026, 3, 1), date(2026, 4, 1)}


def test_the_worker_schedule_runs_the_job_on_the_first_at_three():
    from worker import schedule

    entries = [e for e in schedule.SCHEDULE if e.func == "cityreport.indicators.jobs.build_previous_months"]
    assert len(entries) == 1 and entries[0].cron == "0 3 1 * *"
