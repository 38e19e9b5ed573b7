"""The console's events screen (a live tail of the events received) and the dashboard's live activity panel;
both are views of the process's `DisplayHub`, read from the event log."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from gameservices.console.display import console_events
from gameservices.console.live_views import ActivityView, EventsTailView, LiveView, tail_context
from gameservices.console.pages import page
from gameservices.console.session import ConsoleRoute, ReadConsole
from gameservices.console.signin import context

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/events")
def events_screen(console: ReadConsole) -> Response:
    """The newest events received, newest first; the page keeps them current over server-sent events."""
    with console.read() as conn:
        shown = tail_context(conn, console.partner_id)
    return page("console/events.html", context(console, "Events", **shown))


def _tail(request: Request, console: ReadConsole) -> LiveView:
    request.app.state.display_hub.admit()
    return EventsTailView(console.partner_id)


def _activity(request: Request, console: ReadConsole) -> LiveView:
    request.app.state.display_hub.admit()
    return ActivityView(console.partner_id)


@router.get("/events/stream", response_class=EventSourceResponse)
async def events_stream(
    request: Request, view: Annotated[LiveView, Depends(_tail)]
) -> AsyncIterator[ServerSentEvent]:
    """The events tail each time new events arrive (at most once a second)."""
    async for event in console_events(request, view):
        yield event


@router.get("/activity/stream", response_class=EventSourceResponse)
async def activity_stream(
    request: Request, view: Annotated[LiveView, Depends(_activity)]
) -> AsyncIterator[ServerSentEvent]:
    """The dashboard's activity panel each time it changes (at most once a second)."""
    async for event in console_events(request, view):
        yield event
