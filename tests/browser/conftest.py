"""Browser tests: Debian's chromium driven by Playwright against a real server process on 127.0.0.1.

No browser is downloaded: Playwright launches /usr/bin/chromium (``.ci/run`` installs it). Without it, or
without Playwright, the tests are skipped."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = os.environ.get("GAMESERVICES_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@dataclass
class Served:
    """A running server and the demo partner it created."""

    base: str
    partner_id: int
    secret: str
    ks: str

    def api(self, path: str, body: dict[str, Any]) -> Any:
        """Call API v1 as the partner; insist on 200."""
        response = httpx.post(
            f"{self.base}/api/v1/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.ks}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A server process on a fresh SQLite database (its output goes to a file, never a full pipe)."""
    port = _free_port()
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": f"sqlite:///{tmp_path / 'gameservices.db'}"}
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        demo = _demo_partner(log)
        _wait_until_up(base)
        yield Served(base, int(demo["partnerId"]), str(demo["adminSecret"]), str(demo["ks"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a stream a failed test left open keeps it waiting
            process.kill()
            process.wait(timeout=10)


def _demo_partner(log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        time.sleep(0.1)
    raise AssertionError("the server printed no demo partner")


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless chromium of Debian's package."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core (vendored) finds on the page; it is evaluated through the browser's debugging protocol, so
    the page's own script policy stays as strict as it is in production."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return found
