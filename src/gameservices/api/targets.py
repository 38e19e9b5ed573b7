"""The game object a request about users names (``gameObjectId``, checked against ``gameObjectType``)."""

from gameservices.api.deps import Api
from gameservices.api.schemas.user_score import GameObjectRequest, GameObjectUserRequest
from gameservices.services.user_score import game_object
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


def target_of(
    conn: Connection, api: Api, body: GameObjectRequest | GameObjectUserRequest
) -> GameObjectRecord:
    """The caller's game object the body names, or the 404 / 400 its absence or type mismatch gives."""
    return game_object(
        conn,
        partner_id=api.partner_id,
        game_object_id=body.gameObjectId,
        game_object_type=body.gameObjectType,
    )
