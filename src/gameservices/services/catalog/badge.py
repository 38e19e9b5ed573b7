"""The ``badge`` controller's game-object kind (guide section 7): rules are given inline and kept as rules."""

from typing import Any

from gameservices.errors import ValidationFailed
from gameservices.services.catalog import rule as rule_service
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord

REQUIRED = frozenset({"name", "rules"})
_RULE_FIELDS = frozenset(
    {
        "id",
        "name",
        "description",
        "conditions",
        "type",
        "mode",
        "metric",
        "groupBy",
        "goal",
        "points",
        "maxPoints",
        "reportFormat",
        "status",
        "subRules",
        "userIdOverride",
        "objectType",
    }
)


def _write_rules(conn: Connection, record: GameObjectRecord, rules: Any) -> None:
    """Replace the badge's rules: listed ids are updated, new ones created, the rest removed. Who now achieves
    the badge is decided once, by the last of these changes, when every rule is as the call gives it (decided
    after each one, a user could achieve it by a set of rules the badge never had)."""
    existing = {
        rule.id
        for rule in rule_repository.rules_of(conn, partner_id=record.partner_id, game_object_id=record.id)
    }
    listed = [raw.get("id") for raw in rules or []]
    removed = sorted(existing - {rule_id for rule_id in listed if rule_id in existing})
    last = len(removed) + len(listed) - 1
    # The left-out rules go first, so the limit of rules per game object holds for the set the call gives (a
    # full badge can be given a whole new set). A failure later in the call rolls the removals back with it.
    for offset, rule_id in enumerate(removed):
        rule_service.delete(conn, partner_id=record.partner_id, rule_id=rule_id, decide=offset == last)
    for index, raw in enumerate(rules or []):
        unknown = sorted(set(raw) - _RULE_FIELDS)
        if unknown:
            raise ValidationFailed(f"rules[{index}].{unknown[0]}", "unknown field")
        fields = {**raw, "gameObjectType": "badge", "gameObjectId": record.id}
        decide = len(removed) + index == last
        try:
            if raw.get("id") in existing:
                rule_service.update(
                    conn, partner_id=record.partner_id, changes=fields, required=frozenset(), decide=decide
                )
            else:
                fields.pop("id", None)
                rule_service.create(
                    conn, partner_id=record.partner_id, fields=fields, inline=True, decide=decide
                )
        except ValidationFailed as error:
            field = error.arguments.get("PARAM_NAME", "")
            raise ValidationFailed(f"rules[{index}].{field}", error.message) from error


def _read_rules(conn: Connection, record: GameObjectRecord) -> dict[str, Any]:
    rules = rule_repository.rules_of(conn, partner_id=record.partner_id, game_object_id=record.id)
    return {"rules": [rule_service.view(rule) for rule in rules]}


BADGE = GameObjectKind(
    object_type="badge",
    entity="Badge",
    required=REQUIRED,
    children_field="rules",
    write_children=_write_rules,
    read_children=_read_rules,
)
