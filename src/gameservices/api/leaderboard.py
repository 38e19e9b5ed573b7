"""The ``leaderboard`` controller."""

from gameservices.api.game_objects import game_object_router
from gameservices.api.schemas.leaderboard import LeaderboardCreate, LeaderboardUpdate
from gameservices.services.leaderboard import LEADERBOARD

router = game_object_router("leaderboard", LEADERBOARD, LeaderboardCreate, LeaderboardUpdate)
