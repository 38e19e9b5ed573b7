"""Dependencies of the handlers: the authenticated caller and its transactions, as Annotated aliases."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gameservices.api.limits import UNSTORABLE_TEXT
from gameservices.errors import PermissionDenied
from gameservices.projection import checkpoint
from gameservices.projection.live import LiveState
from gameservices.rendering.background import BackgroundLoader
from gameservices.services.access.session import Caller, CountedOffLoop, require
from gameservices.services.access.session import authenticate_request as authenticate
from gameservices.settings import Settings
from gameservices.storage.database import Connection, Engine, is_sqlite, read_transaction, write_transaction

_bearer = HTTPBearer(auto_error=False, description="An ADMIN KS (type 2)")


class Api:
    """What a handler works with: the caller's partner and a way to open its transaction."""

    def __init__(
        self,
        engine: Engine,
        caller: Caller,
        settings: Settings,
        live: LiveState,
        backgrounds: BackgroundLoader,
        versions: tuple[int, int] = (0, 0),
    ) -> None:
        self.engine = engine
        self.caller = caller
        # The partner's (state, rules) versions when the request was authenticated.
        self.versions = versions
        self.settings = settings
        self.live = live
        self.backgrounds = backgrounds

    @property
    def partner_id(self) -> int:
        """The partner every query of this request is scoped to."""
        return self.caller.partner_id

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends without an error; the partner's writes take turns,
        so the in-memory state is updated in the order the database saw them."""
        with self.live.transaction(self.engine, self.partner_id) as (_, conn):
            yield conn

    @contextmanager
    def write_aside(self) -> Iterator[Connection]:
        """A transaction for writes that change nothing the event log or a partner's state holds (webhooks, their
        deliveries, display links): it neither waits for the partner's writers nor locks the partner row, so an
        administrator's change is not queued behind a flood of events."""
        with write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads."""
        with read_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def read_tables(self) -> Iterator[Connection]:
        """A transaction that reads the derived tables themselves (buckets, the ledger, totals: reports, a user's
        progress, badge and lead lists), brought up to every write answered so far first."""
        checkpoint.bring_up(self.engine, self.live, self.partner_id)
        with read_transaction(self.engine) as conn:
            yield conn


def ks_of(request: Request) -> str | None:
    """The KS of a request: ``Authorization: Bearer <KS>`` (or ``KS <KS>``)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("bearer", "ks") and value.strip():
        return value.strip()
    return None


def service_name(request: Request) -> str:
    """``controller->action`` of the request path, as Kaltura names a service in SERVICE_FORBIDDEN."""
    parts = request.url.path.rstrip("/").split("/")
    return "->".join(parts[-2:]) if len(parts) >= 2 else request.url.path


# Where a request keeps the outcome of its authentication: a request is authenticated (and a KS carrying
# `actionslimit` counted) once, however many of its steps ask (its dependency, then an error handler).
_AUTHENTICATED = "gameservices.authenticated"


def authenticate_request(request: Request, *, on_loop: bool = False) -> tuple[Caller, tuple[int, int]]:
    """Verify the request's KS; the caller and its partner's versions. Raises the authentication errors.

    `on_loop`: called on the event loop (SQLite only), it reads on the application's own loop connection, and
    raises ``CountedOffLoop`` for a KS whose use is counted (a write, made off the loop: `authenticated`).
    """
    state = request.scope.setdefault("state", {})
    known = state.get(_AUTHENTICATED)
    if known is None:
        engine: Engine = request.app.state.engine
        client_ip = request.client.host if request.client else ""
        uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        connection = request.app.state.loop_connection.get() if on_loop else None
        try:
            known = authenticate(
                engine, ks=ks_of(request), client_ip=client_ip, uri=uri, connection=connection
            )
        except CountedOffLoop:
            raise
        except Exception as error:
            known = error
        state[_AUTHENTICATED] = known
    if isinstance(known, Exception):
        raise known
    return cast(tuple[Caller, tuple[int, int]], known)


async def authenticated(request: Request) -> tuple[Caller, tuple[int, int]]:
    """`authenticate_request` from the event loop: on SQLite a read on the loop's own connection, a KS whose use
    is counted (and any PostgreSQL read) on a worker thread."""
    if is_sqlite(request.app.state.engine):
        try:
            return authenticate_request(request, on_loop=True)
        except CountedOffLoop:
            pass
    return await run_in_threadpool(authenticate_request, request)


def _api(
    request: Request, permission: str, authentication: tuple[Caller, tuple[int, int]] | None = None
) -> Api:
    service = service_name(request)
    try:
        caller, versions = authentication or authenticate_request(request)
    except PermissionDenied as denied:
        # A USER KS, a disabled partner or one without game services: SERVICE names the action, as for a
        # missing permission.
        raise PermissionDenied(denied.message, code=denied.code, args={"SERVICE": service}) from denied
    require(caller, permission, service=service)
    unstorable = request.scope.get("state", {}).get(UNSTORABLE_TEXT)
    if unstorable is not None:
        raise unstorable
    state = request.app.state
    return Api(state.engine, caller, state.settings, state.live, state.backgrounds, versions)


async def reader(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Api:
    """A caller allowed to read (GAME_BASE)."""
    return await _authenticated(request, "GAME_BASE")


async def writer(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Api:
    """A caller allowed to write (GAME_MANAGE)."""
    return await _authenticated(request, "GAME_MANAGE")


async def _authenticated(request: Request, permission: str) -> Api:
    # On SQLite authentication is one local read of microseconds, made on the event loop with a connection of
    # its own: cheaper than handing each request to a worker thread and back. PostgreSQL's network round trip,
    # and the write counting a use of a KS carrying `actionslimit`, stay off the loop.
    if is_sqlite(request.app.state.engine):
        try:
            # (a KS whose use is counted is checked on a worker thread: its refusals are named as any other's)
            authentication: tuple[Caller, tuple[int, int]] | None = await authenticated(request)
        except PermissionDenied:
            authentication = None  # raised again by _api, with the action's SERVICE
        return _api(request, permission, authentication)
    return await run_in_threadpool(_api, request, permission)


class LoopConnection:
    """A database connection of the event loop's own (SQLite), opened on first use: reads made on the loop never
    wait for the engine's pool, which worker threads may have in use."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None

    def get(self) -> Any:
        """The DBAPI connection."""
        if self._connection is None:
            pooled = self._engine.raw_connection()
            pooled.detach()  # owned by the loop from now on, never returned to the pool
            self._connection = pooled
        return self._connection


ReadApi = Annotated[Api, Depends(reader)]
WriteApi = Annotated[Api, Depends(writer)]
