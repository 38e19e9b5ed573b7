"""A request never holds a pooled connection while it waits for another: `userCertificateReport/list` issues the
credentials of newly certified users in a write transaction of its own, opened while its read of the tables still
holds its connection. Requests doing so at once take the whole pool and then each waits for one more connection
(on SQLite the first also holds the process's writer turn, so every write of the process waits behind it): they
wait for the pool's timeout and fail."""

import contextlib
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event
from starlette.testclient import TestClient

from gameservices.api import user_certificate_credentials
from gameservices.api.app import create_app
from gameservices.storage import database
from tests.api import guide_bodies as guide
from tests.conftest import Api

POOL = 2


def _small_pool(engine: Engine) -> Engine:
    """An engine on the same database whose pool holds POOL connections (3 s to wait for one)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "sqlite":
        return create_engine(url, pool_size=POOL, max_overflow=0, pool_timeout=3)
    small = create_engine(
        url, connect_args={"check_same_thread": False}, pool_size=POOL, max_overflow=0, pool_timeout=3
    )
    event.listen(small, "connect", database._configure_sqlite)
    event.listen(small, "begin", database._begin_sqlite)
    return small


def _certified_users(api: Api, users: list[str]) -> str:
    """A certificate these users reached, their credentials not issued yet."""
    certificate = api.ok("certificate/create", guide.certificate_8_2() | {"status": "enabled"})["id"]
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate))["id"]
    api.ok("certificate/update", {"id": certificate, "creditsMapping": f"credits,{rule}\n10.0,1\n11.5,2"})
    for user in users:
        api.ok("userProfile/create", {"userId": user, "firstName": user, "lastName": "Lee"})
        event = {
            "eventType": "viewPeriod",
            "userId": user,
            "entryId": "m1",
            "playTime": 130,
            "eventTime": "2025-06-02T10:00:00Z",
        }
        api.ok("event/send", {"events": [event]})
    return str(certificate)


def test_certificate_lists_issuing_credentials_at_once_do_not_wait_for_the_pool(
    app_client: TestClient, engine: Engine, settings: Any, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = _certified_users(Api(app_client, partner.ks), ["ann", "bob"])
    small = _small_pool(engine)
    real_write_transaction = user_certificate_credentials.write_transaction
    issuing = threading.Barrier(POOL, timeout=5)

    def write_transaction(*args: Any, **kwargs: Any) -> Any:
        # Only orders the requests: each reaches its issuing once all of them read the tables.
        with contextlib.suppress(threading.BrokenBarrierError):
            issuing.wait()
        return real_write_transaction(*args, **kwargs)

    monkeypatch.setattr(user_certificate_credentials, "write_transaction", write_transaction)
    answers: list[Any] = []
    with TestClient(create_app(settings, small), raise_server_exceptions=False) as client:
        api = Api(client, partner.ks)

        def list_() -> None:
            answers.append(api.call("userCertificateReport/list", {"gameObjectId": certificate}))

        threads = [threading.Thread(target=list_) for _ in range(POOL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    small.dispose()
    assert [status for status, _ in answers] == [200] * POOL, answers
    for _, body in answers:
        assert all(item.get("credentialUrl") for item in body["objects"]), body
