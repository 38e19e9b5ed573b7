"""Live screens: one place per process that notices changes of the watched partners and renders each live view
once for all the browsers showing it.

A *view* is a live fragment of a page: a big screen's standings, the console's live top N, the dashboard's activity
panel, the events tail. Equal views share one render. The hub wakes once a second (`interval`). For each partner
with a watched view it asks a `ChangeSource` for the partner's change marker (today the seq of the partner's newest
event log entry: every change of a score, rule or game object appends one); only when the marker moved are that
partner's views rendered again, and only a render that differs from the last one is sent (a view is rendered once
more at the round after a change, in case the first render raced the writer). A view may also ask to be rendered at
least every few seconds (a figure over the last minute moves without a change), or at a given time (a recurring
leaderboard's current period ends). A view shown by a thousand browsers is rendered once per change, not a
thousand times, and at most once a second.

`LogChangeSource` reads the partners' log seqs from the database in one read (a primary-key read per partner, so
it sees changes made by any server process).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from gameservices.console.live_views import LiveView, StandingsView
from gameservices.errors import RateLimited
from gameservices.projection.live import LiveState
from gameservices.services.standings.display_link import Screen
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Engine, read_transaction

_log = logging.getLogger(__name__)
# Open live streams a process serves at once; one more is refused (429) until one ends.
MAX_SUBSCRIBERS = 10_000
RESEND_SECONDS = 15.0
# What a screen shows once its link is revoked or expired.
GONE = '<p class="gone" role="status">This display link is no longer available.</p>'


class ChangeSource(Protocol):
    """Tells when a partner's scores or rules may have changed."""

    def versions(self, partner_ids: set[int]) -> dict[int, object]:
        """A marker per partner that moves whenever its leaderboards may have changed."""


class LogChangeSource:
    """Reads the seq of each partner's newest event log entry from the database, in one read."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def versions(self, partner_ids: set[int]) -> dict[int, object]:
        with read_transaction(self._engine) as conn:
            return dict(partner_repository.log_seqs(conn, partner_ids))


class _Ending:
    """Put in a subscriber's queue when the server stops: its stream ends (unlike None, which says "gone")."""


_END = _Ending()


@dataclass
class _Watched:
    subscribers: set["asyncio.Queue[str | _Ending | None]"] = field(default_factory=set)
    html: str | None = None
    marker: object = None
    settled: bool = False
    rendered_at: float = 0.0
    sent_at: float = 0.0
    changes_at: int | None = None  # when the view changes without a write (ms), as it said at its last render


class DisplayHub:
    """The live screens of this process and the task that keeps them current."""

    def __init__(
        self,
        engine: Engine,
        live: LiveState,
        source: ChangeSource | None = None,
        interval: float = 1.0,
        max_subscribers: int = MAX_SUBSCRIBERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._live = live
        self._source = source or LogChangeSource(engine)
        self.interval = interval
        # An unchanged view is sent again this often: a browser that missed an update (its connection paused or
        # a message lost) is current again within this time.
        self.resend_seconds = RESEND_SECONDS
        self._screens: dict[LiveView, _Watched] = {}
        self._task: asyncio.Task[None] | None = None
        self.renders = 0  # how many times a screen was rendered (tests and figures)
        self._max_subscribers = max_subscribers
        self._clock = clock  # the time views are rendered at (seconds)
        self._subscribers = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def admit(self) -> None:
        """Refuse a new stream when the process already serves as many as it may."""
        if self._subscribers >= self._max_subscribers:
            raise RateLimited(
                "Too many live screens on this server, try again later", code="TOO_MANY_STREAMS"
            )

    async def subscribe(self, view: LiveView | Screen) -> AsyncIterator[str | None]:
        """The view's HTML each time it changes (None once it is gone: a revoked link), until the caller stops.
        A `Screen` stands for its standings."""
        screen = StandingsView(view) if isinstance(view, Screen) else view
        self.admit()
        self._subscribers += 1
        queue: asyncio.Queue[str | _Ending | None] = asyncio.Queue(maxsize=1)
        self._loop = asyncio.get_running_loop()
        watched = self._screens.setdefault(screen, _Watched())
        watched.subscribers.add(queue)
        if watched.html is not None:
            queue.put_nowait(watched.html)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            while not self.closed:
                html = await queue.get()
                if isinstance(html, _Ending):
                    return
                yield html
                if html is None:
                    return
        finally:
            self._subscribers -= 1
            watched.subscribers.discard(queue)
            if not watched.subscribers and self._screens.get(screen) is watched:
                del self._screens[screen]

    def close(self) -> None:
        """End every stream (the server is stopping); callable from any thread."""
        self.closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        for watched in self._screens.values():
            for queue in watched.subscribers:
                _replace(queue, _END)

    async def _run(self) -> None:
        while self._screens:
            started = time.monotonic()
            try:
                await self.tick()
            except Exception:  # a failed round is logged; the next one tries again
                _log.exception("refreshing the live screens failed")
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    async def tick(self) -> None:
        """One round: render the screens whose partner changed, and send what differs."""
        screens = dict(self._screens)
        if not screens:
            return
        rendered = await asyncio.to_thread(self._render, screens)
        now = time.monotonic()
        for screen, watched in screens.items():
            html = rendered.get(screen, watched.html)
            changed = screen in rendered and (html is None or html != watched.html)
            if not changed and (html is None or now - watched.sent_at < self.resend_seconds):
                continue
            watched.html, watched.sent_at = html, now
            for queue in list(watched.subscribers):
                _replace(queue, html)

    def _render(self, screens: dict[LiveView, _Watched]) -> dict[LiveView, str | None]:
        markers = self._source.versions({screen.partner_id for screen in screens})
        now = self._clock()
        now_ms = int(now * 1000)
        out: dict[LiveView, str | None] = {}
        with read_transaction(self._engine) as conn:
            for screen, watched in screens.items():
                if not screen.alive(conn, now_ms):
                    out[screen] = None
                    continue
                marker = markers.get(screen.partner_id)
                due = (
                    screen.refresh_seconds is not None and now - watched.rendered_at >= screen.refresh_seconds
                ) or (watched.changes_at is not None and now_ms >= watched.changes_at)
                if watched.html is not None and marker == watched.marker and watched.settled and not due:
                    continue
                # A render made while a writer was still applying the change may show the state just before it:
                # a view is rendered once more at the next round after its marker moved, then left alone.
                watched.settled = marker == watched.marker
                watched.marker = marker
                watched.rendered_at = now
                self.renders += 1
                try:
                    out[screen] = screen.render(conn, self._live, now_ms)
                    watched.changes_at = screen.changes_at(conn, now_ms)
                except Exception:  # one view failing leaves the others current; it is tried again next round
                    _log.exception("rendering a live view failed")
                    watched.marker, watched.settled = None, False
        return out


def _replace(queue: "asyncio.Queue[str | _Ending | None]", item: "str | _Ending | None") -> None:
    """Put the item in a one-place queue, dropping what the subscriber has not taken yet."""
    if queue.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(item)
