"""Compiling a partner's stored game objects and rules into the engine's rule set."""

from gameservices.domain.engine import GameObjectScope, RuleSet
from gameservices.domain.policies import ParticipationPolicy, parse_participation_policy
from gameservices.domain.rules import Rule, parse_badge_rule, parse_rule
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord


def is_enabled(record: GameObjectRecord) -> bool:
    """Whether a game object's rules see events: enabled (badges: unless disabled)."""
    if record.object_type == "badge":
        return record.status != "disabled"
    return record.status == "enabled"


def policy_of(record: GameObjectRecord) -> ParticipationPolicy:
    """A game object's participation policy."""
    return parse_participation_policy(record.data.get("participationPolicy"))


def scope_of(record: GameObjectRecord) -> GameObjectScope:
    """What the engine needs to know of a game object."""
    start, end = record.data.get("startDate"), record.data.get("endDate")
    return GameObjectScope(
        id=record.id,
        type=record.object_type,
        enabled=is_enabled(record),
        start=None if start is None else start / 1000,
        end=None if end is None else end / 1000,
        virtual_event_ids=frozenset(
            # (trimmed: kept as given before virtual event ids were trimmed where they enter)
            str(item).strip()
            for item in record.data.get("virtualEventIds") or ()
        ),
        policy=policy_of(record),
    )


def compile_rule(record: RuleRecord) -> Rule:
    """The engine's form of a stored rule (stored rules were validated when written)."""
    raw = {**record.data, "name": record.name, "status": record.status}
    parse = parse_badge_rule if record.game_object_type == "badge" else parse_rule
    return parse(raw, rule_id=record.id, game_object_id=record.game_object_id)


def load_records(
    conn: Connection, partner_id: int
) -> tuple[dict[str, GameObjectRecord], dict[str, RuleRecord]]:
    """Every game object and rule of the partner, by id."""
    objects = object_repository.all_game_objects(conn, partner_id=partner_id)
    rules = rule_repository.all_rules(conn, partner_id=partner_id)
    return {record.id: record for record in objects}, {record.id: record for record in rules}


def compile_rule_set(objects: dict[str, GameObjectRecord], rules: dict[str, RuleRecord]) -> RuleSet:
    """The engine's rule set of these game objects and rules (rules in their stored order)."""
    ordered = sorted(rules.values(), key=lambda rule: (rule.position, rule.created_at, rule.id))
    return RuleSet.build(
        [scope_of(record) for record in objects.values()], [compile_rule(rule) for rule in ordered]
    )
