"""The console's webhooks screens in a real browser, against a real server whose dispatcher delivers to a
receiver on 127.0.0.1: add a webhook (its secret shown once), send a test message (verified with the
``standardwebhooks`` package), retry a failed delivery; axe-core on each screen, no CSP violation."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from gameservices.storage.database import open_engine, write_transaction
from gameservices.storage.schema import webhook_deliveries
from tests.browser.conftest import axe_violations
from tests.console.served import Served, serve
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.browser
WAIT_S = 20


@pytest.fixture
def served_with_webhooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Served, str]]:
    """A server that may deliver to 127.0.0.1, and its database URL."""
    monkeypatch.setenv("GAMESERVICES_ALLOW_PRIVATE_WEBHOOKS", "true")
    url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    with serve(url, tmp_path) as running:
        yield running, url


def _accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


def _until(page: Any, url: str, text: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        page.goto(url)
        if text in page.inner_text("#deliveries tbody"):
            return
        assert time.monotonic() < deadline, page.inner_text("#deliveries tbody")
        time.sleep(0.3)


def test_webhooks_in_the_console(served_with_webhooks: tuple[Served, str], chromium: Any) -> None:
    served, database_url = served_with_webhooks
    page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    policy_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{served.base}/console/signin")
    page.fill("#partnerId", str(served.partner_id))
    page.fill("#secret", served.secret)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base}/console/")
    with Receiver().running() as receiver:
        page.click("nav >> text=Webhooks")
        page.wait_for_url(f"{served.base}/console/webhooks")
        _accessible(page)
        page.fill("#url", receiver.url)
        page.check("input[value='score.changed']")
        page.fill("#description", "CRM")
        page.click("form.card button[type=submit]")
        secret = page.inner_text("#secret-value")
        assert secret.startswith("whsec_")
        _accessible(page)

        page.click("button:has-text('Test')")
        page.wait_for_url(f"{served.base}/console/webhooks/deliveries?webhookId=*")
        deliveries = page.url
        _until(page, deliveries, "delivered")
        _accessible(page)
        [got] = receiver.requests
        assert got.verify(secret)["type"] == "webhook.test"

        engine = open_engine(database_url)  # as the dispatcher leaves a dead letter after its last attempt
        with write_transaction(engine) as conn:
            conn.execute(update(webhook_deliveries).values(status="failed", last_error="answered HTTP 500"))
        engine.dispose()
        _until(page, deliveries, "failed")
        page.click("button:has-text('Retry')")
        _until(page, deliveries, "delivered")
        assert len(receiver.requests) == 2
        assert receiver.requests[1].headers["webhook-id"] == got.headers["webhook-id"]
        receiver.requests[1].verify(secret)
    assert policy_errors == []
