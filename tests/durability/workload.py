"""The durability suites' workload: a leaderboard whose rules cover every accumulation type, a deterministic
stream of events with ids, and the state to compare between runs (engine tables and API v1 answers), with the
randomly generated object and rule ids replaced by their names so runs on different databases compare equal."""

import hashlib
import random
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, text

# POST /api/v1/<path> with a body → (status, decoded JSON answer).
Call = Callable[[str, dict[str, Any]], tuple[int, Any]]

BATCH_SIZE = 1_000
FIRST_EVENT_TIME = 1_750_000_000

RULES: list[dict[str, Any]] = [
    # A sum with a cap: 10 points per 60 seconds of an entry, at most 30 per user and entry.
    {
        "name": "watch",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "10",
        "maxPoints": "30",
    },
    {
        "name": "chat",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
        "type": "count",
        "metric": "comment",
        "groupBy": "kuserId",
        "goal": "3",
        "points": "5",
        "maxPoints": "50",
    },
    {
        "name": "polls",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
        "type": "countUnique",
        "metric": "pollId",
        "groupBy": "kuserId",
        "goal": "2",
        "points": "7",
        "maxPoints": "unlimited",
    },
    {
        "name": "likes",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "like"}],
        "type": "countBoolean",
        "metric": "like",
        "groupBy": "kuserId",
        "goal": "2",
        "points": "3",
        "maxPoints": "9",
    },
    # Order matters here: the first three users to register share a capped pool.
    {
        "name": "first three",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "registered"}],
        "type": "countUnique",
        "metric": "kuserId",
        "groupBy": "",
        "goal": "1",
        "points": "100",
        "maxPoints": "300",
    },
]

BADGE: dict[str, Any] = {
    "name": "three sessions",
    "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
    "rules": [
        {
            "name": "watch three entries",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
            "type": "countUnique",
            "metric": "entryId",
            "groupBy": "kuserId",
            "goal": "3",
            "points": "1",
            "maxPoints": "1",
        }
    ],
}

# Each engine table of a partner with the columns that must match between runs. Left out: the partner id, the
# ledger's update time (the time the call was received) and a certificate's generated id.
ENGINE_TABLES: dict[str, tuple[str, ...]] = {
    "buckets": ("rule_id", "bucket_key", "user_id", "progress", "awarded", "completed_at", "updated_at"),
    "bucket_values": ("rule_id", "bucket_key", "value"),
    "user_rule_scores": ("game_object_id", "user_id", "rule_id", "score"),
    "user_scores": ("game_object_id", "user_id", "score", "reached_at", "hidden"),
    "processed_events": ("event_id",),
    "entries": ("entry_id", "entry_name", "duration", "updated_at"),
    "user_badges": ("badge_id", "user_id", "achieved_at"),
    "user_certificates": ("certificate_id", "user_id", "entry_id", "status", "credits", "certified_at"),
}


def set_up(call: Call) -> tuple[str, str]:
    """Create the leaderboard with its rules and the badge; return their ids."""
    leaderboard = {
        "name": "durability",
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
        "virtualEventIds": [],
    }
    leaderboard_id: str = _ok(call, "leaderboard/create", leaderboard)["id"]
    for rule in RULES:
        body = {**rule, "gameObjectType": "leaderboard", "gameObjectId": leaderboard_id}
        _ok(call, "rule/create", {**body, "mode": "distribute_points"})
    badge_id: str = _ok(call, "badge/create", BADGE)["id"]
    return leaderboard_id, badge_id


def make_event(chooser: random.Random, number: int, users: int) -> dict[str, Any]:
    """Event ``number`` of a stream: a random kind, user and payload, its own id and time."""
    kind = chooser.choices(["viewPeriod", "comment", "pollAnswered", "like", "registered"], [6, 2, 2, 2, 1])[
        0
    ]
    event: dict[str, Any] = {
        "eventId": f"ev-{number}",
        "eventType": kind,
        "userId": f"user{chooser.randrange(users)}",
        # Several events share a second, so ties in reached_at are common.
        "eventTime": FIRST_EVENT_TIME + number // 3,
    }
    if kind == "viewPeriod":
        event.update(entryId=f"entry{chooser.randrange(12)}", playTime=chooser.choice([10, 20, 30, 45, 60]))
        event["entryName"] = f"Entry {event['entryId']}"
    elif kind == "comment":
        event["comment"] = "hello"
    elif kind == "pollAnswered":
        event["pollId"] = f"poll{chooser.randrange(20)}"
    elif kind == "like":
        event["like"] = chooser.choice([True, False, 1, 0, "true"])
    return event


def batch(seed: int, index: int, *, size: int = BATCH_SIZE, users: int = 500) -> list[dict[str, Any]]:
    """Batch ``index`` of the stream ``seed``: the same events on every call, without generating the others."""
    chooser = random.Random(f"{seed}/{index}")
    return [make_event(chooser, index * size + offset, users) for offset in range(size)]


def names_by_id(conn: Connection, partner_id: int) -> dict[str, str]:
    """Generated game object and rule ids → stable labels (kind and name)."""
    labels: dict[str, str] = {}
    for table, kind in (("game_objects", "object_type"), ("rules", "game_object_type")):
        rows = conn.execute(
            text(f"SELECT id, {kind}, name FROM {table} WHERE partner_id = :p"), {"p": partner_id}
        )
        labels.update({row[0]: f"<{row[1]}:{row[2]}>" for row in rows})
    return labels


def relabel(value: Any, labels: dict[str, str]) -> Any:
    """A value with every generated id (also a sub-rule's ``<rule id>/<n>``) replaced by its label."""
    if isinstance(value, str):
        root, slash, rest = value.partition("/")
        return labels[root] + slash + rest if root in labels else value
    if isinstance(value, dict):
        return {relabel(key, labels): relabel(item, labels) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [relabel(item, labels) for item in value]
    return value


def table_rows(conn: Connection, partner_id: int, table: str) -> Iterator[tuple[Any, ...]]:
    """The rows of one engine table of a partner, relabelled, in a stable order."""
    columns = ENGINE_TABLES[table]
    labels = names_by_id(conn, partner_id)
    statement = text(f"SELECT {', '.join(columns)} FROM {table} WHERE partner_id = :p")
    rows = [tuple(relabel(list(row), labels)) for row in conn.execute(statement, {"p": partner_id})]
    # bool(hidden) because SQLite answers 0/1 where PostgreSQL answers False/True.
    yield from sorted(
        (tuple(bool(v) if type(v) is int and v in (0, 1) else v for v in row) for row in rows), key=repr
    )


def engine_dump(conn: Connection, partner_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every engine table of a partner, in full."""
    return {table: list(table_rows(conn, partner_id, table)) for table in ENGINE_TABLES}


def engine_fingerprint(conn: Connection, partner_id: int) -> dict[str, tuple[int, str]]:
    """Every engine table of a partner as (row count, SHA-256 of its rows): a full comparison in little memory."""
    printed: dict[str, tuple[int, str]] = {}
    for table in ENGINE_TABLES:
        digest, count = hashlib.sha256(), 0
        for row in table_rows(conn, partner_id, table):
            digest.update(repr(row).encode() + b"\n")
            count += 1
        printed[table] = (count, digest.hexdigest())
    return printed


def api_answers(
    call: Call, objects: tuple[str, str], labels: dict[str, str], *, progress_of: int = 25
) -> Any:
    """The v1 answers to compare: every userScore/list and userBadge/list page, and the first users' ruleProgress."""
    leaderboard_id, badge_id = objects
    listed = _every_page(call, "userScore/list", leaderboard_id)
    users = sorted(item["userId"] for item in listed)[:progress_of]
    progress = [
        _ok(call, "userScore/ruleProgress", {"gameObjectId": leaderboard_id, "userId": user})
        for user in users
    ]
    badges = _every_page(call, "userBadge/list", badge_id)
    return relabel({"userScore/list": listed, "ruleProgress": progress, "userBadge/list": badges}, labels)


def _every_page(call: Call, path: str, game_object_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    page = 1
    while True:
        body = {"gameObjectId": game_object_id, "pager": {"pageSize": 500, "pageIndex": page}}
        objects: list[dict[str, Any]] = _ok(call, path, body)["objects"]
        listed.extend(objects)
        if len(objects) < 500:
            return listed
        page += 1


def _ok(call: Call, path: str, body: dict[str, Any]) -> Any:
    status, answer = call(path, body)
    if status != 200:
        raise AssertionError(f"{path}: {status} {answer}")
    return answer
