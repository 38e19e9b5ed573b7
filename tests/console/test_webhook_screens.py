"""The console's webhooks screens: add (the secret shown once), rotate, test, enable/disable, delete; deliveries
listed and a failed one retried; the API's validation messages on a bad form."""

import re

from sqlalchemy import Engine, update

from gameservices.storage.database import write_transaction
from gameservices.storage.schema import webhook_deliveries
from tests.console.conftest import ConsoleClient

PUBLIC = "https://93.184.216.34/hooks"
_SECRET = re.compile(r'<code id="secret-value">(whsec_[^<]+)</code>')
_TEST_FORM = re.compile(r'action="/console/webhooks/([0-9a-f]{24})/test"')


def _add(console: ConsoleClient, **fields: object) -> str:
    form = {"url": PUBLIC, "eventTypes": ["score.changed", "badge.achieved"], **fields}
    response = console.post("/console/webhooks", form)
    assert response.status_code == 200, response.text
    found = _SECRET.search(response.text)
    assert found is not None
    return found.group(1)


def test_adding_a_webhook_shows_its_secret_once(console: ConsoleClient) -> None:
    secret = _add(console, description="CRM sync")
    listed = console.get("/console/webhooks")
    assert (
        PUBLIC in listed.text and "CRM sync" in listed.text and "badge.achieved, score.changed" in listed.text
    )
    assert secret not in listed.text
    [webhook_id] = _TEST_FORM.findall(listed.text)
    rotated = console.post(f"/console/webhooks/{webhook_id}/rotate")
    new = _SECRET.search(rotated.text)
    assert new is not None and new.group(1) != secret


def test_a_bad_form_answers_the_apis_message(console: ConsoleClient) -> None:
    refused = console.post("/console/webhooks", {"url": "http://10.0.0.1/x", "eventTypes": ["score.changed"]})
    assert refused.status_code == 400 and "10.0.0.1" in refused.text and 'id="webhook-error"' in refused.text
    empty = console.post("/console/webhooks", {"url": PUBLIC})
    assert empty.status_code == 400 and "eventTypes" in empty.text


def test_test_disable_and_delete(console: ConsoleClient) -> None:
    _add(console)
    [webhook_id] = _TEST_FORM.findall(console.get("/console/webhooks").text)
    tested = console.post(f"/console/webhooks/{webhook_id}/test")
    assert tested.status_code == 200 and "webhook.test" in tested.text and "pending" in tested.text
    console.post(f"/console/webhooks/{webhook_id}/status", {"status": "disabled"})
    assert "Enable" in console.get("/console/webhooks").text
    console.post(f"/console/webhooks/{webhook_id}/delete")
    assert "No webhook yet." in console.get("/console/webhooks").text


def test_a_failed_delivery_is_retried_from_its_list(console: ConsoleClient, engine: Engine) -> None:
    _add(console)
    [webhook_id] = _TEST_FORM.findall(console.get("/console/webhooks").text)
    console.post(f"/console/webhooks/{webhook_id}/test")
    with write_transaction(engine) as conn:  # as the dispatcher leaves a dead letter
        conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.webhook_id == webhook_id)
            .values(
                status="failed", next_attempt_at=None, last_error="answered HTTP 500", last_status_code=500
            )
        )
    failed = console.get("/console/webhooks/deliveries?status=failed")
    assert "HTTP 500" in failed.text and "Retry" in failed.text
    retry = re.search(r'action="(/console/webhooks/deliveries/[0-9a-f]{24}/retry)"', failed.text)
    assert retry is not None
    after = console.post(retry.group(1))
    assert after.status_code == 200 and "pending" in after.text
    assert "No delivery." in console.get("/console/webhooks/deliveries?status=failed").text
