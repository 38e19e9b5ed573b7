"""The event log: every change appends one entry, seqs are gap-free, and a second process (a second app on the
same database, with its own live state) follows the writer by applying the entries it lacks — reaching exactly
the state a fresh load from the tables gives, without loading the tables again."""

import random
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from gameservices.api.app import create_app
from gameservices.projection import entries
from gameservices.projection import loading as live_module
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.live import LiveState
from gameservices.projection.pending import Pending
from gameservices.projection.replay import snapshot, verify
from gameservices.projection.state import PartnerState
from gameservices.storage import event_log as log_repository
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log, game_objects, partners, rules, user_scores
from tests.api import guide_bodies as guide
from tests.conftest import Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def _board(api: Api, points: int = 10) -> tuple[str, str]:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    rule = api.ok(
        "rule/create",
        {
            "name": "Answer polls",
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
            "type": "count",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": str(points),
            "maxPoints": "unlimited",
        },
    )
    return board, str(rule["id"])


def _polls(api: Api, *pairs: tuple[str, str]) -> None:
    events = [{"eventType": "pollAnswered", "userId": u, "pollId": p, **IN_WINDOW} for u, p in pairs]
    answer = api.ok("event/send", {"events": events})
    assert answer["accepted"] == len(events), answer


def _top(api: Api, board: str) -> list[tuple[str, int]]:
    body = {"gameObjectId": board, "pager": {"pageSize": 100, "pageIndex": 1}}
    return [(item["userId"], item["score"]) for item in api.ok("userScore/list", body)["objects"]]


def _entries(engine: Engine, partner_id: int) -> list[tuple[int, str]]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(event_log.c.seq, event_log.c.kind)
            .where(event_log.c.partner_id == partner_id)
            .order_by(event_log.c.seq)
        ).all()
        newest = conn.execute(select(partners.c.log_seq).where(partners.c.id == partner_id)).scalar_one()
    assert newest == (rows[-1][0] if rows else 0)
    return [(int(seq), str(kind)) for seq, kind in rows]


def _fresh(engine: Engine, partner_id: int) -> Any:
    with read_transaction(engine) as conn, LiveState().reading(conn, partner_id) as state:
        return snapshot(state)


def test_every_change_appends_one_entry_with_gap_free_seqs(api: Api, partner: Any, engine: Engine) -> None:
    board, rule = _board(api)
    _polls(api, ("ann", "p1"), ("bob", "p1"))
    api.ok("rule/update", {"id": rule, "points": "5"})
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@example.com"})
    api.ok("userScore/clear", {"gameObjectId": board})
    kinds = [kind for _, kind in _entries(engine, partner.id)]
    seqs = [seq for seq, _ in _entries(engine, partner.id)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert kinds[:4] == ["gameObject.change", "rule.change", "events", "rule.change"]
    assert kinds[4:] == ["userProfile.change", "events", "userScore.clear"]


def test_a_call_whose_events_are_all_duplicates_or_refused_appends_nothing(
    api: Api, partner: Any, engine: Engine
) -> None:
    _board(api)
    before = _entries(engine, partner.id)
    api.ok("event/send", {"events": [{"eventType": "pollAnswered"}]})  # no user: refused
    assert _entries(engine, partner.id) == before


@pytest.fixture
def other(app_client: TestClient, engine: Engine, settings: Any, api: Api) -> Any:
    """A second application on the same database: another process with its own live state."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Api(client, api.ks), client.app.state.live  # type: ignore[attr-defined]


def _no_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> Any:
        raise AssertionError("the state was loaded from the tables again")

    monkeypatch.setattr(live_module.bucket_repository, "load_buckets", refuse)
    monkeypatch.setattr(live_module, "load_boards", refuse)


def test_another_process_applies_only_the_entries_it_lacks(
    api: Api, other: Any, partner: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_api, other_live = other
    board, rule = _board(api)
    _polls(api, ("ann", "p1"))
    assert _top(other_api, board) == [("ann", 10)]  # loaded once
    _no_reload(monkeypatch)
    _polls(api, ("bob", "p1"), ("bob", "p2"))
    assert _top(other_api, board) == [("bob", 20), ("ann", 10)]
    # Rule changes with events before and after them: the rule set is compiled again, the buckets stay.
    _polls(api, ("cid", "p1"))
    api.ok("rule/update", {"id": rule, "points": "1"})
    api.ok("leaderboard/update", {"id": board, "name": "Renamed"})
    _polls(api, ("cid", "p2"), ("ann", "p2"))
    # A profile change of a user with no earlier events in the gap needs nothing in memory.
    api.ok("userProfile/upsert", {"userId": "dan", "email": "dan@example.com"})
    assert _top(other_api, board) == [("bob", 20), ("ann", 11), ("cid", 11)]
    # The other process writes too, and the first follows it.
    _polls(other_api, ("dan", "p9"))
    assert ("dan", 1) in _top(api, board)
    monkeypatch.undo()
    assert snapshot(other_live.partner(partner.id)) == _fresh(engine, partner.id)
    assert snapshot(api.client.app.state.live.partner(partner.id)) == _fresh(engine, partner.id)  # type: ignore[attr-defined]


def test_every_kind_of_change_is_applied_in_memory(
    api: Api, other: Any, partner: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_api, other_live = other
    board, rule = _board(api)
    _polls(api, ("ann", "p1"), ("bob", "p1"))
    assert _top(other_api, board) == [("ann", 10), ("bob", 10)]
    _no_reload(monkeypatch)
    # Events between two rule changes are scored by the rules of their moment: the entries carry them.
    api.ok("rule/update", {"id": rule, "points": "3"})
    _polls(api, ("ann", "p2"))
    api.ok("rule/update", {"id": rule, "points": "7"})
    _polls(api, ("bob", "p2"))
    assert _top(other_api, board) == [("bob", 17), ("ann", 13)]
    copy = api.ok("leaderboard/clone", {"id": board})["id"]
    api.ok("leaderboard/update", {"id": copy, "status": "enabled"})
    _polls(api, ("cid", "p3"))
    assert _top(other_api, copy) == [("cid", 7)]
    api.ok("userScore/clear", {"gameObjectId": board})
    assert _top(other_api, board) == []
    api.ok("leaderboard/delete", {"id": copy})
    assert other_api.call("userScore/list", {"gameObjectId": copy})[0] == 404
    monkeypatch.undo()
    assert snapshot(other_live.partner(partner.id)) == _fresh(engine, partner.id)


def test_a_users_events_are_not_rescored_with_a_later_profile(
    api: Api, other: Any, partner: Any, engine: Engine
) -> None:
    other_api, other_live = other
    board = api.ok(
        "leaderboard/create",
        {
            **guide.leaderboard_4_2(),
            "status": "enabled",
            "participationPolicy": {
                "userDefaultPolicy": "display",
                "policies": [
                    {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["hidden.example"]}
                ],
            },
        },
    )["id"]
    rule = {
        "name": "Polls",
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
        "mode": "distribute_points",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
        "type": "count",
        "metric": "pollId",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "10",
        "maxPoints": "unlimited",
    }
    api.ok("rule/create", rule)
    _polls(api, ("ann", "p1"))
    _top(other_api, board)
    _polls(api, ("ann", "p2"), ("bob", "p2"))
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hidden.example"})
    _polls(api, ("bob", "p3"), ("ann", "p3"))
    # ann's p2 was scored before her profile said "do not save"; p3, after it, is not.
    assert sorted(_top(other_api, board)) == [("ann", 20), ("bob", 20)]
    assert snapshot(other_live.partner(partner.id)) == _fresh(engine, partner.id)


def test_random_interleaved_writes_in_two_processes_agree_with_a_fresh_load(
    api: Api, other: Any, partner: Any, engine: Engine
) -> None:
    other_api, other_live = other
    board, rule = _board(api)
    processes = [api, other_api]
    shuffle = random.Random(7)
    users = ["ann", "bob", "cid", "dan", "eve"]
    for step in range(60):
        writer, reader = shuffle.sample(processes, 2)
        action = shuffle.random()
        if action < 0.7:
            pairs = [
                (shuffle.choice(users), f"p{shuffle.randrange(12)}") for _ in range(shuffle.randint(1, 4))
            ]
            _polls(writer, *pairs)
        elif action < 0.8:
            writer.ok("rule/update", {"id": rule, "points": str(shuffle.randint(1, 9))})
        elif action < 0.9:
            domain = shuffle.choice(["example.com", "example.org"])
            writer.ok("userProfile/upsert", {"userId": shuffle.choice(users), "email": f"x{step}@{domain}"})
        else:
            writer.ok("leaderboard/update", {"id": board, "description": f"step {step}"})
        # A read after the write's answer, in either process, sees the write.
        assert _top(reader, board) == _top(writer, board)
    fresh = _fresh(engine, partner.id)
    assert snapshot(other_live.partner(partner.id)) == fresh
    assert snapshot(api.client.app.state.live.partner(partner.id)) == fresh  # type: ignore[attr-defined]


def test_integers_beyond_64_bits_are_logged_and_replayed_exactly(
    api: Api, partner: Any, engine: Engine
) -> None:
    board, rule = _board(api)
    conditions = [
        {"fact": "eventType", "operator": "equal", "value": "pollAnswered"},
        {"fact": "pollId", "operator": "notEqual", "value": 2**70},
    ]
    api.ok("rule/update", {"id": rule, "conditions": conditions})
    api.ok(
        "event/send",
        {
            "events": [
                {
                    "eventType": "pollAnswered",
                    "userId": "ann",
                    "pollId": "p",
                    "eventId": 2**69 + 1,
                    **IN_WINDOW,
                }
            ]
        },
    )
    with read_transaction(engine) as conn:
        logged = log_repository.entries_after(conn, partner.id, 0, limit=100)
        events = [
            e for entry in logged if entry.kind == entries.EVENTS for e in entries.decode_events(entry.body)
        ]
        assert events[-1].fields["eventId"] == 2**69 + 1 and isinstance(events[-1].fields["eventId"], int)
        rules = [
            log_repository.decode_body(entry.body) for entry in logged if entry.kind == entries.RULE_CHANGE
        ]
        assert rules[-1]["rule"]["data"]["conditions"][1]["value"] == 2**70, rules[-1]
        assert verify(conn, partner.id).same
    assert _top(api, board) == [("ann", 10)]


def test_a_catch_up_racing_the_writers_own_apply_never_applies_an_entry_twice(
    api: Api, partner: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wake-up listener (or a request) may catch the state up while the writer applies its own entry after
    # the commit: it must find the state either before the entry or after it.
    board, _ = _board(api)
    _polls(api, ("ann", "p1"))
    live = api.client.app.state.live  # type: ignore[attr-defined]
    noted = PartnerState.note_durations

    def note_then_race(self: PartnerState, events: list[Any]) -> None:
        noted(self, events)
        racer = threading.Thread(target=live.follow, args=(engine, [partner.id]))
        racer.start()
        racer.join(timeout=0.5)  # blocked on the state's lock until the writer is done, when it is held

    monkeypatch.setattr(PartnerState, "note_durations", note_then_race)
    _polls(api, ("ann", "p2"), ("bob", "p2"))
    monkeypatch.undo()
    assert _top(api, board) == [("ann", 20), ("bob", 10)]
    assert snapshot(live.partner(partner.id)) == _fresh(engine, partner.id)


def test_verify_reports_tables_that_drifted_from_the_log(api: Api, partner: Any, engine: Engine) -> None:
    _board(api)
    _polls(api, ("ann", "p1"), ("bob", "p1"))
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
    # The tables written up to the log: the stored state is then theirs alone, and a drift shows.
    assert checkpoint_partner(engine, partner.id) is not None
    with write_transaction(engine) as conn:
        conn.execute(
            update(user_scores)
            .where(user_scores.c.partner_id == partner.id, user_scores.c.user_id == "bob")
            .values(score=99)
        )
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert not verdict.same and any("bob" in difference for difference in verdict.differences)
    # Mended again: other tests on this database check every partner's tables against one another.
    with write_transaction(engine) as conn:
        conn.execute(
            update(user_scores)
            .where(user_scores.c.partner_id == partner.id, user_scores.c.user_id == "bob")
            .values(score=10)
        )
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_verify_reports_rules_and_game_objects_that_drifted_from_the_log(
    api: Api, partner: Any, engine: Engine
) -> None:
    # A rule or game object the tables hold unlike the log changes no score until later events come: the
    # verdict names it now.
    board, rule = _board(api)
    _polls(api, ("ann", "p1"))
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same and (verdict.rules, verdict.game_objects) == (1, 1)
    with read_transaction(engine) as conn:
        rule_data = conn.execute(select(rules.c.data).where(rules.c.id == rule)).scalar_one()
        object_name = conn.execute(select(game_objects.c.name).where(game_objects.c.id == board)).scalar_one()
    with write_transaction(engine) as conn:
        conn.execute(update(rules).where(rules.c.id == rule).values(data={**rule_data, "points": 99}))
        conn.execute(update(game_objects).where(game_objects.c.id == board).values(name="Renamed"))
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert not verdict.same
    assert any(difference.startswith(f"rule {rule!r}") for difference in verdict.differences), (
        verdict.differences
    )
    assert any(difference.startswith(f"game object {board!r}") for difference in verdict.differences)
    # Mended again: other tests on this database check every partner's tables against one another.
    with write_transaction(engine) as conn:
        conn.execute(update(rules).where(rules.c.id == rule).values(data=rule_data))
        conn.execute(update(game_objects).where(game_objects.c.id == board).values(name=object_name))
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_a_catch_up_that_fails_midway_loads_the_partner_whole(
    api: Api, other: Any, partner: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A catch-up failing while it takes in an entry's scores forgets the state (half taken in); the read then
    # loads the partner from the tables, its rule set included, and answers as a fresh load would.
    other_api, other_live = other
    board, _ = _board(api)
    _polls(api, ("ann", "p1"))
    assert _top(other_api, board) == [("ann", 10)]
    _polls(api, ("bob", "p1"), ("ann", "p2"))
    # Written at once, with the tables up to it: a load finds no entry after their checkpoint.
    api.ok("userProfile/upsert", {"userId": "dan", "email": "dan@example.com"})
    real_record = Pending.record
    failures: list[int] = []

    def failing_once(self: Pending, *args: Any, **options: Any) -> None:
        if not failures:
            failures.append(1)
            raise MemoryError("no room for the entry's marks")
        real_record(self, *args, **options)

    monkeypatch.setattr(Pending, "record", failing_once)
    _polls(other_api, ("cid", "p1"))  # its catch-up fails, then the partner is loaded and the events scored
    monkeypatch.undo()
    assert failures
    assert _top(other_api, board) == [("ann", 20), ("bob", 10), ("cid", 10)]
    assert snapshot(other_live.partner(partner.id)) == _fresh(engine, partner.id)
