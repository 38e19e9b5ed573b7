"""The ``userProfile`` controller: the partner's users, whose fields drive policies, segments and certificates."""

import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import orjson

from gameservices.domain.events import entry_id_refusal
from gameservices.domain.ids import new_object_id
from gameservices.domain.listing import ListQuery
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.domain.values import MAX_SCORE
from gameservices.errors import Conflict, NotFound, ValidationFailed
from gameservices.projection.entries import PROFILE_CHANGE
from gameservices.projection.state import PartnerState
from gameservices.services.scoring import event as event_service
from gameservices.services.scoring import visibility
from gameservices.storage import event_log
from gameservices.storage import user_profiles as repository
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord

MAX_PROFILE_DATA_BYTES = 64 * 1024
_FIELDS = ("email", "firstName", "lastName", "fullName", "groups", "profileData")


def view(record: ProfileRecord) -> dict[str, Any]:
    """The API form of a stored profile, with ``fullName`` derived when absent."""
    data = record.data
    full_name = data.get("fullName") or " ".join(
        part for part in (data.get("firstName"), data.get("lastName")) if part
    )
    return {
        "id": record.id,
        "objectType": "UserProfile",
        "partnerId": record.partner_id,
        "userId": record.user_id,
        "email": record.email,
        "firstName": data.get("firstName"),
        "lastName": data.get("lastName"),
        "fullName": full_name or None,
        "groups": data.get("groups") or [],
        "profileData": data.get("profileData") or {},
        "createdAt": format_ms(record.created_at),
        "updatedAt": format_ms(record.updated_at),
    }


def create(
    conn: Connection, *, state: PartnerState, partner_id: int, fields: dict[str, Any]
) -> ProfileRecord:
    """Store a new profile; a user id already known is a conflict."""
    if repository.get_profile(conn, partner_id=partner_id, user_id=fields["userId"]) is not None:
        raise Conflict(f"user {fields['userId']} already has a profile", args={"USER_ID": fields["userId"]})
    return _changed(conn, state, partner_id, _insert(conn, partner_id, fields))


def upsert(
    conn: Connection, *, state: PartnerState, partner_id: int, fields: dict[str, Any]
) -> ProfileRecord:
    """Create the profile, or update the fields given."""
    return _changed(conn, state, partner_id, store(conn, partner_id=partner_id, fields=fields))


def store(conn: Connection, *, partner_id: int, fields: dict[str, Any]) -> ProfileRecord:
    """`upsert`'s write alone: the caller sends the record's `profile_event` and refreshes the user's
    visibility."""
    record = repository.get_profile(conn, partner_id=partner_id, user_id=fields["userId"])
    if record is None:
        return _insert(conn, partner_id, fields)
    return _write_changes(conn, record, fields)


def store_rows(
    conn: Connection, *, partner_id: int, rows: Sequence[dict[str, Any]]
) -> list[ProfileRecord | ValidationFailed]:
    """`store` for many rows (an import), read and written in bulk; a row's ``profileData`` keys change and
    the others stay. Each row's stored record, or the error that refused it, in row order (a later row of a
    user builds on the earlier one)."""
    user_ids = sorted({fields["userId"] for fields in rows})
    known = repository.get_profiles(conn, partner_id=partner_id, user_ids=user_ids)
    current = dict(known)
    results: list[ProfileRecord | ValidationFailed] = []
    for fields in rows:
        before = current.get(fields["userId"])
        try:
            if before is None:
                record = _new_record(partner_id, fields)
            else:
                record = _changed_record(before, _merged_profile_data(before, fields))
        except ValidationFailed as error:
            results.append(error)
            continue
        current[record.user_id] = record
        results.append(record)
    repository.insert_profiles(conn, [record for key, record in current.items() if key not in known])
    repository.update_profiles(
        conn, [record for key, record in current.items() if key in known and record is not known[key]]
    )
    log_profiles(
        conn, partner_id, {key: record for key, record in current.items() if record is not known.get(key)}
    )
    return results


def _merged_profile_data(record: ProfileRecord, fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("profileData") is None:
        return fields
    return {**fields, "profileData": {**record.data.get("profileData", {}), **fields["profileData"]}}


def update(
    conn: Connection, *, state: PartnerState, partner_id: int, changes: dict[str, Any]
) -> ProfileRecord:
    """Change the fields given (null clears one)."""
    record = get(conn, partner_id=partner_id, user_id=changes["userId"])
    return _changed(conn, state, partner_id, _write_changes(conn, record, changes))


def _write_changes(conn: Connection, record: ProfileRecord, changes: dict[str, Any]) -> ProfileRecord:
    updated = _changed_record(record, changes)
    repository.update_profile(conn, updated)
    return updated


def _changed_record(record: ProfileRecord, changes: dict[str, Any]) -> ProfileRecord:
    data = dict(record.data)
    email = record.email
    for key in _FIELDS:
        if key not in changes:
            continue
        if key == "email":
            email = changes[key]
        elif changes[key] is None:
            data.pop(key, None)
        else:
            data[key] = changes[key]
    _check_size(data)
    return replace(record, email=email, data=data, updated_at=now_ms())


def get(conn: Connection, *, partner_id: int, user_id: str) -> ProfileRecord:
    """Load a user's profile, or answer 404."""
    record = repository.get_profile(conn, partner_id=partner_id, user_id=user_id)
    if record is None:
        raise NotFound(f"User [{user_id}] not found", code="USER_ID_NOT_FOUND", args={"USER_ID": user_id})
    return record


def delete(conn: Connection, *, state: PartnerState, partner_id: int, user_id: str) -> dict[str, Any]:
    """Remove a user's profile (the user falls back to each game object's default policy)."""
    record = get(conn, partner_id=partner_id, user_id=user_id)
    repository.delete_profile(conn, partner_id=partner_id, user_id=user_id)
    log_profiles(conn, partner_id, {user_id: None})
    visibility.refresh_user(conn, state=state, partner_id=partner_id, user_id=user_id)
    return {"id": record.id, "userId": user_id, "deleted": True}


def list_page(conn: Connection, *, partner_id: int, query: ListQuery) -> tuple[int, list[ProfileRecord]]:
    """One page of the partner's profiles matching the query."""
    return repository.list_profiles(conn, partner_id=partner_id, query=query)


def _insert(conn: Connection, partner_id: int, fields: dict[str, Any]) -> ProfileRecord:
    record = _new_record(partner_id, fields)
    repository.insert_profile(conn, record)
    return record


def _new_record(partner_id: int, fields: dict[str, Any]) -> ProfileRecord:
    data = {key: fields[key] for key in _FIELDS if key != "email" and fields.get(key) is not None}
    _check_size(data)
    now = now_ms()
    return ProfileRecord(
        id=new_object_id(),
        partner_id=partner_id,
        user_id=fields["userId"],
        email=fields.get("email"),
        data=data,
        created_at=now,
        updated_at=now,
    )


def profile_event(record: ProfileRecord) -> dict[str, Any]:
    """The ``userProfile`` event a profile change sends to the rules engine: the profile's fields, with the
    scalar (and list of scalar) values of ``profileData`` as top-level facts (but for ``eventTime``,
    ``eventId`` and ``kuserId``: the event is the change itself, now, of this user; nor ``virtualEventId`` and
    ``categories``, which would scope it: it is scoped to no virtual event)."""
    shown = view(record)
    event: dict[str, Any] = {
        key: value
        for key, value in (shown.get("profileData") or {}).items()
        if _is_fact(key, value) and key not in _EVENT_IDENTITY and key not in _EVENT_SCOPING
    }
    for key in ("email", "firstName", "lastName", "fullName", "groups"):
        if shown.get(key) is not None:
            event[key] = shown[key]
    event.update({"eventType": "userProfile", "userId": record.user_id})
    return event


# Keys that would make the event another one: of another time, a repeat of another event, another user's.
_EVENT_IDENTITY = frozenset({"eventTime", "eventId", "kuserId"})
# Keys that scope an event to game objects (a virtual event, categories): a profile belongs to no virtual event,
# and its data's fields of these names would hide its event from game objects of other virtual events.
_EVENT_SCOPING = frozenset({"virtualEventId", "categories"})


def _is_fact(key: str, value: Any) -> bool:
    """Whether an event field can hold the value (one it could not would refuse the whole event): a number
    within the score limit, text, a boolean, or a list of them; an ``entryId`` an event may hold."""
    scalar = (str, int, float, bool)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return -MAX_SCORE < value < MAX_SCORE
    if key == "entryId" and entry_id_refusal(value) is not None:
        return False
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    )


def _changed(conn: Connection, state: PartnerState, partner_id: int, record: ProfileRecord) -> ProfileRecord:
    # Policies and segments read the new profile from here on; rules may score the profile itself.
    log_profiles(conn, partner_id, {record.user_id: record})
    event_service.send(
        conn, state=state, partner_id=partner_id, raw_events=[profile_event(record)], received_at=time.time()
    )
    visibility.refresh_user(conn, state=state, partner_id=partner_id, user_id=record.user_id)
    return record


def _check_size(data: dict[str, Any]) -> None:
    try:
        size = len(orjson.dumps(data.get("profileData") or {}))
    except orjson.JSONEncodeError as error:
        raise ValidationFailed("profileData", "numbers must fit in 64 bits") from error
    if size > MAX_PROFILE_DATA_BYTES:
        raise ValidationFailed("profileData", f"at most {MAX_PROFILE_DATA_BYTES} bytes of JSON")


def log_profiles(conn: Connection, partner_id: int, profiles: dict[str, ProfileRecord | None]) -> None:
    """Append the entry of stored profile changes (None: deleted): policies read them when events are
    replayed, so it must precede the entry of the events the new profiles score."""
    listed = [[user_id, None if record is None else asdict(record)] for user_id, record in profiles.items()]
    event_log.record(conn, partner_id, PROFILE_CHANGE, {"profiles": listed}, state=True)
