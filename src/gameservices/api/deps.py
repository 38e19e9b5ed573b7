"""Dependencies of the handlers: the authenticated caller and its transactions, as Annotated aliases."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gameservices.api.limits import NUL_PATH, nul_error
from gameservices.rendering.background import BackgroundLoader
from gameservices.services.live import LiveState
from gameservices.services.session import Caller, require
from gameservices.services.session import authenticate_request as authenticate
from gameservices.settings import Settings
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction

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
        with self.live.writing(self.partner_id), write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads."""
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


def authenticate_request(request: Request) -> tuple[Caller, tuple[int, int]]:
    """Verify the request's KS; the caller and its partner's versions. Raises the authentication errors."""
    engine: Engine = request.app.state.engine
    client_ip = request.client.host if request.client else ""
    uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return authenticate(engine, ks=ks_of(request), client_ip=client_ip, uri=uri)


def _api(request: Request, permission: str) -> Api:
    caller, versions = authenticate_request(request)
    require(caller, permission, service=service_name(request))
    nul_path = request.scope.get("state", {}).get(NUL_PATH)
    if nul_path is not None:
        raise nul_error(nul_path)
    state = request.app.state
    return Api(state.engine, caller, state.settings, state.live, state.backgrounds, versions)


def reader(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Api:
    """A caller allowed to read (GAME_BASE)."""
    return _api(request, "GAME_BASE")


def writer(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Api:
    """A caller allowed to write (GAME_MANAGE)."""
    return _api(request, "GAME_MANAGE")


ReadApi = Annotated[Api, Depends(reader)]
WriteApi = Annotated[Api, Depends(writer)]
