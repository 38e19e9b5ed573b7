"""API v3 ``session``: ``start`` mints a KS for one of the partner's admin secrets, ``end`` logs a KS out so
that it is refused everywhere after, API v1 included, with Kaltura's LOGOUT."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.auth.ks import mint_ks, mint_ks_v1, verify_ks
from gameservices.services.access.partner import set_enabled
from gameservices.settings import Settings
from gameservices.storage import sessions
from gameservices.storage.database import read_transaction, write_transaction
from tests.api.v3_client import V3, v3_test_client
from tests.conftest import Api, Partner


@pytest.fixture(scope="module")
def v3_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with v3_test_client(engine, settings) as client:
        yield client


@pytest.fixture
def v3(v3_client: TestClient) -> V3:
    return V3(v3_client, None)


def _start(v3: V3, partner: Partner, **params: Any) -> Any:
    return v3.call("session", "start", {"secret": partner.secret, "partnerId": partner.id, **params})


def test_start_mints_a_ks_of_the_partner(v3: V3, partner: Partner, api: Api) -> None:
    ks = _start(
        v3, partner, userId="admin@example.com", type=2, expiry=600, privileges="setrole:x,disableentitlement"
    )
    session = verify_ks(ks, secrets=[partner.secret], now=time.time())
    assert (session.partner_id, session.user_id, session.type) == (partner.id, "admin@example.com", 2)
    assert 590 <= session.expiry - time.time() <= 600
    assert session.privileges.raw == "setrole:x,disableentitlement"
    assert api.call("leaderboard/list", ks=_start(v3, partner, type=2))[0] == 200


@pytest.mark.parametrize(
    ("params", "expected_type", "expected_lifetime"),
    [
        ({}, 0, 86400),
        ({"type": "0", "expiry": "0"}, 0, 86400),
        ({"type": 2, "expiry": -5}, 2, 86400),
        ({"type": 2, "expiry": 10**12}, 2, 10 * 365 * 86400),
    ],
)
def test_start_defaults_as_kaltura(
    v3: V3, partner: Partner, params: dict[str, Any], expected_type: int, expected_lifetime: int
) -> None:
    session = verify_ks(_start(v3, partner, **params), secrets=[partner.secret], now=time.time())
    assert session.type == expected_type and session.user_id == ""
    assert expected_lifetime - 5 <= session.expiry - time.time() <= expected_lifetime


@pytest.mark.parametrize(
    ("params", "code", "args"),
    [
        ({"secret": "0" * 32}, "START_SESSION_ERROR", "partner"),
        ({"partnerId": 999_999_999}, "START_SESSION_ERROR", {"PID": "999999999"}),
        ({"partnerId": None}, "START_SESSION_ERROR", {"PID": ""}),
        ({"partnerId": -5}, "START_SESSION_ERROR", {"PID": "-5"}),
        ({"partnerId": 2**63 - 1}, "START_SESSION_ERROR", {"PID": str(2**63 - 1)}),
        (
            {"partnerId": 2**63},
            "PROPERTY_VALIDATION_MAX_VALUE",
            {"PROP_NAME": "partnerId", "MAX_VAL": str(2**63 - 1)},
        ),
        ({"secret": None}, "MISSING_MANDATORY_PARAMETER", {"PARAM_NAME": "secret"}),
        (
            {"type": 1},
            "INVALID_ENUM_VALUE",
            {"ENUM_VAL": "1", "PARAM_NAME": "type", "ENUM_TYPE": "KalturaSessionType"},
        ),
        ({"partnerId": "abc"}, "PROPERTY_VALIDATION_NUMERIC_VALUE", {"PROP_NAME": "partnerId"}),
    ],
)
def test_start_refusals(v3: V3, partner: Partner, params: dict[str, Any], code: str, args: Any) -> None:
    body = {"secret": partner.secret, "partnerId": partner.id, "type": 2, **params}
    answer = v3.call("session", "start", {name: value for name, value in body.items() if value is not None})
    assert answer["objectType"] == "KalturaAPIException" and answer["code"] == code, answer
    assert answer["args"] == ({"PID": str(partner.id)} if args == "partner" else args)
    if code == "START_SESSION_ERROR":
        assert answer["message"] == f"Error while starting session for partner [{answer['args']['PID']}]"


def test_another_partners_secret_starts_nothing(v3: V3, partner: Partner, new_partner: Any) -> None:
    other = new_partner()
    answer = v3.call("session", "start", {"secret": other.secret, "partnerId": partner.id, "type": 2})
    assert answer["code"] == "START_SESSION_ERROR"


def test_disabled_partner_starts_nothing(v3: V3, partner: Partner, engine: Engine) -> None:
    with write_transaction(engine) as conn:
        set_enabled(conn, partner_id=partner.id, enabled=False)
    assert _start(v3, partner, type=2)["code"] == "START_SESSION_ERROR"


def test_end_logs_the_ks_out_everywhere(v3: V3, partner: Partner, api: Api) -> None:
    ks = _start(v3, partner, type=2)
    other = _start(v3, partner, type=2)
    assert api.call("leaderboard/list", ks=ks)[0] == 200
    assert v3.call("session", "end", ks=ks) is None
    status, refused = api.call("leaderboard/list", ks=ks)
    assert status == 401 and refused["code"] == "INVALID_KS"
    assert refused["args"]["ERR_CODE"] == -6 and refused["args"]["ERR_DESC"] == "LOGOUT"
    params = {"filter": {"gameObjectId": "0" * 24, "gameObjectType": "1"}}
    in_v3 = v3.call("game_userscore", "list", params, ks=ks)
    assert in_v3["code"] == "INVALID_KS" and in_v3["args"]["ERR_CODE"] == "-6"
    assert v3.call("session", "end", ks=ks)["code"] == "INVALID_KS"
    assert api.call("leaderboard/list", ks=other)[0] == 200


_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _spellings(ks: str) -> list[str]:
    """Other spellings of the same KS bytes, each read as that KS: without its padding, in the other base64
    alphabet (where it has a character of it), and with a bit after the last byte flipped."""
    bare = ks.rstrip("=")
    urlsafe = bare.translate(str.maketrans("+/", "-_"))
    flipped = bare[:-1] + _URLSAFE[_URLSAFE.index(urlsafe[-1]) ^ 1]
    other_alphabet = ks.translate(str.maketrans("-_+/", "+/-_"))
    return [bare, other_alphabet, flipped]


def _padded(ks: str) -> bool:
    return ks.endswith("=")


@pytest.mark.parametrize("minted", [mint_ks, mint_ks_v1], ids=["v2", "v1"])
def test_an_ended_ks_stays_ended_however_it_is_spelled(
    v3: V3, partner: Partner, api: Api, minted: Any
) -> None:
    def mint() -> str:
        # The user id's length moves the KS's length; its random bytes, the characters it has.
        for attempt in range(1000):
            user_id = "u" * (attempt % 20)
            ks = str(minted(partner_id=partner.id, secret=partner.secret, user_id=user_id, now=time.time()))
            if _padded(ks):
                return ks
        raise AssertionError("no KS with padding")

    ks = mint()
    spellings = _spellings(ks)
    assert all(api.call("leaderboard/list", ks=spelling)[0] == 200 for spelling in spellings)
    assert v3.call("session", "end", ks=ks) is None
    for spelling in spellings:
        status, refused = api.call("leaderboard/list", ks=spelling)
        assert (status, refused.get("args", {}).get("ERR_DESC")) == (401, "LOGOUT"), spelling
    # Ended through another spelling, the KS is ended too.
    again = mint()
    assert v3.call("session", "end", ks=_spellings(again)[0]) is None
    assert api.call("leaderboard/list", ks=again)[1].get("args", {}).get("ERR_DESC") == "LOGOUT"


def test_end_takes_any_valid_ks_and_only_a_valid_one(v3: V3, partner: Partner) -> None:
    user_ks = _start(v3, partner, type=0, userId="viewer")
    assert v3.call("session", "end", ks=user_ks) is None
    assert v3.call("session", "end", ks="")["code"] == "MISSING_KS"
    expired = v3.call("session", "end", ks=partner.mint(expiry_seconds=-5))
    assert expired["code"] == "INVALID_KS" and expired["args"]["ERR_DESC"] == "EXPIRED"


def test_end_answers_an_empty_result_in_xml(v3: V3, partner: Partner) -> None:
    root = V3(v3.client, _start(v3, partner, type=2)).xml("session", "end")
    result = root.find("result")
    assert result is not None and result.text is None and len(result) == 0


def test_records_of_expired_kss_are_forgotten(engine: Engine, partner: Partner) -> None:
    now = int(time.time())
    with write_transaction(engine) as conn:
        sessions.revoke(conn, ks="expired-ks", partner_id=partner.id, expires_at=now - 10, now_ms=now * 1000)
        sessions.revoke(conn, ks="live-ks", partner_id=partner.id, expires_at=now + 3600, now_ms=now * 1000)
        sessions.revoke(conn, ks="live-ks", partner_id=partner.id, expires_at=now + 3600, now_ms=now * 1000)
    with write_transaction(engine) as conn:
        assert sessions.forget_expired(conn, now=now) >= 1
    with read_transaction(engine) as conn:
        assert not sessions.is_revoked(conn, "expired-ks")
        assert sessions.is_revoked(conn, "live-ks")
