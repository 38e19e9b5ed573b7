"""Fixtures of the delivery tests: a fresh database each (the dispatcher sends every due delivery it finds), an
application on it that may target 127.0.0.1, a receiver, a clock the test moves, and a dispatcher."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.domain.timefmt import now_ms
from gameservices.services.access.partner import create_partner
from gameservices.settings import Settings
from gameservices.storage.database import open_engine, write_transaction
from gameservices.storage.migrate import upgrade
from gameservices.webhooks import fanout
from gameservices.webhooks.dispatcher import Dispatcher
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy
from tests.conftest import DATABASES, Api, postgres_database
from tests.webhooks.receiver import Receiver


class Clock:
    """Epoch milliseconds that move only when the test says; it starts a minute ahead of the real time, so what
    the API queued "now" is due."""

    def __init__(self) -> None:
        self.ms = now_ms() + 60_000

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.ms += int(seconds * 1000)


@pytest.fixture(params=DATABASES)
def own_engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """A fresh migrated database for one test."""
    if request.param == "postgres":
        from tests.conftest import POSTGRES_URL

        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        url = postgres_database("webhooks")
    else:
        url = f"sqlite:///{tmp_path / 'webhooks.db'}"
    engine = open_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def hook_api(own_engine: Engine) -> Iterator[Api]:
    """API v1 as a new partner of the fresh database, with webhooks allowed to target 127.0.0.1."""
    settings = Settings(database_url="sqlite://", create_demo_partner=False, allow_private_webhooks=True)
    with write_transaction(own_engine) as conn:
        partner = create_partner(conn, name="webhooks")
    with TestClient(create_app(settings, own_engine), raise_server_exceptions=False) as client:
        yield Api(client, partner["ks"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1."""
    with Receiver().running() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    """The dispatcher's clock."""
    return Clock()


@pytest.fixture
def dispatcher(own_engine: Engine, clock: Clock) -> Iterator[Dispatcher]:
    """A dispatcher on the fresh database, run by the test with ``run_once``."""
    sender = Sender(TargetPolicy(allow_private=True), timeout=2.0)
    made = Dispatcher(own_engine, sender, fan_out=fanout.fan_out, now=clock, capacity=8)
    yield made
    made.stop()
