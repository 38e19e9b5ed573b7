"""Row locks taken in one order: PostgreSQL would abort one of two transactions that take them in opposite orders.

1. The scheduler recording a failed transition (`scheduler.run_transition` -> `scheduler_jobs.fail`) and
   `scheduledGameObject/update|delete` (`LiveState.transaction`, then `scheduled_game_object._pending`) both take
   the partner row, then the schedule row.
2. The webhook dispatcher recording delivered attempts (`recording.record`: the delivery rows, then the webhook
   row) and `webhook/delete` (`push.webhook.delete`) both take the delivery rows, then the webhook row.

The hooks only order the threads (each lets the other reach its first row lock before going on); the locks are
the product's own. Should PostgreSQL not break the cycle, the stuck backends are cancelled so the session goes on.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices import scheduler
from gameservices.domain.timefmt import now_ms
from gameservices.services.catalog import scheduler_jobs
from gameservices.storage import game_objects as object_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage import schedules as schedule_repository
from gameservices.storage import webhook_deliveries as delivery_repository
from gameservices.storage.database import read_transaction, transaction_notes, write_transaction
from gameservices.webhooks import recording
from gameservices.webhooks.sender import Sent
from tests.api.lock_waits import join_or_unstick
from tests.conftest import Api
from tests.integration.test_scheduler import challenge, iso


def _run(name: str, outcomes: dict[str, Any], work: Callable[[], Any]) -> threading.Thread:
    def target() -> None:
        try:
            outcomes[name] = work()
        except Exception as error:  # the deadlock's victim
            outcomes[name] = error

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def test_recording_a_failed_transition_and_cancelling_it_do_not_deadlock(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions take turns before any row is locked")
    api = Api(app_client, partner.ks)
    live = app_client.app.state.live  # type: ignore[attr-defined]
    leaderboard = challenge(api)
    body = {"gameObjectType": "leaderboard", "gameObjectId": leaderboard, "scheduledAction": "enable"}
    planned = api.ok(
        "scheduledGameObject/create",
        {**body, "scheduledDate": iso(datetime.now(UTC) - timedelta(seconds=1))},
    )
    # The transition's change is refused (its object vanished behind the API's back, as in
    # tests/integration/test_scheduler.py): the scheduler then records it failed in a transaction of its own.
    with write_transaction(engine) as conn:
        object_repository.delete_game_object(conn, partner_id=partner.id, object_id=leaderboard)
    with read_transaction(engine) as conn:
        due = [s for s in scheduler_jobs.due(conn, now=10**15, limit=10**6) if s.id == planned["id"]]
    assert len(due) == 1

    real_fail = scheduler_jobs.fail
    real_lock_versions = partner_repository.lock_versions
    real_claim_schedule = schedule_repository.claim_schedule
    failing = threading.Event()
    scheduler_has_a_row = threading.Event()
    cancel_has_a_row = threading.Event()

    def marking_fail(conn: Any, **kwargs: Any) -> Any:
        failing.set()
        return real_fail(conn, **kwargs)

    def after_a_row(conn: Any) -> None:
        # `fail`'s transaction, once it holds its first row: the administrator's cancel may take its own first
        # row meanwhile (it waits instead when that is the row the scheduler holds: then this waits 3 s in vain).
        notes = transaction_notes(conn)
        if threading.current_thread().name == "racing-scheduler" and failing.is_set() and "test" not in notes:
            notes["test"] = True
            scheduler_has_a_row.set()
            cancel_has_a_row.wait(3)

    def ordered_lock_versions(conn: Any, partner_id: int) -> tuple[int, int]:
        found = real_lock_versions(conn, partner_id)
        if threading.current_thread().name == "racing-cancel":
            cancel_has_a_row.set()
        after_a_row(conn)
        return found

    def ordered_claim(conn: Any, **kwargs: Any) -> Any:
        found = real_claim_schedule(conn, **kwargs)
        after_a_row(conn)
        return found

    monkeypatch.setattr(scheduler_jobs, "fail", marking_fail)
    monkeypatch.setattr(partner_repository, "lock_versions", ordered_lock_versions)
    monkeypatch.setattr(schedule_repository, "claim_schedule", ordered_claim)
    outcomes: dict[str, Any] = {}
    racing = _run("racing-scheduler", outcomes, lambda: scheduler.run_transition(engine, live, due[0]))
    assert scheduler_has_a_row.wait(10)
    cancelling = _run(
        "racing-cancel", outcomes, lambda: api.call("scheduledGameObject/delete", {"id": planned["id"]})
    )
    stuck = join_or_unstick(engine, [racing, cancelling])
    assert not stuck, f"deadlocked for 15 s: {stuck} (outcomes: {outcomes})"
    # Both finish: the transition is either failed (then the cancel is refused as a conflict, 400-range) or
    # cancelled (then the scheduler finds it no longer its to mark: None) - never a deadlock abort.
    scheduled = outcomes["racing-scheduler"]
    cancelled = outcomes["racing-cancel"]
    assert not isinstance(scheduled, Exception), f"the scheduler's transaction was aborted: {scheduled!r}"
    assert cancelled[0] != 500, f"scheduledGameObject/delete failed: {cancelled}"


def _claim(engine: Engine, webhook_id: str, token: str) -> Any:
    with write_transaction(engine) as conn:
        claimed = [
            attempt
            for attempt in delivery_repository.claim_due(
                conn, now=10**15, limit=10**6, lease_ms=60_000, token=token
            )
            if attempt.webhook_id == webhook_id
        ]
    assert len(claimed) == 1
    return claimed[0]


def test_recording_a_delivery_and_deleting_its_webhook_do_not_deadlock(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions take turns before any row is locked")
    api = Api(app_client, partner.ks)
    hook = api.ok("webhook/create", {"url": "https://93.184.216.34/hook", "eventTypes": ["score.changed"]})
    api.ok("webhook/test", {"id": hook["id"]})  # one delivery waiting
    # Its first attempt fails (the endpoint was down): the webhook is failing since then, and the delivery is
    # retried; the retry succeeds (recorded below) just as the administrator deletes the webhook.
    first = _claim(engine, hook["id"], "first lease")
    with write_transaction(engine) as conn:
        recording.record(conn, [(first, Sent(503, "503 Service Unavailable"))], now=now_ms())
    assert api.ok("webhook/get", {"id": hook["id"]})["failingSince"] is not None
    claimed = [_claim(engine, hook["id"], "second lease")]

    real_finish = delivery_repository.finish_delivered
    real_delete_of_webhook = delivery_repository.delete_of_webhook
    dispatcher_has_delivery_row = threading.Event()
    delete_has_webhook_row = threading.Event()

    def ordered_finish(conn: Any, delivered: Any, *, now: int) -> None:
        real_finish(conn, delivered, now=now)
        if threading.current_thread().name == "racing-dispatcher":
            dispatcher_has_delivery_row.set()
            delete_has_webhook_row.wait(10)

    def ordered_delete_of_webhook(conn: Any, **kwargs: Any) -> None:
        delete_has_webhook_row.set()  # (webhook/delete deleted the webhook row just before)
        real_delete_of_webhook(conn, **kwargs)

    monkeypatch.setattr(delivery_repository, "finish_delivered", ordered_finish)
    monkeypatch.setattr(delivery_repository, "delete_of_webhook", ordered_delete_of_webhook)
    outcomes: dict[str, Any] = {}

    def record() -> None:
        # The dispatcher's step: the outcomes of its attempts recorded in one transaction.
        with write_transaction(engine) as conn:
            recording.record(conn, [(claimed[0], Sent(200, None))], now=now_ms())

    racing = _run("racing-dispatcher", outcomes, record)
    assert dispatcher_has_delivery_row.wait(10)
    deleting = _run("racing-delete", outcomes, lambda: api.call("webhook/delete", {"id": hook["id"]}))
    stuck = join_or_unstick(engine, [racing, deleting])
    assert not stuck, f"deadlocked for 15 s: {stuck} (outcomes: {outcomes})"
    assert not isinstance(outcomes["racing-dispatcher"], Exception), (
        f"the dispatcher's recording was aborted: {outcomes['racing-dispatcher']!r}"
    )
    assert outcomes["racing-delete"][0] == 200, f"webhook/delete failed: {outcomes['racing-delete']}"
