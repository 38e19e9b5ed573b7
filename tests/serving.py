"""Real `gameservices serve` processes for the tests that need one (end-to-end, console and big screen, crash
runs): listening on 127.0.0.1 and a free port, their output in a file (a pipe nobody reads could fill up and stall
them), stopped through the PID they were started with."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

# A loaded test machine may take long to start a process.
START_SECONDS = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(
    database_url: str,
    folder: Path,
    port: int,
    *options: str,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> "subprocess.Popen[bytes]":
    """Start `gameservices serve` on the database in `folder`, its output appended to `log`. The guide's
    background URLs cannot be fetched on an offline test machine: they are not checked on create."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "GAMESERVICES_DATABASE_URL": database_url,
        "GAMESERVICES_VALIDATE_CERTIFICATE_BACKGROUNDS": "false",
        **(env or {}),
    }
    command = [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        return subprocess.Popen(
            [*command, *options], cwd=folder, env=environment, stdout=output, stderr=subprocess.STDOUT
        )


def output(log: Path) -> str:
    """The end of what a server printed."""
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def wait_until_up(
    base: str,
    log: Path,
    *,
    process: "subprocess.Popen[bytes] | None" = None,
    timeout: float = START_SECONDS,
) -> None:
    """Wait until the server answers /health; AssertionError (with what it printed) when it exits or takes
    longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}; it printed: {output(log)}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not come up within {timeout:.0f} s; it printed: {output(log)}")


def demo_partner(
    log: Path, *, process: "subprocess.Popen[bytes] | None" = None, timeout: float = START_SECONDS
) -> dict[str, Any]:
    """The demo partner a server printed (as its first JSON line) on a fresh database."""
    deadline = time.monotonic() + timeout
    while True:
        for line in output_lines(log):
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            raise AssertionError(f"the server printed no demo partner: {output(log)}")
        time.sleep(0.05)


def output_lines(log: Path) -> list[str]:
    """Every line a server printed so far."""
    return log.read_text(errors="replace").splitlines() if log.exists() else []


def stop(process: "subprocess.Popen[bytes]", timeout: float = 20.0) -> None:
    """Stop the server the polite way (SIGTERM); SIGKILL when it has not ended within `timeout` seconds (a
    stream a failed test left open may keep it waiting)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
