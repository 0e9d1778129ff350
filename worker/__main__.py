"""Start the worker: `python -m worker [--burst]`."""

from __future__ import annotations

import argparse
import logging

from cityreport import create_app
from cityreport.queue import QUEUE_NAMES
from worker.app_worker import AppWorker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker", description="CityReport background worker")
    parser.add_argument("--burst", action="store_true", help="Process what is queued, then exit.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = create_app()
    redis = app.extensions["redis"]
    queues = [app.extensions["rq_queues"][name] for name in QUEUE_NAMES]
    worker = AppWorker(queues, connection=redis, app=app)
    worker.work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
