"""The rate limit (api/rate_limit.py): only a KS its partner signed spends the partner's tokens, a multirequest
takes a token per request, client addresses are keyed as one host holds them (an IPv6 /64), and KSs new to the
process are verified at a bounded rate whatever the number of addresses, and so are the player's beacons that no
KS or partner known to the process vouches for."""

import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.api.rate_limit import UNVERIFIED_RATE_FACTOR, TokenBuckets, address_key
from gameservices.auth.ks import mint_ks, verify_ks
from gameservices.settings import Settings
from gameservices.storage import partners, sessions
from gameservices.storage.database import write_transaction
from tests.api.beacons import send_beacon, view_beacon
from tests.api.test_analytics import program, progress, score
from tests.conftest import Api, Partner

RATE = 5
V3_LIST = "/api_v3/service/game_userscore/action/list"
MULTIREQUEST = "/api_v3/service/multirequest"


def limited_app(engine: Engine, settings: Settings) -> FastAPI:
    """An app allowing RATE requests a second, whose clocks stand still: RATE tokens, never refilled."""
    app = create_app(settings.model_copy(update={"rate_limit_per_second": RATE}), engine)
    app.state.rate_limits.clock = lambda: 0.0
    app.state.address_rate_limits.clock = lambda: 0.0
    app.state.unverified_rate_limits.clock = lambda: 0.0
    return app


def client_at(app: FastAPI, host: str) -> TestClient:
    """A client of the app calling from `host`."""
    return TestClient(app, raise_server_exceptions=False, client=(host, 50000))


def forged(partner: Partner) -> str:
    """A KS naming the partner, signed with a secret that is not the partner's."""
    return mint_ks(partner_id=partner.id, secret="not the partner's secret", now=time.time())


def test_forged_kss_spend_their_address_tokens_not_their_partners(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    app = limited_app(engine, settings)
    attacker = Api(client_at(app, "203.0.113.7"), forged(partner))
    flood = [attacker.call("leaderboard/list")[0] for _ in range(3 * RATE)]
    assert flood == [401] * RATE + [429] * (2 * RATE)
    # Forged KSs sent to API v3 are turned away alike, from the same address's bucket.
    v3 = attacker.client.post(V3_LIST, json={"format": 1, "ks": forged(partner)})
    assert v3.json()["code"] == "RATE_LIMITED"
    # The partner's own budget is whole: RATE calls pass, and its own flood is still refused past them.
    owner = Api(client_at(app, "198.51.100.1"), partner.ks)
    statuses = [owner.call("leaderboard/list")[0] for _ in range(RATE + 2)]
    assert statuses == [200] * RATE + [429] * 2


def test_forged_kss_in_api_v3_bodies_leave_the_partner_its_tokens(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    app = limited_app(engine, settings)
    attacker = client_at(app, "2001:db8:1:2::7")
    codes = [
        attacker.post(V3_LIST, json={"format": 1, "ks": forged(partner)}).json()["code"]
        for _ in range(2 * RATE)
    ]
    assert codes == ["INVALID_KS"] * RATE + ["RATE_LIMITED"] * RATE
    owner = client_at(app, "198.51.100.1")
    owner_codes = [
        owner.post(V3_LIST, json={"format": 1, "ks": partner.ks}).json()["code"] for _ in range(RATE + 1)
    ]
    assert owner_codes == ["MISSING_MANDATORY_PARAMETER"] * RATE + ["RATE_LIMITED"]


def test_a_new_ks_for_every_request_still_spends_its_partners_tokens(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    # A KS's first use is verified before it is counted, so minting one per request (from many addresses, each
    # with tokens to spare) does not get around the partner's limit.
    app = limited_app(engine, settings)
    statuses = [
        Api(client_at(app, f"198.51.100.{number}"), partner.mint()).call("leaderboard/list")[0]
        for number in range(1, RATE + 4)
    ]
    assert statuses == [200] * RATE + [429] * 3


def _multirequest(ks: str, count: int) -> dict[str, Any]:
    calls = {str(number): {"service": "game_userscore", "action": "list"} for number in range(1, count + 1)}
    return {"format": 1, "ks": ks, **calls}


def test_a_multirequest_takes_a_token_for_each_of_its_requests(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    app = limited_app(engine, settings)
    client = client_at(app, "198.51.100.1")
    first = client.post(MULTIREQUEST, json=_multirequest(partner.ks, 3))
    assert [result["code"] for result in first.json()] == ["MISSING_MANDATORY_PARAMETER"] * 3
    # 2 tokens left: a multirequest of 3 is refused as a whole, each of its requests answering RATE_LIMITED.
    second = client.post(MULTIREQUEST, json=_multirequest(partner.ks, 3))
    assert second.status_code == 200 and second.headers["retry-after"] == "1"
    assert [result["code"] for result in second.json()] == ["RATE_LIMITED"] * 3
    assert second.json()[0]["objectType"] == "KalturaAPIException"
    # The refusal took nothing: the 2 tokens left serve 2 calls.
    codes = [client.post(V3_LIST, json={"format": 1, "ks": partner.ks}).json()["code"] for _ in range(3)]
    assert codes == ["MISSING_MANDATORY_PARAMETER"] * 2 + ["RATE_LIMITED"]


def test_tokens_beyond_a_full_bucket_are_granted_once_and_owed() -> None:
    now = [0.0]
    buckets = TokenBuckets(5, lambda: now[0])
    assert buckets.take(1, 3) == 0.0
    assert buckets.take(1, 3) == pytest.approx(0.2)  # 2 left: refused, nothing taken
    assert buckets.take(1, 2) == 0.0
    now[0] += 1.0  # full again
    assert buckets.take(1, 8) == 0.0  # more than a full bucket: granted, 3 owed
    assert buckets.take(1) == pytest.approx(0.8)  # 0.8 s until the debt is paid and one token is back
    now[0] += 0.8
    assert buckets.take(1) == 0.0


ADDRESS_KEYS = [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", True),
    ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
    ("192.0.2.1", "192.0.2.2", False),
    ("192.0.2.1", "::ffff:192.0.2.1", True),
    ("0.0.0.0", "::", False),
    ("testclient", "", True),
]


@pytest.mark.parametrize(("first", "second", "same"), ADDRESS_KEYS)
def test_addresses_are_keyed_by_host(first: str, second: str, same: bool) -> None:
    assert (address_key(first) == address_key(second)) is same


def test_an_ended_ks_no_longer_spends_its_partners_tokens(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    # A KS the partner signed, used (so remembered as signed), then logged out with session.end: whoever still
    # holds it is refused, and its flood empties the holder's address bucket, not the partner's.
    app = limited_app(engine, settings)
    leaked = partner.mint()
    holder = client_at(app, "203.0.113.9")
    assert Api(holder, leaked).call("leaderboard/list")[0] == 200
    ended = holder.post("/api_v3/service/session/action/end", json={"format": 1, "ks": leaked})
    assert ended.status_code == 200 and ended.json() is None
    # The holder's address spent a token on the KS's first use; its 4 others go to the refused KS.
    flood = [Api(holder, leaked).call("leaderboard/list")[0] for _ in range(3 * RATE)]
    assert flood == [401] * (RATE - 1) + [429] * (2 * RATE + 1)
    # The partner lost the 2 tokens of the calls made before the KS ended, and no more.
    owner = Api(client_at(app, "198.51.100.1"), partner.ks)
    statuses = [owner.call("leaderboard/list")[0] for _ in range(RATE)]
    assert statuses == [200] * (RATE - 2) + [429] * 2


def test_a_ks_another_process_ended_stops_spending_once_refused_here(
    engine: Engine, settings: Settings, partner: Partner
) -> None:
    # Ended elsewhere (written straight to the database, as another process's session.end does): this process
    # still takes the partner's token for its next use, refuses it, and from then on counts it by its address.
    app = limited_app(engine, settings)
    leaked = partner.mint()
    holder = client_at(app, "203.0.113.10")
    assert Api(holder, leaked).call("leaderboard/list")[0] == 200
    session = verify_ks(leaked, secrets=[partner.secret], now=time.time())
    with write_transaction(engine) as conn:
        sessions.revoke(conn, ks=leaked, partner_id=partner.id, expires_at=session.expiry, now_ms=0)
    flood = [Api(holder, leaked).call("leaderboard/list")[0] for _ in range(3 * RATE)]
    assert flood == [401] * RATE + [429] * (2 * RATE)
    owner = Api(client_at(app, "198.51.100.1"), partner.ks)
    statuses = [owner.call("leaderboard/list")[0] for _ in range(RATE)]
    assert statuses == [200] * (RATE - 2) + [429] * 2


def test_forged_kss_from_countless_addresses_read_the_database_at_a_bounded_rate(
    engine: Engine, settings: Settings, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each forged KS from an IPv6 /64 of its own finds a full address bucket (an attacker's /48 holds 65,536 of
    # them, more than the buckets kept): only the process's bucket of verifications bounds their reads.
    app = limited_app(engine, settings)
    now = [0.0]
    for buckets in (app.state.rate_limits, app.state.address_rate_limits, app.state.unverified_rate_limits):
        buckets.clock = lambda: now[0]
    owner = Api(client_at(app, "198.51.100.1"), partner.ks)
    assert owner.call("leaderboard/list")[0] == 200  # verified now, and remembered
    reads = [0]
    snapshot = partners.auth_snapshot

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads[0] += 1
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(partners, "auth_snapshot", counted)
    verifications = UNVERIFIED_RATE_FACTOR * RATE - 1  # the owner's KS took one
    flood = [
        Api(client_at(app, f"2001:db8:7:{number:x}::1"), forged(partner)).call("leaderboard/list")[0]
        for number in range(10 * verifications)
    ]
    assert flood == [401] * verifications + [429] * (9 * verifications)
    # Each forged KS verified cost two reads (the rate limit's, then authentication's); the refused ones none.
    assert reads[0] == 2 * verifications
    # The partner's KS already verified passes at once; a KS new to the process waits for the flood's bucket
    # to refill, as the forged ones do, then passes.
    assert owner.call("leaderboard/list")[0] == 200
    fresh = Api(client_at(app, "198.51.100.2"), partner.mint())
    assert fresh.call("leaderboard/list")[0] == 429
    now[0] += 1.0
    assert fresh.call("leaderboard/list")[0] == 200
    assert owner.call("leaderboard/list")[0] == 200


def test_beacons_nothing_vouches_for_read_the_database_at_a_bounded_rate(
    api: Api, engine: Engine, settings: Settings, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beacons with forged KSs, and beacons without a KS naming made-up partners, each from an IPv6 /64 of its
    # own: the process's bucket of verifications bounds their reads, as it bounds the API's forged KSs.
    board = program(api)
    app = limited_app(engine, settings)
    now = [0.0]
    for buckets in (
        app.state.rate_limits,
        app.state.address_rate_limits,
        app.state.unverified_rate_limits,
        app.state.unsigned_beacon_limits,
        app.state.beacon_partners,
    ):
        buckets.clock = lambda: now[0]
    viewer_ks = partner.mint(type=0, user_id="kim")
    genuine = [
        {**view_beacon(partner.id, "", "0_e", "s1", 1, 10.0), "ks": viewer_ks},
        view_beacon(partner.id, "lee", "0_e", "s2", 1, 10.0),
    ]
    # Their first beacons: the KS is verified and remembered, the partner's facts read and remembered.
    assert [send_beacon(client_at(app, "198.51.100.1"), beacon).status_code for beacon in genuine] == [
        200
    ] * 2
    reads = [0]
    snapshot = partners.auth_snapshot

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads[0] += 1
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(partners, "auth_snapshot", counted)
    verifications = UNVERIFIED_RATE_FACTOR * RATE - len(genuine)
    flood = []
    for number in range(10 * verifications):
        beacon = view_beacon(partner.id, "mallory", "0_e", f"x{number}", 1, 10.0)
        if number % 2:
            beacon = {**beacon, "partnerId": 2_000_000_000 - number}  # no such partner
        else:
            beacon = {**beacon, "ks": forged(partner)}
        flood.append(send_beacon(client_at(app, f"2001:db8:7:{number:x}::1"), beacon))
    # Every beacon is answered in the player's protocol; one read each for the first ones, none for the rest.
    assert {(answer.status_code, answer.headers["content-type"]) for answer in flood} == {
        (200, "application/json")
    }
    assert {answer.json()["viewEventsEnabled"] for answer in flood} == {True}
    assert reads[0] == verifications
    # The genuine viewers are still scored: the remembered KS takes its partner's token (then one read, for
    # session.end), the partner's beacons without a KS read nothing.
    later = [
        {**view_beacon(partner.id, "", "0_e", "s1", 2, 20.0), "ks": viewer_ks},
        view_beacon(partner.id, "lee", "0_e", "s2", 2, 20.0),
    ]
    answers = [send_beacon(client_at(app, "198.51.100.1"), beacon).json() for beacon in later]
    assert [answer["viewEventsEnabled"] for answer in answers] == [True] * 2
    assert reads[0] == verifications + 1
    # A viewer's KS new to the process waits for the flood's bucket to refill, as the API's does (its beacon
    # meanwhile is not scored, and answered as one that is, so that the player keeps sending).
    fresh = partner.mint(type=0, user_id="max")
    viewer = client_at(app, "198.51.100.2")
    waiting = send_beacon(viewer, {**view_beacon(partner.id, "", "0_e", "s3", 1, 10.0), "ks": fresh})
    assert waiting.json()["viewEventsEnabled"] is True
    now[0] += 1.0
    send_beacon(viewer, {**view_beacon(partner.id, "", "0_e", "s4", 1, 20.0), "ks": fresh})
    assert {user: progress(api, board, user)["watch"] for user in ("kim", "lee", "max")} == {
        "kim": 20,
        "lee": 20,
        "max": 20,
    }
    assert score(api, board, "mallory") == 0
