"""What a receiver's answer asks for, honoured through a real receiver on 127.0.0.1: ``Retry-After`` on 429 and
503 (seconds or an HTTP date) delays the next attempt and the webhook's other waiting deliveries; 410 Gone
disables the webhook at once."""

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.storage import webhook_deliveries
from gameservices.storage.database import read_transaction
from gameservices.webhooks.dispatcher import Dispatcher
from gameservices.webhooks.retry import MAX_RETRY_AFTER_MS, SCHEDULE_MS
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy
from tests.conftest import Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver


@pytest.fixture
def one_at_a_time(own_engine: Engine, clock: Clock) -> Iterator[Dispatcher]:
    """A dispatcher that claims one attempt at a time, so an answer can affect what it claims next."""
    made = Dispatcher(
        own_engine, Sender(TargetPolicy(allow_private=True), timeout=2.0), now=clock, capacity=1
    )
    yield made
    made.stop()


def _hook(api: Api, receiver: Receiver) -> Any:
    return api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})


def _stored(engine: Engine, item: Any) -> webhook_deliveries.DeliveryRecord:
    with read_transaction(engine) as conn:
        found = webhook_deliveries.get_delivery(conn, partner_id=item["partnerId"], delivery_id=item["id"])
    assert found is not None
    return found


def test_a_429_with_retry_after_seconds_delays_the_attempt_and_the_webhooks_other_deliveries(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock, one_at_a_time: Dispatcher
) -> None:
    hook = _hook(hook_api, receiver)
    first, second = (hook_api.ok("webhook/test", {"id": hook["id"]}) for _ in range(2))
    receiver.answer(429, headers={"Retry-After": "120"})
    assert one_at_a_time.run_once() == 1  # the second waits with the first: not claimed
    asked, waiting = _stored(own_engine, first), _stored(own_engine, second)
    assert (asked.status, asked.attempts, asked.last_status_code) == ("pending", 1, 429)
    assert asked.next_attempt_at == waiting.next_attempt_at == clock() + 120_000
    assert waiting.attempts == 0  # moved, not attempted
    clock.advance(119.9)
    assert one_at_a_time.run_once() == 0
    clock.advance(0.1)
    assert one_at_a_time.run_once() == 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [first["id"], first["id"], second["id"]]
    for request in receiver.requests:
        request.verify(hook["secret"])
    assert _stored(own_engine, first).status == _stored(own_engine, second).status == "delivered"


def test_a_503_with_an_http_date_is_honoured_too(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock, one_at_a_time: Dispatcher
) -> None:
    queued = hook_api.ok("webhook/test", {"id": _hook(hook_api, receiver)["id"]})
    receiver.answer(503, headers={"Retry-After": email.utils.formatdate(time.time() + 600, usegmt=True)})
    assert one_at_a_time.run_once() == 1
    delay = _stored(own_engine, queued).next_attempt_at - clock()  # type: ignore[operator]
    assert 595_000 <= delay <= 601_000


@pytest.mark.parametrize(
    ("status", "header", "delay_ms"),
    [
        (429, "1", SCHEDULE_MS[0]),  # sooner than the schedule: the schedule wins
        (429, str(365 * 86_400), MAX_RETRY_AFTER_MS),  # a year: at most 10 hours
        (429, "soon", SCHEDULE_MS[0]),  # not a delay: ignored
        (429, "12\u00b2", SCHEDULE_MS[0]),  # superscript two: str.isdigit() but not int(); ignored too
        (503, "\u00b2", SCHEDULE_MS[0]),
        (500, "120", SCHEDULE_MS[0]),  # only 429 and 503 are asked about
    ],
)
def test_retry_after_is_bounded_and_only_read_on_429_and_503(
    hook_api: Api,
    receiver: Receiver,
    own_engine: Engine,
    clock: Clock,
    one_at_a_time: Dispatcher,
    status: int,
    header: str,
    delay_ms: int,
) -> None:
    queued = hook_api.ok("webhook/test", {"id": _hook(hook_api, receiver)["id"]})
    receiver.answer(status, headers={"Retry-After": header})
    assert one_at_a_time.run_once() == 1
    stored = _stored(own_engine, queued)
    assert stored.next_attempt_at == clock() + delay_ms
    assert (stored.last_status_code, stored.last_error) == (status, f"answered HTTP {status}")


def test_410_gone_disables_the_webhook_at_once(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.answer(410)
    assert dispatcher.run_once() == 1
    gone = hook_api.ok("webhook/get", {"id": hook["id"]})
    assert gone["status"] == "disabled" and gone["disabledReason"] == "the endpoint answered 410 Gone"
    listed = hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})["objects"]
    assert [(item["id"], item["status"], item["lastStatusCode"]) for item in listed] == [
        (queued["id"], "pending", 410)
    ]
    enabled = hook_api.ok("webhook/update", {"id": hook["id"], "status": "enabled"})
    assert enabled["disabledReason"] is None and enabled["failingSince"] is None
    clock.advance(SCHEDULE_MS[0] / 1000)
    assert dispatcher.run_once() == 1
    assert (
        hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})["objects"][0]["status"] == "delivered"
    )


def test_a_receivers_cookie_is_never_sent_back(
    hook_api: Api, receiver: Receiver, one_at_a_time: Dispatcher
) -> None:
    hook = _hook(hook_api, receiver)
    for _ in range(2):
        hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.answer(200, headers={"Set-Cookie": "session=abc; Path=/"})
    assert one_at_a_time.run_once() == 2
    assert [request.headers.get("cookie") for request in receiver.requests] == [None, None]
