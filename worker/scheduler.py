"""Runs worker/schedule.py: enqueues each entry's job once per cron slot, however many schedulers run.

Every scheduler computes the same slots (cron in CITY_TIMEZONE); the first to SET the Redis key
`cityreport:schedule:<id>:<slot>` with NX enqueues the job, the others see the key and do nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from worker.schedule import SCHEDULE, Entry

log = logging.getLogger(__name__)

CLAIM_PREFIX = "cityreport:schedule"
TICK_SECONDS = 5.0


def latest_slot(entry: Entry, now: datetime, tz: str) -> datetime | None:
    """The most recent cron time of ``entry`` at or before ``now``, if it is still within catch-up."""
    local_now = now.astimezone(ZoneInfo(tz))
    itr = croniter(entry.cron, local_now + timedelta(microseconds=1))
    slot: datetime = itr.get_prev(datetime)
    if now - slot > entry.catch_up:
        return None
    return slot.astimezone(UTC)


def claim_key(entry: Entry, slot: datetime) -> str:
    return f"{CLAIM_PREFIX}:{entry.id}:{int(slot.timestamp())}"


def run_job_id(entry: Entry, slot: datetime) -> str:
    return f"schedule-{entry.id}-{slot.strftime('%Y%m%dT%H%MZ')}"


class Scheduler:
    def __init__(self, connection: Redis, tz: str, entries: Iterable[Entry] = SCHEDULE, name: str | None = None):
        self.connection = connection
        self.tz = tz
        self.entries = tuple(entries)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        ids = [entry.id for entry in self.entries]
        if len(ids) != len(set(ids)):
            raise ValueError("schedule ids must be unique")

    def tick(self, now: datetime | None = None) -> list[str]:
        """Enqueue what is due now and not yet claimed by any scheduler; returns the job ids enqueued."""
        now = now or datetime.now(UTC)
        enqueued = []
        for entry in self.entries:
            slot = latest_slot(entry, now, self.tz)
            if slot is None:
                continue
            key = claim_key(entry, slot)
            ttl = int((entry.catch_up + timedelta(hours=1)).total_seconds())
            if not self.connection.set(key, self.name, nx=True, ex=ttl):
                continue
            job_id = run_job_id(entry, slot)
            try:
                Queue(entry.queue, connection=self.connection).enqueue(
                    entry.func, *entry.args, job_id=job_id, job_timeout=entry.timeout,
                    result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
            except RedisError:
                self.connection.delete(key)  # let this or another scheduler try the slot again
                raise
            log.info("scheduled %s (%s) on %s", entry.id, job_id, entry.queue)
            enqueued.append(job_id)
        return enqueued

    def run(self, stop: threading.Event) -> None:
        log.info("scheduler %s: %d periodic jobs, cron in %s", self.name, len(self.entries), self.tz)
        while not stop.is_set():
            try:
                self.tick()
            except RedisError as exc:
                log.warning("scheduler: Redis unavailable, will retry: %s", exc)
            except Exception:
                log.exception("scheduler tick failed")
            stop.wait(TICK_SECONDS)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="cityreport-scheduler", daemon=True)
        thread.start()
        return thread, stop
