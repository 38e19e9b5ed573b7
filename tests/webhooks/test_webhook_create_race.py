"""A partner's first two webhooks created at once are both stored (PostgreSQL: the second create's cursor insert
waits for the first's transaction; SQLite's write transactions are serial)."""

import threading
import time

import pytest
from sqlalchemy import Engine, text

from gameservices.domain.timefmt import now_ms
from gameservices.services.access.partner import create_partner
from gameservices.services.push import webhook as webhook_service
from gameservices.services.push.webhook import WebhookInput
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.webhooks.targets import TargetPolicy

FIELDS = WebhookInput(url="http://127.0.0.1:9/hook", event_types=["score.changed"])
TARGETS = TargetPolicy(allow_private=True)


def _waiting_on_a_lock(engine: Engine) -> bool:
    with read_transaction(engine) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        return bool(conn.execute(text(query)).scalar_one())


def _create_two_at_once(engine: Engine, partner_id: int) -> tuple[list[BaseException], int]:
    """Create a webhook, and another in a second transaction while the first is not committed (it waits on a
    lock or ends); the second's errors, and the partner's webhooks after both."""
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with write_transaction(engine) as conn:
                webhook_service.create(
                    conn, partner_id=partner_id, fields=FIELDS, targets=TARGETS, now_ms=now_ms()
                )
        except BaseException as error:
            errors.append(error)

    with write_transaction(engine) as conn:
        webhook_service.create(conn, partner_id=partner_id, fields=FIELDS, targets=TARGETS, now_ms=now_ms())
        thread = threading.Thread(target=second)
        thread.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(engine) and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
    thread.join(30)
    assert not thread.is_alive()
    with read_transaction(engine) as conn:
        total, _ = webhook_service.list_page(conn, partner_id=partner_id, status=None, offset=0, limit=1)
    return errors, total


def test_two_first_webhooks_created_at_once_are_both_stored(own_engine: Engine) -> None:
    # The second create finds no cursor (the first's is not committed) and waits on the first one's row.
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises the two creates")
    with write_transaction(own_engine) as conn:
        partner_id = int(create_partner(conn, name="race")["partnerId"])
    assert _create_two_at_once(own_engine, partner_id) == ([], 2)


def test_creates_racing_for_the_last_place_stop_at_the_limit(own_engine: Engine) -> None:
    # Each create counted the partner's webhooks before inserting its own, and nothing made a second create wait
    # for the first: at 99 both counted 99 and both went in.
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises the two creates")
    with write_transaction(own_engine) as conn:
        partner_id = int(create_partner(conn, name="limit race")["partnerId"])
        for _ in range(webhook_service.MAX_WEBHOOKS - 1):
            webhook_service.create(
                conn, partner_id=partner_id, fields=FIELDS, targets=TARGETS, now_ms=now_ms()
            )
    errors, total = _create_two_at_once(own_engine, partner_id)
    assert [type(error).__name__ for error in errors] == ["Conflict"]
    assert total == webhook_service.MAX_WEBHOOKS
