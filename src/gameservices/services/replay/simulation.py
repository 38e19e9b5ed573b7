"""``rule/simulate``: a game object's rules with candidate changes, replayed over the retained log in a private
projection (`projection.simulate`), compared with the live standings. Nothing is written."""

from dataclasses import asdict
from typing import Any

from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import now_ms
from gameservices.errors import InvalidInput, ObjectNotFound, ValidationFailed
from gameservices.projection.board import Board
from gameservices.projection.live import LiveState
from gameservices.projection.simulate import ObjectReplay, TooLarge, Window
from gameservices.services.catalog.rule import check_rule, sub_rule_ids, with_sub_rule_ids
from gameservices.services.standings.user_score import number
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

MAX_CHANGES = 100
_OWNED = frozenset(
    {"id", "objectType", "partnerId", "createdAt", "updatedAt", "gameObjectType", "gameObjectId"}
)


def simulate(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    candidates: list[dict[str, Any]],
    remove_rule_ids: list[str],
    window: Window,
    top: int,
    required: frozenset[str],
) -> dict[str, Any]:
    """What the object's standings would be under the candidate rules, against the live ones."""
    with live.reading(conn, partner_id) as state:
        rules = {rule.id: rule for rule in state.rules.values() if rule.game_object_id == record.id}
        before = _copy(state.boards.get(record.id))
    rules = candidate_rules(record, rules, candidates, remove_rule_ids, required)
    replay = ObjectReplay(record.id, rules=rules, window=window)
    try:
        after = replay.run(conn, partner_id).boards.get(record.id) or Board()
    except TooLarge as error:
        raise InvalidInput(f"The simulation is too large: {error}", code="SIMULATION_TOO_LARGE") from error
    return summary(replay.events, before, after, top)


def candidate_rules(
    record: GameObjectRecord,
    current: dict[str, RuleRecord],
    candidates: list[dict[str, Any]],
    remove_rule_ids: list[str],
    required: frozenset[str],
) -> dict[str, RuleRecord]:
    """The object's rules with the candidates (one with an `id` replaces that rule) and without the removed
    ones, checked as `rule/create` and `rule/update` check them."""
    rules = dict(current)
    for rule_id in remove_rule_ids:
        if rule_id not in current:
            raise ObjectNotFound(rule_id, "Rule")
        rules.pop(rule_id, None)
    position = max((rule.position for rule in current.values()), default=0)
    for index, fields in enumerate(candidates):
        prefix = f"rules.{index}."
        for key in ("gameObjectId", "gameObjectType"):
            own = record.id if key == "gameObjectId" else record.object_type
            if fields.get(key) is not None and fields[key] != own:
                raise ValidationFailed(prefix + key, "a candidate rule belongs to the simulated game object")
        replaced = fields.get("id")
        if replaced is not None:
            if replaced not in current:
                raise ObjectNotFound(str(replaced), "Rule")
            merged = _merged(current[replaced], fields, required, prefix)
            base = current[replaced]
        else:
            merged = {key: value for key, value in fields.items() if value is not None}
            missing = sorted(name for name in required - _OWNED if name not in merged)
            if missing:
                raise ValidationFailed(prefix + missing[0], "Field required")
            merged.setdefault("status", "enabled")
            position += 1
            base = _new_rule(record, position)
        merged = with_sub_rule_ids(merged, sub_rule_ids(base.data))
        check_rule({**merged, "id": base.id}, inline=record.object_type == "badge", field_prefix=prefix)
        data = {key: value for key, value in merged.items() if key not in _OWNED | {"name", "status"}}
        rules[base.id] = RuleRecord(
            **{**asdict(base), "name": merged["name"], "status": merged["status"], "data": data}
        )
    return rules


def _merged(
    rule: RuleRecord, changes: dict[str, Any], required: frozenset[str], prefix: str
) -> dict[str, Any]:
    merged: dict[str, Any] = {"name": rule.name, "status": rule.status, **rule.data}
    for key, value in changes.items():
        if key in _OWNED:
            continue
        if value is None:
            if key in required or key in ("name", "status"):  # (as `rule/update` refuses them)
                raise ValidationFailed(prefix + key, "a required field cannot be cleared")
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _new_rule(record: GameObjectRecord, position: int) -> RuleRecord:
    now = now_ms()
    return RuleRecord(
        id=new_object_id(),
        partner_id=record.partner_id,
        game_object_type=record.object_type,
        game_object_id=record.id,
        name="",
        status="enabled",
        position=position,
        data={},
        created_at=now,
        updated_at=now,
    )


def _copy(board: Board | None) -> Board:
    copied = Board()
    for user_id, standing in board.standings() if board is not None else ():
        copied.put(user_id, standing)
    return copied


def summary(events: int, before: Board, after: Board, top: int) -> dict[str, Any]:
    """`{eventsReplayed, usersAffected, top, changes}` of a replay against the standings before it."""
    ranks_before, scores_before = _ranks(before)
    ranks_after, scores_after = _ranks(after)
    moves = []
    affected = 0
    for user_id in scores_before.keys() | scores_after.keys():
        score_before, score_after = scores_before.get(user_id), scores_after.get(user_id)
        rank_before, rank_after = ranks_before.get(user_id), ranks_after.get(user_id)
        if score_before != score_after:
            affected += 1
        elif rank_before == rank_after:
            continue
        delta = abs((score_after or 0.0) - (score_before or 0.0))
        rank_move = abs((rank_after or 0) - (rank_before or 0))
        moves.append((-delta, -rank_move, user_id, score_before, score_after, rank_before, rank_after))
    moves.sort()
    return {
        "eventsReplayed": events,
        "usersAffected": affected,
        "top": [
            {"rank": entry.rank, "userId": entry.user_id, "score": number(entry.score)}
            for entry in after.index.page(0, top)
        ],
        "changes": [
            {
                "userId": user_id,
                "scoreBefore": None if before_score is None else number(before_score),
                "scoreAfter": None if after_score is None else number(after_score),
                "rankBefore": rank_before,
                "rankAfter": rank_after,
            }
            for _, _, user_id, before_score, after_score, rank_before, rank_after in moves[:MAX_CHANGES]
        ],
    }


def _ranks(board: Board) -> tuple[dict[str, int], dict[str, float]]:
    user_ids, scores, displayed = board.ordered()
    ranks = {user_id: rank for rank, user_id in enumerate(user_ids[:displayed], start=1)}
    return ranks, dict(zip(user_ids, scores, strict=True))
