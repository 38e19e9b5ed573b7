"""A real server process on a fresh database for the end-to-end tests."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL, postgres_database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind for one end-to-end test."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        return postgres_database("e2e")
    return f"sqlite:///{tmp_path / 'gameservices.db'}"


# Each server's output goes to a file (a pipe nobody reads could fill up and stall it), named here for failures.
_LOGS: dict[str, Path] = {}


@contextmanager
def server_process(url: str, folder: Path, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`gameservices serve` on a database, listening on 127.0.0.1; yields the process and its base URL once
    it answers; terminated by its pid afterwards."""
    port = _free_port()
    # Offline test machine: the guide's background URLs cannot be fetched, so they are not checked on create.
    env = {
        **os.environ,
        "GAMESERVICES_DATABASE_URL": url,
        "GAMESERVICES_VALIDATE_CERTIFICATE_BACKGROUNDS": "false",
    }
    base = f"http://127.0.0.1:{port}"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"server-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gameservices",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *options,
            ],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    _LOGS[str(process.pid)] = _LOGS[base] = log
    try:
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=20)


def server_output(key: str) -> str:
    """The end of what a server process (by pid or base URL) printed."""
    log = _LOGS.get(key)
    return log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""


@pytest.fixture
def served(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A server process on a fresh database; yields its base URL and the demo partner it printed."""
    with server_process(fresh_database_url, tmp_path) as (process, base):
        demo = read_demo_partner(process)
        wait_until_up(base)
        yield base, demo


def read_demo_partner(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The demo partner a server printed on a fresh database."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in server_output(str(process.pid)).splitlines():
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"the server printed no demo partner: {server_output(str(process.pid))}")


def wait_until_up(base: str, timeout: float = 60.0) -> None:
    """Wait until the server answers /health (a loaded test machine may take long to start a process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(
        f"the server did not come up within {timeout:.0f} s; it printed: {server_output(base)}"
    )
