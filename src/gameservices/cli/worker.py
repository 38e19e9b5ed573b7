"""The ``gameservices worker`` command: the scheduler of scheduled transitions and the webhook dispatcher without
the HTTP API, for deployments that run them apart (any number of workers and servers may share one database)."""

import logging
import signal
import sys
import threading
from types import FrameType
from typing import Annotated

import typer

from gameservices.cli.common import open_database
from gameservices.scheduler import INTERVAL_SECONDS, start_scheduler
from gameservices.settings import Settings
from gameservices.webhooks.dispatcher import start_dispatcher


def worker(
    interval: Annotated[
        float, typer.Option(help="Seconds between looks for due transitions.", min=0.05, max=2.0)
    ] = INTERVAL_SECONDS,
) -> None:
    """Run due scheduled transitions and deliver webhooks until SIGTERM or SIGINT (the database must be
    migrated already)."""
    settings = Settings()
    engine = open_database(settings.database_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler = start_scheduler(
        engine, interval_seconds=interval, log_retention_days=settings.event_log_retention_days
    )
    dispatcher = start_dispatcher(
        engine,
        allow_private=settings.allow_private_webhooks,
        lease_seconds=settings.webhook_lease_seconds,
        retention_days=settings.event_log_retention_days,
    )
    sys.stdout.write(f"Running scheduled transitions and webhooks on {engine.url.render_as_string()}\n")
    sys.stdout.flush()
    try:
        # A bounded wait keeps the main thread returning to Python, where signal handlers run.
        while not stopping.wait(0.2):
            pass
    finally:
        dispatcher.stop()
        scheduler.stop()
        engine.dispose()
