"""Resource limits (OWASP API4, unrestricted resource consumption): each documented limit answers 400 or 413
naming what was too big, nothing is written, and the server keeps answering; a partner's flood answers 429."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import API_PREFIX, create_app
from gameservices.api.event_csv import router as csv_router
from gameservices.api.rate_limit import MAX_BUCKETS, RateLimit, TokenBuckets
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

UPLOAD = "event/sendExternalEventsFromCSV"
UPLOAD_LIMIT = 300_000


def _healthy(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.ok("leaderboard/list")["totalCount"] >= 0


def _nested(depth: int) -> list[dict[str, Any]]:
    condition: dict[str, Any] = {"fact": "eventType", "operator": "equal", "value": "x"}
    for _ in range(depth):
        condition = {"all": [condition]}
    return [condition]


def _leaves(count: int) -> list[dict[str, Any]]:
    return [{"fact": f"f{index}", "operator": "equal", "value": "x"} for index in range(count)]


def _rule(leaderboard: str, **changes: Any) -> dict[str, Any]:
    return {**guide.rule_6_7(leaderboard), **changes}


# (limit, path, body builder given a leaderboard id, field the error names, refused status)
LIMITS: list[tuple[str, str, Any, str, int]] = [
    (
        "events per call 10,000",
        "event/send",
        lambda _: {"events": [{"eventType": "x", "userId": "u"}] * 10_001},
        "events",
        400,
    ),
    ("page size 500", "leaderboard/list", lambda _: {"pager": {"pageSize": 501}}, "pager.pageSize", 400),
    (
        "page index 1,000,000",
        "leaderboard/list",
        lambda _: {"pager": {"pageIndex": 1_000_001}},
        "pager.pageIndex",
        400,
    ),
    (
        "name 256 characters",
        "leaderboard/create",
        lambda _: {**guide.leaderboard_4_2(), "name": "n" * 257},
        "name",
        400,
    ),
    (
        "description 65,536 characters",
        "leaderboard/create",
        lambda _: {**guide.leaderboard_4_2(), "description": "d" * 65_537},
        "description",
        400,
    ),
    (
        "list fields 100 items",
        "leaderboard/create",
        lambda _: {**guide.leaderboard_4_2(), "virtualEventIds": [str(i) for i in range(101)]},
        "virtualEventIds",
        400,
    ),
    (
        "sub-leaderboards 20",
        "leaderboard/create",
        lambda _: {
            **guide.leaderboard_4_4(),
            "subLeaderboards": [{"name": f"s{i}", "filterPaths": ["country"], "id": i} for i in range(21)],
        },
        "subLeaderboards",
        400,
    ),
    (
        "condition depth 8",
        "rule/create",
        lambda board: _rule(board, conditions=_nested(9)),
        "conditions",
        400,
    ),
    (
        "conditions per rule 100",
        "rule/create",
        lambda board: _rule(board, conditions=_leaves(101)),
        "conditions",
        400,
    ),
    ("user id 256 characters", "userProfile/create", lambda _: {"userId": "u" * 257}, "userId", 400),
    (
        "profileData 64 KiB",
        "userProfile/create",
        lambda _: {"userId": "big", "profileData": {"blob": "b" * (64 * 1024 + 1)}},
        "profileData",
        400,
    ),
    (
        "event user id 256 characters",
        "event/send",
        lambda _: {"events": [{"eventType": "x", "userId": "u" * 257}]},
        "",
        200,
    ),
]


@pytest.mark.parametrize(("limit", "path", "make", "field", "status"), LIMITS, ids=[row[0] for row in LIMITS])
def test_limit_is_refused_and_the_server_stays_healthy(
    api: Api, limit: str, path: str, make: Any, field: str, status: int
) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    answer_status, body = api.call(path, make(board))
    assert answer_status == status, (limit, body)
    if status == 200:
        # A single event over a limit is reported per event; the batch itself is accepted.
        assert body["accepted"] == 0 and body["rejected"][0]["index"] == 0, body
    else:
        assert body["objectType"] == "KalturaAPIException", body
        assert body["args"].get("PARAM_NAME", "").startswith(field), (limit, body)
    assert api.ok("leaderboard/list")["totalCount"] == 1
    assert api.ok("rule/list", {"gameObjectId": board})["totalCount"] == 0
    _healthy(api)
    print(f"\nlimit {limit}: {answer_status} {body.get('code', '')}")


def test_rules_per_object_100(api: Api) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    for index in range(100):
        api.ok("rule/create", _rule(board, name=f"r{index}"))
    status, body = api.call("rule/create", _rule(board, name="one too many"))
    assert status == 400 and body["code"] != "", body
    assert api.ok("rule/list", {"gameObjectId": board, "pager": {"pageSize": 500}})["totalCount"] == 100
    _healthy(api)


def test_json_body_over_the_limit_is_413(api: Api) -> None:
    limit = 1024 * 1024  # tests/conftest.py settings
    status, body = api.call(
        "event/send", raw=b'{"events": [' + b'{"eventType": "x"},' * (limit // 18) + b"{}]}"
    )
    assert status == 413 and body["code"] == "PAYLOAD_TOO_LARGE" and body["args"] == {"LIMIT": limit}
    declared = api.client.post(
        "/api/v1/event/send",
        content=b"{}",
        headers={"Authorization": f"Bearer {api.ks}", "Content-Length": str(limit + 1)},
    )
    assert declared.status_code in (400, 413)
    _healthy(api)


@pytest.mark.parametrize(
    "path",
    [
        "/api_v3/service/session/action/start",
        "/api_v3/index.php",
        "/api_v3/service/analytics/action/trackEvent",
    ],
)
def test_a_get_body_over_the_limit_is_413(api: Api, partner: Partner, path: str) -> None:
    # API v3 answers GET as well as POST, and reads the parameters of a GET's body too.
    limit = 1024 * 1024  # tests/conftest.py settings
    body = b'{"format": 1, "service": "session", "action": "start", "secret": "' + b"s" * limit + b'"}'
    response = api.client.request("GET", path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"
    _healthy(api)


@pytest.fixture(scope="module")
def upload_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An app serving the CSV upload with a small upload limit."""
    app = create_app(settings.model_copy(update={"max_upload_bytes": UPLOAD_LIMIT}), engine)
    if not any(getattr(route, "path", "") == f"{API_PREFIX}/{UPLOAD}" for route in app.routes):
        app.include_router(csv_router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_csv_file_over_the_upload_limit_is_413(upload_client: TestClient, partner: Partner) -> None:
    content = b"userId,score,eventType\n" + b"user,1,x\n" * (UPLOAD_LIMIT // 9 + 10)
    response = upload_client.post(
        f"/api/v1/{UPLOAD}",
        data={"eventAction": "delta"},
        files={"csvFile": ("big.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {partner.ks}"},
    )
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"
    _healthy(Api(upload_client, partner.ks))


def test_csv_rows_over_a_million_are_400(engine: Engine, settings: Settings, partner: Partner) -> None:
    content = b"userId,score,eventType\n" + b"u,1,x\n" * 1_000_001  # 6 MB: under the 50 MB upload limit
    app = create_app(settings.model_copy(update={"max_upload_bytes": 50 * 1024 * 1024}), engine)
    app.include_router(csv_router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as client:
        _upload_rows(client, partner, content)


def _upload_rows(client: TestClient, partner: Partner, content: bytes) -> None:
    response = client.post(
        f"/api/v1/{UPLOAD}",
        data={"eventAction": "delta", "dryRun": "true"},
        files={"csvFile": ("rows.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {partner.ks}"},
    )
    assert response.status_code == 413 and response.json()["args"] == {"LIMIT": 1_000_000}, response.text[
        :300
    ]
    _healthy(Api(client, partner.ks))


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(5, clock)
    assert [buckets.take(1) for _ in range(5)] == [0.0] * 5
    assert buckets.take(1) == pytest.approx(0.2)
    assert buckets.take(2) == 0.0  # another partner has its own bucket
    clock.now += 0.2
    assert buckets.take(1) == 0.0
    assert buckets.take(1) > 0.0
    clock.now += 100
    assert [buckets.take(1) for _ in range(6)].count(0.0) == 5  # the burst is capped at the rate


def test_token_buckets_stay_bounded_whatever_partner_ids_are_named() -> None:
    # Keys come from client addresses, which anyone can vary, and from the partners of verified KSs.
    clock = FakeClock()
    buckets = TokenBuckets(5, clock)
    assert [buckets.take(1) for _ in range(5)] == [0.0] * 5
    for forged in range(2, MAX_BUCKETS + 1):
        buckets.take(forged)
    assert len(buckets) == MAX_BUCKETS
    assert buckets.take(1) > 0.0  # the flooder's bucket was kept: it was not the least recently used
    for forged in range(MAX_BUCKETS + 1, 3 * MAX_BUCKETS):
        buckets.take(forged)
    assert len(buckets) == MAX_BUCKETS


def test_partner_flood_is_429_and_other_partners_pass(
    engine: Engine, settings: Settings, new_partner: Any
) -> None:
    app = create_app(settings, engine)
    clock = FakeClock()
    app.add_middleware(RateLimit, per_second=20, engine=engine, clock=clock)
    flooder, neighbour = new_partner(), new_partner()
    with TestClient(app, raise_server_exceptions=False) as client:
        statuses = [Api(client, flooder.ks).call("leaderboard/list")[0] for _ in range(50)]
        status, body = Api(client, flooder.ks).call("leaderboard/list")
        assert (
            status == 429 and body["code"] == "RATE_LIMITED" and body["objectType"] == "KalturaAPIException"
        )
        assert statuses.count(200) == 20 and statuses.count(429) == 30
        assert Api(client, neighbour.ks).call("leaderboard/list")[0] == 200
        assert client.get("/health").status_code == 200  # requests without a KS are not counted
        clock.now += 1.0
        assert Api(client, flooder.ks).call("leaderboard/list")[0] == 200
    print(
        f"\nrate limit 20/s: 50 requests in one instant → {statuses.count(200)} × 200, {statuses.count(429)} × 429"
    )


def test_api_v3_calls_with_the_ks_in_their_body_are_counted(
    engine: Engine, settings: Settings, new_partner: Any
) -> None:
    # The official clients send the KS as a parameter of the body, never in a header or the query string, and
    # read an error only in API v3's envelope (HTTP 200).
    app = create_app(settings.model_copy(update={"rate_limit_per_second": 5}), engine)
    app.state.rate_limits.clock = lambda: 0.0  # time stands still: 5 tokens, never refilled
    flooder, neighbour = new_partner(), new_partner()
    path = "/api_v3/service/game_userscore/action/list"
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [client.post(path, json={"format": 1, "ks": flooder.ks}) for _ in range(8)]
        form = client.post(path, data={"ks": flooder.ks})
        multirequest = client.post(
            "/api_v3/service/multirequest",
            json={
                "format": 1,
                "1": {"service": "game_userscore", "action": "list", "ks": flooder.ks},
                "2": {"service": "session", "action": "end"},
            },
        )
        other = client.post(path, json={"format": 1, "ks": neighbour.ks})
    assert {answer.status_code for answer in answers} == {200}
    codes = [answer.json()["code"] for answer in answers]
    assert codes == ["MISSING_MANDATORY_PARAMETER"] * 5 + ["RATE_LIMITED"] * 3
    assert answers[-1].json()["objectType"] == "KalturaAPIException"
    assert answers[-1].headers["retry-after"] == "1"
    assert form.status_code == 200 and b"<code>RATE_LIMITED</code>" in form.content  # XML, the default
    # A multirequest answers each of its requests.
    assert multirequest.status_code == 200
    assert [result["code"] for result in multirequest.json()] == ["RATE_LIMITED"] * 2
    assert other.json()["code"] == "MISSING_MANDATORY_PARAMETER"


def test_rate_limit_off_by_default(engine: Engine, settings: Settings, partner: Partner) -> None:
    app = create_app(settings, engine)
    app.add_middleware(RateLimit, per_second=settings.rate_limit_per_second, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert {Api(client, partner.ks).call("leaderboard/list")[0] for _ in range(100)} == {200}
