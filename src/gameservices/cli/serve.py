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
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from gameservices.cli.common import print_json
from gameservices.projection.checkpoint import CheckpointThread
from gameservices.services import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import (
    Checkpointer,
    Engine,
    is_sqlite,
    open_engine,
    read_transaction,
    write_transaction,
)
from gameservices.storage.doorbells import Doorbells
from gameservices.storage.log_wakeups import LogListener, LogPoller, listen_locally
from gameservices.storage.migrate import upgrade

if TYPE_CHECKING:
    import uvicorn

    from gameservices.api.app import Application

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
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes on this port, each with its own state following the event log.",
        ),
    ] = 1,
) -> None:
    """Start the HTTP API (migrating the database first)."""

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
    if workers > 1:
        engine.dispose()
        _run_workers(workers, host, port)
        return
    application, stop = _served(settings, engine)
    try:
        _server(application, host=host, port=port).run()
    finally:
        stop()


def _run_workers(workers: int, host: str, port: int) -> None:
    """Run `workers` server processes on one port, each with its own application following the event log, and
    wait for them; SIGTERM or SIGINT stops them all.

    Each worker binds its own socket with SO_REUSEPORT, so the kernel spreads connections over the workers. The
    socket is made with its protocol named (IPPROTO_TCP): asyncio sets TCP_NODELAY only on such sockets, and
    without it every keep-alive answer waits for the client's delayed ACK (~40 ms).
    """
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_worker, args=(host, port), daemon=False) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop_all(_signal: int, _frame: FrameType | None) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    for process in processes:
        process.join()


def _worker(host: str, port: int) -> None:
    """One worker process of ``serve --workers N``."""

    settings = Settings()
    application, stop = _served(settings, open_engine(settings.database_url))
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listening.bind(address)
    server = _server(application)
    try:
        server.run(sockets=[listening])
    finally:
        stop()


def _server(application: "Application", **config: object) -> "uvicorn.Server":
    """A uvicorn server that, asked to stop, first ends the open event streams (they would hold it up)."""
    import uvicorn

    from gameservices.api.app import end_streams

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            end_streams(application)
            super().handle_exit(sig, frame)
            # uvicorn raises the signal again once it has shut down, with the handler it found (SIGTERM's
            # default ends the process there): the caller's stop (the last checkpoint, the background threads)
            # would never run. The shutdown it asked for is done: the process ends by returning.
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    return Server(uvicorn.Config(application, log_level="warning", **config))  # type: ignore[arg-type]


def _served(settings: Settings, engine: Engine) -> tuple["Application", Callable[[], None]]:
    """The application with every partner's state loaded, and its background threads started: the scheduler,
    the SQLite checkpointer, the event log listener and the webhook dispatcher; the function that stops them."""
    from gameservices.api.app import create_app
    from gameservices.scheduler import start_scheduler
    from gameservices.webhooks.dispatcher import start_dispatcher

    application = create_app(settings, engine)
    live = application.state.live
    with read_transaction(engine) as conn:
        # Every partner's rules, buckets and rank indexes are loaded before the first request, not by it.
        live.warm_up(conn, [partner["partnerId"] for partner in partner_service.list_partners(conn)])
    # The loaded state lives as long as the process: keep the collector from scanning it again and again.
    freeze_loaded_state()
    tune_for_serving()
    scheduler = start_scheduler(engine, log_retention_days=settings.event_log_retention_days, live=live)
    checkpointer = Checkpointer(engine).start()
    interval = settings.checkpoint_interval_ms
    tables = CheckpointThread(engine, live, interval=interval / 1000).start() if interval > 0 else None
    hub = application.state.feed_hub

    def woken(partner_ids: set[int]) -> None:
        live.follow(engine, partner_ids)
        hub.poke(partner_ids)

    listener = LogListener(engine, woken).start()
    # SQLite has no LISTEN: other processes' writes on the same file are noticed by polling the partners' seqs.
    poller = LogPoller(engine, live.followed, woken).start() if is_sqlite(engine) else None
    # ... and at once when another process serving the file rings after its commit; this one rings them.
    doorbells = Doorbells.beside(engine, poller.poke) if poller is not None else None
    if doorbells is not None:
        listen_locally(doorbells.start().ring)
    dispatcher = start_dispatcher(
        engine,
        allow_private=settings.allow_private_webhooks,
        lease_seconds=settings.webhook_lease_seconds,
        retention_days=settings.event_log_retention_days,
    )

    def stop() -> None:
        dispatcher.stop()
        listener.stop()
        if doorbells is not None:
            doorbells.stop()
        if poller is not None:
            poller.stop()
        scheduler.stop()
        if tables is not None:
            tables.stop()  # a last checkpoint: the next start has nothing to apply
        checkpointer.stop()

    return application, stop
