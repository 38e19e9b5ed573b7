"""The derived tables' checkpoint: `event/send` commits its log entry alone, the buckets, the ledger and the totals
follow in a checkpoint written from a process's state; a load applies the entries after the checkpoint; every
other write brings the tables up to the log first; readers of the tables see every answered write."""

import json
import os
import random
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from gameservices.domain.awards import Award
from gameservices.domain.buckets import Bucket
from gameservices.projection import catch_up, checkpoint
from gameservices.projection.apply import _ledgers_by_entry
from gameservices.projection.checkpoint import CheckpointThread, checkpoint_partner, write_checkpoint
from gameservices.projection.live import LiveState
from gameservices.projection.pending import Pending, Straddled
from gameservices.projection.replay import snapshot, verify
from gameservices.projection.state import PartnerState
from gameservices.services.scoring import visibility
from gameservices.storage import checkpoints, event_log
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log as event_log_table
from gameservices.storage.schema import user_rule_scores, user_scores
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api

IN_WINDOW = {"virtualEventId": "ve1", "eventTime": "2025-06-01T10:00:00Z"}


def _board(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {
            "name": "Checkpointed",
            "status": "enabled",
            "virtualEventIds": ["ve1"],
            "startDate": "2025-01-01T00:00:00Z",
            "endDate": "2099-01-01T00:00:00Z",
        },
    )["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    return board


def _polls(api: Api, *answers: tuple[str, str]) -> None:
    events = [
        {"eventType": "pollAnswered", "userId": user, "pollId": poll, **IN_WINDOW} for user, poll in answers
    ]
    api.ok("event/send", {"events": events})


def _stored_scores(engine: Engine, partner_id: int) -> dict[str, float]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(user_scores.c.user_id, user_scores.c.score).where(user_scores.c.partner_id == partner_id)
        )
        return {str(user): float(score) for user, score in rows}


def _ledger_total(engine: Engine, partner_id: int) -> float:
    with read_transaction(engine) as conn:
        query = select(func.coalesce(func.sum(user_rule_scores.c.score), 0)).where(
            user_rule_scores.c.partner_id == partner_id
        )
        return float(conn.execute(query).scalar_one())


def _seqs(engine: Engine, partner_id: int) -> tuple[int, int]:
    with read_transaction(engine) as conn:
        return checkpoints.read(conn, partner_id), event_log.last_seq(conn, partner_id)


def test_event_send_leaves_the_tables_to_the_checkpoint(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    before, _ = _seqs(engine, partner.id)
    _polls(api, ("ann", "p1"), ("bob", "p1"))
    _polls(api, ("ann", "p2"))
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at == before < last  # the two entries are in the log only
    assert _stored_scores(engine, partner.id) == {}
    # Every read of the live state sees them; a fresh process loads the tables and applies the entries after.
    assert [row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]] == [20, 10]
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as loaded:
        assert loaded.log_seq == last
        assert {user: s.score for user, s in loaded.boards[board].standings()} == {"ann": 20.0, "bob": 10.0}
    state = app_client.app.state.live.partner(partner.id)  # type: ignore[attr-defined]
    written = write_checkpoint(engine, state, partner.id)
    assert written is not None and (written.before, written.seq) == (before, last)
    assert _seqs(engine, partner.id) == (last, last)
    assert _stored_scores(engine, partner.id) == {"ann": 20.0, "bob": 10.0}
    assert _ledger_total(engine, partner.id) == 30.0
    assert not state.has_pending
    assert write_checkpoint(engine, state, partner.id) is None  # nothing newer than the tables
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_every_other_write_brings_the_tables_up_to_the_log_first(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    api.ok("userScore/clear", {"gameObjectId": board})  # its entry moves the checkpoint to itself
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at == last
    assert _stored_scores(engine, partner.id) == {}
    _polls(api, ("ann", "p2"))
    api.ok("leaderboard/update", {"id": board, "name": "Renamed"})
    assert _seqs(engine, partner.id)[0] == _seqs(engine, partner.id)[1]
    assert _stored_scores(engine, partner.id) == {"ann": 10.0}
    assert _ledger_total(engine, partner.id) == 10.0


def test_an_entry_that_writes_the_tables_needs_them_up_to_the_log(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    _polls(api, ("ann", "p1"))  # in the log only
    with pytest.raises(RuntimeError, match="bring them up to it first"), write_transaction(engine) as conn:
        event_log.append(conn, partner.id, "userScore.clear", b"{}", now_ms=0)
    with pytest.raises(ValueError, match="only events entries"), write_transaction(engine) as conn:
        event_log.append(conn, partner.id, "userScore.clear", b"{}", now_ms=0, deferred=True)


def test_readers_of_the_tables_see_every_answered_write(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"), ("ann", "p2"))
    progress = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert progress[0]["score"] == 20 and progress[0]["progress"] == 2
    report = app_client.post(
        "/api/v1/report/generate",
        headers={"Authorization": f"Bearer {api.ks}"},
        json={"gameObjectId": board, "reportType": "userScore", "format": "json"},
    )
    assert report.status_code == 200 and "ann" in report.text
    assert _seqs(engine, partner.id)[0] == _seqs(engine, partner.id)[1]


def test_a_second_process_writes_the_checkpoint_of_entries_it_followed(
    app_client: TestClient, engine: Engine, settings: Any, partner: Any
) -> None:
    from gameservices.api.app import create_app

    api = Api(app_client, partner.ks)
    board = _board(api)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other:
        follower = Api(other, partner.ks)
        follower.ok("userScore/list", {"gameObjectId": board})
        _polls(api, ("ann", "p1"), ("bob", "p1"))
        _polls(api, ("ann", "p2"))
        follower.ok("userScore/list", {"gameObjectId": board})  # caught up, holding the entries' changes
        thread = CheckpointThread(engine, other.app.state.live, interval=3600)  # type: ignore[attr-defined]
        assert [(done.partner_id, done.seq) for done in thread.run_once()] == [
            (partner.id, _seqs(engine, partner.id)[1])
        ]
    assert _stored_scores(engine, partner.id) == {"ann": 20.0, "bob": 10.0}
    assert _ledger_total(engine, partner.id) == 30.0
    # The writer's own state then finds the tables ahead of its changes: nothing is written twice.
    assert write_checkpoint(engine, app_client.app.state.live.partner(partner.id), partner.id) is None  # type: ignore[attr-defined]
    assert _ledger_total(engine, partner.id) == 30.0


def test_retention_keeps_the_entries_after_the_checkpoint(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    _polls(api, ("ann", "p1"))
    tables_at, last = _seqs(engine, partner.id)
    with write_transaction(engine) as conn:
        event_log.delete_older_than(conn, 2**62, limit=1_000)
    with read_transaction(engine) as conn:
        kept = [entry.seq for entry in event_log.entries_after(conn, partner.id, 0, limit=100)]
    assert kept == list(range(tables_at + 1, last + 1)) and kept
    assert checkpoint_partner(engine, partner.id) is not None


def test_an_entry_applied_twice_adds_its_ledger_once() -> None:
    pending = Pending()
    ledger = {("board", "rule", "ann"): 10.0}
    bucket = Bucket("ann", progress=1, awarded=10, completed_at=None, updated_at=1.0)
    for _ in range(2):  # its writer after the commit, and a catch-up woken by the commit
        pending.record(7, {("rule", ("ann",)): bucket}, {}, [("board", "ann")], [((7, 7), ledger)], 1.0)
    rows = pending.rows(6, 7, {("rule", ("ann",)): bucket}, lambda board, user: (10.0, 1.0, False))
    assert rows.ledger == ledger and len(rows.buckets) == 1 and len(rows.standings) == 1
    assert not pending.rows(7, 7, {}, lambda board, user: None)  # the tables already hold entry 7
    pending.written_through(7)
    assert not pending


def test_entries_evaluated_together_keep_each_entrys_ledger() -> None:
    def award(user: str, points: float, index: int) -> Award:
        return Award("board", "rule", user, points, 0.0, ("rule", (user,)), True, False, index)

    awards = [award("ann", 1, 0), award("bob", 2, 1), award("ann", 4, 3)]
    assert _ledgers_by_entry(awards, [(5, 0), (6, 1), (7, 3)]) == [
        ((5, 5), {("board", "rule", "ann"): 1}),
        ((6, 6), {("board", "rule", "bob"): 2}),
        ((7, 7), {("board", "rule", "ann"): 4}),
    ]
    pending = Pending()
    pending.record(7, {}, {}, [], [((5, 7), {("board", "rule", "ann"): 5})], 0.0)
    with pytest.raises(Straddled):  # the tables at entry 6: part of those deltas is in them, part not
        pending.rows(6, 7, {}, lambda board, user: None)


def test_db_checkpoint_writes_each_partner_up_to_its_log(
    app_client: TestClient, engine: Engine, partner: Any, database_url: str
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    _polls(api, ("ann", "p1"))
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "gameservices", "db", "checkpoint", "--partner-id", str(partner.id)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    tables_at, last = _seqs(engine, partner.id)
    assert line["partnerId"] == partner.id and line["written"] and line["to"] == last == tables_at
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert json.loads(again.stdout) == {"partnerId": partner.id, "written": False}
    unknown = [*command[:-1], "999999"]
    missing = subprocess.run(unknown, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode != 0 and "999999" in missing.stdout + missing.stderr
    with read_transaction(engine) as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(event_log_table)
                .where(event_log_table.c.partner_id == partner.id)
            ).scalar_one()
            > 0
        )


def test_a_large_checkpoint_writes_every_row(app_client: TestClient, engine: Engine, partner: Any) -> None:
    # Past COPY_FROM rows a table's rows go through COPY on PostgreSQL (executemany on SQLite).
    api = Api(app_client, partner.ks)
    _board(api)
    users = [f"user{number:04d}" for number in range(1_500)]
    _polls(api, *((user, "p1") for user in users))
    _polls(api, *((user, "p2") for user in users[:700]))
    assert checkpoint_partner(engine, partner.id) is not None
    stored = _stored_scores(engine, partner.id)
    assert len(stored) == 1_500 and sum(stored.values()) == 1_500 * 10 + 700 * 10
    assert _ledger_total(engine, partner.id) == 22_000.0
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def _counted(function: Any, calls: list[object]) -> Any:
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return function(*args, **kwargs)

    return counting


def test_a_load_reads_and_evaluates_the_entries_in_pieces(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    for number in range(7):  # entries of one and two events, users scoring in several of them
        _polls(
            api, (f"u{number % 3}", f"p{number}"), *([(f"u{number % 2}", f"q{number}")] if number % 2 else [])
        )
    whole = LiveState()
    with read_transaction(engine) as conn, whole.reading(conn, partner.id) as state:
        expected = {user: standing.score for user, standing in state.boards[board].standings()}
    # Read three entries at a time and evaluated in groups of at most four events: the groups straddle the reads.
    monkeypatch.setattr(catch_up, "CHUNK", 3)
    monkeypatch.setattr(catch_up, "LOAD_GROUP", 4)
    reads, groups = [], []
    monkeypatch.setattr(
        catch_up.event_log, "entries_after", _counted(catch_up.event_log.entries_after, reads)
    )
    monkeypatch.setattr(catch_up, "_apply", _counted(catch_up._apply, groups))
    pieces = LiveState()
    with read_transaction(engine) as conn, pieces.reading(conn, partner.id) as state:
        assert state.log_seq == _seqs(engine, partner.id)[1]
        assert {user: standing.score for user, standing in state.boards[board].standings()} == expected
    assert len(reads) == 3 and len(groups) == 3  # 3 + 3 + 1 entries; 4 + 3 + 3 events
    assert write_checkpoint(engine, pieces.partner(partner.id), partner.id) is not None
    assert _stored_scores(engine, partner.id) == expected
    assert _ledger_total(engine, partner.id) == sum(expected.values()) == 100.0
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_a_checkpoint_among_entries_a_load_applied_together_loads_them_again(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    checkpoint_partner(engine, partner.id)
    for user in ("u1", "u2", "u3"):
        _polls(api, (user, "p1"))
    early, late = LiveState(), LiveState()
    with read_transaction(engine) as conn, early.reading(conn, partner.id):
        pass  # at the third entry
    for user in ("u4", "u5"):
        _polls(api, (user, "p1"))
    with read_transaction(engine) as conn, late.reading(conn, partner.id):
        pass  # the five entries applied together, their ledger deltas kept as one
    assert write_checkpoint(engine, early.partner(partner.id), partner.id) is not None  # among the five
    # Not guessed: loaded again right there (the tables at the new checkpoint and the two entries after it).
    written = write_checkpoint(engine, late.partner(partner.id), partner.id)
    assert written is not None and written.seq == written.before + 2
    assert _ledger_total(engine, partner.id) == 50.0
    assert _stored_scores(engine, partner.id) == {f"u{n}": 10.0 for n in range(1, 6)}


def test_a_write_finding_the_checkpoint_among_entries_loaded_together_loads_them_again(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    _polls(api, ("u1", "p1"))
    early, late = LiveState(), LiveState()
    with read_transaction(engine) as conn, early.reading(conn, partner.id):
        pass
    _polls(api, ("u2", "p1"))
    with read_transaction(engine) as conn, late.reading(conn, partner.id):
        pass
    assert write_checkpoint(engine, early.partner(partner.id), partner.id) is not None
    with late.transaction(engine, partner.id) as (state, conn):  # flush: loads again, then writes the rest
        assert state.log_seq == checkpoints.tables_at(conn, partner.id)
    assert _ledger_total(engine, partner.id) == 20.0
    assert [row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]] == [10, 10]


def test_entries_that_changed_nothing_are_checkpointed_too(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    state = app_client.app.state.live.partner(partner.id)  # type: ignore[attr-defined]
    checkpoint.bring_up(engine, app_client.app.state.live, partner.id)  # type: ignore[attr-defined]
    assert not state.has_pending
    api.ok(
        "event/send", {"events": [{"eventType": "quizSubmitted", "userId": "ann", **IN_WINDOW}]}
    )  # no rule
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at < last and state.has_pending  # an entry after the checkpoint, though it changed nothing
    written = write_checkpoint(engine, state, partner.id)
    assert written is not None and written.rows == 0 and _seqs(engine, partner.id) == (last, last)
    assert not state.has_pending


def test_events_moving_a_duration_a_cap_reads_write_the_tables_at_once(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    # A load gives every event after the checkpoint the entries' stored (newest) durations: an event that moves
    # one must not be left after the checkpoint with earlier events that read the older one.
    api = Api(app_client, partner.ks)
    board = _board(api)
    api.ok(
        "rule/create",
        {
            "name": "Minutes",
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
            "type": "count",
            "metric": "playTime",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "4",
            "maxPoints": "duration,inMinutesMultiplyByPoints",
        },
    )

    def view(**fields: Any) -> None:
        event = {"eventType": "viewPeriod", "userId": "ann", "entryId": "0_x", "playTime": 10, **IN_WINDOW}
        api.ok("event/send", {"events": [{**event, **fields}]})

    view(duration=60)  # the cap: 1 minute × 4 points
    view()  # reads the kept 60 s: capped, no points
    tables_at, _ = _seqs(engine, partner.id)
    view(duration=300)  # moves the duration: written at once, the entries before it with it
    assert _seqs(engine, partner.id)[0] > tables_at
    view()
    live = snapshot(app_client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as loaded:
        assert snapshot(loaded) == live


def test_the_checkpoint_thread_outlives_a_failing_round(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    live = app_client.app.state.live  # type: ignore[attr-defined]
    real = live.pending_states
    failures = [0]

    def failing_first() -> Any:
        if not failures[0]:
            failures[0] += 1
            raise RuntimeError("lost the states")
        return real()

    monkeypatch.setattr(live, "pending_states", failing_first)
    thread = CheckpointThread(engine, live, interval=0.01).start()
    try:
        _polls(api, ("ann", "p1"))
        deadline = time.monotonic() + 10
        while _stored_scores(engine, partner.id) != {"ann": 10.0} and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop()
    assert failures[0] == 1 and _stored_scores(engine, partner.id) == {"ann": 10.0}


def test_an_override_naming_no_storable_user_credits_nobody(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    # A user id no table holds (user ids are at most 256 characters) is credited to nobody, as an event that
    # names no user to credit: an accepted entry whose effects the checkpoint could not write would leave the
    # tables behind the log for good, and refuse every later write of the partner.
    api = Api(app_client, partner.ks)
    board = _board(api)
    rule = api.ok(
        "rule/create",
        {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board, "userIdOverride": "authorId"},
    )["id"]
    events = [
        {"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "authorId": "a" * 257, **IN_WINDOW},
        {"eventType": "pollAnswered", "userId": "bob", "pollId": "p2", "authorId": "cid", **IN_WINDOW},
    ]
    assert api.ok("event/send", {"events": events})["accepted"] == 2
    api.ok("rule/update", {"id": rule, "name": "Authors"})  # writes the tables up to the log first
    scored = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert {row["userId"]: row["score"] for row in scored} == {"ann": 10, "bob": 10, "cid": 10}
    assert _stored_scores(engine, partner.id) == {"ann": 10.0, "bob": 10.0, "cid": 10.0}
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_the_certificate_report_shows_the_progress_of_every_answered_event(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    # Its progress is read from the buckets' table: events moving a certificate's rule without awarding points
    # leave that to the checkpoint, so the list brings the tables up to the log first, as the other readers of
    # the tables do.
    api = Api(app_client, partner.ks)
    certificate = api.ok("certificate/create", {**guide.certificate_8_2(), "status": "enabled"})["id"]
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate))["id"]

    def watch(seconds: int) -> None:
        event = {"eventType": "viewPeriod", "userId": "ann", "entryId": "e1", "playTime": seconds}
        api.ok("event/send", {"events": [event]})

    def progress() -> float:
        body = {"gameObjectId": certificate, "pager": {"pageSize": 10, "pageIndex": 1}}
        (row,) = api.ok("userCertificateReport/list", body)["objects"]
        return float(next(item["progress"] for item in row["rulesData"] if item["id"] == rule))

    watch(60)  # awards a point: written at once
    assert progress() == 60
    tables_at, _ = _seqs(engine, partner.id)
    watch(30)  # moves the progress only: left to the checkpoint
    assert _seqs(engine, partner.id)[0] == tables_at
    assert progress() == 90


def test_a_checkpoint_never_writes_entries_a_rolled_back_write_applied(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A profile change applies its own entries to the state within its transaction (its userProfile event, then
    # the visibility refresh reads the state); rolled back, it forgets the state. A checkpoint starting between
    # the rollback and that must not write those entries, which the log does not hold: it reads the state's rows
    # only once the write's hold of the state has ended, the state forgotten.
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    live = app_client.app.state.live  # type: ignore[attr-defined]
    state = live.partner(partner.id)
    written: list[Any] = []
    racers: list[threading.Thread] = []
    real_invalidate = PartnerState.invalidate

    def checkpoint_then_invalidate(self: PartnerState) -> None:
        if not racers:  # the checkpoint thread, between the rollback and the state's undoing
            racers.append(
                threading.Thread(target=lambda: written.append(write_checkpoint(engine, state, partner.id)))
            )
            racers[0].start()
        real_invalidate(self)

    def failing_save(*_: Any) -> None:
        raise RuntimeError("the connection was lost")

    monkeypatch.setattr(PartnerState, "invalidate", checkpoint_then_invalidate)
    monkeypatch.setattr(visibility, "_save", failing_save)
    status, _ = api.call("userProfile/upsert", {"userId": "ann", "email": "ann@example.com"})
    monkeypatch.undo()
    racers[0].join(30)
    assert status == 500 and written == [None]
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at <= last
    _polls(api, ("bob", "p1"))
    api.ok("leaderboard/update", {"id": board, "description": "after"})
    _polls(api, ("cid", "p1"))
    scored = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert sorted(row["userId"] for row in scored) == ["ann", "bob", "cid"]
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
        with LiveState().reading(conn, partner.id) as loaded:
            assert snapshot(loaded) == snapshot(live.partner(partner.id))


def test_grouping_and_unique_values_of_any_length_are_stored(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    # A grouping or unique value is part of a key of the buckets' tables: PostgreSQL refuses an index row past a
    # few KB, so an accepted event carrying a long one left the checkpoint unable to write, and every later write
    # of the partner failed. A value longer than an id stands in the key as a digest: grouping and uniqueness
    # stay exactly as they were.
    api = Api(app_client, partner.ks)
    board = _board(api)  # with a rule counting each user's unique polls
    sessions = {
        **POLL_RULE,
        "name": "Sessions",
        "type": "count",
        "metric": "sessionId",
        "groupBy": "kuserId,sessionId",
        "points": "1",
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
    }
    api.ok("rule/create", sessions)
    letters = random.Random(7)
    long_poll = "".join(letters.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20_000))
    long_session = "".join(letters.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20_000))
    events = [
        {
            "eventType": "pollAnswered",
            "userId": "ann",
            "pollId": long_poll,
            "sessionId": long_session,
            **IN_WINDOW,
        },
        {
            "eventType": "pollAnswered",
            "userId": "ann",
            "pollId": long_poll,
            "sessionId": long_session,
            **IN_WINDOW,
        },
        {
            "eventType": "pollAnswered",
            "userId": "ann",
            "pollId": long_poll + "b",
            "sessionId": "s2",
            **IN_WINDOW,
        },
    ]
    assert api.ok("event/send", {"events": events})["accepted"] == 3
    api.ok(
        "rule/update", {"id": api.ok("rule/list", {"gameObjectId": board})["objects"][0]["id"], "name": "P"}
    )
    # Two polls (the repeat counted once), two sessions of which one twice: 10 + 10 + 1 + 1 + 1.
    [row] = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert row["score"] == 23
    assert _stored_scores(engine, partner.id) == {"ann": 23.0}
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
