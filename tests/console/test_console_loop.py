"""Console writes that read their form on the event loop do their database work on a worker thread: one waiting
for the partner's writers (a flood of events holds their turn) holds up no other request."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from tests.conftest import Partner
from tests.console.conftest import ConsoleClient
from tests.console.test_console_pages import LEADERBOARD_FORM

WAIT = 10.0


@pytest.fixture
def one_loop(engine: Engine, settings: Any, partner: Partner) -> Iterator[ConsoleClient]:
    """A signed-in console on an application whose requests all run on one event loop, as a server's do (a
    TestClient used outside its `with` block gives each request a loop of its own)."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        console = ConsoleClient(client)
        console.sign_in(partner)
        yield console


def test_a_console_write_waiting_for_the_partners_writers_holds_up_no_other_request(
    one_loop: ConsoleClient, partner: Partner
) -> None:
    live = one_loop.client.app.state.live  # type: ignore[attr-defined]
    created: list[Any] = []
    other: list[Any] = []
    with live.writing(partner.id):  # as an event/send group under way does
        writer = threading.Thread(
            target=lambda: created.append(one_loop.post("/console/leaderboards", LEADERBOARD_FORM)),
            daemon=True,
        )
        writer.start()
        writer.join(0.3)
        assert writer.is_alive()  # it waits for the partner's turn
        reader = threading.Thread(
            target=lambda: other.append(one_loop.get("/console/leaderboards")), daemon=True
        )
        reader.start()
        reader.join(WAIT)
        answered_meanwhile = [response.status_code for response in other]
    writer.join(WAIT)
    reader.join(WAIT)
    assert answered_meanwhile == [200]
    assert [response.status_code for response in created] == [200]  # followed to the new leaderboard's page
    assert "Conference" in created[0].text
