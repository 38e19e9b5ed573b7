"""Delivering to a real receiver on 127.0.0.1: signatures that verify with the ``standardwebhooks`` package, the
retry schedule on a controlled clock, the dead letter and manual retry, secret rotation, leases, redirects,
timeouts and the outbound address rules at delivery time."""

import ipaddress
from typing import Any

import pytest
from sqlalchemy import Engine
from standardwebhooks import WebhookVerificationError

from gameservices.services.push import webhook as webhook_service
from gameservices.storage import webhook_deliveries
from gameservices.storage.database import write_transaction
from gameservices.storage.webhook_deliveries import Outcome
from gameservices.webhooks.dispatcher import Dispatcher
from gameservices.webhooks.retry import MAX_ATTEMPTS, SCHEDULE_MS
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy
from tests.conftest import Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver


def _hook(api: Api, receiver: Receiver, **fields: Any) -> Any:
    return api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"], **fields})


def _delivery(api: Api, delivery_id: str) -> Any:
    listed = api.ok("webhookDelivery/list", {"pager": {"pageSize": 500}})["objects"]
    return next(item for item in listed if item["id"] == delivery_id)


def test_a_delivery_is_signed_as_standard_webhooks_verify_it(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    assert dispatcher.run_once() == 1
    [got] = receiver.requests
    body = got.verify(hook["secret"])
    assert body["type"] == "webhook.test" and body["data"] == {"webhookId": hook["id"]}
    assert body["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == queued["id"] and got.headers["content-type"] == "application/json"
    assert got.headers["webhook-signature"].startswith("v1,") and " " not in got.headers["webhook-signature"]
    done = _delivery(hook_api, queued["id"])
    assert (done["status"], done["attempts"], done["lastStatusCode"]) == ("delivered", 1, 200)
    assert done["nextAttemptAt"] is None and done["lastError"] is None
    assert dispatcher.run_once() == 0  # delivered once


def test_two_failures_then_success_delivers_on_the_third_attempt(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.answer(500, 500)
    assert dispatcher.run_once() == 1
    first = _delivery(hook_api, queued["id"])
    assert (first["status"], first["attempts"], first["lastStatusCode"]) == ("pending", 1, 500)
    assert "500" in first["lastError"]
    clock.advance(4.9)
    assert dispatcher.run_once() == 0  # not before its time: 5 s after the first attempt
    clock.advance(0.1)
    assert dispatcher.run_once() == 1
    clock.advance(SCHEDULE_MS[1] / 1000 - 1)
    assert dispatcher.run_once() == 0  # then 5 minutes
    clock.advance(1)
    assert dispatcher.run_once() == 1
    done = _delivery(hook_api, queued["id"])
    assert (done["status"], done["attempts"], done["lastStatusCode"]) == ("delivered", 3, 200)
    assert [request.headers["webhook-id"] for request in receiver.requests] == [queued["id"]] * 3
    for request in receiver.requests:
        request.verify(hook["secret"])


def test_a_receiver_down_for_the_whole_schedule_ends_failed_and_retry_delivers(
    hook_api: Api, own_engine: Engine, clock: Clock
) -> None:
    with Receiver().running() as down:
        url = down.url  # a port nothing listens on once the receiver has stopped
    hook = hook_api.ok("webhook/create", {"url": url, "eventTypes": ["score.changed"]})
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher = Dispatcher(own_engine, Sender(TargetPolicy(allow_private=True), timeout=2.0), now=clock)
    try:
        assert dispatcher.run_once() == 1
        for delay in SCHEDULE_MS:
            assert _delivery(hook_api, queued["id"])["status"] == "pending"
            clock.advance(delay / 1000)
            assert dispatcher.run_once() == 1
        dead = _delivery(hook_api, queued["id"])
        assert (dead["status"], dead["attempts"], dead["nextAttemptAt"]) == ("failed", MAX_ATTEMPTS, None)
        assert dead["lastStatusCode"] is None and dead["lastError"]
        clock.advance(24 * 3600)
        assert dispatcher.run_once() == 0  # a dead letter stays dead
        assert hook_api.ok("webhookDelivery/list", {"status": "failed"})["totalCount"] == 1
        with Receiver().running() as back:
            hook_api.ok("webhook/update", {"id": hook["id"], "url": back.url})
            retried = hook_api.ok("webhookDelivery/retry", {"id": queued["id"]})
            assert retried["status"] == "pending"
            assert dispatcher.run_once() == 1
            [got] = back.requests
            assert got.verify(hook["secret"])["type"] == "webhook.test"
            assert got.headers["webhook-id"] == queued["id"]
        assert _delivery(hook_api, queued["id"])["status"] == "delivered"
    finally:
        dispatcher.stop()


def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new_one(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    old = hook["secret"]
    new = hook_api.ok("webhook/rotateSecret", {"id": hook["id"]})["secret"]
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verify(old)
    during.verify(new)
    clock.advance(24 * 3600 + 1)
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    after.verify(new)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        after.verify(old)


def test_an_attempt_is_taken_over_only_when_its_lease_runs_out(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    with write_transaction(own_engine) as conn:  # a dispatcher claims the attempt, then dies
        [lost] = webhook_deliveries.claim_due(conn, now=clock(), limit=10, lease_ms=30_000, token="a" * 32)
    other = Dispatcher(own_engine, Sender(TargetPolicy(allow_private=True)), now=clock, lease_ms=30_000)
    try:
        clock.advance(29.9)
        assert other.run_once() == 0
        clock.advance(0.1)
        assert other.run_once() == 1
    finally:
        other.stop()
    assert [request.headers["webhook-id"] for request in receiver.requests] == [queued["id"]]
    done = _delivery(hook_api, queued["id"])
    assert (done["status"], done["attempts"]) == ("delivered", 2)
    # The first claimant's late outcome is not stored over the second one's.
    with write_transaction(own_engine) as conn:
        late = Outcome("failed", 500, "late", None, None)
        assert not webhook_deliveries.finish(conn, attempt=lost, outcome=late, now=clock())
    assert _delivery(hook_api, queued["id"])["status"] == "delivered"


def test_redirects_are_not_followed(hook_api: Api, receiver: Receiver, dispatcher: Dispatcher) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.location = receiver.url + "/moved"
    receiver.answer(302)
    dispatcher.run_once()
    assert len(receiver.requests) == 1
    failed = _delivery(hook_api, queued["id"])
    assert failed["lastStatusCode"] == 302 and "redirect" in failed["lastError"]


def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.hold.set()
    impatient = Dispatcher(own_engine, Sender(TargetPolicy(allow_private=True), timeout=0.5), now=clock)
    try:
        impatient.run_once()
    finally:
        receiver.hold.clear()
        impatient.stop()
    failed = _delivery(hook_api, queued["id"])
    assert failed["status"] == "pending" and "timed out" in failed["lastError"]


def test_private_targets_are_refused_again_at_delivery_time(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)  # allowed when it was made
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    strict = Dispatcher(own_engine, Sender(TargetPolicy(allow_private=False)), now=clock)
    try:
        assert strict.run_once() == 1
    finally:
        strict.stop()
    assert receiver.requests == []
    refused = _delivery(hook_api, queued["id"])
    assert refused["lastError"].startswith("refused:") and "127.0.0.1" in refused["lastError"]


def test_a_disabled_webhook_receives_only_test_messages(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, own_engine: Engine, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver, status="disabled")
    hook_api.ok("webhook/test", {"id": hook["id"]})
    assert dispatcher.run_once() == 1
    assert len(receiver.requests) == 1


def test_an_endpoint_failing_for_five_days_is_disabled(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    receiver.answer(*([503] * 20))
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    failing = hook_api.ok("webhook/get", {"id": hook["id"]})
    assert failing["status"] == "enabled" and failing["failingSince"] is not None
    clock.advance(5 * 24 * 3600 - 1)
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    assert hook_api.ok("webhook/get", {"id": hook["id"]})["status"] == "enabled"
    clock.advance(1)
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    disabled = hook_api.ok("webhook/get", {"id": hook["id"]})
    assert disabled["status"] == "disabled" and "5 days" in disabled["disabledReason"]
    enabled = hook_api.ok("webhook/update", {"id": hook["id"], "status": "enabled"})
    assert enabled["failingSince"] is None and enabled["disabledReason"] is None


def test_a_success_ends_the_failing_period(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    receiver.answer(500)
    hook_api.ok("webhook/test", {"id": hook["id"]})
    dispatcher.run_once()
    assert hook_api.ok("webhook/get", {"id": hook["id"]})["failingSince"] is not None
    clock.advance(5)
    dispatcher.run_once()
    assert hook_api.ok("webhook/get", {"id": hook["id"]})["failingSince"] is None


def test_a_host_is_resolved_again_and_pinned_at_delivery_time(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    partner_id = _hook(hook_api, receiver, status="disabled")["partnerId"]
    with write_transaction(own_engine) as conn:  # made while the name pointed at a public address
        public = TargetPolicy(resolve=lambda _host, _port: [ipaddress.ip_address("93.184.216.34")])
        made = webhook_service.create(
            conn,
            partner_id=partner_id,
            fields=webhook_service.WebhookInput(
                url=f"http://rebind.example:{port}/hook", event_types=["score.changed"]
            ),
            targets=public,
            now_ms=clock(),
        )
    queued = hook_api.ok("webhook/test", {"id": made.id})
    loopback = [ipaddress.ip_address("127.0.0.1")]
    rebound = Dispatcher(own_engine, Sender(TargetPolicy(resolve=lambda _h, _p: loopback)), now=clock)
    try:
        assert rebound.run_once() == 1
    finally:
        rebound.stop()
    assert receiver.requests == []
    assert "is at 127.0.0.1" in _delivery(hook_api, queued["id"])["lastError"]
    clock.advance(5)
    allowed = Dispatcher(
        own_engine, Sender(TargetPolicy(allow_private=True, resolve=lambda _h, _p: loopback)), now=clock
    )
    try:
        assert allowed.run_once() == 1
    finally:
        allowed.stop()
    [got] = receiver.requests  # sent to the address checked, under the webhook's own host name
    assert got.headers["host"] == f"rebind.example:{port}"
    got.verify(made.secret)


def test_finished_deliveries_are_kept_as_long_as_the_event_log(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    hook = _hook(hook_api, receiver)
    receiver.answer(500)
    first, second = (hook_api.ok("webhook/test", {"id": hook["id"]})["id"] for _ in range(2))
    keeper = Dispatcher(own_engine, Sender(TargetPolicy(allow_private=True)), now=clock, retention_days=90)
    try:
        keeper.run_once()  # one delivered, one pending (its first attempt got 500)
        clock.advance(90 * 86_400 - 10)
        assert keeper.forget_old() == 0
        clock.advance(20)
        assert keeper.forget_old() == 1
    finally:
        keeper.stop()
    left = {item["id"] for item in hook_api.ok("webhookDelivery/list")["objects"]}
    assert len(left & {first, second}) == 1  # the pending one stays, however old
    assert _delivery(hook_api, next(iter(left)))["status"] == "pending"
