"""Wake-ups between the processes serving one SQLite file (SQLite has no NOTIFY; its processes share a machine).

Each serving process binds a Unix datagram socket in a folder of its own user's temporary directory named after
the database file (`gameservices-<digest of its path>/`), and once a transaction of it that appended to a log
commits, it rings every other socket there: a one-byte datagram that makes the receiving process's `LogPoller`
look at the log seqs at once instead of at its next round. A ring only wakes; what changed is always read from the
log. A process that cannot bind (a folder of another user, no file) is simply not rung: it polls as before.
"""

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

_log = logging.getLogger(__name__)
_RING = b"\x01"
# How long the receiving thread waits for a ring before it looks whether it should stop.
_WAIT_SECONDS = 0.5


def folder_for(engine: Engine) -> Path | None:
    """The doorbells' folder of a SQLite database file (None for another database or one in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"gameservices-{digest}"


class Doorbells:
    """This process's doorbell (rung by the others) and the ringing of theirs."""

    def __init__(self, folder: Path, on_ring: Callable[[], None]) -> None:
        self._folder = folder
        self._on_ring = on_ring
        self._path = folder / f"{os.getpid()}-{secrets.token_hex(4)}"
        self._bell: socket.socket | None = None
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log-doorbell", daemon=True)

    @classmethod
    def beside(cls, engine: Engine, on_ring: Callable[[], None]) -> "Doorbells | None":
        """Doorbells for the processes serving this SQLite file; None when there is no file to share."""
        folder = folder_for(engine)
        return None if folder is None else cls(folder, on_ring)

    def start(self) -> "Doorbells":
        """Bind this process's doorbell and listen; without one (the folder is not ours) nothing rings it."""
        bell = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for attempt in range(3):
            try:
                self._bind(bell)
                break
            except FileNotFoundError:
                if attempt < 2:
                    continue  # the last process of the file removed the folder meanwhile: make it again
            except OSError:
                pass
            bell.close()
            _log.warning("no doorbell for other processes' writes: polling only", exc_info=True)
            return self
        bell.settimeout(_WAIT_SECONDS)
        self._bell = bell
        self._thread.start()
        self.ring()  # the others look once; doorbells left by killed processes are removed
        return self

    def _bind(self, bell: socket.socket) -> None:
        self._folder.mkdir(mode=0o700, exist_ok=True)
        found = os.lstat(self._folder)
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
            raise PermissionError(f"{self._folder} is not a folder of this user")
        bell.bind(str(self._path))

    def stop(self) -> None:
        """Stop listening and remove this process's doorbell."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._bell is not None:
            self._bell.close()
            with contextlib.suppress(OSError):
                self._path.unlink()
            with contextlib.suppress(OSError):
                self._folder.rmdir()  # only when no other process's doorbell is left in it
        self._sender.close()

    def ring(self, partner_ids: set[int] | None = None) -> None:
        """Ring every other process's doorbell (after a commit that appended to a log); a doorbell nobody
        listens at any more (its process is gone) is removed."""
        try:
            others = [entry.path for entry in os.scandir(self._folder) if entry.path != str(self._path)]
        except OSError:
            return
        for path in others:
            try:
                self._sender.sendto(_RING, path)
            except BlockingIOError:
                continue  # its queue is full: it has rings to take already
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            except OSError:
                _log.debug("ringing %s failed", path, exc_info=True)

    def _run(self) -> None:
        bell = self._bell
        assert bell is not None
        while not self._stop.is_set():
            try:
                bell.recv(16)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            # Take the rings queued behind this one too: one look at the log answers them all.
            bell.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                while bell.recv(16):
                    pass
            bell.settimeout(_WAIT_SECONDS)
            try:
                self._on_ring()
            except Exception:  # the next ring, or the poller's round, tries again
                _log.warning("answering a doorbell failed", exc_info=True)
