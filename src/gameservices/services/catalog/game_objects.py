"""What the four game-object controllers share: create, get, update, delete, clone and list."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.ids import new_object_id
from gameservices.domain.listing import ListQuery, page_of
from gameservices.domain.policies import parse_participation_policy
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import ObjectNotFound, ValidationFailed
from gameservices.feed.changes import STATUS_CHANGED, Changes
from gameservices.projection import entries as log_entries
from gameservices.projection.entries import GAME_OBJECT_CHANGE
from gameservices.services.scoring import visibility
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import event_log
from gameservices.storage import game_objects as repository
from gameservices.storage import rules as rule_repository
from gameservices.storage import schedules as schedule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

TIME_FIELDS = ("startDate", "endDate")
# Fields with their own columns, or owned by the server, never kept in ``data``.
_COLUMN_FIELDS = frozenset({"id", "name", "status", "objectType", "partnerId", "createdAt", "updatedAt"})
# Every game object has these (columns of their own): null cannot clear them, whatever the kind requires.
_COLUMNS = frozenset({"name", "status"})

# Checks a type's merged fields; gets the object's id on update (None on create).
Validator = Callable[[Connection, int, str | None, dict[str, Any]], None]
# Saves what a game object holds inline (a badge's rules) after the object itself; gets the raw value or None.
ChildrenWriter = Callable[[Connection, GameObjectRecord, Any], None]
ChildrenReader = Callable[[Connection, GameObjectRecord], dict[str, Any]]
# Told of each stored change of a game object: (before, after); None before a create, after a delete.
AfterWrite = Callable[[Connection, GameObjectRecord | None, GameObjectRecord | None], None]


def _no_checks(_conn: Connection, _partner_id: int, _object_id: str | None, _fields: dict[str, Any]) -> None:
    return None


def _no_children(_conn: Connection, _record: GameObjectRecord) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class GameObjectKind:
    """One type of game object: its API names and its own checks on the merged fields."""

    object_type: str
    entity: str
    required: frozenset[str]
    validate: Validator = _no_checks
    # The field that holds inline children, with how to write and read them.
    children_field: str | None = None
    write_children: ChildrenWriter | None = None
    read_children: ChildrenReader = _no_children
    # The fields a list may filter on with ``<field>Equal`` (kept in the object's JSON fields).
    equal_filters: frozenset[str] = frozenset()
    after_write: AfterWrite | None = None


def view(conn: Connection, record: GameObjectRecord, kind: GameObjectKind) -> dict[str, Any]:
    """The API form of a stored game object."""
    result: dict[str, Any] = {"id": record.id, "objectType": kind.entity, "partnerId": record.partner_id}
    result["name"] = record.name
    result["status"] = record.status
    for key, value in record.data.items():
        if key.startswith("_"):  # owned by the server, not part of the API's object
            continue
        result[key] = format_ms(value) if key in TIME_FIELDS and isinstance(value, int) else value
    result.update(kind.read_children(conn, record))
    result["createdAt"] = format_ms(record.created_at)
    result["updatedAt"] = format_ms(record.updated_at)
    return result


def create(
    conn: Connection, *, partner_id: int, kind: GameObjectKind, fields: dict[str, Any]
) -> GameObjectRecord:
    """Validate and store a new game object."""
    fields = {key: value for key, value in fields.items() if value is not None and key != "objectType"}
    children = fields.pop(kind.children_field, None) if kind.children_field else None
    _check_dates(fields)
    _check_policy(fields)
    kind.validate(conn, partner_id, None, fields)
    now = now_ms()
    record = GameObjectRecord(
        id=new_object_id(),
        partner_id=partner_id,
        object_type=kind.object_type,
        name=fields["name"],
        status=fields["status"],
        data={key: value for key, value in fields.items() if key not in _COLUMN_FIELDS},
        created_at=now,
        updated_at=now,
    )
    repository.insert_game_object(conn, record)
    if kind.write_children is not None:
        kind.write_children(conn, record, children)
    _log_change(conn, partner_id, record)
    if kind.after_write is not None:
        kind.after_write(conn, None, record)
    return record


def get(conn: Connection, *, partner_id: int, kind: GameObjectKind, object_id: str) -> GameObjectRecord:
    """Load a game object of this kind, or answer 404."""
    record = repository.get_game_object(conn, partner_id=partner_id, object_id=object_id)
    if record is None or record.object_type != kind.object_type:
        raise ObjectNotFound(object_id, kind.entity)
    return record


def update(
    conn: Connection, *, partner_id: int, kind: GameObjectKind, changes: dict[str, Any]
) -> GameObjectRecord:
    """Apply a partial update: absent fields stay, null clears an optional field."""
    changes = dict(changes)
    record = get(conn, partner_id=partner_id, kind=kind, object_id=changes["id"])
    for key, value in changes.items():
        if value is None and (key in kind.required or key in _COLUMNS):
            raise ValidationFailed(key, "a required field cannot be cleared")
    merged = {"name": record.name, "status": record.status, **record.data}
    children = changes.pop(kind.children_field, None) if kind.children_field else None
    for key, value in changes.items():
        if key in ("id", "objectType"):
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    _check_dates(merged)
    _check_policy(merged)
    kind.validate(conn, partner_id, record.id, merged)
    data = {key: value for key, value in merged.items() if key not in _COLUMN_FIELDS}
    updated = replace(record, name=merged["name"], status=merged["status"], data=data, updated_at=now_ms())
    repository.update_game_object(conn, updated)
    if kind.write_children is not None and children is not None:
        kind.write_children(conn, updated, children)
    if (
        kind.after_write is not None
    ):  # (the partner row is locked already: the period closes lock it first too)
        kind.after_write(conn, record, updated)
    if "participationPolicy" in changes:
        visibility.refresh_object(conn, partner_id=partner_id, record=updated)
    status = None if updated.status == record.status else updated.status
    _log_change(conn, partner_id, updated, status_changed=status)
    return updated


def delete(conn: Connection, *, partner_id: int, kind: GameObjectKind, object_id: str) -> dict[str, Any]:
    """Remove a game object with its rules, and cancel its pending transitions."""
    record = get(conn, partner_id=partner_id, kind=kind, object_id=object_id)
    if kind.after_write is not None:
        kind.after_write(conn, record, None)
    # The partner's row is locked already (`LiveState.transaction`), then its pending transitions, in the order the
    # scheduler takes them too.
    schedule_repository.cancel_schedules_of(
        conn, partner_id=partner_id, game_object_id=object_id, now=now_ms()
    )
    rule_ids = [
        rule.id for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=object_id)
    ]
    bucket_repository.delete_buckets_of_rules(conn, partner_id, rule_ids)
    score_repository.delete_scores_of_object(conn, partner_id, object_id)
    achievement_repository.delete_achievements_of(conn, partner_id, object_id)
    event_log.record(
        conn, partner_id, log_entries.GAME_OBJECT_DELETE, {"gameObjectId": object_id}, state=True, rules=True
    )
    rule_repository.delete_rules_of(conn, partner_id=partner_id, game_object_id=object_id)
    repository.delete_game_object(conn, partner_id=partner_id, object_id=object_id)
    return {"id": object_id, "deleted": True}


def clone(conn: Connection, *, partner_id: int, kind: GameObjectKind, object_id: str) -> GameObjectRecord:
    """Copy a game object and its rules under new ids; the copy starts disabled."""
    source = get(conn, partner_id=partner_id, kind=kind, object_id=object_id)
    now = now_ms()
    # The source's server-owned fields (keys starting with "_", e.g. when its periods started) are its own: the
    # copy starts afresh, its recurring periods from its creation.
    data = {key: value for key, value in source.data.items() if not key.startswith("_")}
    copy = replace(source, id=new_object_id(), status="disabled", data=data, created_at=now, updated_at=now)
    renamed: dict[str, str] = {}
    copied = []
    for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=object_id):
        rule_copy = replace(
            rule,
            id=new_object_id(),
            game_object_id=copy.id,
            data=_with_new_sub_rule_ids(rule.data),
            created_at=now,
            updated_at=now,
        )
        renamed[rule.id] = rule_copy.id
        rule_repository.insert_rule(conn, rule_copy)
        copied.append(rule_copy)
    mapping = copy.data.get("creditsMapping")
    if isinstance(mapping, str):
        # The copy's credits mapping must point at the copied rules, not at the source's.
        for old, new in renamed.items():
            mapping = mapping.replace(old, new)
        copy = replace(copy, data={**copy.data, "creditsMapping": mapping})
    repository.insert_game_object(conn, copy)
    _log_change(conn, partner_id, copy, copied_rules=copied)
    if kind.after_write is not None:
        kind.after_write(conn, None, copy)
    return copy


def list_page(
    conn: Connection, *, partner_id: int, kind: GameObjectKind, query: ListQuery
) -> tuple[int, list[GameObjectRecord]]:
    """The total count and one page of a partner's game objects of this kind."""
    records = repository.list_game_objects(
        conn, partner_id=partner_id, object_type=kind.object_type, query=query
    )
    if query.virtual_event_ids is not None:
        wanted = query.virtual_event_ids
        # (stored ids trimmed: kept as given before virtual event ids were trimmed where they enter)
        records = [
            record
            for record in records
            if wanted & {str(item).strip() for item in record.data.get("virtualEventIds") or ()}
        ]
    for name, value in query.data_equals.items():
        if name not in kind.equal_filters:
            raise ValidationFailed(f"{name}Equal", f"this list has no {name} to filter on")
        records = [record for record in records if record.data.get(name) == value]
    return len(records), page_of(records, query)


def _with_new_sub_rule_ids(data: dict[str, Any]) -> dict[str, Any]:
    # A copied rule's sub-rules are new sub-rules too: ids of their own, as the rule has.
    sub_rules = data.get("subRules")
    if not isinstance(sub_rules, list):
        return data
    return {**data, "subRules": [{**sub_rule, "id": new_object_id()} for sub_rule in sub_rules]}


def _check_policy(fields: dict[str, Any]) -> None:
    # The engine reads the policy with the domain's parser: what it refuses must not be stored.
    try:
        parse_participation_policy(fields.get("participationPolicy"))
    except DomainValidationError as error:
        raise ValidationFailed(error.field, error.message) from error


def _check_dates(fields: dict[str, Any]) -> None:
    start, end = fields.get("startDate"), fields.get("endDate")
    if start is not None and end is not None and end < start:
        raise ValidationFailed("endDate", "must not be before startDate")


def _log_change(
    conn: Connection,
    partner_id: int,
    record: GameObjectRecord,
    *,
    copied_rules: list[RuleRecord] | None = None,
    status_changed: str | None = None,
) -> None:
    # Leaves buckets and scores as they are; the entry carries the object as stored (and the rules a clone
    # copied), so a projection compiles the same rule set from the log alone.
    rules = [asdict(rule) for rule in copied_rules or []]
    details = {"gameObjectId": record.id, "object": asdict(record), "rules": rules}
    changes = Changes()
    if status_changed is not None:
        changes.add(
            STATUS_CHANGED,
            {"gameObjectType": record.object_type, "gameObjectId": record.id, "status": status_changed},
        )
    event_log.record(
        conn, partner_id, GAME_OBJECT_CHANGE, details, state=False, rules=True, changes=changes.encoded()
    )
