"""A verified KS is remembered so it is decrypted once; everything that can change about it is still read on
every request: the partner's state, its secrets, whether the KS was ended, its expiry and its role."""

import time
from typing import Any

import pytest
from sqlalchemy import Engine, delete

from gameservices.services.access import session as session_service
from gameservices.services.access.partner import define_role, set_enabled
from gameservices.storage import partners as partner_repository
from gameservices.storage import sessions as session_repository
from gameservices.storage.database import write_transaction
from gameservices.storage.schema import partner_secrets
from tests.conftest import Api, Partner


def test_a_remembered_ks_sees_its_partner_disabled_and_enabled(
    api: Api, partner: Partner, engine: Engine
) -> None:
    assert api.call("leaderboard/list")[0] == 200
    with write_transaction(engine) as conn:
        set_enabled(conn, partner_id=partner.id, enabled=False)
    status, body = api.call("leaderboard/list")
    assert status == 403 and body["code"] == "SERVICE_FORBIDDEN"
    with write_transaction(engine) as conn:
        set_enabled(conn, partner_id=partner.id, enabled=True)
    assert api.call("leaderboard/list")[0] == 200


def test_a_remembered_ks_still_expires(api: Api, partner: Partner) -> None:
    ks = partner.mint(expiry_seconds=3)
    # Expiry counts whole seconds: the KS is valid for at least two, time enough for the first call on a busy
    # machine (with one second it could have a few milliseconds); then wait until it has surely expired.
    expired_by = int(time.time()) + 4.1
    assert api.call("leaderboard/list", ks=ks)[0] == 200
    time.sleep(max(0.0, expired_by - time.time()))
    status, body = api.call("leaderboard/list", ks=ks)
    assert status == 401 and body["code"] == "INVALID_KS"
    assert body["args"]["ERR_DESC"] == "EXPIRED"


def test_a_remembered_ks_is_refused_once_ended(api: Api, partner: Partner, engine: Engine) -> None:
    assert api.call("leaderboard/list")[0] == 200
    with write_transaction(engine) as conn:
        session_repository.revoke(
            conn, ks=partner.ks, partner_id=partner.id, expires_at=int(time.time()) + 3600, now_ms=0
        )
    status, body = api.call("leaderboard/list")
    assert status == 401 and body["args"]["ERR_DESC"] == "LOGOUT"


def test_a_remembered_ks_is_refused_once_its_secret_is_gone(
    api: Api, partner: Partner, engine: Engine
) -> None:
    assert api.call("leaderboard/list")[0] == 200
    with write_transaction(engine) as conn:
        conn.execute(delete(partner_secrets).where(partner_secrets.c.partner_id == partner.id))
        partner_repository.add_secret(conn, partner_id=partner.id, secret="f" * 32, now=0)
    status, body = api.call("leaderboard/list")
    assert status == 401 and body["code"] == "INVALID_KS"


def test_a_remembered_ks_follows_its_role(api: Api, partner: Partner, engine: Engine) -> None:
    with write_transaction(engine) as conn:
        define_role(conn, partner_id=partner.id, role_id="viewer", name="Viewer", permissions=["GAME_BASE"])
    viewer = partner.mint(privileges="setrole:viewer")
    assert api.call("leaderboard/list", ks=viewer)[0] == 200
    with write_transaction(engine) as conn:
        define_role(conn, partner_id=partner.id, role_id="viewer", name="Viewer", permissions=[])
    assert api.call("leaderboard/list", ks=viewer)[0] == 403


def test_only_kss_of_a_usual_length_are_remembered(partner: Partner, monkeypatch: pytest.MonkeyPatch) -> None:
    # A partner can mint KSs of any length (privileges are free text): remembering them all would let it fill
    # the memory with up to MAX_VERIFIED_SESSIONS of them. A long KS is verified on every request instead.
    decrypted: list[str] = []
    verify = session_service.verify_ks

    def counting(ks: str, **options: Any) -> Any:
        decrypted.append(ks)
        return verify(ks, **options)

    monkeypatch.setattr(session_service, "verify_ks", counting)
    usual = partner.mint(privileges="setrole:viewer,iprestrict:10.0.0.1/10.0.0.2,urirestrict:/api/v1/*")
    long = partner.mint(privileges="note:" + "n" * session_service.MAX_REMEMBERED_KS_LENGTH)
    for _ in range(3):
        for ks in (usual, long):
            session = session_service.verified_session(
                ks,
                (partner.secret,),
                client_ip="10.0.0.2",
                uri="/api/v1/leaderboard/list",
                count=session_service.not_counted,
            )
            assert session.partner_id == partner.id
    assert (decrypted.count(usual), decrypted.count(long)) == (1, 3)
