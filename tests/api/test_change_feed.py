"""The change feed: each committed entry's typed changes, read back in order by id, with the ranks a leaderboard
shows before and after the write (DESIGN.md section 9, "Change feed")."""

import asyncio
import random
import time
from typing import Any

import pytest
from sqlalchemy import Engine, delete

from gameservices import feed
from gameservices.feed import Change
from gameservices.feed.hub import FeedHub, Filters
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api

# Within the guide's leaderboard window (2025-06-01 to 06-03).
AT = 1_748_851_200


def _board(api: Api) -> str:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    return board


def _changes(engine: Engine, partner_id: int, after: feed.Position | None = None) -> list[Change]:
    with read_transaction(engine) as conn:
        return feed.read(conn, partner_id, after=after, limit=100_000)


def _ranks(api: Api, board: str) -> dict[str, tuple[int, float]]:
    answer = api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 500}})
    return {item["userId"]: (item["rank"], item["score"]) for item in answer["objects"]}


def _poll(user: str, poll: str, at: int) -> dict[str, Any]:
    return {"eventType": "pollAnswered", "userId": user, "pollId": poll, "eventTime": at}


def test_score_changes_carry_the_ranks_before_and_after(api: Api, partner: Any, engine: Engine) -> None:
    board = _board(api)
    shuffle = random.Random(7)
    users = [f"user{n}" for n in range(12)]
    position = feed.head_of(engine, partner.id)
    total_moves = 0
    for step in range(25):
        before = _ranks(api, board)
        events = [
            _poll(shuffle.choice(users), f"p{shuffle.randrange(40)}", AT + step)
            for _ in range(shuffle.randint(1, 15))
        ]
        api.ok("event/send", {"events": events})
        after = _ranks(api, board)
        changes = _changes(engine, partner.id, position)
        position = changes[-1].position if changes else position
        # Only users whose score moved are announced (others' ranks shift with them, unannounced).
        moved = {
            user
            for user in set(before) | set(after)
            if before.get(user, (0, None))[1] != after.get(user, (0, None))[1]
        }
        seen = {}
        for change in changes:
            assert change.type == "score.changed"
            data = change.data
            assert data["gameObjectId"] == board and data["gameObjectType"] == "leaderboard"
            seen[data["userId"]] = data
        assert set(seen) == moved
        total_moves += len(moved)
        for user, data in seen.items():
            assert (data["rank"], data["score"]) == after[user]
            if user in before:
                assert (data["previousRank"], data["previousScore"]) == before[user]
            else:
                assert data["previousRank"] is None and data["previousScore"] is None
    assert total_moves > 50  # the property was exercised


def test_ids_number_changes_within_their_entry_and_resume_exactly(
    api: Api, partner: Any, engine: Engine
) -> None:
    board = _board(api)
    start = feed.head_of(engine, partner.id)
    api.ok("event/send", {"events": [_poll(f"u{n}", "p1", AT) for n in range(5)]})
    api.ok("event/send", {"events": [_poll("u9", "p2", AT + 1)]})
    everything = _changes(engine, partner.id, start)
    assert [change.index for change in everything] == [0, 1, 2, 3, 4, 0]
    assert everything[0].seq + 1 == everything[-1].seq
    assert all(change.id == f"{change.seq}-{change.index}" for change in everything)
    for cut in range(len(everything)):
        rest = _changes(engine, partner.id, feed.parse_id(everything[cut].id))
        assert [change.id for change in rest] == [change.id for change in everything[cut + 1 :]]
    with read_transaction(engine) as conn:
        only_u9 = feed.read(conn, partner.id, after=start, limit=10, game_object_id=board)
        none = feed.read(conn, partner.id, after=start, limit=10, types=frozenset({"badge.achieved"}))
        page = feed.scan(conn, partner.id, after=start, limit=2)
    assert len(only_u9) == 6 and none == []
    assert [change.id for change in page.changes] == [change.id for change in everything[:2]]
    assert page.position == everything[1].position


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("7-0", (7, 0)),
        (" 12-3 ", (12, 3)),
        ("7", None),
        ("7-", None),
        ("-3", None),
        ("7-3-1", None),
        ("7--3", None),
        ("+7-3", None),
        ("\u00b2-0", None),  # superscript two: str.isdigit() says yes, int() refuses it
        ("0-\u00b2", None),
        ("\u0663-0", None),  # Arabic-Indic three: int() would read it; ids are ASCII digits
        ("1" * 19 + "-0", None),
    ],
)
def test_parse_id_reads_change_ids_only(text: str, position: feed.Position | None) -> None:
    assert feed.parse_id(text) == position


def test_badges_certificates_and_status_changes(api: Api, partner: Any, engine: Engine) -> None:
    start = feed.head_of(engine, partner.id)
    badge = api.ok("badge/create", {**guide.badge_7_1(), "status": "enabled"})["id"]
    views = [
        {
            "eventType": "viewPeriod",
            "userId": "ann",
            "entryId": f"e{n}",
            "playTime": 30,
            "eventTime": AT,
        }
        for n in range(3)
    ]
    api.ok("event/send", {"events": views})
    api.ok("badge/update", {"id": badge, "status": "disabled"})
    changes = _changes(engine, partner.id, start)
    achieved = [change.data for change in changes if change.type == "badge.achieved"]
    assert achieved == [{"gameObjectId": badge, "userId": "ann", "achievedAt": "2025-06-02T08:00:00.000Z"}]
    status = [change.data for change in changes if change.type == "gameObject.statusChanged"]
    assert status == [{"gameObjectType": "badge", "gameObjectId": badge, "status": "disabled"}]


@pytest.mark.parametrize("how", ["disabled", "deleted"])
def test_a_badge_achieved_through_a_rule_change_is_announced(
    api: Api, partner: Any, engine: Engine, how: str
) -> None:
    body = guide.badge_7_1()
    views_rule = body["rules"][0]
    polls_rule = {**views_rule, "name": "Answer 3 polls", "metric": "pollId"}
    polls_rule["conditions"] = [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}]
    badge = api.ok("badge/create", {**body, "status": "enabled", "rules": [views_rule, polls_rule]})
    views = [
        {"eventType": "viewPeriod", "userId": "ann", "entryId": f"e{n}", "playTime": 30, "eventTime": AT}
        for n in range(3)
    ]
    api.ok("event/send", {"events": views})  # ann completes the first rule only
    start = feed.head_of(engine, partner.id)
    polls_id = badge["rules"][1]["id"]
    if how == "disabled":
        api.ok("rule/update", {"id": polls_id, "status": "disabled"})
    else:
        api.ok("rule/delete", {"id": polls_id})
    [row] = api.ok("userBadge/list", {"gameObjectId": badge["id"]})["objects"]
    assert row["status"] == "ACHIEVED"
    achieved = [
        change.data for change in _changes(engine, partner.id, start) if change.type == "badge.achieved"
    ]
    assert achieved == [
        {"gameObjectId": badge["id"], "userId": "ann", "achievedAt": row["achievedTimestamp"]}
    ]


def test_a_certificate_is_announced_once_when_earned(api: Api, partner: Any, engine: Engine) -> None:
    certificate = api.ok("certificate/create", {**guide.certificate_8_2(), "status": "enabled"})["id"]
    api.ok("rule/create", guide.certificate_rule_8_4(certificate))
    start = feed.head_of(engine, partner.id)
    for minute in range(12):
        event = {
            "eventType": "viewPeriod",
            "userId": "bo",
            "entryId": "e1",
            "playTime": 60,
            "eventTime": AT + 60 * minute,
        }
        api.ok("event/send", {"events": [event]})
    issued = [change for change in _changes(engine, partner.id, start) if change.type == "certificate.issued"]
    reports = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    certified = [report for report in reports if report["status"] == "CERTIFIED"]
    assert len(issued) == len(certified) == 1
    assert issued[0].data["userId"] == "bo" and issued[0].data["gameObjectId"] == certificate
    assert issued[0].data["userCertificateId"] == certified[0]["id"]


def test_no_partner_reads_another_partners_changes(api: Api, new_partner: Any, engine: Engine) -> None:
    other = new_partner("other")
    _board(api)
    api.ok("event/send", {"events": [_poll("x", "p1", AT)]})
    assert _changes(engine, other.id) == []


def test_a_score_set_by_hand_is_announced(api: Api, partner: Any, engine: Engine) -> None:
    from tests.api.v3_client import V3

    board = _board(api)
    api.ok("event/send", {"events": [_poll("a", "p1", AT), _poll("a", "p2", AT), _poll("b", "p1", AT)]})
    start = feed.head_of(engine, partner.id)
    v3 = V3(api.client, api.ks)
    v3.call(
        "game_userscore", "update", {"gameObjectId": board, "gameObjectType": "1", "userId": "b", "score": 45}
    )
    [change] = _changes(engine, partner.id, start)
    assert change.type == "score.changed"
    assert change.data == {
        "gameObjectId": board,
        "gameObjectType": "leaderboard",
        "userId": "b",
        "score": 45,
        "previousScore": 10,
        "rank": 1,
        "previousRank": 2,
    }


def test_a_stream_resuming_where_retention_left_nothing_waits(api: Api, partner: Any, engine: Engine) -> None:
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    api.ok(
        "event/send",
        {"events": [{"eventType": "pollAnswered", "userId": "u", "pollId": "p", "eventTime": AT}]},
    )
    with write_transaction(engine) as conn:  # retention deleted every entry of the (now idle) partner
        conn.execute(delete(event_log).where(event_log.c.partner_id == partner.id))

    async def resume() -> tuple[int, Any]:
        hub = FeedHub(engine, poll_seconds=0.25)
        await hub.start(partner.id)
        after, calls = (1, 0), 0  # a Last-Event-ID the client kept from before
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # as api/stream.py calls it until the stream ends
            after = (await hub.next(partner.id, after, Filters(), timeout=0.5)).position
            calls += 1
        hub.stop(partner.id)
        hub.close()
        return calls, after

    calls, after = asyncio.run(resume())
    assert calls <= 3, f"{calls} empty pages in 1 s (stuck at {after}): it did not wait"


def test_a_stream_that_fails_to_open_is_not_counted(engine: Engine, partner: Any) -> None:
    async def open_failing() -> int:
        hub = FeedHub(engine, poll_seconds=0.25, max_streams=1)

        def head_failing(partner_id: int) -> Any:
            raise OSError("the database went away")

        hub._head = head_failing  # type: ignore[method-assign]
        with pytest.raises(OSError, match="went away"):
            await hub.start(partner.id)
        hub.admit()  # (the one stream it may serve is still free)
        hub.close()
        return hub._streams

    assert asyncio.run(open_failing()) == 0
