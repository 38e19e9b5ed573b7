"""API v3 ``analytics.trackEvent``: a recorded player session replayed beacon by beacon gives the play time and
events worked out by hand; bad beacons are answered and score nothing; over-eager partners are told to stop
sending VIEWs; the session's last sum is shared by every process."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.settings import Settings
from gameservices.storage import entries
from gameservices.storage.database import write_transaction
from gameservices.storage.entries import EntryRecord
from tests.api.beacons import SERVICE_PATH, recorded_session, send_beacon, view_beacon
from tests.conftest import Api, Partner

VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
ENDED = "<a KS ended by session.end>"


def around_now(days: int = 1) -> dict[str, str]:
    """Start and end dates holding the present: beacons score at their receipt time."""
    now = datetime.now(UTC)
    return {
        "startDate": (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def program(api: Api, **leaderboard: Any) -> str:
    """An enabled leaderboard whose rules count what the beacons yield (1 point each), and watch time."""
    body = {
        "objectType": "Leaderboard",
        "name": "Player analytics",
        "status": "enabled",
        "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
        **around_now(),
        "virtualEventIds": ["7001"],
        **leaderboard,
    }
    board: str = api.ok("leaderboard/create", body)["id"]

    def rule(name: str, event_type: str, **more: Any) -> None:
        conditions = [{"fact": "eventType", "operator": "equal", "value": event_type}]
        api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "name": name,
                "mode": "distribute_points",
                "groupBy": "kuserId",
                "goal": "1",
                "points": "1",
                "maxPoints": "unlimited",
                "conditions": conditions,
                **more,
            },
        )

    rule("watch", "viewPeriod", type="sum", metric="playTime", goal="60", points="10")
    rule("views", "viewPeriod", type="count", metric="playTime")
    rule("impressions", "playerImpression", type="count", metric="entryId")
    rule("plays", "play", type="count", metric="entryId")
    rule("quartiles", "quartile", type="countUnique", metric="percent")
    return board


def progress(api: Api, board: str, user: str) -> dict[str, float]:
    objects = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": user})["objects"]
    return {item["name"]: item["progress"] for item in objects}


def score(api: Api, board: str, user: str) -> float:
    listed = api.ok("userScore/list", {"gameObjectId": board, "userIdEqual": user})["objects"]
    return float(listed[0]["score"]) if listed else 0.0


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_recorded_session_gives_the_hand_computed_play_time(
    api: Api, app_client: TestClient, partner: Partner, method: str
) -> None:
    board = program(api)
    watched = 0.0
    for number, beacon in enumerate(recorded_session(partner.id, userId="viewer@example.com"), start=1):
        before = progress(api, board, "viewer@example.com")
        response = send_beacon(app_client, beacon["params"], method=method)
        assert response.status_code == 200
        answer = response.json()
        assert answer["viewEventsEnabled"] is True and isinstance(answer["time"], float)
        after = progress(api, board, "viewer@example.com")
        expected = beacon["expectedPlayTime"]
        added = after["watch"] - before.get("watch", 0.0)
        assert added == pytest.approx(expected or 0.0, abs=1e-9), (number, beacon["note"])
        assert after["views"] - before.get("views", 0.0) == (1 if expected else 0), (number, beacon["note"])
        watched += expected or 0.0
    # 30.12 s before the pause, 80.12 s after it: the two final sums of the session.
    assert watched == pytest.approx(110.24)
    final = progress(api, board, "viewer@example.com")
    assert final == {
        "watch": pytest.approx(110.24),
        "views": 12,
        "impressions": 1,
        "plays": 1,
        "quartiles": 4,
    }
    assert score(api, board, "viewer@example.com") == 10 + 12 + 1 + 1 + 4


def test_replaying_the_whole_session_again_scores_nothing(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api)
    session = recorded_session(partner.id, userId="kim")
    for beacon in session:
        send_beacon(app_client, beacon["params"])
    scored = progress(api, board, "kim")
    for beacon in session:
        send_beacon(app_client, beacon["params"], method="GET")
    assert progress(api, board, "kim") == scored


def test_play_time_is_capped_and_never_negative(api: Api, app_client: TestClient, partner: Partner) -> None:
    board = program(api)
    sums = [5.0, 100.0, 90.0, 95.0, 95.0]  # +5, +30 (capped), reset: +90 capped to 30, +5, same sum: nothing
    for index, play_time_sum in enumerate(sums, start=1):
        send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s1", index, play_time_sum))
    assert progress(api, board, "kim")["watch"] == 5 + 30 + 30 + 5
    assert progress(api, board, "kim")["views"] == 4


def test_a_reset_whose_first_sum_is_not_lower_still_counts(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api)
    # 10 s watched, a pause over 30 s (the player starts eventIndex again at 1 and playTimeSum at 0), 10.07 s more:
    # the first VIEW after the reset (index 2, after a RESUME at 1) carries 10.07, above the last sum.
    for index, play_time_sum in ((4, 0.05), (5, 10.05), (2, 10.07)):
        response = send_beacon(app_client, view_beacon(partner.id, "ada", "e1", "s1", index, play_time_sum))
        assert response.status_code == 200
    assert progress(api, board, "ada")["watch"] == 20.12  # 0.05 + 10.0 + 10.07 (not + 0.02)


def test_an_event_index_past_what_a_session_keeps_still_scores(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api)
    # Numbers below 10^12 are read; an eventIndex that large is no index the session can keep (it is not
    # compared, as a beacon without one), and the VIEW counts on both databases.
    for index, play_time_sum in ((5_000_000_000, 10.0), (5_000_000_001, 20.0), (-3_000_000_000, 25.0)):
        response = send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s1", index, play_time_sum))
        assert response.json()["viewEventsEnabled"] is True
    assert progress(api, board, "kim")["watch"] == 25
    assert progress(api, board, "kim")["views"] == 3


def test_a_repeat_of_a_view_that_added_no_play_time_counts_once(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api)
    # A VIEW while buffering adds nothing; a retry of it arriving after the next VIEW is still a repeat: it
    # neither scores nor moves the session's sum (it was read as a reset: +10, and then +20 for the next).
    for index, play_time_sum in ((1, 10.0), (2, 10.0), (3, 20.0), (2, 10.0), (4, 30.0)):
        send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s1", index, play_time_sum))
    assert progress(api, board, "kim")["watch"] == 30
    assert progress(api, board, "kim")["views"] == 3


def test_sessions_are_kept_apart_per_user_entry_and_session(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api)
    for user, entry, session in [
        ("kim", "0_a", "s1"),
        ("kim", "0_b", "s1"),
        ("kim", "0_a", "s2"),
        ("lee", "0_a", "s1"),
    ]:
        for index, play_time_sum in enumerate([10.0, 20.0], start=1):
            send_beacon(app_client, view_beacon(partner.id, user, entry, session, index, play_time_sum))
    assert progress(api, board, "kim")["watch"] == 60
    assert progress(api, board, "lee")["watch"] == 20


def test_a_user_ks_names_the_viewer(api: Api, app_client: TestClient, partner: Partner) -> None:
    board = program(api)
    user_ks = partner.mint(type=0, user_id="kim")
    send_beacon(app_client, {**view_beacon(partner.id, "mallory", "0_e", "s", 1, 10.0), "ks": user_ks})
    anonymous_ks = partner.mint(type=0, user_id="")
    send_beacon(app_client, {**view_beacon(partner.id, "lee", "0_e", "s", 1, 10.0), "ks": anonymous_ks})
    assert progress(api, board, "kim")["watch"] == 10
    assert score(api, board, "mallory") == 0
    assert progress(api, board, "lee")["watch"] == 10  # a widget KS names nobody: the parameter does


def bad_beacons(partner: Partner, other: Partner) -> list[tuple[str, dict[str, Any]]]:
    good = view_beacon(partner.id, "kim", "0_e", "s", 1, 10.0)
    return [
        ("another partner's KS", {**good, "ks": other.mint(type=0, user_id="kim")}),
        ("an admin KS", {**good, "ks": partner.mint(type=2, user_id="kim")}),
        ("a forged KS", {**good, "ks": "djJ8MTAwfGFiY2RlZg=="}),
        ("garbage KS", {**good, "ks": "not a ks at all"}),
        ("an expired KS", {**good, "ks": partner.mint(type=0, user_id="kim", expiry_seconds=-10)}),
        ("an ended KS", {**good, "ks": ENDED}),
        (
            "a KS for another address",
            {**good, "ks": partner.mint(type=0, user_id="kim", privileges="iprestrict:10.9.9.9")},
        ),
        ("no user", {key: value for key, value in good.items() if key != "userId"}),
        ("unknown partner", {**good, "partnerId": 2_000_000_000}),
        ("partner id not a number", {**good, "partnerId": "abc"}),
        ("partner id too big", {**good, "partnerId": "99999999999999999999999"}),
        ("event type not a number", {**good, "eventType": "VIEW"}),
        ("event type not scored", {**good, "eventType": 33}),
        ("negative playTimeSum", {**good, "playTimeSum": -5}),
        ("NaN playTimeSum", {**good, "playTimeSum": "NaN"}),
        ("huge playTimeSum", {**good, "playTimeSum": "1e999"}),
        ("no sessionId", {key: value for key, value in good.items() if key != "sessionId"}),
        ("no entryId", {key: value for key, value in good.items() if key != "entryId"}),
        ("control characters", {**good, "entryId": "0_e\x00"}),
        ("an overlong entry id", {**good, "entryId": "e" * 300}),
        ("an object as playTimeSum", {**good, "playTimeSum": {"a": 1}}),
        ("a list as user", {**good, "userId": ["kim"]}),
    ]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_bad_beacons_are_answered_and_score_nothing(
    api: Api, app_client: TestClient, partner: Partner, new_partner: Any, method: str
) -> None:
    board = program(api)
    other: Partner = new_partner("other")
    ended = partner.mint(type=0, user_id="kim")
    app_client.post("/api_v3/service/session/action/end", data={"ks": ended, "format": "1"})
    for name, params in bad_beacons(partner, other):
        params = {**params, "ks": ended} if params.get("ks") == ENDED else params
        if method == "GET" and any(isinstance(value, dict | list) for value in params.values()):
            continue
        response = send_beacon(app_client, params, method=method)
        assert response.status_code == 200, name
        assert response.json()["viewEventsEnabled"] is True, name
        assert api.ok("userScore/list", {"gameObjectId": board})["objects"] == [], name


def test_malformed_requests_are_answered(app_client: TestClient, partner: Partner) -> None:
    url = "/api_v3/index.php?service=analytics&action=trackEvent"
    for content, kind in [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"entryId": "\\ud800", "partnerId": 1}', "application/json"),
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
        (b"a[b][c][d]=1&partnerId[x]=2", "application/x-www-form-urlencoded"),
        (b"\x00" * 10, "multipart/form-data"),
        (b"--xx\r\nContent-Disposition: form-data\r\n\r\n1\r\n--yy--", "multipart/form-data; boundary=xx"),
    ]:
        response = app_client.post(url, content=content, headers={"Content-Type": kind})
        assert response.status_code == 200 and response.json()["viewEventsEnabled"] is True
    response = app_client.get(SERVICE_PATH, params={"partnerId": str(partner.id), "eventType": "1"})
    assert response.status_code == 200


def test_the_browser_may_post_beacons_cross_origin(app_client: TestClient) -> None:
    preflight = app_client.options(
        "/api_v3/index.php?service=analytics&action=trackEvent",
        headers={"Origin": "https://events.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    answer = send_beacon(app_client, {"partnerId": 1, "eventType": 1})
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/api_v3?service=analytics&action=trackEvent",
        "/api_v3/?service=analytics&action=trackEvent",
        "/api_v3/index.php/service/analytics/action/trackEvent",
        "/api_v3/service/analytics/action/trackevent",
    ],
)
def test_every_form_taken_for_a_beacon_answers_the_preflight(app_client: TestClient, path: str) -> None:
    # (A player whose serviceUrl is ".../api_v3" posts its beacons to the first.)
    headers = {"Origin": "https://events.example.com", "Access-Control-Request-Method": "POST"}
    preflight = app_client.options(path, headers=headers)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    beacon = app_client.post(path, content=b"{}", headers={"Content-Type": "application/json"})
    assert beacon.json()["viewEventsEnabled"] is True
    assert beacon.headers["access-control-allow-origin"] == "*"
    assert app_client.options("/api_v3/service/session/action/start", headers=headers).status_code == 405


def test_a_partner_over_its_rate_is_told_to_stop_views(
    api: Api, engine: Engine, settings: Settings, partner: Partner
) -> None:
    board = program(api)
    app = limited_app(engine, settings)
    user_ks = partner.mint(type=0, user_id="kim")
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            send_beacon(
                client, {**view_beacon(partner.id, "", "0_e", "s", index, 10.0 * index), "ks": user_ks}
            )
            for index in range(1, 9)
        ]
        refused = Api(client, partner.ks).call("userScore/list", {"gameObjectId": board})[0]
    assert all(answer.status_code == 200 for answer in answers)
    enabled = [answer.json()["viewEventsEnabled"] for answer in answers]
    assert enabled == [True] * 3 + [False] * 5
    assert refused == 429  # beacons its KSs signed spend the partner's tokens: its API calls answer 429
    # Only the VIEWs answered true were scored: each added the increase since the last scored one (<= 30 s).
    scored = [index for index, flag in enumerate(enabled, start=1) if flag]
    expected = sum(
        min(10.0 * (index - before), 30.0) for before, index in zip([0, *scored[:-1]], scored, strict=True)
    )
    assert progress(api, board, "kim")["watch"] == expected
    assert progress(api, board, "kim")["views"] == len(scored)


def test_beacons_without_a_ks_are_told_to_stop_views_but_leave_the_api_its_tokens(
    api: Api, engine: Engine, settings: Settings, partner: Partner
) -> None:
    # Anyone can send a beacon naming a partner and a userId: such beacons have a bucket of their own.
    board = program(api)
    app = limited_app(engine, settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            send_beacon(client, view_beacon(partner.id, "kim", "0_e", "s", index, 10.0 * index))
            for index in range(1, 6)
        ]
        listed = [
            Api(client, partner.ks).call("userScore/list", {"gameObjectId": board})[0] for _ in range(3)
        ]
    assert [answer.json()["viewEventsEnabled"] for answer in answers] == [True] * 3 + [False] * 2
    assert listed == [200] * 3
    assert progress(api, board, "kim")["views"] == 3


def limited_app(engine: Engine, settings: Settings) -> Any:
    """An app allowing 3 requests a second whose clocks stand still: 3 tokens in each bucket, never refilled."""
    app = create_app(settings.model_copy(update={"rate_limit_per_second": 3}), engine)
    for buckets in (app.state.rate_limits, app.state.address_rate_limits, app.state.unsigned_beacon_limits):
        buckets.clock = lambda: 0.0
    return app


def test_a_beacon_naming_its_action_in_a_form_body_is_limited_as_a_beacon(
    api: Api, engine: Engine, settings: Settings, partner: Partner
) -> None:
    # service and action only in a form-encoded body (no query string): a beacon all the same, told to stop
    # VIEWs past the rate rather than answered in API v3's envelope.
    board = program(api)
    app = limited_app(engine, settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            client.post(
                "/api_v3/index.php",
                data={
                    "service": "analytics",
                    "action": "trackEvent",
                    **form(view_beacon(partner.id, "kim", "0_e", "s", index, 10.0 * index)),
                },
            )
            for index in range(1, 6)
        ]
    assert [answer.json()["viewEventsEnabled"] for answer in answers] == [True] * 3 + [False] * 2
    assert all(answer.headers["access-control-allow-origin"] == "*" for answer in answers)
    assert progress(api, board, "kim")["views"] == 3


def form(params: dict[str, Any]) -> dict[str, str]:
    """Beacon parameters as form fields."""
    return {key: str(value) for key, value in params.items()}


def sponsored_program(api: Api) -> str:
    """The program's leaderboard with a rule also scoring play time of entries in category 301 ("sponsor")."""
    board = program(api)
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "name": "sponsor",
            "mode": "distribute_points",
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "1",
            "maxPoints": "unlimited",
            "conditions": [*VIEW, {"fact": "categories", "operator": "in", "value": "301"}],
        },
    )
    return board


def test_entry_settings_fill_what_beacons_lack(api: Api, app_client: TestClient, partner: Partner) -> None:
    board = sponsored_program(api)
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_booth", "s1", 1, 10.0))  # no categories yet
    assert progress(api, board, "kim") == {**progress(api, board, "kim"), "watch": 10, "sponsor": 0}
    api.ok("entry/upsert", {"entryId": "0_booth", "categories": [301, 17], "virtualEventId": 7001})
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_booth", "s1", 2, 20.0))
    assert progress(api, board, "kim")["sponsor"] == 10
    # The entry's virtual event is another one: the leaderboard does not see its beacons.
    api.ok("entry/upsert", {"entryId": "0_keynote", "categories": "301", "virtualEventId": "9999"})
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_keynote", "s2", 1, 10.0))
    # A beacon naming its virtual event keeps it.
    other = {**view_beacon(partner.id, "kim", "0_booth", "s1", 3, 30.0), "virtualEventId": "9999"}
    send_beacon(app_client, other)
    assert progress(api, board, "kim") == {**progress(api, board, "kim"), "watch": 20, "sponsor": 10}


def test_an_entry_stored_with_control_characters_in_its_settings_still_scores(
    api: Api, engine: Engine, app_client: TestClient, partner: Partner
) -> None:
    # Stored before entry/upsert refused control characters (straight through the repository here): an event
    # carrying them is refused, so beacons leave those values out and keep the rest.
    board = sponsored_program(api)
    now = time.time()
    for entry_id, virtual_event_id in (("0_booth", "70\x0101"), ("0_hall", "7001")):
        record = EntryRecord(
            partner_id=partner.id,
            entry_id=entry_id,
            name=None,
            duration=None,
            categories=["30\x011", "301", "\t", " "],
            virtual_event_id=virtual_event_id,
            created_at=now,
            updated_at=now,
        )
        with write_transaction(engine) as conn:
            entries.put_entry(conn, record)
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_booth", "s1", 1, 10.0))
    send_beacon(app_client, {**view_beacon(partner.id, "kim", "0_booth", "s1", 2, 20.0), "eventType": 3})
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_hall", "s2", 1, 20.0))
    assert progress(api, board, "kim") == {
        **progress(api, board, "kim"),
        "watch": 30,
        "sponsor": 30,
        "plays": 1,
    }


def test_an_entry_named_with_spaces_is_the_one_beacons_name(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = sponsored_program(api)
    # Beacons read the entry id trimmed: so does the entry controller, and each category of a list too.
    saved = api.ok("entry/upsert", {"entryId": " 0_booth ", "categories": [" 301 "], "virtualEventId": 7001})
    assert (saved["entryId"], saved["categories"]) == ("0_booth", ["301"])
    assert api.ok("entry/get", {"entryId": "0_booth "})["entryId"] == "0_booth"
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_booth", "s1", 1, 10.0))
    assert progress(api, board, "kim")["sponsor"] == 10


def test_a_deployment_may_insist_on_a_ks(
    api: Api, engine: Engine, settings: Settings, partner: Partner
) -> None:
    board = program(api)
    strict = settings.model_copy(update={"beacons_require_ks": True})
    with TestClient(create_app(strict, engine)) as client:
        send_beacon(client, view_beacon(partner.id, "kim", "0_e", "s1", 1, 10.0))
        anonymous = partner.mint(type=0, user_id="")
        send_beacon(client, {**view_beacon(partner.id, "kim", "0_e", "s2", 1, 10.0), "ks": anonymous})
        assert score(api, board, "kim") == 0
        named = partner.mint(type=0, user_id="kim")
        send_beacon(client, {**view_beacon(partner.id, "mallory", "0_e", "s3", 1, 10.0), "ks": named})
    assert progress(api, board, "kim")["watch"] == 10


def test_virtual_event_ids_are_trimmed_wherever_they_enter(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    board = program(api, virtualEventIds=[" 7001 "])
    assert api.ok("leaderboard/get", {"id": board})["virtualEventIds"] == ["7001"]
    listed = api.ok("leaderboard/list", {"virtualEventIdIn": ["7001 "]})["objects"]
    assert [item["id"] for item in listed] == [board]
    event = {"eventType": "viewPeriod", "userId": "kim", "playTime": 10}
    api.ok(
        "event/send", {"events": [{**event, "virtualEventId": " 7001"}, {**event, "virtualEventId": "70"}]}
    )
    assert progress(api, board, "kim")["watch"] == 10
    saved = api.ok("entry/upsert", {"entryId": "0_e", "virtualEventId": " 7001 "})
    assert saved["virtualEventId"] == "7001"
    assert api.ok("entry/list", {"virtualEventIdEqual": "7001 "})["totalCount"] == 1
    send_beacon(app_client, view_beacon(partner.id, "lee", "0_e", "s", 1, 20.0))
    send_beacon(
        app_client, {**view_beacon(partner.id, "lee", "0_f", "s", 1, 20.0), "virtualEventId": " 7001 "}
    )
    assert progress(api, board, "lee")["watch"] == 40
