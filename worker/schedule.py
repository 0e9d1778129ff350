"""The periodic jobs, declared as data. Ids are stable: they name the Redis claims that keep two
schedulers from enqueueing the same run twice, so renaming one re-runs its current slot once.

`cron` is a five-field cron expression in the city's time zone (CITY_TIMEZONE). `catch_up` is how
late a run may still start: a worker restarted at 07:20 still sends the 07:00 digests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Entry:
    id: str
    func: str  # dotted path, imported by the worker that runs it
    cron: str
    queue: str = "default"
    catch_up: timedelta = timedelta(hours=6)
    args: tuple = field(default_factory=tuple)
    timeout: int | None = None


SCHEDULE: tuple[Entry, ...] = (
    Entry("outbox-relay", "cityreport.notifications.jobs.relay_outbox", "* * * * *", queue="notifications",
          catch_up=timedelta(minutes=2)),
    Entry("area-digests", "cityreport.notifications.jobs.send_area_digests", "0 7 * * *", queue="notifications"),
    Entry("department-digests", "cityreport.notifications.jobs.send_department_digests", "30 7 * * *",
          queue="notifications"),
    Entry("feedback-reminders", "cityreport.notifications.jobs.send_feedback_reminders", "0 10 * * *",
          queue="notifications"),
    Entry("retention", "cityreport.notifications.jobs.apply_retention", "30 3 * * *", queue="default"),
    Entry("indicators-previous-months", "cityreport.indicators.jobs.build_previous_months", "0 3 1 * *",
          queue="indicators", catch_up=timedelta(days=2), timeout=1800),
)
