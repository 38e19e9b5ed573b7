"""Browser tests: Debian's chromium driven by Playwright against a real server process on 127.0.0.1.

No browser is downloaded: Playwright launches /usr/bin/chromium (``.ci/run`` installs it). Without it, or
without Playwright, the tests are skipped."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.served import Served, serve

CHROMIUM = os.environ.get("GAMESERVICES_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A server process on a fresh SQLite database."""
    with serve(f"sqlite:///{tmp_path / 'gameservices.db'}", tmp_path) as running:
        yield running


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
