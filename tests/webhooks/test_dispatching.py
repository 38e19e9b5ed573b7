"""The running dispatcher: at most its share of attempts of one webhook at once, room left for the other webhooks,
and woken by a commit (this process's, or another's through PostgreSQL's NOTIFY) rather than by its interval."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, select

from gameservices.storage import schema, webhook_deliveries
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.log_wakeups import LogListener
from gameservices.webhooks import fanout
from gameservices.webhooks.dispatcher import Dispatcher
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy
from tests.conftest import Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_fan_out import _answer, _board


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


@contextmanager
def _running(engine: Engine, **options: float) -> Iterator[Dispatcher]:
    sender = Sender(TargetPolicy(allow_private=True), timeout=2.0)
    dispatcher = Dispatcher(engine, sender, fan_out=fanout.fan_out, **options)  # type: ignore[arg-type]
    try:
        yield dispatcher
    finally:
        dispatcher.stop()


def test_one_webhook_is_sent_at_most_its_share_of_attempts_at_once(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    queued = {hook_api.ok("webhook/test", {"id": hook["id"]})["id"] for _ in range(8)}
    receiver.delay = 0.2
    with _running(own_engine, capacity=8, per_webhook=2) as dispatcher:
        dispatcher.start()
        assert _until(lambda: len(receiver.requests) == 8)
    assert receiver.most_busy == 2
    assert {request.headers["webhook-id"] for request in receiver.requests} == queued
    for request in receiver.requests:
        request.verify(hook["secret"])
    listed = hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})["objects"]
    assert {item["status"] for item in listed} == {"delivered"}


def test_a_webhooks_backlog_leaves_room_for_the_other_webhooks(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    busy = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    other = hook_api.ok("webhook/create", {"url": receiver.url + "/other", "eventTypes": ["score.changed"]})
    for _ in range(5):
        hook_api.ok("webhook/test", {"id": busy["id"]})
    hook_api.ok("webhook/test", {"id": other["id"]})  # due after the whole backlog
    with write_transaction(own_engine) as conn:
        first = webhook_deliveries.claim_due(
            conn, now=clock(), limit=4, lease_ms=60_000, token="a" * 32, per_webhook=2
        )
        held = {busy["id"]: len(first)}
        then = webhook_deliveries.claim_due(
            conn, now=clock(), limit=4, lease_ms=60_000, token="b" * 32, per_webhook=2, held=held
        )
    assert [attempt.webhook_id for attempt in first] == [busy["id"]] * 2
    assert [attempt.webhook_id for attempt in then] == [other["id"]]


def test_a_commit_wakes_the_dispatcher_long_before_its_interval(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    _board(hook_api)
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    with _running(own_engine, interval_seconds=60) as dispatcher:
        dispatcher.follow_wakeups().start()
        _answer(hook_api, "ann")
        assert _until(lambda: len(receiver.requests) == 1)  # its first look at the feed
        time.sleep(0.5)  # it has looked again, found nothing and waits for its interval (60 s) or a wake-up
        started = time.monotonic()
        _answer(hook_api, "ben")
        assert _until(lambda: len(receiver.requests) == 2, seconds=5)
        assert time.monotonic() - started < 5
    users = [request.verify(hook["secret"])["data"]["userId"] for request in receiver.requests]
    assert users == ["ann", "ben"]


def test_a_test_message_and_a_retry_wake_the_dispatcher_long_before_its_interval(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    with _running(own_engine, interval_seconds=60) as dispatcher:
        dispatcher.follow_wakeups().start()
        time.sleep(0.5)  # it has looked, found nothing and waits for its interval (60 s) or a wake-up
        queued = hook_api.ok("webhook/test", {"id": hook["id"]})
        assert _until(lambda: len(receiver.requests) == 1, seconds=5)
        table = schema.webhook_deliveries

        def recorded() -> (
            bool
        ):  # the dispatcher has noted the answer (else it would overwrite "failed" below)
            with read_transaction(own_engine) as conn:
                found = conn.execute(select(table.c.status).where(table.c.id == queued["id"])).scalar_one()
            return bool(found == "delivered")

        assert _until(recorded, seconds=5)
        with write_transaction(own_engine) as conn:  # as if it had failed its whole schedule
            conn.execute(table.update().where(table.c.id == queued["id"]).values(status="failed"))
        time.sleep(0.5)
        hook_api.ok("webhookDelivery/retry", {"id": queued["id"]})
        assert _until(lambda: len(receiver.requests) == 2, seconds=5)
    assert [request.verify(hook["secret"])["type"] for request in receiver.requests] == ["webhook.test"] * 2


def test_another_processs_commit_wakes_it_through_postgresql(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    _board(hook_api)
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    with _running(own_engine, interval_seconds=60) as dispatcher:
        # Only the NOTIFY listener wakes it: this process's own commits are not told to it.
        listener = LogListener(own_engine, dispatcher.wake).start()
        try:
            dispatcher.start()
            _answer(hook_api, "ann")
            assert _until(lambda: len(receiver.requests) == 1)
            time.sleep(0.5)
            _answer(hook_api, "ben")
            assert _until(lambda: len(receiver.requests) == 2, seconds=5)
        finally:
            listener.stop()
    assert [r.verify(hook["secret"])["data"]["userId"] for r in receiver.requests] == ["ann", "ben"]


def test_a_step_with_nothing_to_record_or_claim_takes_no_write_transaction(
    hook_api: Api, receiver: Receiver, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gameservices.webhooks import dispatcher as dispatching

    opened: list[Engine] = []
    counted = dispatching.write_transaction

    @contextmanager
    def counting(engine: Engine) -> Iterator[object]:
        opened.append(engine)
        with counted(engine) as conn:
            yield conn

    monkeypatch.setattr(dispatching, "write_transaction", counting)
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    with _running(own_engine, interval_seconds=60) as dispatcher:
        for _ in range(3):  # every writer's commit wakes it: a step that finds nothing due writes nothing
            assert not dispatcher._step()
        assert opened == []
        hook_api.ok("webhook/test", {"id": hook["id"]})
        dispatcher._step()  # due: claimed in a write transaction, and sent
        assert len(opened) == 1
        assert _until(lambda: len(receiver.requests) == 1, seconds=5)


def test_stopping_waits_for_attempts_under_way_no_longer_than_its_timeout(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    queued = hook_api.ok("webhook/test", {"id": hook["id"]})
    receiver.delay = 4.0  # far longer than the stop may take
    with _running(own_engine, interval_seconds=60) as dispatcher:
        dispatcher._step()  # claimed and handed to a sender thread
        assert _until(lambda: receiver.busy > 0, seconds=5)
        started = time.monotonic()
        dispatcher.stop(timeout=0.5)
        assert time.monotonic() - started < 2.0
        table = schema.webhook_deliveries
        with read_transaction(own_engine) as conn:
            query = select(table.c.status, table.c.lease_token).where(table.c.id == queued["id"])
            row = conn.execute(query).one()
        assert (
            row.status == "pending" and row.lease_token is not None
        )  # left to its lease: sent again after it
