"""The actions API v3 serves, by service and action name: each reads its typed parameters, authenticates the
KS where the action needs one, and calls its service inside a transaction it owns.

``game_userscore`` (and the guide's older name ``leaderboard_userscore``): ``list``, ``update``, ``delete``;
``session``: ``start``, ``end``.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gameservices.api.v3.arguments import Arguments
from gameservices.domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gameservices.errors import PermissionDenied
from gameservices.projection.live import LiveState
from gameservices.services.access.session import CountAfter, authenticate, require
from gameservices.services.kaltura import game_userscore, kaltura_session
from gameservices.services.kaltura import kaltura_v3 as v3_errors
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction

MAX_USER_ID = 256
MAX_PRIVILEGES = 4096
# Scores stay within the integers a double holds exactly.
MAX_SCORE = 2**53


@dataclass(frozen=True)
class Context:
    """What every call of one HTTP request runs on."""

    engine: Engine
    live: LiveState
    client_ip: str
    uri: str


@dataclass(frozen=True)
class Call:
    """One action call: its names, its parameters and its KS."""

    service: str
    action: str
    arguments: Arguments
    ks: str | None
    context: Context

    @property
    def name(self) -> str:
        """``service->action``, as Kaltura names an action in SERVICE_FORBIDDEN."""
        return f"{self.service}->{self.action}"


@dataclass(frozen=True)
class Partnered:
    """An authenticated call's partner, and its transactions."""

    partner_id: int
    engine: Engine
    live: LiveState

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction holding the partner's writer turn (as every API v1 write does)."""
        with self.live.transaction(self.engine, self.partner_id) as (_, conn):
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with read_transaction(self.engine) as conn:
            yield conn


Handler = Callable[[Call], Any]


def run(call: Call) -> Any:
    """Run the action a call names and return its result."""
    actions = SERVICES.get(call.service.lower())
    if actions is None:
        raise v3_errors.service_does_not_exist(call.service)
    handler = actions.get(call.action.lower())
    if handler is None:
        raise v3_errors.action_does_not_exist(call.service, call.action)
    return handler(call)


def list_scores(call: Call) -> Any:
    """``game_userscore.list(filter, pager)``."""
    api = _api(call, "GAME_BASE")
    criteria = call.arguments.object("filter")
    offset, limit = _page(call.arguments.optional_object("pager"))
    type_name = criteria.optional_text("gameObjectType")
    with api.read() as conn:
        return game_userscore.list_scores(
            conn,
            live=api.live,
            partner_id=api.partner_id,
            game_object_id=criteria.optional_text("gameObjectId"),
            game_object_type=game_userscore.game_object_type(type_name) if type_name is not None else None,
            user_id_equal=criteria.optional_text("userIdEqual", max_length=MAX_USER_ID),
            places_above=_places(criteria, "placesAboveUser"),
            places_below=_places(criteria, "placesBelowUser"),
            offset=offset,
            limit=limit,
        )


def update_score(call: Call) -> Any:
    """``game_userscore.update(gameObjectId, gameObjectType, userId, score)``."""
    api = _api(call, "GAME_MANAGE")
    target = _user_target(call.arguments)
    score = call.arguments.integer("score", minimum=-MAX_SCORE, maximum=MAX_SCORE)
    with api.write() as conn:
        game_userscore.update_score(conn, live=api.live, partner_id=api.partner_id, **target, score=score)
    with api.read() as conn:
        entry = game_userscore.standing(
            conn,
            live=api.live,
            partner_id=api.partner_id,
            game_object_id=target["game_object_id"],
            user_id=target["user_id"],
        )
    return game_userscore.response([entry] if entry is not None else [], None)


def delete_score(call: Call) -> Any:
    """``game_userscore.delete(gameObjectId, gameObjectType, userId)``."""
    api = _api(call, "GAME_MANAGE")
    target = _user_target(call.arguments)
    with api.write() as conn:
        return game_userscore.delete_score(conn, live=api.live, partner_id=api.partner_id, **target)


def start_session(call: Call) -> Any:
    """``session.start(secret, userId, type, partnerId, expiry, privileges)``: a KS."""
    arguments = call.arguments
    session_type = arguments.optional_integer("type", 0)
    if session_type not in kaltura_session.SESSION_TYPES:
        raise v3_errors.invalid_enum_value(session_type, "type", "KalturaSessionType")
    secret = arguments.text("secret")
    with read_transaction(call.context.engine) as conn:
        return kaltura_session.start(
            conn,
            secret=secret,
            user_id=arguments.optional_text("userId", "", max_length=MAX_USER_ID) or "",
            session_type=session_type,
            partner_id=arguments.optional_integer("partnerId"),
            expiry_seconds=arguments.optional_integer("expiry", kaltura_session.DEFAULT_EXPIRY_SECONDS) or 0,
            privileges=arguments.optional_text("privileges", "", max_length=MAX_PRIVILEGES) or "",
        )


def end_session(call: Call) -> Any:
    """``session.end()``: the calling KS is refused from now on."""
    context = call.context
    with write_transaction(context.engine) as conn:
        kaltura_session.end(conn, ks=call.ks, client_ip=context.client_ip, uri=context.uri)
    return None


def _api(call: Call, permission: str) -> Partnered:
    context = call.context
    # Each action counts one use of a KS carrying `actionslimit` (each action of a multirequest too, as on the
    # Kaltura server), once the read that checked the KS has ended.
    count = CountAfter()
    with read_transaction(context.engine) as conn:
        try:
            caller = authenticate(conn, ks=call.ks, client_ip=context.client_ip, uri=context.uri, count=count)
        except PermissionDenied as denied:
            raise v3_errors.service_forbidden(call.name) from denied
    count.settle(context.engine)
    require(caller, permission, service=call.name)
    return Partnered(caller.partner_id, context.engine, context.live)


def _user_target(arguments: Arguments) -> dict[str, Any]:
    return {
        "game_object_id": arguments.text("gameObjectId"),
        "game_object_type": game_userscore.game_object_type(arguments.text("gameObjectType")),
        "user_id": arguments.text("userId", max_length=MAX_USER_ID),
    }


def _page(pager: Arguments | None) -> tuple[int, int]:
    # KalturaFilterPager: 30 a page by default, at most 500; pages count from 1.
    if pager is None:
        return 0, DEFAULT_PAGE_SIZE
    size = pager.optional_integer("pageSize", DEFAULT_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
    index = max(pager.optional_integer("pageIndex", 1) or 1, 1)
    return (index - 1) * size, size


def _places(criteria: Arguments, name: str) -> int:
    places = criteria.optional_integer(name, 0, minimum=0, maximum=game_userscore.MAX_PLACES)
    return places or 0


USER_SCORE_ACTIONS: dict[str, Handler] = {"list": list_scores, "update": update_score, "delete": delete_score}
SERVICES: dict[str, dict[str, Handler]] = {
    "game_userscore": USER_SCORE_ACTIONS,
    "leaderboard_userscore": USER_SCORE_ACTIONS,
    "session": {"start": start_session, "end": end_session},
}
