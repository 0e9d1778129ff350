"""Start the worker and the periodic-job scheduler: `python -m worker [--burst] [--no-scheduler] [--fork]`."""

from __future__ import annotations

import argparse
import logging

from redis import Redis

from cityreport import create_app
from cityreport.notifications.mail import close_transports
from cityreport.queue import QUEUE_NAMES
from worker.app_worker import AppWorker, SimpleAppWorker
from worker.scheduler import Scheduler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker", description="CityReport background worker")
    parser.add_argument("--burst", action="store_true",
                        help="Process what is queued, then exit (no scheduler unless --with-scheduler).")
    parser.add_argument("--no-scheduler", action="store_true", help="Do not run the periodic-job scheduler.")
    parser.add_argument("--with-scheduler", action="store_true", help="Run the scheduler even with --burst.")
    parser.add_argument("--fork", action="store_true",
                        help="Run each job in a forked work horse instead of in the worker process.")
    parser.add_argument("--name", default=None, help="Worker name (default: host and pid).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = create_app()
    redis = app.extensions["redis"]
    queues = [app.extensions["rq_queues"][name] for name in QUEUE_NAMES]
    worker_class = AppWorker if args.fork else SimpleAppWorker
    worker = worker_class(queues, connection=redis, app=app, name=args.name)

    stop = None
    if not args.no_scheduler and (not args.burst or args.with_scheduler):
        # Its own connection: the scheduler thread must not share a socket with the worker loop.
        scheduler_redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=3)
        scheduler = Scheduler(scheduler_redis, app.config["CITY_TIMEZONE"])
        if args.burst:
            scheduler.tick()
        else:
            _thread, stop = scheduler.start_thread()
    try:
        worker.work(burst=args.burst, with_scheduler=False)
    finally:
        if stop is not None:
            stop.set()
        with app.app_context():
            close_transports()


if __name__ == "__main__":
    main()
