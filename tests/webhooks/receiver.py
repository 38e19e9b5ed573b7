"""A webhook receiver on 127.0.0.1 for the tests: answers each request with the next scripted status and headers
(200 once the script is used up), can hold requests open, take its time or trickle its answer a byte at a time,
counts the requests it handles at once, and keeps every request it got."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def verify(self, secret: str) -> Any:
        """The body, once its signature verifies with ``secret`` (standardwebhooks raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """The receiving end; ``url`` is where it listens."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self.delay = 0.0  # seconds each answer takes
        self.trickle = 0.0  # seconds between the bytes of the answer's status line and headers (0: at once)
        self.busy = 0  # requests being handled now
        self.most_busy = 0  # the most handled at once
        self.hold = threading.Event()  # set: requests wait until it is cleared (or the test ends)
        self.held = threading.Event()  # set once a request is being held
        self.location = "http://127.0.0.1:9/elsewhere"
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The receiver's webhook URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next requests with these statuses (and these headers)."""
        with self._lock:
            self.script.extend((status, headers or {}) for status in statuses)

    def _next_answer(self, received: Received) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.requests.append(received)
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
            return self.script.pop(0) if self.script else (200, {})

    def _done(self) -> None:
        with self._lock:
            self.busy -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers = receiver._next_answer(received)
                time.sleep(receiver.delay)
                while receiver.hold.is_set():
                    receiver.held.set()
                    time.sleep(0.05)
                receiver._done()
                if receiver.trickle:
                    self._trickle(status)
                    return
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.location)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def _trickle(self, status: int) -> None:
                head = f"HTTP/1.1 {status} OK\r\nX-Slow: {'.' * 200}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                try:
                    for byte in head.encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.trickle)
                except OSError:  # the sender gave up
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator["Receiver"]:
        """Serve until the block ends."""
        self._thread.start()
        try:
            yield self
        finally:
            self.hold.clear()
            self._server.shutdown()
            self._server.server_close()
