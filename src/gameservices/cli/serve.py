"""``gameservices serve``: the HTTP API in a process tuned for serving.

Interpreter settings of a long-running server process: the live state is millions of long-lived objects
without reference cycles, and every batch of events allocates tens of thousands of short-lived ones (bucket
copies, keys, awards). With the default thresholds the cyclic collector runs a young-generation pass every
700 allocations and keeps re-reading what each batch left behind; fewer, larger passes cost far less and
still free the rare cycle. Worker threads hand their results back to the event loop: a short switch interval
lets a thread waiting for the interpreter lock take it sooner than the default 5 ms, which otherwise shows
as request latency.
"""

import gc
import sys
from typing import Annotated

import typer

from gameservices.cli.common import print_json
from gameservices.services import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import Checkpointer, open_engine, read_transaction, write_transaction
from gameservices.storage.log_wakeups import LogListener
from gameservices.storage.migrate import upgrade

GC_THRESHOLDS = (100_000, 50, 100)
SWITCH_INTERVAL_SECONDS = 0.0005


def tune_for_serving() -> None:
    """Apply the server's collector thresholds and thread switch interval to this process."""
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def freeze_loaded_state() -> None:
    """Move everything alive now (the loaded state) out of the collector's sight for good."""
    gc.collect()
    gc.freeze()


def listen_address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: the command-line options when given, else ``GAMESERVICES_HOST`` / ``_PORT``."""
    return (settings.host if host is None else host, settings.port if port is None else port)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: GAMESERVICES_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: GAMESERVICES_PORT or 8000].")
    ] = None,
) -> None:
    """Start the HTTP API (migrating the database first)."""
    import uvicorn

    from gameservices.api.app import create_app
    from gameservices.scheduler import start_scheduler

    settings = Settings()
    host, port = listen_address(settings, host, port)
    engine = open_engine(settings.database_url)
    upgrade(engine)
    if settings.create_demo_partner:
        with write_transaction(engine) as conn:
            demo = partner_service.ensure_demo_partner(conn)
        if demo is not None:
            sys.stdout.write("Created the demo partner (keep these; they are shown once):\n")
            print_json(demo)
    sys.stdout.write(f"Serving http://{host}:{port}/api/v1 on {engine.url.render_as_string()}\n")
    sys.stdout.flush()
    application = create_app(settings, engine)
    with read_transaction(engine) as conn:
        # Every partner's rules, buckets and rank indexes are loaded before the first request, not by it.
        application.state.live.warm_up(
            conn, [partner["partnerId"] for partner in partner_service.list_partners(conn)]
        )
    # The loaded state lives as long as the process: keep the collector from scanning it again and again.
    freeze_loaded_state()
    tune_for_serving()
    scheduler = start_scheduler(engine, log_retention_days=settings.event_log_retention_days)
    checkpointer = Checkpointer(engine).start()
    live = application.state.live
    listener = LogListener(engine, lambda partner_ids: live.follow(engine, partner_ids)).start()
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning")
    finally:
        listener.stop()
        scheduler.stop()
        checkpointer.stop()
