"""The ``userLeadScoring`` controller: ranked leads with their score group, percentage group and percentile."""

__all__ = ["groups_of", "is_profile_rule", "list_page", "percentile"]

from typing import Any

from gameservices.domain.conditions import Group as ConditionGroup
from gameservices.domain.conditions import Leaf, parse_conditions
from gameservices.domain.errors import DomainValidationError
from gameservices.domain.groups import Group, group_of, percentile, profile_groups
from gameservices.domain.values import id_string, split_items
from gameservices.projection.board import Board
from gameservices.projection.live import LiveState
from gameservices.services.standings.user_score import number
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

PROFILE_EVENT = "userProfile"


def groups_of(record: GameObjectRecord) -> tuple[tuple[Group, ...], tuple[Group, ...]]:
    """A profile's score groups and percentage groups (the default ones when it has none)."""
    return profile_groups(record.data)


def is_profile_rule(rule: RuleRecord) -> bool:
    """Whether a rule scores profile data: its conditions require the ``userProfile`` event type, at any depth
    (a test of an ``all`` group, or of every alternative of an ``any`` group)."""
    conditions = rule.data.get("conditions")
    if conditions is None:
        return False
    try:
        return _requires_profile(parse_conditions(conditions))
    except DomainValidationError:
        return False


def _requires_profile(node: Leaf | ConditionGroup) -> bool:
    if isinstance(node, ConditionGroup):
        required = map(_requires_profile, node.children)
        return any(required) if node.kind == "all" else bool(node.children) and all(required)
    if node.fact != "eventType" or node.operator not in ("equal", "in", "contains"):
        return False
    # Every event type the test takes is userProfile: one that takes others too scores them as well.
    named = {id_string(value) for value in split_items(node.value)}
    return named == {PROFILE_EVENT}


def list_page(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """Ranked leads (displayed users) with their groups and the profile / engagement split of their score."""
    with live.reading(conn, partner_id) as state:
        board = state.boards.get(record.id) or Board()
        total = len(board.index)
        if user_id is not None:
            found = board.index.get(user_id)
            entries = [found] if found is not None else []
        else:
            entries = board.index.page(offset, limit)
    score_groups, percentage_groups = groups_of(record)
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    profile_rules = {rule.id for rule in rules if is_profile_rule(rule)}
    # Only the page's leads' rows of the profile rules (the whole ledger, scanned once per lead, took
    # 100,000 leads x 3 rules x a page of 500 = 150M steps).
    ledger = score_repository.rule_scores_of_users(
        conn, partner_id, record.id, [entry.user_id for entry in entries], profile_rules
    )
    objects = []
    for entry in entries:
        share = percentile(entry.rank, total)
        profile_score = sum(ledger.get((entry.user_id, rule_id), 0.0) for rule_id in sorted(profile_rules))
        objects.append(
            {
                "objectType": "UserLeadScoring",
                "gameObjectId": record.id,
                "userId": entry.user_id,
                "score": number(entry.score),
                "rank": entry.rank,
                "scoreGroup": group_of(score_groups, entry.score),
                "percentageGroup": group_of(percentage_groups, share),
                "percentile": number(round(share, 2)),
                "engagementScore": number(entry.score - profile_score),
                "profileScore": number(profile_score),
            }
        )
    return {"totalCount": total if user_id is None else len(objects), "objects": objects}
