"""Pure rules of the notifications and the schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cityreport.core import outbox
from cityreport.notifications import rules
from cityreport.notifications.mail import is_permanent
from worker.schedule import SCHEDULE, Entry
from worker.scheduler import latest_slot, run_job_id

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_backoff_is_1_5_30_minutes_then_2_hours_then_give_up():
    delays = [outbox.next_attempt(n, NOW) for n in range(1, 6)]
    assert [d - NOW for d in delays[:4]] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                             timedelta(hours=2)]
    assert delays[4] is None
    assert outbox.MAX_ATTEMPTS == 5


@pytest.mark.parametrize("code,permanent", [(550, True), (554, True), (451, False), (421, False), (None, False)])
def test_only_5xx_replies_are_permanent(code, permanent):
    assert is_permanent(code) is permanent


def test_who_hears_of_what():
    assert rules.tells_reporter("created", "reporter")
    assert rules.tells_reporter("status", "staff")
    assert not rules.tells_reporter("reopened", "reporter")  # their own "not fixed"
    assert rules.tells_reporter("reopened", "staff")
    assert not rules.tells_reporter("routed", "system")
    assert not rules.tells_followers("created")
    assert rules.tells_followers("note")
    assert rules.tells_department_now("created", "immediate", True)
    assert not rules.tells_department_now("created", "daily", True)
    assert not rules.tells_department_now("created", "immediate", False)
    assert rules.asks_feedback("status", "fixed")
    assert not rules.asks_feedback("status", "unable_to_fix")


def test_tokens_verify_only_for_their_purpose_and_subject():
    token = rules.sign("secret", "unsubscribe", 42)
    assert rules.verify("secret", "unsubscribe", token) == 42
    assert rules.verify("secret", "confirm", token) is None
    assert rules.verify("other", "unsubscribe", token) is None
    assert rules.verify("secret", "unsubscribe", token.replace("42.", "43.")) is None
    assert rules.verify("secret", "unsubscribe", "garbage") is None
    assert len(rules.token_hash(token)) == 64


def test_a_city_day_is_a_utc_interval_that_follows_daylight_saving():
    spring = rules.day_window(date(2026, 3, 29), "Europe/Bucharest")  # clocks go forward: 23 hours
    assert spring.start == datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert spring.end - spring.start == timedelta(hours=23)
    assert rules.previous_day(datetime(2026, 3, 10, 22, 30, tzinfo=UTC), "Europe/Bucharest") == date(2026, 3, 10)


def test_schedule_ids_are_unique_and_every_entry_has_a_slot():
    ids = [entry.id for entry in SCHEDULE]
    assert len(ids) == len(set(ids))
    assert {"outbox-relay", "area-digests", "department-digests", "feedback-reminders", "retention",
            "indicators-previous-months"} <= set(ids)
    indicators = next(e for e in SCHEDULE if e.id == "indicators-previous-months")
    assert (indicators.func, indicators.queue, indicators.cron) == (
        "cityreport.indicators.jobs.build_previous_months", "indicators", "0 3 1 * *")


def test_the_monthly_slot_is_03_00_city_time_on_the_first():
    entry = next(e for e in SCHEDULE if e.id == "indicators-previous-months")
    # 1 April 2026 03:00 in Bucharest (UTC+3, summer time) is 00:00 UTC.
    slot = latest_slot(entry, datetime(2026, 4, 1, 0, 30, tzinfo=UTC), "Europe/Bucharest")
    assert slot == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    assert run_job_id(entry, slot) == "schedule-indicators-previous-months-20260401T0000Z"
    # Too late to catch up a week later: nothing is due.
    assert latest_slot(entry, datetime(2026, 4, 8, tzinfo=UTC), "Europe/Bucharest") is None


def test_a_restarted_worker_still_runs_a_recent_slot_but_not_an_old_one():
    entry = Entry("x", "m.f", "0 7 * * *", catch_up=timedelta(hours=6))
    assert latest_slot(entry, datetime(2026, 1, 5, 7, 20, tzinfo=UTC), "UTC") == datetime(2026, 1, 5, 7, 0,
                                                                                          tzinfo=UTC)
    assert latest_slot(entry, datetime(2026, 1, 5, 14, 0, tzinfo=UTC), "UTC") is None
