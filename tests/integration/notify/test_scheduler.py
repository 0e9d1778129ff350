"""The periodic-job scheduler on real Redis: each slot is enqueued once, however many schedulers run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue

from tests.conftest import TEST_REDIS_URL
from worker.schedule import SCHEDULE, Entry
from worker.scheduler import Scheduler

ENTRIES = (
    Entry("every-minute", "cityreport.notifications.jobs.relay_outbox", "* * * * *", queue="notifications",
          catch_up=timedelta(minutes=2)),
    Entry("daily", "cityreport.notifications.jobs.send_area_digests", "0 7 * * *", queue="notifications"),
)


def test_two_schedulers_enqueue_each_slot_once(redis_conn):
    now = datetime(2026, 5, 4, 4, 10, 30, tzinfo=UTC)  # 07:10 in Bucharest: the daily slot is 10 minutes old
    first = Scheduler(redis_conn, "Europe/Bucharest", ENTRIES, name="a")
    second = Scheduler(redis_conn, "Europe/Bucharest", ENTRIES, name="b")
    assert sorted(first.tick(now)) == ["schedule-daily-20260504T0400Z", "schedule-every-minute-20260504T0410Z"]
    assert second.tick(now) == []
    assert first.tick(now + timedelta(seconds=5)) == []
    assert Queue("notifications", connection=redis_conn).count == 2
    # The next minute brings one new relay run, still once.
    later = now + timedelta(minutes=1)
    assert second.tick(later) == ["schedule-every-minute-20260504T0411Z"]
    assert first.tick(later) == []
    assert Queue("notifications", connection=redis_conn).count == 3


def test_schedulers_racing_in_threads_enqueue_once(redis_conn):
    now = datetime(2026, 5, 4, 4, 10, 30, tzinfo=UTC)
    results: list[list[str]] = []
    # Separate connections, as separate worker processes would have.
    schedulers = [Scheduler(Redis.from_url(TEST_REDIS_URL), "Europe/Bucharest", ENTRIES, name=f"s{i}")
                  for i in range(4)]
    barrier = threading.Barrier(len(schedulers))

    def run(scheduler: Scheduler) -> None:
        barrier.wait()
        results.append(scheduler.tick(now))

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job for jobs in results for job in jobs) == ["schedule-daily-20260504T0400Z",
                                                               "schedule-every-minute-20260504T0410Z"]
    assert Queue("notifications", connection=redis_conn).count == 2


def test_the_real_schedule_enqueues_the_relay_and_the_monthly_indicators_on_their_queues(redis_conn):
    scheduler = Scheduler(redis_conn, "Europe/Bucharest", SCHEDULE)
    enqueued = scheduler.tick(datetime(2026, 4, 1, 0, 0, 20, tzinfo=UTC))  # 03:00:20 on the 1st, city time
    assert "schedule-indicators-previous-months-20260401T0000Z" in enqueued
    assert "schedule-outbox-relay-20260401T0000Z" in enqueued
    [indicator_job] = Queue("indicators", connection=redis_conn).get_jobs()
    assert indicator_job.func_name == "cityreport.indicators.jobs.build_previous_months"
    assert Scheduler(redis_conn, "Europe/Bucharest", SCHEDULE).tick(datetime(2026, 4, 1, 0, 0, 40, tzinfo=UTC)) == []
