"""The ``leaderboard`` controller's game-object kind (guide section 4)."""

from typing import Any

from gameservices.errors import ValidationFailed
from gameservices.services.game_objects import GameObjectKind
from gameservices.storage.database import Connection

REQUIRED = frozenset({"name", "status", "startDate", "endDate", "virtualEventIds"})


def _validate(_conn: Connection, _partner_id: int, _object_id: str | None, fields: dict[str, Any]) -> None:
    ids = [str(sub.get("id")) for sub in fields.get("subLeaderboards") or []]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("subLeaderboards", "sub-leaderboard ids must be distinct")


LEADERBOARD = GameObjectKind(
    object_type="leaderboard", entity="Leaderboard", required=REQUIRED, validate=_validate
)
