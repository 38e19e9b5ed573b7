"""Changes of the feed become deliveries: one per matching enabled webhook and change, made once however many
dispatchers run, never to another partner's webhook."""

import threading
from collections import Counter
from typing import Any

from sqlalchemy import Engine, delete, select

from gameservices import feed
from gameservices.services.access.partner import create_partner
from gameservices.storage import webhooks
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log, webhook_deliveries
from gameservices.webhooks import fanout
from gameservices.webhooks.dispatcher import Dispatcher
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver

AT = 1_748_851_200  # within the guide's leaderboard window


def _board(api: Api) -> str:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    return board


def _answer(api: Api, *users: str, poll: str = "p1") -> None:
    events = [
        {"eventType": "pollAnswered", "userId": user, "pollId": poll, "eventTime": AT} for user in users
    ]
    assert api.ok("event/send", {"events": events})["accepted"] == len(users)


def _hook(api: Api, url: str, types: list[str], **fields: Any) -> Any:
    return api.ok("webhook/create", {"url": url, "eventTypes": types, **fields})


def _messages(receiver: Receiver, hook: Any) -> list[Any]:
    return [request.verify(hook["secret"]) for request in receiver.requests if request.path == _path(hook)]


def _path(hook: Any) -> str:
    return "/" + hook["url"].split("/", 3)[3]


def test_score_changes_reach_the_webhook_signed(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, own_engine: Engine
) -> None:
    board = _board(hook_api)
    hook = _hook(hook_api, receiver.url, ["score.changed"])
    _answer(hook_api, "ann", "ben")
    assert dispatcher.run_once() == 2
    messages = _messages(receiver, hook)
    assert sorted(message["data"]["userId"] for message in messages) == ["ann", "ben"]
    for message in messages:
        assert message["type"] == "score.changed" and message["data"]["gameObjectId"] == board
        assert message["data"]["score"] == 10 and message["timestamp"].endswith("Z")
    listed = hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})["objects"]
    with read_transaction(own_engine) as conn:
        partner_id = listed[0]["partnerId"]
        ids = {change.id for change in feed.read(conn, partner_id, after=None, limit=100)}
    assert {item["changeId"] for item in listed} <= ids and all(
        item["status"] == "delivered" for item in listed
    )
    assert dispatcher.run_once() == 0  # the cursor moved past them


def test_each_webhook_gets_the_types_and_game_objects_it_asked_for(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    first, second = _board(hook_api), _board(hook_api)
    scores_of_first = _hook(hook_api, receiver.url + "/a", ["score.changed"], gameObjectIds=[first])
    statuses = _hook(hook_api, receiver.url + "/b", ["gameObject.statusChanged"])
    scores_of_second = _hook(hook_api, receiver.url + "/c", ["score.changed"], gameObjectIds=[second])
    _answer(hook_api, "ann")  # scores on both boards
    hook_api.ok("leaderboard/update", {"id": first, "status": "disabled"})
    dispatcher.run_once()
    got_first = _messages(receiver, scores_of_first)
    assert [(m["type"], m["data"]["gameObjectId"]) for m in got_first] == [("score.changed", first)]
    assert [(m["type"], m["data"]["gameObjectId"]) for m in _messages(receiver, scores_of_second)] == [
        ("score.changed", second)
    ]
    got_statuses = _messages(receiver, statuses)
    assert [(m["type"], m["data"]["gameObjectId"], m["data"]["status"]) for m in got_statuses] == [
        ("gameObject.statusChanged", first, "disabled")
    ]


def test_changes_before_creation_or_while_disabled_are_not_sent(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    _board(hook_api)
    _answer(hook_api, "early")
    hook = _hook(hook_api, receiver.url, ["score.changed"])
    _answer(hook_api, "ann")
    dispatcher.run_once()  # (a running dispatcher takes changes within a fraction of a second)
    hook_api.ok("webhook/update", {"id": hook["id"], "status": "disabled"})
    _answer(hook_api, "while-off")
    dispatcher.run_once()
    hook_api.ok("webhook/update", {"id": hook["id"], "status": "enabled"})
    _answer(hook_api, "ben")
    dispatcher.run_once()
    delivered = [message["data"]["userId"] for message in _messages(receiver, hook)]
    assert sorted(delivered) == ["ann", "ben"]


def test_no_webhook_receives_another_partners_change(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, own_engine: Engine
) -> None:
    with write_transaction(own_engine) as conn:
        other = Api(hook_api.client, create_partner(conn, name="other")["ks"])
    mine = _hook(hook_api, receiver.url + "/mine", ["score.changed", "gameObject.statusChanged"])
    theirs = _hook(other, receiver.url + "/theirs", ["score.changed", "gameObject.statusChanged"])
    mine_board, their_board = _board(hook_api), _board(other)
    _answer(hook_api, "my-user")
    _answer(other, "their-user")
    other.ok("leaderboard/update", {"id": their_board, "status": "disabled"})
    dispatcher.run_once()
    mine_got = _messages(receiver, mine)
    theirs_got = _messages(receiver, theirs)
    assert {m["data"].get("userId") for m in mine_got} == {"my-user"}
    assert {m["data"]["gameObjectId"] for m in mine_got} == {mine_board}
    assert {m["data"]["gameObjectId"] for m in theirs_got} == {their_board}
    assert {m["type"] for m in theirs_got} == {"score.changed", "gameObject.statusChanged"}
    assert other.ok("webhookDelivery/list", {"webhookId": mine["id"]})["totalCount"] == 0


def test_two_dispatchers_make_each_delivery_once(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock
) -> None:
    _board(hook_api)
    hooks = [_hook(hook_api, receiver.url + f"/{n}", ["score.changed"]) for n in range(3)]
    stop = threading.Event()
    failures: list[BaseException] = []

    def dispatch() -> None:
        while not stop.is_set():
            try:
                fanout.fan_out(own_engine, clock())
            except BaseException as error:  # pragma: no cover - reported below
                failures.append(error)
                return

    runners = [threading.Thread(target=dispatch) for _ in range(2)]
    for runner in runners:
        runner.start()
    try:
        for round_ in range(15):
            _answer(hook_api, *(f"user{n}" for n in range(4)), poll=f"p{round_}")
    finally:
        stop.set()
        for runner in runners:
            runner.join()
    fanout.fan_out(own_engine, clock())
    assert not failures, failures
    with read_transaction(own_engine) as conn:
        rows = conn.execute(select(webhook_deliveries.c.webhook_id, webhook_deliveries.c.change_id)).all()
    per_pair = Counter((str(row[0]), str(row[1])) for row in rows)
    assert set(per_pair.values()) == {1}
    assert Counter(webhook for webhook, _ in per_pair) == {hook["id"]: 60 for hook in hooks}


def test_an_entry_with_more_changes_than_a_pass_takes_is_delivered_whole(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, monkeypatch: Any
) -> None:
    monkeypatch.setattr(fanout, "CHANGES_PER_PASS", 3)
    _board(hook_api)
    hook = _hook(hook_api, receiver.url, ["score.changed"])
    users = [f"user{n}" for n in range(8)]
    _answer(hook_api, *users)  # one entry, eight changes
    assert dispatcher.run_once() == 8
    assert sorted(message["data"]["userId"] for message in _messages(receiver, hook)) == users


def test_a_cursor_behind_entries_retention_deleted_goes_on_to_the_head(
    hook_api: Api, receiver: Receiver, own_engine: Engine
) -> None:
    _board(hook_api)
    _hook(hook_api, receiver.url, ["score.changed"])
    _answer(hook_api, "ann")
    with write_transaction(own_engine) as conn:  # retention deleted them before any fan-out reached them
        conn.execute(delete(event_log))  # (the database of this one partner)
    with read_transaction(own_engine) as conn:
        assert webhooks.lagging_partners(conn, limit=100, end=feed.END)
    fanout.fan_out(own_engine, 0)
    with read_transaction(own_engine) as conn:
        assert webhooks.lagging_partners(conn, limit=100, end=feed.END) == []  # not taken up at every pass
