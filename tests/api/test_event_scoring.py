"""Events in, scores and ranks out, through API v1 on every database: the guide's 15.1 conference program fed
with a generated stream, checked against scores computed independently here."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api

START = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
COUNTRIES = ["FR", "DE", "US", "IL"]
IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def conference(api: Api, policies: list[dict[str, Any]] | None = None) -> str:
    """Guide 15.1: leaderboard (enabled), watch / poll / chat rules, a country sub-leaderboard."""
    body = {
        "objectType": "Leaderboard",
        "name": "Conference 2025",
        "status": "scheduled",
        "startDate": "2025-06-01T09:00:00Z",
        "endDate": "2025-06-03T18:00:00Z",
        "participationPolicy": {
            "userDefaultPolicy": "display",
            "policies": policies
            if policies is not None
            else [{"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]}],
        },
        "subLeaderboards": [{"name": "By Country", "filterPaths": ["country"], "id": 0}],
        "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
    }
    leaderboard: str = api.ok("leaderboard/create", body)["id"]
    view = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
    rules = [
        {
            "name": "Watch sessions",
            "conditions": view,
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId,entryId",
            "goal": "60",
            "points": "10",
            "maxPoints": "100",
        },
        {
            "name": "Answer polls",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
            "type": "count",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "25",
            "maxPoints": "unlimited",
        },
        {
            "name": "Chat messages",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
            "type": "count",
            "metric": "comment",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "5",
            "maxPoints": "50",
        },
    ]
    for rule in rules:
        api.ok(
            "rule/create",
            {
                **rule,
                "gameObjectType": "leaderboard",
                "gameObjectId": leaderboard,
                "mode": "distribute_points",
            },
        )
    api.ok("leaderboard/update", {"id": leaderboard, "status": "enabled"})
    return leaderboard


def user_email(index: int) -> str:
    return f"user{index:03d}@{'internal.com' if index % 17 == 0 else 'example.com'}"


def generate_stream(seed: int, users: int = 200, events: int = 3000) -> list[dict[str, Any]]:
    chooser = random.Random(seed)
    stream = []
    for number in range(events):
        user = user_email(chooser.randrange(users))
        moment = START + timedelta(seconds=number * 7)
        kind = chooser.choices(["viewPeriod", "pollAnswered", "comment"], weights=[6, 2, 2])[0]
        event: dict[str, Any] = {
            "eventId": f"e{seed}-{number}",
            "eventType": kind,
            "userId": user,
            "eventTime": moment.isoformat().replace("+00:00", "Z"),
            "virtualEventId": guide.VIRTUAL_EVENT_ID,
        }
        if kind == "viewPeriod":
            event.update(
                entryId=f"entry{chooser.randrange(12)}", playTime=chooser.choice([10, 20, 30, 45, 60])
            )
        elif kind == "pollAnswered":
            event["pollId"] = f"poll{chooser.randrange(30)}"
        else:
            event["comment"] = "hello"
        stream.append(event)
    return stream


def expected_scores(stream: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Score and time the score was reached, per user, computed from the rules' definitions alone."""
    watched: dict[tuple[str, str], int] = defaultdict(int)
    chat: dict[str, int] = defaultdict(int)
    scores: dict[str, int] = defaultdict(int)
    reached: dict[str, str] = {}
    for event in stream:
        user = event["userId"]
        if user.endswith("@internal.com"):
            continue
        before = scores[user]
        if event["eventType"] == "viewPeriod":
            key = (user, event["entryId"])
            old = min(watched[key] // 60 * 10, 100)
            watched[key] += event["playTime"]
            scores[user] += min(watched[key] // 60 * 10, 100) - old
        elif event["eventType"] == "pollAnswered":
            scores[user] += 25
        else:
            old = min(chat[user] * 5, 50)
            chat[user] += 1
            scores[user] += min(chat[user] * 5, 50) - old
        if scores[user] != before:
            reached[user] = event["eventTime"]
    return {user: (score, reached[user]) for user, score in scores.items() if score > 0}


def ranked(expected: dict[str, tuple[int, str]], hidden: set[str] = frozenset()) -> list[tuple[str, int]]:  # type: ignore[assignment]
    shown = [(user, score, at) for user, (score, at) in expected.items() if user not in hidden]
    return [(user, score) for user, score, _ in sorted(shown, key=lambda item: (-item[1], item[2], item[0]))]


def send_in_batches(api: Api, stream: list[dict[str, Any]], size: int) -> None:
    for start in range(0, len(stream), size):
        result = api.ok("event/send", {"events": stream[start : start + size]})
        assert result["rejected"] == [], result


def listed(api: Api, leaderboard: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"gameObjectId": leaderboard, "pager": {"pageSize": 500, "pageIndex": 1}, **extra}
    objects: list[dict[str, Any]] = api.ok("userScore/list", body)["objects"]
    return objects


def create_profiles(api: Api, users: int = 200, speakers: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Profiles carry the e-mail the domain policies read, the group and the country."""
    for index in range(users):
        email = user_email(index)
        groups = ["speakers"] if email in speakers else []
        profile = {
            "userId": email,
            "email": email,
            "groups": groups,
            "profileData": {"country": COUNTRIES[index % 4]},
        }
        api.ok("userProfile/create", profile)


def test_guide_15_1_scores_and_ranks(api: Api) -> None:
    leaderboard = conference(api)
    create_profiles(api)
    stream = generate_stream(seed=1)
    send_in_batches(api, stream, 100)
    expected = ranked(expected_scores(stream))
    objects = listed(api, leaderboard)
    assert [(item["userId"], item["score"]) for item in objects] == expected
    assert [item["rank"] for item in objects] == list(range(1, len(expected) + 1))
    assert not any(item["userId"].endswith("@internal.com") for item in objects)
    first_user, first_score = expected[0]
    assert (
        api.ok("userScore/get", {"gameObjectId": leaderboard, "userId": first_user})["score"] == first_score
    )
    status, error = api.call("userScore/get", {"gameObjectId": leaderboard, "userId": user_email(0)})
    assert status == 404 and error["code"] == "USER_ID_NOT_FOUND"


def test_resending_changes_nothing_and_chunking_does_not_matter(
    api: Api, app_client: Any, new_partner: Any
) -> None:
    stream = generate_stream(seed=2, events=600)
    leaderboard = conference(api)
    create_profiles(api)
    send_in_batches(api, stream, 600)
    replay = api.ok("event/send", {"events": stream[100:300]})
    assert replay == {"accepted": 0, "duplicates": 200, "rejected": [], "skipped": []}
    one_call = listed(api, leaderboard)
    other = Api(app_client, new_partner().ks)
    other_leaderboard = conference(other)
    create_profiles(other)
    chooser = random.Random(5)
    position = 0
    while position < len(stream):
        step = chooser.randint(1, 40)
        other.ok("event/send", {"events": stream[position : position + step]})
        position += step
    chunked = listed(other, other_leaderboard)
    strip = lambda items: [(item["userId"], item["score"], item["rank"]) for item in items]  # noqa: E731
    assert (
        strip(chunked)
        == strip(one_call)
        == [
            (user, score, rank) for rank, (user, score) in enumerate(ranked(expected_scores(stream)), start=1)
        ]
    )


def test_ties_rank_by_who_reached_the_score_first(api: Api) -> None:
    leaderboard = conference(api)
    poll = lambda user, minute: {  # noqa: E731
        "eventType": "pollAnswered",
        "userId": user,
        "pollId": "p",
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
        "eventTime": (START + timedelta(minutes=minute)).isoformat(),
    }
    api.ok(
        "event/send",
        {"events": [poll("zed@example.com", 1), poll("amy@example.com", 2), poll("bob@example.com", 3)]},
    )
    assert [item["userId"] for item in listed(api, leaderboard)] == [
        "zed@example.com",
        "amy@example.com",
        "bob@example.com",
    ]
    api.ok("event/send", {"events": [poll("bob@example.com", 4)]})
    assert listed(api, leaderboard)[0]["userId"] == "bob@example.com"


def test_neighbourhood_has_true_ranks(api: Api) -> None:
    leaderboard = conference(api)
    create_profiles(api)
    stream = generate_stream(seed=3, events=800)
    send_in_batches(api, stream, 200)
    expected = ranked(expected_scores(stream))
    user = expected[10][0]
    around = api.ok(
        "userScore/list",
        {"gameObjectId": leaderboard, "userIdEqual": user, "placesAboveUser": 2, "placesBelowUser": 3},
    )
    assert [(item["userId"], item["rank"]) for item in around["objects"]] == [
        (expected[index][0], index + 1) for index in range(8, 14)
    ]


def test_policies_hide_and_exclude(api: Api) -> None:
    policies = [
        {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["INTERNAL.com"]},
        {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]},
    ]
    leaderboard = conference(api, policies)
    speakers = {user_email(index) for index in range(1, 200, 9)} - {user_email(0)}
    for index in range(200):
        email = user_email(index)
        api.ok(
            "userProfile/create",
            {
                "userId": email,
                "email": email,
                "groups": ["speakers"] if email in speakers else [],
                "profileData": {"country": COUNTRIES[index % 4]},
            },
        )
    stream = generate_stream(seed=4)
    send_in_batches(api, stream, 250)
    expected = expected_scores(stream)
    objects = listed(api, leaderboard)
    assert [(item["userId"], item["score"]) for item in objects] == ranked(expected, hidden=speakers)
    speaker = next(user for user in speakers if user in expected)
    hidden = api.ok("userScore/get", {"gameObjectId": leaderboard, "userId": speaker})
    assert hidden["score"] == expected[speaker][0] and hidden["rank"] is None and hidden["hidden"] is True
    with_hidden = listed(api, leaderboard, includeHidden=True)
    assert {item["userId"] for item in with_hidden if item["hidden"]} == speakers & set(expected)
    # Team totals count hidden members; users of do_not_save domains have no score at all.
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for user, (score, _) in expected.items():
        country = COUNTRIES[int(user[4:7]) % 4]
        totals[country] += score
        counts[country] += 1
    standings = api.ok(
        "userScore/list",
        {"gameObjectId": leaderboard, "gameObjectType": "leaderboard", "subGameProperties": {"id": 0}},
    )["objects"]
    assert [(item["option"], item["score"], item["userCount"]) for item in standings] == sorted(
        ((country, totals[country], counts[country]) for country in totals),
        key=lambda item: (-item[1], item[0]),
    )
    assert [item["rank"] for item in standings] == list(range(1, len(standings) + 1))
    options = api.ok("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 0})
    assert options["objects"] == [
        {"option": country, "userCount": counts[country]} for country in sorted(counts)
    ]
    in_france = api.ok(
        "userScore/list",
        {
            "gameObjectId": leaderboard,
            "subGameProperties": {"id": 0, "option": "FR"},
            "pager": {"pageSize": 500, "pageIndex": 1},
        },
    )
    french = [
        (user, score)
        for user, score in ranked(expected, hidden=speakers)
        if COUNTRIES[int(user[4:7]) % 4] == "FR"
    ]
    assert [(item["userId"], item["score"]) for item in in_france["objects"]] == french
    assert [item["rank"] for item in in_france["objects"]] == list(range(1, len(french) + 1))


def test_profile_change_moves_user_between_segments_and_visibility(api: Api) -> None:
    policies = [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}]
    leaderboard = conference(api, policies)
    api.ok("userProfile/create", {"userId": "ann", "profileData": {"country": "FR"}})
    api.ok(
        "event/send", {"events": [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p", **IN_WINDOW}]}
    )

    def options() -> Any:
        return api.ok("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 0})["objects"]

    assert options() == [{"option": "FR", "userCount": 1}]
    api.ok("userProfile/update", {"userId": "ann", "profileData": {"country": "DE"}, "groups": ["speakers"]})
    assert options() == [{"option": "DE", "userCount": 1}]
    assert listed(api, leaderboard) == []
    api.ok("userProfile/update", {"userId": "ann", "groups": []})
    assert [item["userId"] for item in listed(api, leaderboard)] == ["ann"]


def test_segments_of_true_and_false_are_written_as_json_writes_them(api: Api) -> None:
    leaderboard = conference(api, [])
    for user, country in (("ann", True), ("bob", False), ("cid", [True, "x"])):
        api.ok("userProfile/create", {"userId": user, "profileData": {"country": country}})
        poll = {"eventType": "pollAnswered", "userId": user, "pollId": "p", **IN_WINDOW}
        api.ok("event/send", {"events": [poll]})
    options = api.ok("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 0})
    assert [item["option"] for item in options["objects"]] == ["false", "true", "true,x"]
    team = api.ok(
        "userScore/list", {"gameObjectId": leaderboard, "subGameProperties": {"id": 0, "option": "true"}}
    )
    assert [item["userId"] for item in team["objects"]] == ["ann"]


def test_segments_of_null_and_nested_list_items_are_written_as_json_writes_them(api: Api) -> None:
    leaderboard = conference(api, [])
    for user, country in (("ann", ["x", None]), ("bob", [{"city": "Paris"}, ["y", 1.5]])):
        api.ok("userProfile/create", {"userId": user, "profileData": {"country": country}})
        poll = {"eventType": "pollAnswered", "userId": user, "pollId": "p", **IN_WINDOW}
        api.ok("event/send", {"events": [poll]})
    options = api.ok("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 0})
    assert [item["option"] for item in options["objects"]] == ["x,null", '{"city":"Paris"},["y",1.5]']


def test_an_unknown_sub_leaderboard_is_refused_naming_the_field_given(api: Api) -> None:
    leaderboard = conference(api, [])
    for properties in ({"id": 5}, {"id": 5, "option": "FR"}):
        status, error = api.call(
            "userScore/list", {"gameObjectId": leaderboard, "subGameProperties": properties}
        )
        assert status == 400 and error["args"]["PARAM_NAME"] == "subGameProperties.id", error
    status, error = api.call("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 5})
    assert status == 400 and error["args"]["PARAM_NAME"] == "subGameId", error


def test_policy_change_rehides_scored_users(api: Api) -> None:
    leaderboard = conference(api, [])
    api.ok("userProfile/create", {"userId": "sam", "groups": ["speakers"]})
    api.ok(
        "event/send", {"events": [{"eventType": "pollAnswered", "userId": "sam", "pollId": "p", **IN_WINDOW}]}
    )
    assert len(listed(api, leaderboard)) == 1
    hide = {
        "userDefaultPolicy": "display",
        "policies": [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}],
    }
    api.ok("leaderboard/update", {"id": leaderboard, "participationPolicy": hide})
    assert listed(api, leaderboard) == []


def test_rule_progress_and_clear(api: Api) -> None:
    leaderboard = conference(api)
    view = {"eventType": "viewPeriod", "userId": "kim", "entryId": "e1", **IN_WINDOW}
    api.ok("event/send", {"events": [{**view, "playTime": 90}, {**view, "playTime": 45}]})
    progress = api.ok("userScore/ruleProgress", {"gameObjectId": leaderboard, "userId": "kim"})["objects"]
    watch = next(item for item in progress if item["name"] == "Watch sessions")
    assert watch["progress"] == 135 and watch["score"] == 20 and watch["completed"] is True
    assert watch["goal"] == "60" and watch["maxPoints"] == "100"
    assert {item["name"]: item["score"] for item in progress}["Answer polls"] == 0
    assert api.ok("userScore/clear", {"gameObjectId": leaderboard})["cleared"] is True
    assert listed(api, leaderboard) == []
    api.ok("event/send", {"events": [{**view, "playTime": 60}]})
    assert [item["score"] for item in listed(api, leaderboard)] == [10]


def test_events_outside_the_window_or_event_score_nothing(api: Api) -> None:
    leaderboard = conference(api)
    poll = {"eventType": "pollAnswered", "userId": "lee", "pollId": "p"}
    api.ok(
        "event/send",
        {
            "events": [
                {**poll, "eventTime": "2025-05-31T23:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID},
                {**poll, "eventTime": "2025-06-02T10:00:00Z", "virtualEventId": "other"},
                {**poll, "eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID},
            ]
        },
    )
    assert [item["score"] for item in listed(api, leaderboard)] == [25]


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"userId": "a"}, "MISSING_MANDATORY_PARAMETER"),
        ({"eventType": "viewPeriod"}, "MISSING_MANDATORY_PARAMETER"),
        ({"eventType": "viewPeriod", "userId": "a", "kuserId": "b"}, "VALIDATION_ERROR"),
        ({"eventType": "viewPeriod", "userId": "a", "eventTime": "yesterday"}, "VALIDATION_ERROR"),
        ({"eventType": "viewPeriod", "userId": "a", "nested": {"a": 1}}, "VALIDATION_ERROR"),
        ("not an object", "VALIDATION_ERROR"),
    ],
)
def test_bad_events_are_refused_alone_and_leave_no_trace(api: Api, event: Any, code: str) -> None:
    leaderboard = conference(api)
    good = {
        "eventType": "pollAnswered",
        "userId": "a",
        "pollId": "p",
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
        "eventTime": "2025-06-02T10:00:00Z",
    }
    result = api.ok("event/send", {"events": [good, event, good]})
    assert result["accepted"] == 2 and result["duplicates"] == 0
    [refusal] = result["rejected"]
    assert refusal["index"] == 1 and refusal["code"] == code and refusal["message"]
    assert [item["score"] for item in listed(api, leaderboard)] == [50]
    progress = api.ok("userScore/ruleProgress", {"gameObjectId": leaderboard, "userId": "a"})["objects"]
    assert next(item for item in progress if item["name"] == "Watch sessions")["progress"] == 0


def test_oversized_batch_is_refused_whole(api: Api) -> None:
    conference(api)
    status, error = api.call("event/send", {"events": [{"eventType": "x", "userId": "u"}] * 10_001})
    assert status in (400, 413)
    assert error["objectType"] == "KalturaAPIException"


def test_user_requests_check_the_game_object_type(api: Api) -> None:
    leaderboard = conference(api)
    status, error = api.call("userScore/list", {"gameObjectId": leaderboard, "gameObjectType": "badge"})
    assert status == 400 and error["args"]["PARAM_NAME"] == "gameObjectType"
    assert api.call("userScore/list", {"gameObjectId": "0123456789abcdef01234567"})[0] == 404


def test_other_partner_sees_no_scores(api: Api, app_client: Any, new_partner: Any) -> None:
    leaderboard = conference(api)
    send_in_batches(api, generate_stream(seed=6, events=100), 100)
    intruder = Api(app_client, new_partner().ks)
    for path, body in (
        ("userScore/list", {"gameObjectId": leaderboard}),
        ("userScore/get", {"gameObjectId": leaderboard, "userId": "user001@example.com"}),
        ("userScore/ruleProgress", {"gameObjectId": leaderboard, "userId": "user001@example.com"}),
        ("userScore/clear", {"gameObjectId": leaderboard}),
        ("userScore/getSubGameOptions", {"gameObjectId": leaderboard, "subGameId": 0}),
    ):
        status, error = intruder.call(path, body)
        assert status == 404 and error["code"] == "OBJECT_NOT_FOUND", path
    assert listed(api, leaderboard) != []
