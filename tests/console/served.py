"""A real ``gameservices serve`` process on 127.0.0.1 for the front-end tests (its output goes to a file, never a
pipe that could fill up and stall it)."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Served:
    """A running server and the demo partner of its database."""

    base: str
    partner_id: int
    secret: str
    ks: str

    def api(self, path: str, body: dict[str, Any], *, ks: str | None = None) -> Any:
        """Call API v1 as the partner; insist on 200."""
        headers = {"Authorization": f"Bearer {ks or self.ks}"}
        response = httpx.post(f"{self.base}/api/v1/{path}", json=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(database_url: str, folder: Path, demo: dict[str, Any] | None = None) -> Iterator[Served]:
    """A server process on the database; `demo` is the demo partner when another process already created it."""
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": database_url}
    log = folder / f"server-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        partner = demo or _demo_partner(log)
        _wait_until_up(base, log)
        yield Served(base, int(partner["partnerId"]), str(partner["adminSecret"]), str(partner["ks"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a stream a failed test left open keeps it waiting
            process.kill()
            process.wait(timeout=10)


def demo_of(served: Served) -> dict[str, Any]:
    """The demo partner of a served database, to give a second process on it."""
    return {"partnerId": served.partner_id, "adminSecret": served.secret, "ks": served.ks}


def _demo_partner(log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        time.sleep(0.1)
    raise AssertionError(f"the server printed no demo partner: {log.read_text()[-2000:]}")


def _wait_until_up(base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not come up: {log.read_text()[-2000:]}")
