"""The ``leaderboard`` controller (with ``closePeriod`` of recurring leaderboards: docs/periods.md)."""

from typing import Any

from gameservices.api.deps import WriteApi
from gameservices.api.game_objects import game_object_router
from gameservices.api.responses import ObjectResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.leaderboard import LeaderboardCreate, LeaderboardUpdate
from gameservices.domain.timefmt import now_ms
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.periods import close as period_close

router = game_object_router("leaderboard", LEADERBOARD, LeaderboardCreate, LeaderboardUpdate)


@router.post("/closePeriod", response_model=None, responses={200: {"model": ObjectResult}})
def close_period(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Close the current period of a recurring leaderboard now; the next one starts at once."""
    closed = period_close.close_now(
        api.engine, api.live, partner_id=api.partner_id, game_object_id=body.id, now=now_ms()
    )
    return closed.view()
