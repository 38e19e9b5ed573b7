"""The ``leaderboard`` controller's game-object kind (guide section 4; recurring periods: docs/periods.md)."""

from typing import Any

from gameservices.errors import ValidationFailed
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.services.periods import recurrence as periods
from gameservices.storage.database import Connection

REQUIRED = frozenset({"name", "status", "startDate", "endDate", "virtualEventIds"})


def _validate(conn: Connection, partner_id: int, object_id: str | None, fields: dict[str, Any]) -> None:
    ids = [str(sub.get("id")) for sub in fields.get("subLeaderboards") or []]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("subLeaderboards", "sub-leaderboard ids must be distinct")
    periods.check(conn, partner_id, object_id, fields)


LEADERBOARD = GameObjectKind(
    object_type="leaderboard",
    entity="Leaderboard",
    required=REQUIRED,
    validate=_validate,
    read_children=periods.period_fields,
    after_write=periods.after_write,
)
