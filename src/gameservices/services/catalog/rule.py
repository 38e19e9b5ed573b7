"""The ``rule`` controller: rules of every game-object type, with their sub-rules."""

from dataclasses import asdict, replace
from typing import Any

from gameservices.domain.credits import parse_credits_mapping
from gameservices.domain.errors import DomainValidationError
from gameservices.domain.ids import new_object_id
from gameservices.domain.listing import ListQuery
from gameservices.domain.rules import parse_badge_rule, parse_rule
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import ObjectNotFound, ValidationFailed
from gameservices.feed.changes import Changes
from gameservices.projection.apply import BY_ID, SUB_RULE_BUCKETS
from gameservices.projection.entries import RULE_CHANGE
from gameservices.services.scoring import achievements
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as repository
from gameservices.storage.database import Connection
from gameservices.storage.rules import RuleRecord

MAX_RULES_PER_OBJECT = 100
_OWNED = frozenset(
    {"id", "objectType", "partnerId", "createdAt", "updatedAt", "gameObjectType", "gameObjectId"}
)
# Stored in columns of their own: a rule always has them, so null cannot clear them.
_COLUMNS = frozenset({"name", "status"})


def view(record: RuleRecord) -> dict[str, Any]:
    """The API form of a stored rule."""
    return {
        "id": record.id,
        "objectType": "Rule",
        "partnerId": record.partner_id,
        "gameObjectType": record.game_object_type,
        "gameObjectId": record.game_object_id,
        "name": record.name,
        "status": record.status,
        **record.data,
        "createdAt": format_ms(record.created_at),
        "updatedAt": format_ms(record.updated_at),
    }


def check_rule(fields: dict[str, Any], *, inline: bool, field_prefix: str = "") -> None:
    """Check a rule's semantics with the domain's parser, naming the offending field on failure."""
    parse = parse_badge_rule if inline else parse_rule
    try:
        parse(fields, rule_id=fields.get("id") or "new", game_object_id=fields.get("gameObjectId") or "")
    except DomainValidationError as error:
        raise ValidationFailed(field_prefix + error.field, error.message) from error


def create(
    conn: Connection, *, partner_id: int, fields: dict[str, Any], inline: bool = False, decide: bool = True
) -> RuleRecord:
    """Validate and store a rule of an existing game object of the partner. `decide`: see ``update``."""
    fields = {key: value for key, value in fields.items() if value is not None and key != "objectType"}
    _require_game_object(conn, partner_id=partner_id, fields=fields)
    if len(repository.rules_of(conn, partner_id=partner_id, game_object_id=fields["gameObjectId"])) >= (
        MAX_RULES_PER_OBJECT
    ):
        raise ValidationFailed("gameObjectId", f"a game object holds at most {MAX_RULES_PER_OBJECT} rules")
    fields = _with_sub_rule_ids(fields)
    check_rule(fields, inline=inline)
    now = now_ms()
    record = RuleRecord(
        id=new_object_id(),
        partner_id=partner_id,
        game_object_type=fields["gameObjectType"],
        game_object_id=fields["gameObjectId"],
        name=fields["name"],
        status=fields.get("status", "enabled"),
        position=repository.next_position(conn, partner_id=partner_id, game_object_id=fields["gameObjectId"]),
        data={key: value for key, value in fields.items() if key not in _OWNED | {"name", "status"}},
        created_at=now,
        updated_at=now,
    )
    repository.insert_rule(conn, record)
    _log_rule_change(conn, partner_id, record.id, record, decide=decide)
    return record


def get(conn: Connection, *, partner_id: int, rule_id: str) -> RuleRecord:
    """Load one of the partner's rules, or answer 404."""
    record = repository.get_rule(conn, partner_id=partner_id, rule_id=rule_id)
    if record is None:
        raise ObjectNotFound(rule_id, "Rule")
    return record


def update(
    conn: Connection,
    *,
    partner_id: int,
    changes: dict[str, Any],
    required: frozenset[str],
    decide: bool = True,
) -> RuleRecord:
    """Apply a partial update to a rule; it stays on its game object. A badge's rule change decides who now
    achieves the badge; `decide=False` leaves that to a later change of the same transaction (a badge's rules
    written together are judged once, when all are written), and its log entry says so to a replay."""
    record = get(conn, partner_id=partner_id, rule_id=changes["id"])
    for key in ("gameObjectType", "gameObjectId"):
        current = record.game_object_type if key == "gameObjectType" else record.game_object_id
        if changes.get(key) is not None and changes[key] != current:
            raise ValidationFailed(key, "a rule cannot move to another game object")
    merged: dict[str, Any] = {"name": record.name, "status": record.status, **record.data}
    for key, value in changes.items():
        if key in _OWNED:
            continue
        if value is None:
            if key in required or key in _COLUMNS:
                raise ValidationFailed(key, "a required field cannot be cleared")
            merged.pop(key, None)
        else:
            merged[key] = value
    merged = _with_sub_rule_ids(merged, sub_rule_ids(record.data))
    check_rule(merged, inline=record.game_object_type == "badge")
    data = {key: value for key, value in merged.items() if key not in _OWNED | {"name", "status"}}
    updated = replace(record, name=merged["name"], status=merged["status"], data=data, updated_at=now_ms())
    repository.update_rule(conn, updated)
    _log_rule_change(conn, partner_id, updated.id, updated, decide=decide)
    return updated


def delete(conn: Connection, *, partner_id: int, rule_id: str, decide: bool = True) -> dict[str, Any]:
    """Remove a rule. `decide`: see ``update``. A certificate's rule named in its credits mapping stays: the
    mapping names rules of the certificate only (docs/decisions.md, "Credits mapping")."""
    record = get(conn, partner_id=partner_id, rule_id=rule_id)
    if record.game_object_type == "certificate":
        _refuse_if_mapped(conn, record)
    repository.delete_rule(conn, partner_id=partner_id, rule_id=rule_id)
    _log_rule_change(conn, partner_id, rule_id, None, decide=decide, badge_id=record.game_object_id)
    return {"id": rule_id, "deleted": True}


def _refuse_if_mapped(conn: Connection, record: RuleRecord) -> None:
    certificate = object_repository.get_game_object(
        conn, partner_id=record.partner_id, object_id=record.game_object_id
    )
    mapping_text = None if certificate is None else certificate.data.get("creditsMapping")
    if not isinstance(mapping_text, str) or not mapping_text:
        return
    try:
        named = parse_credits_mapping(mapping_text).rule_ids
    except DomainValidationError:  # (checked when stored: cannot happen)
        return
    if record.id in named:
        raise ValidationFailed(
            "id",
            f"the rule is named in the creditsMapping of certificate {record.game_object_id}: "
            "change the mapping (certificate/update) before deleting it",
        )


def list_page(conn: Connection, *, partner_id: int, query: ListQuery) -> tuple[int, list[RuleRecord]]:
    """One page of the partner's rules matching the query."""
    return repository.list_rules(conn, partner_id=partner_id, query=query)


def _require_game_object(conn: Connection, *, partner_id: int, fields: dict[str, Any]) -> None:
    record = object_repository.get_game_object(conn, partner_id=partner_id, object_id=fields["gameObjectId"])
    if record is None:
        raise ObjectNotFound(fields["gameObjectId"], "Game object")
    if record.object_type != fields["gameObjectType"]:
        raise ValidationFailed("gameObjectType", f"the game object is a {record.object_type}")


def _with_sub_rule_ids(fields: dict[str, Any], known: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Name the sub-rules: one keeps its id when it is one of the rule's sub-rules (`known`) and not listed
    before; every other gets a new id (an id is the server's, never what a client makes up)."""
    sub_rules = fields.get("subRules")
    if not isinstance(sub_rules, list):
        return fields
    taken: set[str] = set()
    named: list[Any] = []
    for sub_rule in sub_rules:
        if isinstance(sub_rule, dict):
            given = sub_rule.get("id")
            sub_rule_id = given if isinstance(given, str) and given in known and given not in taken else None
            sub_rule = {**sub_rule, "id": sub_rule_id or new_object_id()}
            taken.add(sub_rule["id"])
        named.append(sub_rule)
    return {**fields, "subRules": named}


def sub_rule_ids(data: dict[str, Any]) -> frozenset[str]:
    """The ids of a stored rule's sub-rules."""
    sub_rules = data.get("subRules")
    if not isinstance(sub_rules, list):
        return frozenset()
    return frozenset(
        sub_rule["id"]
        for sub_rule in sub_rules
        if isinstance(sub_rule, dict) and isinstance(sub_rule.get("id"), str)
    )


def _log_rule_change(
    conn: Connection,
    partner_id: int,
    rule_id: str,
    record: RuleRecord | None,
    *,
    decide: bool,
    badge_id: str | None = None,
) -> None:
    # A rule change leaves buckets and scores as they are; the entry carries the rule as stored (None:
    # deleted), so a projection compiles the same rule set from the log alone. Its changes: the badges the
    # change lets users achieve (decided by the rules as they are now: "decide": false when another change of
    # the same write decides instead).
    details: dict[str, Any] = {
        "ruleId": rule_id,
        "rule": None if record is None else asdict(record),
        # Sub-rules' buckets stay with their sub-rule's id (a replay moves those of changes without the mark).
        SUB_RULE_BUCKETS: BY_ID,
    }
    announced = Changes()
    if decide:
        achievements.reevaluate_badge(
            conn,
            partner_id=partner_id,
            badge_id=record.game_object_id if record is not None else badge_id or "",
            changes=announced,
        )
    else:
        details["decide"] = False
    event_log.record(
        conn, partner_id, RULE_CHANGE, details, state=False, rules=True, changes=announced.encoded()
    )


# Candidate rules of a simulation are named the same way (`services.simulation`).
with_sub_rule_ids = _with_sub_rule_ids
