"""The ``leadScoring`` controller."""

from gameservices.api.game_objects import game_object_router
from gameservices.api.schemas.lead_scoring import LeadScoringCreate, LeadScoringUpdate
from gameservices.services.catalog.lead_scoring import LEAD_SCORING

router = game_object_router("leadScoring", LEAD_SCORING, LeadScoringCreate, LeadScoringUpdate)
