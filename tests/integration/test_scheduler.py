"""Running due scheduled transitions against the database (SQLite and PostgreSQL), in process."""

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gameservices import scheduler
from gameservices.domain.timefmt import now_ms
from gameservices.services.access.partner import create_partner
from gameservices.services.catalog import game_objects, scheduler_jobs
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import schedules as schedule_repository
from gameservices.storage.database import is_sqlite, read_transaction, write_transaction
from gameservices.storage.partners import read_versions
from tests.conftest import Api

POLL_RULE = {
    "gameObjectType": "leaderboard",
    "name": "Speed polls (double points)",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
    "type": "count",
    "mode": "distribute_points",
    "metric": "pollId",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "50",
    "maxPoints": "unlimited",
}


def iso(moment: datetime) -> str:
    """A time as the API takes it."""
    return moment.isoformat().replace("+00:00", "Z")


def challenge(api: Api) -> str:
    """A scheduled leaderboard with one rule; its window spans the test, so only its status gates scoring."""
    now = datetime.now(UTC)
    leaderboard = api.ok(
        "leaderboard/create",
        {
            "name": "Keynote Flash Challenge",
            "status": "scheduled",
            "startDate": iso(now - timedelta(hours=1)),
            "endDate": iso(now + timedelta(hours=1)),
            "virtualEventIds": ["12345"],
        },
    )["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectId": leaderboard})
    return str(leaderboard)


def schedule(api: Api, object_id: str, action: str, at: datetime) -> dict[str, Any]:
    """Plan a transition of a leaderboard."""
    body = {"gameObjectType": "leaderboard", "gameObjectId": object_id, "scheduledAction": action}
    created: dict[str, Any] = api.ok("scheduledGameObject/create", {**body, "scheduledDate": iso(at)})
    return created


def ran_ids(engine: Engine) -> list[str]:
    """Run one pass and return the ids of the transitions it ran."""
    return [record.id for record in scheduler.run_due_transitions(engine).ran]


def rules_version(engine: Engine, partner_id: int) -> int:
    """The partner's rules version: every transition run bumps it exactly once."""
    with read_transaction(engine) as conn:
        return read_versions(conn, partner_id)[1]


def send_poll(api: Api, poll_id: str) -> None:
    """One poll answer of user ``ann``, now."""
    body = {
        "events": [{"eventType": "pollAnswered", "userId": "ann", "pollId": poll_id, "virtualEventId": 12345}]
    }
    assert api.ok("event/send", body)["accepted"] == 1


def score_of_ann(api: Api, leaderboard: str) -> Any:
    """Ann's score on the leaderboard, or None when she has none."""
    status, answer = api.call("userScore/get", {"gameObjectId": leaderboard, "userId": "ann"})
    return answer["score"] if status == 200 else None


def test_a_due_transition_runs_once_and_the_engine_sees_it(api: Api, engine: Engine) -> None:
    leaderboard = challenge(api)
    partner_id = api.ok("leaderboard/get", {"id": leaderboard})["partnerId"]
    now = datetime.now(UTC)
    enable = schedule(api, leaderboard, "enable", now - timedelta(seconds=1))
    later = schedule(api, leaderboard, "disable", now + timedelta(hours=1))
    send_poll(api, "before")
    before = rules_version(engine, partner_id)

    assert enable["id"] in ran_ids(engine)

    assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == "enabled"
    done = api.ok("scheduledGameObject/get", {"id": enable["id"]})
    assert done["status"] == "done" and done["error"] is None
    assert done["scheduledDate"] <= done["executedAt"] <= iso(datetime.now(UTC))
    assert api.ok("scheduledGameObject/get", {"id": later["id"]})["status"] == "pending"
    assert rules_version(engine, partner_id) == before + 1
    assert score_of_ann(api, leaderboard) is None
    send_poll(api, "during")
    assert score_of_ann(api, leaderboard) == 50
    # A second look finds nothing more to do.
    assert enable["id"] not in ran_ids(engine)
    assert rules_version(engine, partner_id) == before + 1


@pytest.mark.parametrize(
    ("first", "second", "final"),
    [
        ("enable", "disable", "disabled"),
        ("disable", "enable", "enabled"),
    ],
)
def test_overdue_transitions_of_one_object_run_in_date_order(
    api: Api, engine: Engine, first: str, second: str, final: str
) -> None:
    leaderboard = challenge(api)
    now = datetime.now(UTC)
    # Created in the opposite order, so neither creation order nor id order could pass for date order.
    late = schedule(api, leaderboard, second, now - timedelta(seconds=5))
    early = schedule(api, leaderboard, first, now - timedelta(seconds=10))
    ran = ran_ids(engine)
    assert ran.index(early["id"]) < ran.index(late["id"])
    assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == final


def test_a_later_transition_waits_for_an_earlier_pending_one(api: Api, engine: Engine) -> None:
    leaderboard = challenge(api)
    now = datetime.now(UTC)
    early = schedule(api, leaderboard, "enable", now - timedelta(seconds=10))
    late = schedule(api, leaderboard, "disable", now - timedelta(seconds=5))
    with write_transaction(engine) as conn:
        due = {record.id: record for record in scheduler_jobs.due(conn, now=10**15, limit=10**6)}
        assert scheduler_jobs.execute(conn, schedule=due[late["id"]], now=10**15) is None
    assert api.ok("scheduledGameObject/get", {"id": late["id"]})["status"] == "pending"
    ran = ran_ids(engine)
    assert ran.index(early["id"]) < ran.index(late["id"])


def test_a_transition_of_a_vanished_object_fails_with_the_reason(api: Api, engine: Engine) -> None:
    leaderboard = challenge(api)
    planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(seconds=1))
    partner_id = planned["partnerId"]
    # Removed behind the API's back: leaderboard/delete would have cancelled the transition.
    with write_transaction(engine) as conn:
        object_repository.delete_game_object(conn, partner_id=partner_id, object_id=leaderboard)

    assert planned["id"] in ran_ids(engine)

    failed = api.ok("scheduledGameObject/get", {"id": planned["id"]})
    assert failed["status"] == "failed" and failed["executedAt"] is not None
    assert failed["error"] == f"Leaderboard with id [{leaderboard}] not found"


def test_a_passing_database_failure_leaves_the_transition_pending(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaderboard = challenge(api)
    planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(seconds=1))

    def lost_connection(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("UPDATE game_objects", {}, Exception("server closed the connection"))

    monkeypatch.setattr(game_objects, "update", lost_connection)
    assert planned["id"] not in ran_ids(engine)
    assert api.ok("scheduledGameObject/get", {"id": planned["id"]})["status"] == "pending"
    monkeypatch.undo()
    assert planned["id"] in ran_ids(engine)
    assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == "enabled"


def test_an_unexpected_error_fails_the_transition(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaderboard = challenge(api)
    planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(seconds=1))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(game_objects, "update", broken)
    assert planned["id"] in ran_ids(engine)
    failed = api.ok("scheduledGameObject/get", {"id": planned["id"]})
    assert (failed["status"], failed["error"]) == ("failed", "Internal error (RuntimeError)")
    assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == "scheduled"


def test_a_transition_claimed_elsewhere_is_skipped(api: Api, engine: Engine) -> None:
    if is_sqlite(engine):
        pytest.skip("on SQLite one write transaction at a time already serialises the claims")
    leaderboard = challenge(api)
    planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(seconds=1))
    with write_transaction(engine) as other:
        claimed = schedule_repository.claim_schedule(
            other, partner_id=planned["partnerId"], schedule_id=planned["id"], now=10**15
        )
        assert claimed is not None
        assert planned["id"] not in ran_ids(engine)
    assert planned["id"] in ran_ids(engine)
    assert api.ok("scheduledGameObject/get", {"id": planned["id"]})["status"] == "done"


def test_the_scheduler_thread_runs_a_past_transition_at_once_and_stops_promptly(
    api: Api, engine: Engine
) -> None:
    leaderboard = challenge(api)
    running = scheduler.start_scheduler(engine, interval_seconds=0.1)
    try:
        planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(days=1))
        created = time.monotonic()
        while api.ok("scheduledGameObject/get", {"id": planned["id"]})["status"] == "pending":
            assert time.monotonic() - created < 2, "not run within 2 seconds"
            time.sleep(0.02)
    finally:
        asked = time.monotonic()
        running.stop()
    assert time.monotonic() - asked < 1 and not running.running
    assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == "enabled"
    assert "gameservices-scheduler" not in {thread.name for thread in threading.enumerate()}


def test_log_retention_deletes_entries_older_than_the_retention(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        partner_id = create_partner(conn, name="retention")["partnerId"]
        old = now_ms() - 3 * 86_400_000
        for _ in range(3):
            event_log.append(conn, partner_id, "userScore.clear", b"{}", now_ms=old)
        event_log.append(conn, partner_id, "userScore.clear", b"{}", now_ms=now_ms())
    retention = scheduler.LogRetention(engine, days=2)
    retention()
    with read_transaction(engine) as conn:
        kept = event_log.entries_after(conn, partner_id, 0, limit=10)
        assert [entry.seq for entry in kept] == [4]
        assert event_log.last_seq(conn, partner_id) == 4


def test_log_retention_deletes_due_entries_of_every_partner_and_no_later_one(engine: Engine) -> None:
    old = now_ms() - 3 * 86_400_000
    with write_transaction(engine) as conn:
        partners = [create_partner(conn, name=f"retention {n}")["partnerId"] for n in range(2)]
        for partner_id in partners:
            for _ in range(3):
                event_log.append(conn, partner_id, "userScore.clear", b"{}", now_ms=old)
            event_log.append(conn, partner_id, "userScore.clear", b"{}", now_ms=now_ms())
    scheduler.LogRetention(engine, days=2)()
    with read_transaction(engine) as conn:
        for partner_id in partners:
            assert [entry.seq for entry in event_log.entries_after(conn, partner_id, 0, limit=10)] == [4]


def test_log_retention_finds_due_entries_by_index_not_by_reading_the_log(engine: Engine) -> None:
    # Read through the whole log (and on SQLite through every entry's body, stored before created_at), the look
    # held SQLite's write lock for about half a second per 300,000 entries, every minute, however few were due.
    query = event_log.deletable_before(now_ms(), limit=5_000)
    with write_transaction(engine) as conn:
        if is_sqlite(engine):
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert "ix_event_log_created" in plan, plan
