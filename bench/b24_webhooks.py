"""B24: signed webhook deliveries per second from one process's dispatcher to a local receiver.

Queues N pending deliveries (the rows the dispatcher makes from the change feed, ~200-byte score.changed
bodies) for one webhook on a fresh SQLite file (synchronous=FULL), then starts the real dispatcher thread of a
serving process (one pooled keep-alive HTTP client, at most 8 attempts of one webhook sent at once, each attempt
claimed under a lease and its outcome recorded in a transaction) and times it until every delivery is
`delivered`. The receiver runs in its own process (a threaded HTTP/1.1 server) and verifies every signature with
the `standardwebhooks` package. Anchor, measured right after in the same run: the same number of plain httpx
POSTs of the same bodies through one pooled client, 8 at once (the dispatcher's concurrency towards one
webhook), without signing or database work. Each repetition queues N more deliveries; the figures are medians,
each repetition is listed with the load average and the CPU time per delivery of each side and of the receiver.

Run: PYTHONPATH=src:bench python bench/b24_webhooks.py [--deliveries 5000] [--repeat 3] [--json FILE]; prints
JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from common import free_port, python_env, wait_for_port
from sqlalchemy import func, select

from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import now_ms
from gameservices.services.access.partner import create_partner
from gameservices.services.push import webhook as webhook_service
from gameservices.storage import schema, webhook_deliveries
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade
from gameservices.storage.webhook_deliveries import DeliveryRecord
from gameservices.webhooks.dispatcher import CAPACITY, PER_WEBHOOK, Dispatcher
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy


def receive(port: int, secret: str, counts: Path) -> None:
    """The receiver process: verify each delivery, answer 204, write the counts on SIGTERM."""
    import signal

    from standardwebhooks import Webhook

    verifier = Webhook(secret) if secret else None
    tally = {"received": 0, "bad": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != "/hook":  # the anchor's plain POSTs
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tally["received"] += 1
            if verifier is not None:
                try:
                    verifier.verify(body, dict(self.headers.items()))
                except Exception:
                    tally["bad"] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the dispatcher opens its pool's connections at once

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True

    def finish(_signal: int, _frame: Any) -> None:
        counts.write_text(json.dumps(tally))
        os._exit(0)

    signal.signal(signal.SIGTERM, finish)
    server.serve_forever()


def _body(number: int) -> bytes:
    data = {
        "gameObjectId": "6650f0c2a1b2c3d4e5f60718",
        "gameObjectType": "leaderboard",
        "userId": f"user-{number}",
        "score": number,
        "previousScore": number - 10,
        "rank": 1 + number % 500,
        "previousRank": 2 + number % 500,
    }
    return json.dumps(
        {"type": "score.changed", "timestamp": "2026-01-01T00:00:00.000Z", "data": data}
    ).encode()


def _queue(engine: Any, partner_id: int, webhook_id: str, first: int, count: int) -> None:
    now = now_ms()
    records = [
        DeliveryRecord(
            new_object_id(),
            partner_id,
            webhook_id,
            f"{n + 1}-0",
            "score.changed",
            _body(n),
            "pending",
            0,
            None,
            None,
            now,
            None,
            None,
            None,
            now,
            now,
        )
        for n in range(first, first + count)
    ]
    with write_transaction(engine) as conn:
        webhook_deliveries.insert_deliveries(conn, records)


def _pending(engine: Any) -> int:
    """Deliveries not yet delivered (read through the due index: the poll stays cheap as delivered ones pile
    up)."""
    table = schema.webhook_deliveries
    with read_transaction(engine) as conn:
        return int(conn.execute(select(func.count()).where(table.c.status == "pending")).scalar_one())


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _anchor(url: str, count: int) -> float:
    """Plain POSTs of the same bodies through one pooled client, as many at once as the dispatcher sends to
    one webhook."""
    limits = httpx.Limits(max_connections=CAPACITY, max_keepalive_connections=CAPACITY)
    numbers = iter(range(count))
    lock = threading.Lock()

    def post_some(client: httpx.Client) -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            client.post(url, content=_body(number)).raise_for_status()

    with httpx.Client(limits=limits, timeout=10, trust_env=False) as client:
        threads = [threading.Thread(target=post_some, args=(client,)) for _ in range(PER_WEBHOOK)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return count / (time.perf_counter() - started)


def _dispatch(engine: Any) -> float:
    """Run a dispatcher until every delivery is delivered; its elapsed seconds."""
    dispatcher = Dispatcher(engine, Sender(TargetPolicy(allow_private=True), connections=CAPACITY))
    started = time.perf_counter()
    dispatcher.start()
    while _pending(engine):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    dispatcher.stop()
    return elapsed


def _measured(count: int, process: Any, run: Any) -> dict[str, float]:
    """Run a side; its rate, its CPU time per delivery (this process) and the receiver's, in microseconds."""
    cpu, received = time.process_time(), _cpu_seconds(process.pid)
    rate = run()
    return {
        "rate": rate,
        "cpu_us": (time.process_time() - cpu) / count * 1e6,
        "receiver_cpu_us": (_cpu_seconds(process.pid) - received) / count * 1e6,
    }


def _runs(folder: str, count: int, repeat: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    engine = open_engine(f"sqlite:///{folder}/bench.db")
    upgrade(engine)
    port = free_port()
    with write_transaction(engine) as conn:
        partner_id = create_partner(conn, name="bench")["partnerId"]
        hook = webhook_service.create(
            conn,
            partner_id=partner_id,
            fields=webhook_service.WebhookInput(
                url=f"http://127.0.0.1:{port}/hook", event_types=["score.changed"]
            ),
            targets=TargetPolicy(allow_private=True),
            now_ms=now_ms(),
        )
    counts = Path(folder) / "counts.json"
    script = [sys.executable, __file__, "--receive", str(port), hook.secret, str(counts)]
    receiver = subprocess.Popen(script, env=python_env())
    runs = []
    try:
        wait_for_port(port)
        for number in range(repeat):
            _queue(engine, partner_id, hook.id, number * count, count)
            ours = _measured(count, receiver, lambda: count / _dispatch(engine))
            anchor = _measured(count, receiver, lambda: _anchor(f"http://127.0.0.1:{port}/plain", count))
            runs.append({"load_average": os.getloadavg()[0], "ours": ours, "anchor": anchor})
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    tally: dict[str, int] = json.loads(counts.read_text())
    return runs, tally


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--receive", nargs=3, metavar=("PORT", "SECRET", "COUNTS"))
    options = parser.parse_args()
    if options.receive:
        receive(int(options.receive[0]), options.receive[1], Path(options.receive[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        runs, tally = _runs(folder, options.deliveries, options.repeat)
    figures = {
        "deliveries": options.deliveries,
        "repeat": options.repeat,
        "deliveries_per_s": statistics.median(run["ours"]["rate"] for run in runs),
        "anchor_posts_per_s": statistics.median(run["anchor"]["rate"] for run in runs),
        "received": tally["received"],
        "signature_failures": tally["bad"],
        "load_average": statistics.median(run["load_average"] for run in runs),
        "runs": runs,
    }
    text = json.dumps(figures)
    if options.json:
        options.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
