"""The public big screen ``/display/{shareId}`` (no sign-in: the unguessable share id is the key), its live
stream, and the console's live top N stream; both streams come from the process's `DisplayHub`."""

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gameservices.console.display_hub import GONE, DisplayHub
from gameservices.console.leaderboard import live_screen
from gameservices.console.live_views import LiveView
from gameservices.console.pages import page
from gameservices.console.request_text import refuse_unstorable_text
from gameservices.console.session import ConsoleRoute, ReadConsole, signed_in
from gameservices.domain.timefmt import now_ms
from gameservices.errors import NotFound
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.standings import display_link as service
from gameservices.services.standings.display_link import Screen
from gameservices.storage.database import read_transaction

router = APIRouter(include_in_schema=False, dependencies=[Depends(refuse_unstorable_text)])
# How often an open console stream checks that its session still stands (before sending a change).
SESSION_CHECK_SECONDS = 10.0
console_router = APIRouter(prefix="/console/leaderboards", route_class=ConsoleRoute, include_in_schema=False)


def _screen(request: Request, share_id: str) -> tuple[Screen, service.Standings] | None:
    with read_transaction(request.app.state.engine) as conn:
        try:
            link = service.shared(conn, share_id=share_id, now_ms=now_ms())
            screen = service.screen_of(link)
            return screen, service.standings(conn, live=request.app.state.live, link=screen)
        except NotFound:
            return None


def _not_found() -> Response:
    return page("display/display_gone.html", {"title": "Not found"}, status_code=404)


@router.get("/display/{share_id}")
async def display(request: Request, share_id: str) -> Response:
    """The big screen: the top N rendered here (works without JavaScript), live with it."""
    shown = await run_in_threadpool(_screen, request, share_id)
    if shown is None:
        return _not_found()
    screen, standings = shown
    context = {"title": standings.title, "standings": standings, "share_id": share_id, "screen": screen}
    return page("display/display.html", context)


async def _shared_screen(request: Request, share_id: str) -> Screen:
    request.app.state.display_hub.admit()
    shown = await run_in_threadpool(_screen, request, share_id)
    if shown is None:
        raise NotFound("Display not found", code="DISPLAY_NOT_FOUND")
    return shown[0]


async def sse_events(hub: DisplayHub, view: LiveView | Screen) -> AsyncGenerator[ServerSentEvent]:
    """A live view's renders as server-sent events; a view that is gone ends its stream with a `gone` event."""
    async for html in hub.subscribe(view):
        if html is None:
            yield ServerSentEvent(raw_data=GONE)
            yield ServerSentEvent(event="gone", raw_data="gone")
            return
        yield ServerSentEvent(raw_data=html)


async def console_events(request: Request, view: LiveView | Screen) -> AsyncIterator[ServerSentEvent]:
    """A console view's stream, which ends once its session does (signed out, expired, its KS revoked): the
    session is checked again before sending, at most every `SESSION_CHECK_SECONDS`."""
    checked = time.monotonic()
    async with contextlib.aclosing(sse_events(request.app.state.display_hub, view)) as events:
        async for event in events:
            if time.monotonic() - checked >= SESSION_CHECK_SECONDS:
                if not await run_in_threadpool(signed_in, request):
                    return
                checked = time.monotonic()
            yield event


@router.get("/display/{share_id}/stream", response_class=EventSourceResponse)
async def display_stream(
    request: Request, screen: Annotated[Screen, Depends(_shared_screen)]
) -> AsyncIterator[ServerSentEvent]:
    """The big screen's standings each time they change (at most once a second), as server-sent events."""
    async for event in sse_events(request.app.state.display_hub, screen):
        yield event


def _console_screen(request: Request, console: ReadConsole, object_id: str) -> Screen:
    request.app.state.display_hub.admit()
    with console.read() as conn:
        game_objects.get(conn, partner_id=console.partner_id, kind=LEADERBOARD, object_id=object_id)
    return live_screen(console.partner_id, object_id)


@console_router.get("/{object_id}/stream", response_class=EventSourceResponse)
async def leaderboard_stream(
    request: Request, screen: Annotated[Screen, Depends(_console_screen)]
) -> AsyncIterator[ServerSentEvent]:
    """The console's live top N of a leaderboard, as server-sent events."""
    async for event in console_events(request, screen):
        yield event
