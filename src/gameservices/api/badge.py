"""The ``badge`` controller."""

from gameservices.api.game_objects import game_object_router
from gameservices.api.schemas.badge import BadgeCreate, BadgeUpdate
from gameservices.services.catalog.badge import BADGE

router = game_object_router("badge", BADGE, BadgeCreate, BadgeUpdate)
