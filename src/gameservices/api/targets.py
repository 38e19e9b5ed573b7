"""The game object a request about users names (``gameObjectId``, checked against ``gameObjectType``)."""

from gameservices.api.deps import Api
from gameservices.api.schemas.user_score import GameObjectRequest, GameObjectUserRequest
from gameservices.errors import ValidationFailed
from gameservices.services.standings.user_score import game_object
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


def target_of(
    conn: Connection,
    api: Api,
    body: GameObjectRequest | GameObjectUserRequest,
    *,
    only: tuple[str, str] | None = None,
) -> GameObjectRecord:
    """The caller's game object the body names, or the 404 / 400 its absence or type mismatch gives.

    ``only`` is (action, game-object type) for the actions about one type of game object (as the reports
    of that type): another type is a 400 naming ``gameObjectId``.
    """
    record = game_object(
        conn,
        partner_id=api.partner_id,
        game_object_id=body.gameObjectId,
        game_object_type=body.gameObjectType,
    )
    if only is not None and record.object_type != only[1]:
        action, object_type = only
        raise ValidationFailed(
            "gameObjectId", f"{action} is about a {object_type}; the game object is a {record.object_type}"
        )
    return record
