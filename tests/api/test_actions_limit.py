"""The `actionslimit:N` KS privilege: a KS carrying it serves N requests, counted in the database by every
process on it (API v1, each API v3 action, session.end, the rank widget, console sign-in and requests, beacons),
then is refused with EXCEEDED_ACTIONS_LIMIT as the Kaltura server refuses it. Other KSs write nothing."""

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from gameservices.api.app import create_app
from gameservices.auth.ks import mint_ks_v1
from gameservices.domain.beacons import read_beacon
from gameservices.scheduler import forget_expired_ks_uses
from gameservices.services.scoring import analytics
from gameservices.settings import Settings
from gameservices.storage import ks_uses
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.schema import console_sessions
from gameservices.storage.schema import ks_uses as ks_uses_table
from tests.api.v3_client import V3, v3_test_client
from tests.conftest import Api, Partner

BOARD = {"filter": {"gameObjectId": "0" * 24, "gameObjectType": "1"}}


@pytest.fixture(scope="module")
def v3_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with v3_test_client(engine, settings) as client:
        yield client


@pytest.fixture
def v3(v3_client: TestClient) -> V3:
    return V3(v3_client, None)


def _uses(engine: Engine, ks: str) -> int:
    with read_transaction(engine) as conn:
        return ks_uses.uses_of(conn, ks)


def _partner_rows(engine: Engine, partner: Partner) -> int:
    with read_transaction(engine) as conn:
        statement = select(func.count()).where(ks_uses_table.c.partner_id == partner.id)
        return int(conn.execute(statement).scalar_one())


def _exceeded(body: Any) -> bool:
    args = body.get("args", {})
    return (
        body.get("code") == "INVALID_KS"
        and str(args.get("ERR_CODE")) == "-8"
        and args.get("ERR_DESC") == "EXCEEDED_ACTIONS_LIMIT"
        and 'Error "-8,EXCEEDED_ACTIONS_LIMIT"' in body.get("message", "")
    )


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_ks_serves_its_limit_of_v1_requests_then_is_refused(
    api: Api, partner: Partner, engine: Engine, version: str
) -> None:
    if version == "v2":
        ks = partner.mint(privileges="actionslimit:3")
    else:
        ks = mint_ks_v1(
            partner_id=partner.id, secret=partner.secret, privileges="actionslimit:3", now=time.time()
        )
    assert [api.call("leaderboard/list", ks=ks)[0] for _ in range(3)] == [200, 200, 200]
    status, refused = api.call("leaderboard/list", ks=ks)
    assert status == 401 and _exceeded(refused), refused
    assert api.call("leaderboard/list", ks=ks)[0] == 401  # and stays refused
    assert api.call("leaderboard/list")[0] == 200  # the partner's other KSs are not concerned


def test_a_request_refused_for_its_body_counts_once(api: Api, partner: Partner, engine: Engine) -> None:
    ks = partner.mint(privileges="actionslimit:5")
    status, _ = api.call("leaderboard/create", {"name": 5}, ks=ks)
    assert status == 400
    assert _uses(engine, ks) == 1
    status, _ = api.call("leaderboard/list", raw=b"{not json", ks=ks)
    assert _uses(engine, ks) == 2


def test_a_counted_ks_the_partner_does_not_serve_is_refused_as_any_other(api: Api, partner: Partner) -> None:
    # A USER KS: refused for the action it asked, whether or not its uses are counted.
    plain = api.call("leaderboard/list", ks=partner.mint(type=0, user_id="u"))
    counted = api.call("leaderboard/list", ks=partner.mint(type=0, user_id="u", privileges="actionslimit:5"))
    assert plain[0] == counted[0] == 403
    assert counted[1] == plain[1] and counted[1]["args"]["SERVICE"] == "leaderboard->list", counted


def test_a_limit_that_is_not_a_number_allows_nothing(api: Api, partner: Partner) -> None:
    for privileges in ("actionslimit:x", "actionslimit", "actionslimit:-1", "actionslimit:0"):
        status, refused = api.call("leaderboard/list", ks=partner.mint(privileges=privileges))
        assert status == 401 and _exceeded(refused), privileges


def test_each_v3_action_counts_a_use_multirequest_actions_each(
    v3: V3, partner: Partner, engine: Engine
) -> None:
    ks = partner.mint(privileges="actionslimit:3")
    # (no such game object: the KS passes, the action answers OBJECT_NOT_FOUND)
    answers = [v3.call("game_userscore", "list", BOARD, ks=ks) for _ in range(4)]
    assert [answer["code"] for answer in answers[:3]] == ["OBJECT_NOT_FOUND"] * 3
    assert _exceeded(answers[3]), answers[3]

    multi = partner.mint(privileges="actionslimit:3")
    fields = {"format": 1, "ks": multi, "0": {"service": "game_userscore", "action": "list", **BOARD}}
    fields["1"] = fields["0"]
    response = v3.client.post("/api_v3/service/multirequest", json=fields)
    assert response.status_code == 200 and _uses(engine, multi) == 2
    fields["2"] = fields["0"]
    results = v3.client.post("/api_v3/service/multirequest", json=fields).json()
    assert results[0]["code"] == "OBJECT_NOT_FOUND"
    assert _exceeded(results[1]) and _exceeded(results[2])


def test_session_end_counts_a_use_in_its_own_transaction(v3: V3, partner: Partner, api: Api) -> None:
    ks = partner.mint(privileges="actionslimit:2")
    assert api.call("leaderboard/list", ks=ks)[0] == 200
    assert v3.call("session", "end", ks=ks) is None  # the second use
    assert api.call("leaderboard/list", ks=ks)[1]["args"]["ERR_DESC"] == "LOGOUT"
    spent = partner.mint(privileges="actionslimit:1")
    assert api.call("leaderboard/list", ks=spent)[0] == 200
    assert _exceeded(v3.call("session", "end", ks=spent))
    assert _exceeded(api.call("leaderboard/list", ks=spent)[1])  # not ended: refused for its limit


def test_two_apps_on_one_database_share_the_count(
    database_url: str, settings: Settings, app_client: TestClient, partner: Partner
) -> None:
    other_engine = open_engine(database_url)
    try:
        with TestClient(create_app(settings, other_engine), raise_server_exceptions=False) as other:
            ks = partner.mint(privileges="actionslimit:3")
            first, second = Api(app_client, ks), Api(other, ks)
            answers = [first.call("leaderboard/list")[0], second.call("leaderboard/list")[0]]
            answers += [first.call("leaderboard/list")[0], second.call("leaderboard/list")[0]]
            assert answers == [200, 200, 200, 401]
            assert first.call("leaderboard/list")[0] == 401
    finally:
        other_engine.dispose()


def test_a_ks_without_the_privilege_writes_nothing(
    api: Api, v3: V3, partner: Partner, engine: Engine, app_client: TestClient
) -> None:
    ks = partner.mint(privileges="setrole:x,iprestrict:testclient")
    api.call("leaderboard/list", ks=ks)
    api.ok("leaderboard/list")
    v3.call("game_userscore", "list", BOARD, ks=partner.ks)
    v3.call("session", "end", ks=partner.mint())
    user = partner.mint(type=0, user_id="ben")
    app_client.get("/widget/rank/data?gameObjectId=x", headers={"Authorization": f"Bearer {user}"})
    assert _partner_rows(engine, partner) == 0


def test_the_widget_counts_its_uses(app_client: TestClient, partner: Partner, engine: Engine) -> None:
    ks = partner.mint(type=0, user_id="ben", privileges="actionslimit:1")
    headers = {"Authorization": f"Bearer {ks}"}
    first = app_client.get("/widget/rank/data?gameObjectId=" + "0" * 24, headers=headers)
    assert "EXCEEDED_ACTIONS_LIMIT" not in first.text
    second = app_client.get("/widget/rank/data?gameObjectId=" + "0" * 24, headers=headers)
    assert second.status_code == 401 and "Invalid KS: EXCEEDED_ACTIONS_LIMIT" in second.text
    assert _uses(engine, ks) == 2


def test_console_sign_in_and_each_console_request_count(
    app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    browser = TestClient(app_client.app, raise_server_exceptions=False)
    ks = partner.mint(privileges="actionslimit:2")
    signed_in = browser.post("/console/signin", data={"ks": ks}, follow_redirects=False)
    assert signed_in.status_code == 303 and _uses(engine, ks) == 1
    assert browser.get("/console/", follow_redirects=False).status_code == 200
    assert browser.get("/console/", follow_redirects=False).status_code != 200  # the KS is spent
    spent = partner.mint(privileges="actionslimit:0")
    refused = TestClient(app_client.app, raise_server_exceptions=False).post(
        "/console/signin", data={"ks": spent}, follow_redirects=False
    )
    assert refused.status_code == 401


def test_a_console_session_whose_ks_is_spent_still_signs_out(
    app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    # Signing out uses no KS: a session whose KS has no use left is deleted all the same.
    browser = TestClient(app_client.app, raise_server_exceptions=False)
    ks = partner.mint(privileges="actionslimit:2")
    assert browser.post("/console/signin", data={"ks": ks}, follow_redirects=False).status_code == 303
    dashboard = browser.get("/console/", follow_redirects=False)
    assert dashboard.status_code == 200 and _uses(engine, ks) == 2
    found = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.text)
    assert found is not None
    assert browser.get("/console/", follow_redirects=False).status_code == 303  # the KS is spent
    assert _console_sessions(engine, partner.id) == 1
    # A forged form signs nobody out.
    forged = browser.post("/console/signout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and _console_sessions(engine, partner.id) == 1
    signed_out = browser.post("/console/signout", data={"csrf_token": found.group(1)}, follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/console/signin")
    assert _console_sessions(engine, partner.id) == 0
    assert _uses(engine, ks) == 3  # (the refused dashboard's check; signing out used none)


def _console_sessions(engine: Engine, partner_id: int) -> int:
    with read_transaction(engine) as conn:
        statement = select(func.count()).where(console_sessions.c.partner_id == partner_id)
        return int(conn.execute(statement).scalar_one())


def test_each_beacon_counts_a_use(partner: Partner, engine: Engine) -> None:
    ks = partner.mint(type=0, user_id="viewer", privileges="actionslimit:2")
    params = {"eventType": 3, "partnerId": partner.id, "entryId": "0_e", "sessionId": "s", "ks": ks}
    beacon = read_beacon(params)
    assert beacon is not None and beacon.ks == ks
    seen = [analytics.identify(engine, beacon, client_ip="", uri="/api_v3") for _ in range(3)]
    assert seen == ["viewer", "viewer", None]


def test_the_counts_of_expired_kss_are_forgotten(engine: Engine, partner: Partner) -> None:
    now = int(time.time())
    with write_transaction(engine) as conn:
        ks_uses.count_use(conn, ks="expired-ks", partner_id=partner.id, expires_at=now - 700)
        # Just expired: kept a while, since a host whose clock lags still accepts it.
        ks_uses.count_use(conn, ks="just-expired-ks", partner_id=partner.id, expires_at=now - 10)
        ks_uses.count_use(conn, ks="live-ks", partner_id=partner.id, expires_at=now + 3600)
        assert ks_uses.count_use(conn, ks="live-ks", partner_id=partner.id, expires_at=now + 3600) == 2
    assert forget_expired_ks_uses(engine) >= 1
    with read_transaction(engine) as conn:
        assert ks_uses.uses_of(conn, "expired-ks") == 0
        assert ks_uses.uses_of(conn, "just-expired-ks") == 1
        assert ks_uses.uses_of(conn, "live-ks") == 2
