"""The API v3 ``game_userscore`` service (the Kaltura game plugin's ``userScore``): ranked scores of a game
object, and a user's score set or removed by hand, answered as ``KalturaUserScorePropertiesResponse``.

Ranks and scores are those of ``userScore/list`` in API v1; ``KalturaUserScoreProperties.score`` is an integer
in the plugin, so a fractional score is truncated as the Kaltura server casts it.
"""

from typing import Any

from gameservices.domain.timefmt import now_ms
from gameservices.domain.values import MAX_SCORE
from gameservices.projection.live import LiveState
from gameservices.services.kaltura import kaltura_v3 as v3_errors
from gameservices.services.periods import recurrence as periods
from gameservices.services.standings import user_score
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord

ENUM_TYPE = "KalturaGameObjectType"
# KalturaGameObjectType: the plugin defines LEADERBOARD = 1; the API v1 names are accepted too.
GAME_OBJECT_TYPES = {
    "1": "leaderboard",
    "leaderboard": "leaderboard",
    "badge": "badge",
    "certificate": "certificate",
    "leadscoring": "leadScoring",
}
MAX_PLACES = 500


def game_object_type(value: str, *, parameter: str = "gameObjectType") -> str:
    """The API v1 game-object type a ``KalturaGameObjectType`` value names (number or name)."""
    found = GAME_OBJECT_TYPES.get(value.strip().lower())
    if found is None:
        raise v3_errors.invalid_enum_value(value, parameter, ENUM_TYPE)
    return found


def list_scores(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    game_object_id: str | None,
    game_object_type: str | None,
    user_id_equal: str | None,
    places_above: int,
    places_below: int,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """``list``: a ranked page, or a user's neighbourhood paged by the pager, as API v1 ranks them."""
    record = _game_object(conn, partner_id, game_object_id, game_object_type)
    common: dict[str, Any] = {"live": live, "partner_id": partner_id, "record": record}
    if user_id_equal:
        window = user_score.list_page(
            conn, **common, offset=0, limit=0, user_id=user_id_equal, above=places_above, below=places_below
        )
        objects = window["objects"][offset : offset + limit]
    else:
        window = user_score.list_page(conn, **common, offset=offset, limit=limit)
        objects = window["objects"]
    return response([_properties(item["userId"], item["score"], item["rank"]) for item in objects], window)


def update_score(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    game_object_id: str,
    game_object_type: str,
    user_id: str,
    score: int,
) -> None:
    """``update``: set the user's score (in a write transaction; ``standing`` answers once it committed)."""
    record = _game_object(conn, partner_id, game_object_id, game_object_type)
    _require_user(user_id)
    user_score.set_score(
        conn, live=live, partner_id=partner_id, record=record, user_id=user_id, score=float(score)
    )


def delete_score(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    game_object_id: str,
    game_object_type: str,
    user_id: str,
) -> dict[str, Any]:
    """``delete``: remove the user from the game object; answers the rank and score they had."""
    record = _game_object(conn, partner_id, game_object_id, game_object_type)
    _require_user(user_id)
    before = standing(
        conn, live=live, partner_id=partner_id, game_object_id=record.id, user_id=user_id, or_all_time=True
    )
    if before is None:
        raise v3_errors.user_id_not_found(user_id)
    user_score.delete_score(conn, partner_id=partner_id, record=record, user_id=user_id)
    return response([before], None)


def standing(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    game_object_id: str,
    user_id: str,
    or_all_time: bool = False,
) -> dict[str, Any] | None:
    """A user's ``KalturaUserScoreProperties`` on the board ``list`` ranks (a recurring leaderboard's current
    period), as ``list`` and API v1 ``userScore/get`` show it (rank null when their policy hides them); None
    when they have no score there. `or_all_time`: then their all-time standing, if any (what ``delete`` removes
    from a user with no score in the current period)."""
    with live.reading(conn, partner_id) as state:
        current, _ = periods.board_of(state.timeline(game_object_id), game_object_id, None, now_ms())
        for key in (current, game_object_id) if or_all_time else (current,):
            board = state.boards.get(key)
            found = board.standing(user_id) if board is not None else None
            if board is not None and found is not None:
                return _properties(user_id, found.score, board.index.rank(user_id))
        return None


def response(objects: list[dict[str, Any]], window: dict[str, Any] | None) -> dict[str, Any]:
    """A ``KalturaUserScorePropertiesResponse``; ``totalCount`` counts every ranked user when listing."""
    total = window["totalCount"] if window is not None else len(objects)
    return {"objectType": "KalturaUserScorePropertiesResponse", "objects": objects, "totalCount": total}


def _game_object(
    conn: Connection, partner_id: int, game_object_id: str | None, game_object_type: str | None
) -> GameObjectRecord:
    if game_object_id is None:
        raise v3_errors.game_object_id_required()
    if not game_object_type:
        raise v3_errors.game_object_type_required()
    return user_score.game_object(
        conn, partner_id=partner_id, game_object_id=game_object_id, game_object_type=game_object_type
    )


def _require_user(user_id: str) -> None:
    if not user_id:
        raise v3_errors.user_id_required()


def _properties(user_id: str, score: float, rank: int | None) -> dict[str, Any]:
    return {
        "objectType": "KalturaUserScoreProperties",
        "rank": rank,
        "userId": user_id,
        "puserId": user_id,
        # Whole, as the plugin's integer; a total past the score limit (2^53) stays the float it is (an integer
        # that large is not exact, and past 2^64 no JSON writer or client takes it).
        "score": int(score) if -MAX_SCORE <= score <= MAX_SCORE else score,
    }
