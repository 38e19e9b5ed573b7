"""Fixtures shared by the suites: databases (SQLite always, PostgreSQL when configured), the app and partners."""

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from gameservices.api.app import create_app
from gameservices.auth.ks import mint_ks
from gameservices.services.access.partner import create_partner
from gameservices.settings import Settings
from gameservices.storage.database import normalize_url, open_engine, write_transaction
from gameservices.storage.migrate import upgrade

POSTGRES_URL = os.environ.get("GAMESERVICES_TEST_POSTGRES_URL")
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# A rule many tests score with: 10 points for each poll a user answers (add the game object it belongs to).
POLL_RULE = {
    "name": "Polls",
    "mode": "distribute_points",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
    "type": "countUnique",
    "metric": "pollId",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "10",
    "maxPoints": "unlimited",
}


def postgres_database(worker: str) -> str:
    """A fresh database for this test worker on the configured PostgreSQL server."""
    assert POSTGRES_URL is not None
    name = f"gameservices_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database per kind for the whole session (tests isolate themselves by partner)."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return postgres_database(worker)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gameservices.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The session's engine, migrated to the newest schema."""
    opened = open_engine(database_url)
    upgrade(opened)
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings for in-process apps (small limits so limits are cheap to test)."""
    # Backgrounds are not fetched on create: the guide's examples name public URLs and tests run offline
    # (tests/api/test_certificate_pdf.py turns the check on against a local server).
    return Settings(
        database_url="sqlite://",
        max_body_bytes=1024 * 1024,
        create_demo_partner=False,
        validate_certificate_backgrounds=False,
        # Verifiable certificates on, their public routes without a rate limit (tests/api/test_credentials.py
        # checks the limit on an app of its own).
        credential_secret="test credential secret",
        public_url="https://certs.example.test",
        public_rate_limit_per_second=0,
    )


@pytest.fixture(scope="session")
def app_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An in-process client of the application on the session's database."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client


@dataclass
class Partner:
    """A partner created for one test, with an admin KS."""

    id: int
    secret: str
    ks: str

    def mint(self, **options: Any) -> str:
        """Another KS of this partner (type, user, privileges, expiry)."""
        defaults: dict[str, Any] = {"type": 2, "user_id": "", "expiry_seconds": 3600, "privileges": ""}
        defaults.update(options)
        return mint_ks(partner_id=self.id, secret=self.secret, now=time.time(), **defaults)


@pytest.fixture
def new_partner(engine: Engine) -> Any:
    """Factory of partners on the session's database."""

    def make(name: str = "test partner") -> Partner:
        with write_transaction(engine) as conn:
            created = create_partner(conn, name=name)
        return Partner(created["partnerId"], created["adminSecret"], created["ks"])

    return make


@pytest.fixture
def partner(new_partner: Any) -> Partner:
    """A fresh partner for the test."""
    made: Partner = new_partner()
    return made


class Api:
    """Calls API v1 actions with a KS and returns (status, body)."""

    def __init__(self, client: TestClient, ks: str | None) -> None:
        self.client = client
        self.ks = ks

    def call(
        self, path: str, body: Any = None, *, ks: str | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """POST /api/v1/<path> and decode the JSON answer."""
        token = ks if ks is not None else self.ks
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            response = self.client.post(f"/api/v1/{path}", content=raw, headers=headers)
        else:
            response = self.client.post(
                f"/api/v1/{path}", json=body if body is not None else {}, headers=headers
            )
        return response.status_code, response.json()

    def ok(self, path: str, body: Any = None) -> Any:
        """Call and insist on 200."""
        status, answer = self.call(path, body)
        assert status == 200, (path, status, answer)
        return answer


@pytest.fixture
def api(app_client: TestClient, partner: Partner) -> Api:
    """API v1 as the test's partner."""
    return Api(app_client, partner.ks)


def sqlite_path(url: str) -> Path:
    """The file behind a sqlite URL."""
    return Path(url.removeprefix("sqlite:///"))
