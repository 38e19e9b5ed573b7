"""KS authentication and permissions through API v1: what Kaltura's clients mint passes, nothing else does."""

import time

import pytest
from KalturaClient import KalturaClient  # test-only dependency: the official client mints the KSs
from KalturaClient.Base import KalturaConfiguration
from sqlalchemy import Engine

from gameservices.auth.ks import mint_ks, mint_ks_v1
from gameservices.services.access.partner import define_role, set_enabled
from gameservices.storage.database import write_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner


def _official_client() -> KalturaClient:
    return KalturaClient(KalturaConfiguration())


def _text(ks: bytes | str) -> str:
    return ks.decode() if isinstance(ks, bytes) else ks


def test_ks_v2_from_the_official_client_is_accepted(api: Api, partner: Partner) -> None:
    ks = _text(
        _official_client().generateSessionV2(partner.secret, "admin@example.com", 2, partner.id, 3600, "")
    )
    status, body = api.call("leaderboard/list", ks=ks)
    assert status == 200 and body["totalCount"] == 0


def test_ks_v1_from_the_official_client_is_accepted(api: Api, partner: Partner) -> None:
    ks = _text(
        _official_client().generateSession(partner.secret, "admin@example.com", 2, partner.id, 3600, "")
    )
    assert api.call("leaderboard/create", guide.leaderboard_4_2(), ks=ks)[0] == 200


def test_missing_ks_is_401(api: Api) -> None:
    status, body = api.call("leaderboard/list", ks="")
    assert status == 401 and body["code"] == "MISSING_KS" and body["objectType"] == "KalturaAPIException"


def test_missing_ks_wins_over_a_malformed_body(api: Api) -> None:
    status, body = api.call("leaderboard/create", raw=b"{not json", ks="")
    assert status == 401 and body["code"] == "MISSING_KS"


@pytest.mark.parametrize(
    ("path", "body", "content_type", "message"),
    [
        ("leaderboard/create", b'{"name": "\xff"}', "application/json", "The request body is not valid JSON"),
        ("event/sendExternalEventsFromCSV", b"x", "multipart/form-data", "Missing boundary in multipart."),
    ],
    ids=["not-utf8", "multipart-without-boundary"],
)
def test_ks_is_reported_before_a_body_that_cannot_be_read(
    api: Api, partner: Partner, path: str, body: bytes, content_type: str, message: str
) -> None:
    def post(headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        response = api.client.post(
            f"/api/v1/{path}", content=body, headers={"Content-Type": content_type, **headers}
        )
        return response.status_code, response.json()

    status, answer = post({})
    assert (status, answer["code"]) == (401, "MISSING_KS")
    status, answer = post({"Authorization": "Bearer not-a-ks"})
    assert (status, answer["code"]) == (401, "INVALID_KS")
    status, answer = post({"Authorization": f"Bearer {partner.ks}"})
    assert (status, answer["code"], answer["message"]) == (400, "VALIDATION_ERROR", message)


@pytest.mark.parametrize(
    "make_ks",
    [
        pytest.param(lambda p: p.mint(expiry_seconds=-10), id="expired"),
        pytest.param(lambda p: mint_ks(partner_id=p.id, secret="0" * 32, now=time.time()), id="other-secret"),
        pytest.param(
            lambda p: mint_ks(partner_id=999_999, secret=p.secret, now=time.time()), id="unknown-partner"
        ),
        pytest.param(
            lambda p: mint_ks_v1(partner_id=p.id, secret=p.secret, now=time.time()) + "AAAA", id="v1-appended"
        ),
        pytest.param(lambda p: "not a ks at all", id="garbage"),
    ],
)
def test_invalid_ks_is_401_with_kaltura_args(api: Api, partner: Partner, make_ks: object) -> None:
    ks = make_ks(partner)  # type: ignore[operator]
    status, body = api.call("leaderboard/list", ks=ks)
    assert status == 401 and body["code"] == "INVALID_KS"
    assert set(body["args"]) == {"KSID", "ERR_CODE", "ERR_DESC"}


def test_expired_ks_reports_expired(api: Api, partner: Partner) -> None:
    status, body = api.call("leaderboard/list", ks=partner.mint(expiry_seconds=-10))
    assert status == 401 and body["args"]["ERR_CODE"] == -5 and body["args"]["ERR_DESC"] == "EXPIRED"


def test_every_single_byte_change_of_a_valid_ks_is_refused_or_equivalent(api: Api, partner: Partner) -> None:
    ks = partner.ks
    accepted_changes = 0
    for position in range(len(ks)):
        replacement = "A" if ks[position] != "A" else "B"
        tampered = ks[:position] + replacement + ks[position + 1 :]
        status, body = api.call("leaderboard/list", ks=tampered)
        if status == 200:
            accepted_changes += 1  # only bits base64 ignores (the final padding bits) may change
            assert position >= len(ks.rstrip("=")) - 1
        else:
            assert status == 401 and body["code"] == "INVALID_KS", (position, body)
    assert accepted_changes <= 1


def test_user_ks_is_forbidden(api: Api, partner: Partner) -> None:
    status, body = api.call("leaderboard/list", ks=partner.mint(type=0, user_id="someone"))
    assert status == 403 and body["code"] == "SERVICE_FORBIDDEN"


def test_disabled_partner_is_forbidden(api: Api, partner: Partner, engine: Engine) -> None:
    with write_transaction(engine) as conn:
        set_enabled(conn, partner_id=partner.id, enabled=False)
    status, body = api.call("leaderboard/list")
    assert status == 403 and body["code"] == "SERVICE_FORBIDDEN"


def test_partner_without_game_services_is_forbidden(api: Api, partner: Partner, engine: Engine) -> None:
    with write_transaction(engine) as conn:
        set_enabled(conn, partner_id=partner.id, game_services=False)
    assert api.call("leaderboard/list")[0] == 403


@pytest.mark.parametrize("refusal", ["user-ks", "disabled", "no-game-services"])
def test_every_service_forbidden_names_the_action(
    api: Api, partner: Partner, engine: Engine, refusal: str
) -> None:
    # DESIGN.md section 1: SERVICE_FORBIDDEN's SERVICE is `controller->action`, whatever the KS may not do.
    ks = partner.mint(type=0, user_id="someone") if refusal == "user-ks" else partner.ks
    with write_transaction(engine) as conn:
        if refusal == "disabled":
            set_enabled(conn, partner_id=partner.id, enabled=False)
        elif refusal == "no-game-services":
            set_enabled(conn, partner_id=partner.id, game_services=False)
    for path in ("leaderboard/list", "userScore/list", "event/send"):
        status, body = api.call(path, {}, ks=ks)
        assert (status, body["code"]) == (403, "SERVICE_FORBIDDEN"), path
        assert body["args"] == {"SERVICE": path.replace("/", "->")}


def test_setrole_without_game_manage_reads_but_cannot_write(
    api: Api, partner: Partner, engine: Engine
) -> None:
    with write_transaction(engine) as conn:
        define_role(conn, partner_id=partner.id, role_id="viewer", name="Viewer", permissions=["GAME_BASE"])
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    viewer = partner.mint(privileges="setrole:viewer")
    assert api.call("leaderboard/get", {"id": created["id"]}, ks=viewer)[0] == 200
    for path, body in (
        ("leaderboard/create", guide.leaderboard_4_2()),
        ("leaderboard/update", {"id": created["id"], "name": "x"}),
        ("leaderboard/delete", {"id": created["id"]}),
        ("leaderboard/clone", {"id": created["id"]}),
        ("rule/create", guide.rule_6_7(created["id"])),
    ):
        status, error = api.call(path, body, ks=viewer)
        assert status == 403 and error["code"] == "SERVICE_FORBIDDEN", path
        assert error["args"]["SERVICE"] == path.replace("/", "->")
    assert api.ok("leaderboard/get", {"id": created["id"]}) == created


@pytest.mark.parametrize("role", ["nobody", "no\u0000body"])
def test_setrole_with_unknown_role_has_no_permissions(api: Api, partner: Partner, role: str) -> None:
    # (A NUL character cannot be in a role id PostgreSQL stores.)
    status, body = api.call("leaderboard/list", ks=partner.mint(privileges=f"setrole:{role}"))
    assert (status, body["code"]) == (403, "SERVICE_FORBIDDEN")
    v3 = {"format": "1", "ks": partner.mint(privileges=f"setrole:{role}")}
    answer = api.client.post("/api_v3/service/game_userscore/action/list", data=v3).json()
    assert answer["code"] == "SERVICE_FORBIDDEN"


def test_iprestrict_and_urirestrict_are_honoured(api: Api, partner: Partner) -> None:
    # The in-process client connects from "testclient".
    assert api.call("leaderboard/list", ks=partner.mint(privileges="iprestrict:10.1.2.3"))[0] == 401
    assert api.call("leaderboard/list", ks=partner.mint(privileges="iprestrict:testclient"))[0] == 200
    assert api.call("leaderboard/list", ks=partner.mint(privileges="urirestrict:/api/v1/badge/*"))[0] == 401
    assert (
        api.call("leaderboard/list", ks=partner.mint(privileges="urirestrict:/api/v1/leaderboard/*"))[0]
        == 200
    )


def test_health_needs_no_ks(api: Api) -> None:
    for path in ("/health", "/api/v1/health"):
        assert api.client.get(path).json() == {"status": "ok"}
        assert api.client.post(path).json() == {"status": "ok"}
