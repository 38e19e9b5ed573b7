"""A thread holding the partner state's lock never waits for a pooled connection: readers hold a connection while
they wait for that lock, so with the pool taken by them it would wait until the pool's timeout."""

import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from starlette.testclient import TestClient

from gameservices.projection.live import LiveState
from gameservices.storage import database
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import read_transaction
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def _one_connection(engine: Engine) -> Engine:
    """An engine on the same database whose pool holds a single connection (3 s to wait for it)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "sqlite":
        return create_engine(url, pool_size=1, max_overflow=0, pool_timeout=3)
    small = create_engine(
        url, connect_args={"check_same_thread": False}, pool_size=1, max_overflow=0, pool_timeout=3
    )
    event.listen(small, "connect", database._configure_sqlite)
    event.listen(small, "begin", database._begin_sqlite)
    return small


def test_a_page_read_of_a_state_behind_takes_its_connection_before_the_state(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    _polls(api, ("ann", "p1"))
    small = _one_connection(engine)
    live = LiveState()
    with read_transaction(small) as conn, live.reading(conn, partner.id):
        pass
    _polls(api, ("bob", "p1"))  # another process's write: this process's state is behind
    with read_transaction(small) as conn:
        versions = partner_repository.read_versions(conn, partner.id)
    reader_has_connection, viewer_started = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def read() -> None:
        # A request's read: its connection first, then the state (shared, or exclusive to bring it up).
        try:
            with read_transaction(small) as conn:
                reader_has_connection.set()
                viewer_started.wait(10)
                time.sleep(0.3)  # (the page read below is waiting by now)
                with live.reading(conn, partner.id) as state:
                    outcomes["reader"] = state.log_seq
        except Exception as error:
            outcomes["reader"] = error

    def view() -> None:
        # A top-of-board page read (`userScore/list`): the state at the request's versions.
        reader_has_connection.wait(10)
        viewer_started.set()
        try:
            with live.viewing(small, partner.id, versions) as state:
                outcomes["viewer"] = state.log_seq
        except Exception as error:
            outcomes["viewer"] = error

    threads = [threading.Thread(target=read), threading.Thread(target=view)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    small.dispose()
    assert not any(isinstance(found, Exception) for found in outcomes.values()), outcomes
    assert outcomes["viewer"] == outcomes["reader"] > 0
