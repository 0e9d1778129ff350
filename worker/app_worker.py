"""RQ workers that build the Flask app once and run every job inside its own app context."""

from __future__ import annotations

import os

from flask import Flask
from rq import SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue

from cityreport.extensions import db


class _AppContextMixin:
    app: Flask

    def __init__(self, *args, app: Flask, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app
        self._parent_pid = os.getpid()

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self.app.app_context():
            if os.getpid() != self._parent_pid:
                # Connections inherited through fork() belong to the parent; never reuse them.
                db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, execution)  # type: ignore[misc]
            finally:
                db.session.remove()


class AppWorker(_AppContextMixin, Worker):
    """Each job runs in a forked work horse: a crashing or leaking job cannot harm the worker."""


class SimpleAppWorker(_AppContextMixin, SimpleWorker):
    """Jobs run in the worker process itself: no fork per job, so the database pool and the SMTP
    connection are reused from one job to the next. Job timeouts still apply (SIGALRM)."""
