"""``GET /api/v1/stream``: the partner's changes as server-sent events (DESIGN.md section 9, "Change feed")."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from gameservices.api.deps import ReadApi
from gameservices.api.responses import ErrorStatuses
from gameservices.errors import ValidationFailed
from gameservices.feed import TYPES, Position, parse_id
from gameservices.feed.hub import FeedHub, Filters
from gameservices.feed.reading import head_of

# Errors are answered as JSON before the stream starts (the route's own media type is the stream's).
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": answer["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, answer in ErrorStatuses.items()
}
router = APIRouter(tags=["stream"], responses=_ERRORS)
# How long a stream waits for a change before looking again (the keep-alive comments are the framework's).
_WAIT_SECONDS = 15.0
MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class _Subscription:
    partner_id: int
    filters: Filters
    after: Position | None
    # The partner's head when the stream was asked for, read before the answer begins: every change committed
    # after it is the stream's (a client may write as soon as the stream is open), whatever the hub has seen by
    # the time the stream starts.
    opened_at: Position


def _subscription(
    request: Request,
    api: ReadApi,
    game_object_id: Annotated[str | None, Query(alias="gameObjectId", max_length=64)] = None,
    types: Annotated[str | None, Query(max_length=1024)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=MAX_ID_LENGTH)] = None,
) -> _Subscription:
    wanted = None
    if types is not None:
        wanted = frozenset(name.strip() for name in types.split(",") if name.strip())
        unknown = sorted(wanted - TYPES)
        if unknown or not wanted:
            raise ValidationFailed("types", f"unknown change types {unknown}; known: {sorted(TYPES)}")
    after = None
    if last_event_id is not None and last_event_id.strip():
        after = parse_id(last_event_id)
        if after is None:
            raise ValidationFailed("Last-Event-ID", 'must be a change id "<seq>-<index>"')
    hub: FeedHub = request.app.state.feed_hub
    hub.admit()
    opened_at = head_of(request.app.state.engine, api.partner_id)
    return _Subscription(api.partner_id, Filters(wanted, game_object_id or None), after, opened_at)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    request: Request, subscription: Annotated[_Subscription, Depends(_subscription)]
) -> AsyncIterator[ServerSentEvent]:
    """The partner's changes as they are committed: `id` = the change id (resume with `Last-Event-ID`), `event` =
    its type, `data` = its JSON data. Filters: `gameObjectId`, `types` (comma list). Keep-alive comments every 15 s.
    """
    hub: FeedHub = request.app.state.feed_hub
    partner_id = subscription.partner_id
    opened_at = subscription.opened_at
    await hub.start(partner_id, opened_at)
    # An id past the newest change (a database started afresh, another deployment's id) resumes at the newest
    # change rather than waiting, silent, until the log passes it. (Compared with the database's head: the hub's
    # newest may trail it by a poll, and an id between the two is one the reader has seen.)
    after = opened_at if subscription.after is None else min(subscription.after, opened_at)
    try:
        while not hub.closed:
            page = await hub.next(partner_id, after, subscription.filters, timeout=_WAIT_SECONDS)
            for change in page.changes:
                yield ServerSentEvent(id=change.id, event=change.type, data=change.data)
            after = page.position
    finally:
        hub.stop(partner_id)
