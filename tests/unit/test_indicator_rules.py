"""The pure parts of the indicator definitions: months, Kaplan–Meier, percentiles, assembly, pooling."""

from datetime import UTC, date, datetime

import pytest

from cityreport.indicators import rules
from cityreport.indicators.rules import Observation as O

TZ = "Europe/Bucharest"


def test_parse_month_accepts_yyyy_mm_and_refuses_the_rest():
    assert rules.parse_month("2026-03") == date(2026, 3, 1)
    for bad in ("2026-13", "2026-00", "2026-3", "26-03", "", None, "2026-03-01", "march"):
        with pytest.raises(rules.MonthError):
            rules.parse_month(bad)


def test_march_in_bucharest_has_743_hours_and_starts_at_local_midnight():
    start, end = rules.month_bounds(date(2026, 3, 1), TZ)
    assert start == datetime(2026, 2, 28, 22, 0, tzinfo=UTC)  # EET, UTC+2
    assert end == datetime(2026, 3, 31, 21, 0, tzinfo=UTC)  # EEST, UTC+3 after 29 March
    assert (end - start).total_seconds() == (31 * 24 - 1) * 3600


def test_october_in_bucharest_has_745_hours():
    start, end = rules.month_bounds(date(2026, 10, 1), TZ)
    assert start == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 22, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == (31 * 24 + 1) * 3600


def test_consecutive_months_share_their_boundary_so_no_hour_is_dropped_or_counted_twice():
    month = date(2025, 1, 1)
    for _ in range(24):
        _, end = rules.month_bounds(month, TZ)
        month = rules.next_month(month)
        start, _ = rules.month_bounds(month, TZ)
        assert start == end


def test_month_of_uses_local_time():
    assert rules.month_of(datetime(2026, 3, 31, 21, 30, tzinfo=UTC), TZ) == date(2026, 4, 1)
    assert rules.month_of(datetime(2026, 3, 31, 20, 30, tzinfo=UTC), TZ) == date(2026, 3, 1)
    assert rules.month_of(datetime(2026, 10, 31, 21, 30, tzinfo=UTC), TZ) == date(2026, 10, 1)
    assert rules.month_of(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), TZ) == date(2026, 11, 1)


def test_last_months_and_neighbours():
    assert rules.last_months(date(2026, 2, 1), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert rules.previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert rules.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_kaplan_meier_without_censoring_is_the_empirical_curve():
    curve = rules.kaplan_meier([O(1, True), O(2, True), O(3, True), O(4, True)])
    assert curve == [(1, 0.75), (2, 0.5), (3, 0.25), (4, 0.0)]
    # S reaches 0.5 exactly at t=2 (no floating-point miss), and 0.1 only at t=4.
    assert rules.km_time_to(curve, 0.5) == 2
    assert rules.km_time_to(curve, 0.1) == 4


def test_kaplan_meier_censoring_keeps_open_reports_at_risk_until_they_leave():
    # Closed at 2 and 5; open ones censored at 3 and 6; one closed at 7.
    # t=2: 5 at risk, S = 4/5; censored at 3; t=5: 3 at risk, S = 4/5 * 2/3 = 8/15 (> 0.5);
    # censored at 6; t=7: 1 at risk, S = 0.
    observations = [O(2, True), O(3, False), O(5, True), O(6, False), O(7, True)]
    curve = rules.kaplan_meier(observations)
    assert [t for t, _ in curve] == [2, 5, 7]
    assert curve[1][1] == pytest.approx(8 / 15)
    assert rules.km_time_to(curve, 0.5) == 7
    summary = rules.km_summary(observations)
    assert summary["km_median_days"] == 7 and summary["km_p90_days"] == 7
    assert summary["still_open_pct"] == pytest.approx(40.0)
    assert summary["km_n"] == 5 and summary["still_open_n"] == 2


def test_a_censored_report_at_the_same_time_as_a_close_was_still_at_risk():
    curve = rules.kaplan_meier([O(1, True), O(1, False), O(2, True)])
    # At t=1 three are at risk: S = 2/3; then the censored one leaves; t=2: S = 0.
    assert curve[0] == (1, pytest.approx(2 / 3))
    assert curve[1][1] == 0.0


def test_kaplan_meier_median_is_none_when_fewer_than_half_close():
    summary = rules.km_summary([O(1, True), O(10, False), O(10, False)])
    assert summary["km_median_days"] is None and summary["km_p90_days"] is None
    assert summary["still_open_pct"] == pytest.approx(200 / 3)


def test_kaplan_meier_of_nothing_is_null_not_zero():
    summary = rules.km_summary([])
    assert summary == {"km_median_days": None, "km_p90_days": None, "still_open_pct": None,
                       "km_n": 0, "still_open_n": 0}


def test_percentile_cont_interpolates_like_postgresql():
    assert rules.percentile_cont([2, 4, 6, 6, 60, 264], 0.5) == 6
    assert rules.percentile_cont([2, 4, 6, 6, 60, 264], 0.9) == pytest.approx(162)
    assert rules.percentile_cont([1, 2], 0.5) == 1.5
    assert rules.percentile_cont([], 0.5) is None


def test_assemble_keeps_missing_data_null_and_rounds_to_two_decimals():
    metrics = rules.assemble({"received": 3, "ack_due_n": 3, "ack_on_time_n": 1, "ack_hours_median": 1.23456},
                             rules.km_summary([]), population=None)
    assert set(metrics) == set(rules.ALL_KEYS)
    assert metrics["ack_on_time_pct"] == 33.33
    assert metrics["ack_hours_median"] == 1.23
    assert metrics["on_time_pct"] is None  # nothing was due
    assert metrics["confirmed_fixed_pct"] is None and metrics["rating_mean"] is None
    assert metrics["per_10k_residents"] is None
    assert metrics["small_sample"] is True
    assert metrics["closed"] == 0 and metrics["feedback_n"] == 0


def test_small_sample_is_below_ten_received():
    assert rules.assemble({"received": 9}, {}, None)["small_sample"] is True
    assert rules.assemble({"received": 10}, {}, None)["small_sample"] is False


def test_per_10k_residents():
    assert rules.assemble({"received": 7}, {}, 100_000)["per_10k_residents"] == 0.7


def test_pool_months_adds_counts_and_recomputes_shares_from_numerators():
    jan = {"received": 10, "due_n": 10, "closed_on_time_n": 9, "feedback_yes_no_n": 1, "feedback_fixed_n": 1,
           "rating_n": 1, "rating_sum": 5, "open_at_end": 7}
    feb = {"received": 90, "due_n": 90, "closed_on_time_n": 45, "feedback_yes_no_n": 3, "feedback_fixed_n": 0,
           "rating_n": 3, "rating_sum": 3, "open_at_end": 4}
    pooled = rules.pool_months([jan, feb], population=200_000)
    assert pooled["received"] == 100
    assert pooled["on_time_pct"] == 54.0  # 54/100, not the mean of 90% and 50%
    assert pooled["confirmed_fixed_pct"] == 25.0
    assert pooled["rating_mean"] == 2.0
    assert pooled["open_at_end"] == 4  # the backlog at the end of the last month
    assert pooled["per_10k_residents"] == 5.0
    assert rules.pool_months([], None)["on_time_pct"] is None


def test_change_is_relative_and_null_without_a_base():
    assert rules.change(110, 100) == 10.0
    assert rules.change(5, None) is None
    assert rules.change(5, 0) is None


def test_one_csv_cell_for_every_export():
    # The annual report's CSV, `indicators show --format csv` and /opendata/indicators.csv write metrics alike.
    from cityreport.indicators.rules import csv_value

    assert [csv_value(v) for v in (None, True, False, 7, 3.0, 66.666, 12345.678, -0.001)] == \
        ["", "true", "false", 7, "3", "66.67", "12345.68", "0"]
