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
import multiprocessing.connection
import multiprocessing.process
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from gameservices.cli.common import open_database, print_json
from gameservices.domain.engine import collector_paused
from gameservices.projection.checkpoint import CheckpointThread
from gameservices.services.access import partner as partner_service
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

if TYPE_CHECKING:
    import uvicorn

    from gameservices.api.app import Application

GC_THRESHOLDS = (100_000, 50, 100)
SWITCH_INTERVAL_SECONDS = 0.0005


def tune_for_serving() -> None:
    """Apply the server's collector thresholds and thread switch interval to this process."""
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


@contextmanager
def loaded_for_good() -> Iterator[None]:
    """Around the load of the state the process keeps for its life: the collector's garbage is collected first
    (while the process is small), the collector stays paused while the block loads, and everything alive at the
    block's end is frozen (moved out of the collector's sight for good) before the collector runs again.

    The collector would otherwise scan the millions of loaded objects twice before serving (the pass that
    re-enabling it starts, then the collection before the freeze): about 3 s after a load of a 1,000,000-user
    leaderboard with 1,000,000 log entries to apply. A load makes no reference cycles, so freezing without
    collecting after it keeps no garbage."""
    gc.collect()
    with collector_paused():
        yield
        gc.freeze()


def listen_address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: the command-line options when given, else ``GAMESERVICES_HOST`` / ``_PORT``."""
    return (settings.host if host is None else host, settings.port if port is None else port)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: GAMESERVICES_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on [default: GAMESERVICES_PORT or 8000].", min=1, max=65535),
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
    engine = open_database(settings.database_url, upgrade=True)
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
        status = _run_workers(workers, host, port)
        if status:
            raise typer.Exit(status)
        return
    application, stop = _served(settings, engine)
    try:
        _server(application, config={"host": host, "port": port, **proxy_config(settings)}).run()
    finally:
        stop()


def _run_workers(workers: int, host: str, port: int) -> int:
    """Run `workers` server processes on one port, each with its own application following the event log, and
    keep them running until SIGTERM or SIGINT stops them all; the exit status (1: a worker could not start).

    Each worker binds its own socket with SO_REUSEPORT, so the kernel spreads connections over the workers. The
    socket is made with its protocol named (IPPROTO_TCP): asyncio sets TCP_NODELAY only on such sockets, and
    without it every keep-alive answer waits for the client's delayed ACK (~40 ms).

    A worker that ends while nobody asked (killed, out of memory) is started again, so the port keeps its N
    processes. One that ends by itself before it served (the port taken by a program without SO_REUSEPORT, a
    database it cannot open) would fail the same way again: every worker is stopped and the command fails.
    """
    spawn = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> _Worker:
        serving = spawn.Event()
        process = spawn.Process(target=_worker, args=(host, port, serving), daemon=False)
        process.start()
        return _Worker(process, serving)

    def stop_all() -> None:
        nonlocal stopping
        stopping = True
        for worker in running:
            if worker.process.is_alive() and worker.process.pid is not None:
                os.kill(worker.process.pid, signal.SIGTERM)

    running = [start() for _ in range(workers)]
    signal.signal(signal.SIGTERM, lambda _signal, _frame: stop_all())
    signal.signal(signal.SIGINT, lambda _signal, _frame: stop_all())
    status = 0
    while not stopping:
        multiprocessing.connection.wait([worker.process.sentinel for worker in running], timeout=1.0)
        for place, worker in enumerate(running):
            if stopping or worker.process.is_alive():
                continue
            # One killed by a signal (exit code below 0) was stopped from outside, maybe while starting: started
            # again like any other. One that ended by itself before it served could not start.
            exit_code = worker.process.exitcode
            if not worker.serving.is_set() and exit_code is not None and exit_code >= 0:
                sys.stderr.write(
                    f"A worker ended before it served (exit code {worker.process.exitcode}): stopping\n"
                )
                status = 1
                stop_all()
                break
            sys.stderr.write(
                f"Worker {worker.process.pid} ended (exit code {worker.process.exitcode}): starting another\n"
            )
            running[place] = start()
    for worker in running:
        worker.process.join()
    return status


@dataclass(frozen=True)
class _Worker:
    """A worker process of ``serve --workers N`` and the flag it sets once it serves."""

    process: multiprocessing.process.BaseProcess
    serving: EventType


def _worker(host: str, port: int, serving: EventType) -> None:
    """One worker process of ``serve --workers N``; sets `serving` once it answers requests."""

    settings = Settings()
    application, stop = _served(settings, open_engine(settings.database_url))
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listening.bind(address)
    server = _server(application, on_started=serving.set, config=proxy_config(settings))
    _end_with_parent(server)
    try:
        server.run(sockets=[listening])
    finally:
        stop()


def _end_with_parent(server: "uvicorn.Server") -> None:
    """Stop the worker as SIGTERM does (its requests answered, a last checkpoint written) once the `serve` process
    that started it is gone: killed with SIGKILL, that process cannot stop its workers, which would go on serving
    the port unsupervised, beside the workers of a `serve` started again there."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        server.handle_exit(signal.SIGTERM, None)

    threading.Thread(target=watch, name="gameservices-parent-watch", daemon=True).start()


def proxy_config(settings: Settings) -> dict[str, object]:
    """uvicorn's settings for forwarded headers: believed from ``GAMESERVICES_FORWARDED_ALLOW_IPS`` only (none
    when it is empty; uvicorn would otherwise read its own environment variable, or believe 127.0.0.1)."""
    allowed = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or "127.0.0.1"}


def _server(
    application: "Application",
    on_started: Callable[[], None] | None = None,
    config: dict[str, object] | None = None,
) -> "uvicorn.Server":
    """A uvicorn server that, asked to stop, first ends the open event streams (they would hold it up), and calls
    `on_started` once it has started serving."""
    import uvicorn

    from gameservices.api.app import end_streams

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_started is not None:
                on_started()

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            end_streams(application)
            super().handle_exit(sig, frame)
            # uvicorn raises the signal again once it has shut down, with the handler it found (SIGTERM's
            # default ends the process there): the caller's stop (the last checkpoint, the background threads)
            # would never run. The shutdown it asked for is done: the process ends by returning.
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    return Server(uvicorn.Config(application, log_level="warning", **(config or {})))  # type: ignore[arg-type]


def _served(settings: Settings, engine: Engine) -> tuple["Application", Callable[[], None]]:
    """The application with every partner's state loaded, and its background threads started: the scheduler,
    the SQLite checkpointer, the event log listener and the webhook dispatcher; the function that stops them."""
    from gameservices.api.app import create_app
    from gameservices.scheduler import start_scheduler
    from gameservices.webhooks.dispatcher import start_dispatcher

    application = create_app(settings, engine)
    live = application.state.live
    # Every partner's rules, buckets and rank indexes are loaded before the first request, not by it; the loaded
    # state lives as long as the process: the collector is kept from scanning it again and again.
    with loaded_for_good(), read_transaction(engine) as conn:
        live.warm_up(conn, [partner["partnerId"] for partner in partner_service.list_partners(conn)])
    tune_for_serving()
    scheduler = start_scheduler(engine, log_retention_days=settings.event_log_retention_days, live=live)
    checkpointer = Checkpointer(engine).start()
    interval = settings.checkpoint_interval_ms
    tables = CheckpointThread(engine, live, interval=interval / 1000).start() if interval > 0 else None
    hub = application.state.feed_hub

    def woken(partner_ids: set[int]) -> None:
        live.follow(engine, partner_ids)
        hub.poke(partner_ids)

    listener = LogListener(engine, woken, followed=lambda: live.followed().keys()).start()
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
