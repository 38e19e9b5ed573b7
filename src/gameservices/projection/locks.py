"""The lock of one partner's state: many readers at once, or one thread changing it.

Readers hold it shared for as long as they read (a page, a report, a user's progress); whatever changes the
state (a writer applying what it committed, a catch-up, a load, a checkpoint marking what it wrote) holds it
exclusively. A thread that changes the state may read it too (shared holds inside an exclusive one count as
part of it), and both kinds of hold nest. A thread that holds it shared cannot then hold it exclusively (two
readers doing so would wait for each other forever): that raises RuntimeError, so such a path fails at once in
tests rather than hanging in production. A thread waiting to hold it exclusively keeps new readers out, so a
stream of reads cannot starve the writers; a reader already holding it may nest further holds meanwhile.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SharedLock"]


class SharedLock:
    """Shared by readers, exclusive for one changing thread (see the module docstring)."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        # Shared holds by thread id (nested holds counted).
        self._readers: dict[int, int] = {}
        # The thread holding it exclusively, and how many holds (exclusive or shared) it has nested.
        self._owner: int | None = None
        self._depth = 0
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock shared while the block reads."""
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock exclusively while the block changes what it guards."""
        self.acquire_exclusive()
        try:
            yield
        finally:
            self.release_exclusive()

    def acquire_shared(self, *, blocking: bool = True) -> bool:
        """Hold the lock shared; without `blocking`, False (and no hold) when that would mean waiting."""
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return True
            held = self._readers.get(me)
            if held is not None:
                self._readers[me] = held + 1
                return True
            while self._owner is not None or self._writers_waiting:
                if not blocking:
                    return False
                self._changed.wait()
            self._readers[me] = 1
            return True

    def release_shared(self) -> None:
        """End one shared hold of this thread."""
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._release_owned()
                return
            held = self._readers.get(me)
            if held is None:
                raise RuntimeError("release of a shared hold this thread does not have")
            if held > 1:
                self._readers[me] = held - 1
                return
            del self._readers[me]
            if not self._readers:
                self._changed.notify_all()

    def acquire_exclusive(self) -> None:
        """Hold the lock exclusively (waiting for every reader to end and any other writer)."""
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return
            if me in self._readers:
                raise RuntimeError("a thread reading the state cannot change it before its read ends")
            self._writers_waiting += 1
            try:
                while self._owner is not None or self._readers:
                    self._changed.wait()
            finally:
                self._writers_waiting -= 1
            self._owner, self._depth = me, 1

    def release_exclusive(self) -> None:
        """End one exclusive hold of this thread."""
        with self._changed:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of an exclusive hold this thread does not have")
            self._release_owned()

    def _release_owned(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._owner = None
            self._changed.notify_all()

    @property
    def held_exclusively(self) -> bool:
        """Whether the calling thread holds the lock exclusively."""
        return self._owner == threading.get_ident()
