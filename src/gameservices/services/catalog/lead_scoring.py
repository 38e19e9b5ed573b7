"""The ``leadScoring`` controller's game-object kind (guide section 9)."""

from typing import Any

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.groups import parse_groups
from gameservices.errors import MissingParameter, ValidationFailed
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.storage.database import Connection

REQUIRED = frozenset({"name", "status"})


def _validate(_conn: Connection, _partner_id: int, _object_id: str | None, fields: dict[str, Any]) -> None:
    if not fields.get("scoreGroups") and not fields.get("percentageGroups"):
        raise MissingParameter("scoreGroups")
    try:
        for field in ("scoreGroups", "percentageGroups"):
            if fields.get(field):
                parse_groups(fields[field], field=field, percentages=field == "percentageGroups")
    except DomainValidationError as error:
        raise ValidationFailed(error.field, error.message) from error


LEAD_SCORING = GameObjectKind(
    object_type="leadScoring", entity="LeadScoring", required=REQUIRED, validate=_validate
)
