"""A PostgreSQL `serve` process listens for other processes' writes on a connection of its own
(`LogListener`). A connection can die without being closed: a network path that stops carrying packets, a proxy
or load balancer in between that lost its server. The listener then hears nothing, which looks just like a quiet
database: it must find out that its connection no longer answers and listen again on a new one, as it does when
the backend is terminated; otherwise the process is never woken again for as long as it runs."""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from gameservices.storage.database import normalize_url
from tests import serving
from tests.conftest import POLL_RULE, POSTGRES_URL

pytestmark = pytest.mark.postgres

LISTEN = b"LISTEN gameservices_log"


class _Proxy:
    """A TCP relay to the PostgreSQL server that notes which connections sent LISTEN and, once told, goes
    silent on those: it keeps them open but carries nothing either way (as a dead network path does)."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        # The connections that listened when the proxy went silent (those opened later are carried as before).
        self.silenced: set[int] = set()
        self._guard = threading.Lock()
        self._sockets: list[socket.socket] = []
        # Per connection: its number, when it was accepted, whether it sent LISTEN.
        self.listening: dict[int, float] = {}
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        number = 0
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            number += 1
            with self._guard:
                self._sockets += [client, upstream]
            opened = time.monotonic()
            threading.Thread(
                target=self._pump, args=(client, upstream, number, opened, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, number, opened, False), daemon=True
            ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, number: int, opened: float, out: bool
    ) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                if number not in self.silenced:
                    with suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
                return
            if out and LISTEN in data:
                self.listening[number] = opened
            if number in self.silenced:
                continue  # swallowed: the connection stays open and carries nothing
            try:
                target.sendall(data)
            except OSError:
                return

    def go_silent(self) -> None:
        self.silenced = set(self.listening)

    def close(self) -> None:
        self._closed = True
        self._server.close()
        with self._guard:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.close()


@pytest.fixture
def database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
    name = f"gameservices_test_silent_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_a_listener_whose_connection_went_silent_listens_again(database: str, tmp_path: Path) -> None:
    assert POSTGRES_URL is not None
    direct = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
    server = urlsplit(POSTGRES_URL)
    proxy = _Proxy(server.hostname or "127.0.0.1", server.port or 5432)
    user = server.username or "postgres"
    through_proxy = f"postgresql://{user}@127.0.0.1:{proxy.port}/{database}?sslmode=disable"
    port_a, port_b = serving.free_port(), serving.free_port()
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    first = serving.start(direct, tmp_path, port_a, log=log_a)
    second = None
    try:
        base_a = f"http://127.0.0.1:{port_a}"
        serving.wait_until_up(base_a, log_a, process=first)
        demo = serving.demo_partner(log_a, process=first)
        second = serving.start(through_proxy, tmp_path, port_b, log=log_b)
        base_b = f"http://127.0.0.1:{port_b}"
        serving.wait_until_up(base_b, log_b, process=second)
        headers = {"Authorization": f"Bearer {demo['ks']}"}
        with (
            httpx.Client(base_url=f"{base_a}/api/v1", headers=headers, timeout=30) as a,
            httpx.Client(base_url=f"{base_b}/api/v1", headers=headers, timeout=30) as b,
        ):
            board = a.post(
                "/leaderboard/create",
                json={
                    "name": "Silent",
                    "status": "enabled",
                    "startDate": "2020-01-01T00:00:00Z",
                    "endDate": "2040-01-01T00:00:00Z",
                    "virtualEventIds": [],
                },
            ).json()["id"]
            assert (
                a.post(
                    "/rule/create", json={**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board}
                ).status_code
                == 200
            )
            assert b.post("/userScore/list", json={"gameObjectId": board}).status_code == 200
            deadline = time.monotonic() + 10
            while not proxy.listening and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proxy.listening, "the second process never listened"

            went_silent = time.monotonic()
            proxy.go_silent()
            listened_again = False
            deadline = went_silent + 20
            step = 0
            while time.monotonic() < deadline and not listened_again:
                # Writes go on in the other process (each one a NOTIFY nobody hears on the silent connection).
                sent = a.post(
                    "/event/send",
                    json={"events": [{"eventType": "pollAnswered", "userId": "u", "pollId": f"p{step}"}]},
                )
                assert sent.status_code == 200, sent.text
                step += 1
                time.sleep(0.5)
                listened_again = any(opened > went_silent for opened in list(proxy.listening.values()))
            # (Reads stay fresh all the same: a request catches up itself.)
            top = b.post("/userScore/list", json={"gameObjectId": board}).json()["objects"]
            assert top and top[0]["score"] == 10 * step
        assert listened_again, (
            f"{time.monotonic() - went_silent:.0f} s after its listening connection went silent, the process had "
            "not listened again: no other process's write wakes it any more"
        )
    finally:
        if second is not None:
            serving.stop(second, timeout=15)
        serving.stop(first)
        proxy.close()
