"""A real server process on a fresh database for the end-to-end tests."""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import serving
from tests.conftest import POSTGRES_URL, postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind for one end-to-end test."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        return postgres_database("e2e")
    return f"sqlite:///{tmp_path / 'gameservices.db'}"


# Each server's output file, by its pid and its base URL, for the messages of failures.
_LOGS: dict[str, Path] = {}


@contextmanager
def server_process(url: str, folder: Path, *options: str) -> Iterator[tuple["subprocess.Popen[bytes]", str]]:
    """`gameservices serve` on a database, listening on 127.0.0.1; yields the process and its base URL at once
    (`wait_until_up` waits for it to answer); terminated by its pid afterwards."""
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / f"server-{port}.log"
    process = serving.start(url, folder, port, *options, log=log)
    _LOGS[str(process.pid)] = _LOGS[base] = log
    try:
        yield process, base
    finally:
        serving.stop(process)


def server_output(key: str) -> str:
    """The end of what a server process (by pid or base URL) printed."""
    log = _LOGS.get(key)
    return serving.output(log) if log is not None else ""


@pytest.fixture
def served(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A server process on a fresh database; yields its base URL and the demo partner it printed."""
    with server_process(fresh_database_url, tmp_path) as (process, base):
        demo = read_demo_partner(process)
        wait_until_up(base)
        yield base, demo


def read_demo_partner(process: "subprocess.Popen[bytes]") -> dict[str, Any]:
    """The demo partner a server printed on a fresh database."""
    return serving.demo_partner(_LOGS[str(process.pid)], process=process)


def wait_until_up(base: str, timeout: float = serving.START_SECONDS) -> None:
    """Wait until the server answers /health (a loaded test machine may take long to start a process)."""
    serving.wait_until_up(base, _LOGS[base], timeout=timeout)
