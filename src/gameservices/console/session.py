"""The console's signed-in caller: the session its cookie names, its admin KS checked as the API checks a KS,
and the CSRF token every form and htmx POST must carry."""

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from gameservices import errors
from gameservices.api.deps import Api
from gameservices.api.errors import from_validation_error, status_of
from gameservices.console.pages import page
from gameservices.console.request_text import refuse_unstorable_text
from gameservices.services.access import console_session
from gameservices.services.access.session import authenticate_request, require
from gameservices.storage.console_sessions import ConsoleSessionRecord
from gameservices.storage.database import read_transaction

COOKIE = "gs_console"
SIGN_IN_PATH = "/console/signin"


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page."""


class Console(Api):
    """What a console view works with: the API's caller and transactions, plus the session and its cookie's token."""

    def __init__(self, api: Api, session: ConsoleSessionRecord, token: str) -> None:
        super().__init__(api.engine, api.caller, api.settings, api.live, api.backgrounds, api.versions)
        self.session = session
        self.token = token

    def require(self, permission: str, service: str) -> None:
        """Refuse the action unless the session's KS carries the permission (as the API would)."""
        require(self.caller, permission, service=service)


def _console(request: Request) -> Console:
    token = request.cookies.get(COOKIE, "")
    state = request.app.state
    if not token:
        raise SignInRequired
    with read_transaction(state.engine) as conn:
        record = console_session.find(conn, token=token)
    if record is None:
        raise SignInRequired
    client_ip = request.client.host if request.client else ""
    try:
        caller, versions = authenticate_request(
            state.engine, ks=record.ks, client_ip=client_ip, uri=request.url.path
        )
    except errors.AuthenticationFailed as error:
        raise SignInRequired from error
    api = Api(state.engine, caller, state.settings, state.live, state.backgrounds, versions)
    return Console(api, record, token)


def reader(request: Request) -> Console:
    """A signed-in caller allowed to read (GAME_BASE)."""
    console = _console(request)
    console.require("GAME_BASE", service=f"console->{request.url.path}")
    return console


def signed_in(request: Request) -> bool:
    """Whether the request's session still stands as a reader (not signed out or expired, its KS still valid):
    a console stream asks it now and then, and ends when it no longer does."""
    try:
        reader(request)
    except (SignInRequired, errors.GameServicesError):
        return False
    return True


def form_sender(request: Request, csrf_token: Annotated[str, Form()] = "") -> Console:
    """A signed-in caller whose form carries the session's CSRF token (whatever its permissions)."""
    console = _console(request)
    _check_csrf(request, csrf_token, console.session)
    return console


def signing_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> str:
    """The cookie's token of a session whose sign-out form carries the session's CSRF token, whatever the state of
    its KS (ended, expired, past its `actionslimit`): deleting one's own session is no API action, so it neither
    checks nor uses the KS."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise SignInRequired
    with read_transaction(request.app.state.engine) as conn:
        record = console_session.find(conn, token=token)
    if record is None:
        raise SignInRequired
    _check_csrf(request, csrf_token, record)
    return token


def _check_csrf(request: Request, csrf_token: str, session: ConsoleSessionRecord) -> None:
    given = csrf_token or request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
        raise errors.PermissionDenied(
            "The form is stale or forged: reload the page", code="CSRF_TOKEN_INVALID"
        )


def writer(console: Annotated[Console, Depends(form_sender)], request: Request) -> Console:
    """A signed-in caller allowed to write (GAME_MANAGE) whose form carries the session's CSRF token."""
    console.require("GAME_MANAGE", service=f"console->{request.url.path}")
    return console


ReadConsole = Annotated[Console, Depends(reader)]
WriteConsole = Annotated[Console, Depends(writer)]
SigningOut = Annotated[str, Depends(signing_out)]


class ConsoleRoute(APIRoute):
    """A console route: text no database can store is refused before the handler runs (`request_text`); no
    session sends the browser to sign in; a refused action is an HTML error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await refuse_unstorable_text(request)
                return await original(request)
            except SignInRequired:
                return _to_sign_in(request)
            except RequestValidationError as error:
                return error_page(from_validation_error(error))
            except errors.GameServicesError as error:
                return error_page(error)

        return handler


def _to_sign_in(request: Request) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": SIGN_IN_PATH})
    return RedirectResponse(SIGN_IN_PATH, status_code=303)


def error_page(error: errors.GameServicesError) -> Response:
    """An error as a page: the API's code and message, with the API's status."""
    context: dict[str, Any] = {"code": error.code, "message": error.message, "title": "Error"}
    return page("console/error.html", context, status_code=status_of(error))
