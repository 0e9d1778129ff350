"""An RQ worker that builds the Flask app once and runs every job inside its own app context."""

from __future__ import annotations

import os

from flask import Flask
from rq import Worker
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue

from cityreport.extensions import db


class AppWorker(Worker):
    """Jobs run in a forked work horse; each gets a fresh app context and its own DB connections."""

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
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()
