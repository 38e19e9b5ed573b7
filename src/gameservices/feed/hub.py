"""One place per process that follows the partners' change feeds for the live streams it serves.

For each partner with an open stream the hub keeps the newest changes in memory (`BUFFER` of them) and learns of
new ones by reading the partners' log seqs (one query for all of them, every `poll_seconds`), or at once when
poked: by this process's writers after their commit, or by PostgreSQL's wake-up listener when another process
wrote. The changes themselves are always read from the log, once per partner however many streams show them;
a stream resuming from further back than the buffer reads its own page from the log until it catches up.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from gameservices.errors import RateLimited
from gameservices.feed.changes import Change, Position
from gameservices.feed.reading import Page, head, scan
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Engine, read_transaction

_log = logging.getLogger(__name__)
BUFFER = 10_000
# Open streams a process serves at once; one more is refused (429) until one ends.
MAX_STREAMS = 10_000
PAGE = 500


@dataclass(frozen=True, slots=True)
class Filters:
    """What a stream wants: some change types (None: all), one game object's (None: all)."""

    types: frozenset[str] | None = None
    game_object_id: str | None = None

    def match(self, change: Change) -> bool:
        """Whether the stream shows this change."""
        if self.types is not None and change.type not in self.types:
            return False
        return self.game_object_id is None or change.game_object_id == self.game_object_id


@dataclass
class _Followed:
    """A partner's changes held in memory: every change after `floor`, up to `seen`."""

    floor: Position
    seen: Position
    buffer: deque[Change] = field(default_factory=lambda: deque(maxlen=BUFFER))
    grown: asyncio.Event = field(default_factory=asyncio.Event)
    streams: int = 0


class FeedHub:
    """The partners' feeds this process follows for its open streams."""

    def __init__(self, engine: Engine, *, poll_seconds: float = 0.25, max_streams: int = MAX_STREAMS) -> None:
        self._engine = engine
        self.poll_seconds = poll_seconds
        self._max_streams = max_streams
        self._streams = 0
        self._followed: dict[int, _Followed] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self.closed = False

    def admit(self) -> None:
        """Refuse a new stream (429) when the process already serves as many as it may."""
        if self._streams >= self._max_streams:
            raise RateLimited(
                "Too many open streams on this server, try again later", code="TOO_MANY_STREAMS"
            )

    async def start(self, partner_id: int, opened_at: Position | None = None) -> Position:
        """Open a stream of the partner's changes; the position of its newest change (where a new stream
        starts). `opened_at`: the partner's head read when the stream was asked for (a hub not following the
        partner yet starts there; None: read now). Refused (429) when the process serves as many streams as it
        may."""
        self.admit()
        self._streams += 1
        followed = self._followed.get(partner_id)
        if followed is None:
            try:
                now = opened_at if opened_at is not None else await asyncio.to_thread(self._head, partner_id)
            except BaseException:  # (the database failed, or the client went away meanwhile): not opened
                self._streams -= 1
                raise
            followed = self._followed.setdefault(partner_id, _Followed(floor=now, seen=now))
        followed.streams += 1
        self._ensure_running()
        return followed.seen

    def stop(self, partner_id: int) -> None:
        """Close a stream opened by `start`."""
        self._streams -= 1
        followed = self._followed.get(partner_id)
        if followed is not None:
            followed.streams -= 1
            if followed.streams <= 0:
                del self._followed[partner_id]

    async def next(self, partner_id: int, after: Position, filters: Filters, *, timeout: float) -> Page:
        """The stream's next changes after `after` (at most `PAGE`), waiting up to `timeout` seconds for one;
        an empty page when none came (or the hub closed)."""
        followed = self._followed[partner_id]
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.closed:
            if after < followed.floor:
                page = await asyncio.to_thread(self._read, partner_id, after, filters)
                if page.changes or page.position > after:
                    return page
                # Nothing is kept after it (retention deleted an idle partner's entries): go on from the floor.
                after = followed.floor
            grown = followed.grown
            found = [
                change for change in followed.buffer if change.position > after and filters.match(change)
            ]
            if found:
                return Page(found[:PAGE], found[:PAGE][-1].position)
            after = max(after, followed.seen)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(grown.wait(), remaining)
            except TimeoutError:
                break
        return Page([], after)

    def poke(self, partner_ids: Iterable[int]) -> None:
        """New entries were committed (callable from any thread): look now rather than at the next poll."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and any(pid in self._followed for pid in partner_ids):
            loop.call_soon_threadsafe(self._wake.set)

    def close(self) -> None:
        """End every stream (the server is stopping); callable from any thread."""
        self.closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for followed in self._followed.values():
            followed.grown.set()
        self._wake.set()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._run())

    async def _run(self) -> None:
        while self._followed and not self.closed:
            # (Cleared before the look: a wake-up arriving while it reads the log seqs is kept for the next one.)
            self._wake.clear()
            try:
                await self._refresh()
            except Exception:  # a failed round is logged; the next one tries again
                _log.exception("following the change feeds failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _refresh(self) -> None:
        followed = dict(self._followed)
        seqs = await asyncio.to_thread(self._log_seqs, set(followed))
        for partner_id, seq in seqs.items():
            state = followed[partner_id]
            if seq <= state.seen[0]:
                continue
            pages = await asyncio.to_thread(self._read_all, partner_id, state.seen)
            for page in pages:
                for change in page.changes:
                    if len(state.buffer) == state.buffer.maxlen:
                        state.floor = state.buffer[0].position
                    state.buffer.append(change)
                state.seen = max(state.seen, page.position)
            grown, state.grown = state.grown, asyncio.Event()
            grown.set()

    def _head(self, partner_id: int) -> Position:
        with read_transaction(self._engine) as conn:
            return head(conn, partner_id)

    def _log_seqs(self, partner_ids: set[int]) -> dict[int, int]:
        with read_transaction(self._engine) as conn:
            return partner_repository.log_seqs(conn, partner_ids)

    def _read(self, partner_id: int, after: Position, filters: Filters) -> Page:
        with read_transaction(self._engine) as conn:
            return scan(
                conn,
                partner_id,
                after=after,
                limit=PAGE,
                types=filters.types,
                game_object_id=filters.game_object_id,
            )

    def _read_all(self, partner_id: int, after: Position) -> list[Page]:
        """Every change after `after` (in pages), as far as the log goes now."""
        pages = []
        with read_transaction(self._engine) as conn:
            while True:
                page = scan(conn, partner_id, after=after, limit=BUFFER)
                pages.append(page)
                if page.position == after:
                    return pages
                after = page.position
