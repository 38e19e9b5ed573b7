"""The lock of a partner's state: readers at once, one changing thread, no writer starved, no silent upgrade."""

import threading
import time
from collections.abc import Callable

import pytest

from gameservices.projection.locks import SharedLock

WAIT = 10.0


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _holding_shared(lock: SharedLock) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """A thread holding the lock shared until `release` is set; `held` is set once it does."""
    held, release = threading.Event(), threading.Event()

    def reader() -> None:
        with lock.shared():
            held.set()
            release.wait(WAIT)

    thread = _in_thread(reader)
    assert held.wait(WAIT)
    return held, release, thread


def test_readers_hold_it_at_once() -> None:
    lock = SharedLock()
    _, release, thread = _holding_shared(lock)
    try:
        assert lock.acquire_shared(blocking=False)
        lock.release_shared()
    finally:
        release.set()
        thread.join(WAIT)


def test_a_writer_waits_for_the_readers_and_keeps_new_ones_out() -> None:
    lock = SharedLock()
    _, release, reader = _holding_shared(lock)
    writing = threading.Event()

    def writer() -> None:
        with lock.exclusive():
            writing.set()

    thread = _in_thread(writer)
    try:
        assert not writing.wait(0.2)  # the reader still reads
        # A writer waits: a new reader would have to wait behind it.
        assert not lock.acquire_shared(blocking=False)
    finally:
        release.set()
    assert writing.wait(WAIT)
    thread.join(WAIT)
    reader.join(WAIT)
    assert lock.acquire_shared(blocking=False)
    lock.release_shared()


def test_a_reader_nests_holds_while_a_writer_waits() -> None:
    lock = SharedLock()
    nested = threading.Event()
    waiting = threading.Event()
    release = threading.Event()

    def reader() -> None:
        with lock.shared():
            waiting.wait(WAIT)  # a writer is waiting now
            with lock.shared():  # would deadlock if waiting writers kept a reader's own holds out
                nested.set()
            release.wait(WAIT)

    def writer() -> None:
        waiting.set()
        with lock.exclusive():
            pass

    first = _in_thread(reader)
    second = _in_thread(writer)
    assert nested.wait(WAIT)
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert not first.is_alive() and not second.is_alive()


def test_while_a_thread_changes_it_nobody_else_reads() -> None:
    lock = SharedLock()
    with lock.exclusive():
        read: list[bool] = []
        thread = _in_thread(lambda: read.append(lock.acquire_shared(blocking=False)))
        thread.join(WAIT)
        assert read == [False]
    thread = _in_thread(lambda: read.append(lock.acquire_shared(blocking=False)))
    thread.join(WAIT)
    assert read == [False, True]


def test_the_changing_thread_may_read_and_change_again() -> None:
    lock = SharedLock()
    with lock.exclusive():
        with lock.shared(), lock.exclusive():
            assert lock.held_exclusively
        assert lock.held_exclusively
    assert not lock.held_exclusively
    with lock.shared():  # free again
        pass


def test_a_reader_cannot_start_changing_it() -> None:
    lock = SharedLock()
    with lock.shared(), pytest.raises(RuntimeError, match="cannot change it"):
        lock.acquire_exclusive()
    with lock.exclusive():  # the refused attempt left nothing behind
        pass


def test_releasing_a_hold_not_held_is_an_error() -> None:
    lock = SharedLock()
    with pytest.raises(RuntimeError):
        lock.release_shared()
    with pytest.raises(RuntimeError):
        lock.release_exclusive()


def test_many_threads_never_see_a_change_half_made() -> None:
    lock = SharedLock()
    pair = [0, 0]  # a writer moves both; a reader must see them equal, and steady while it reads
    torn: list[tuple[int, int]] = []
    rounds = 300

    def writer() -> None:
        for _ in range(rounds):
            with lock.exclusive():
                pair[0] += 1
                time.sleep(0.0001)  # let another thread run mid-change
                pair[1] += 1
            time.sleep(0.0001)  # (writers that never pause would keep the readers out to the end)

    def reader() -> None:
        for _ in range(rounds):
            with lock.shared():
                seen = (pair[0], pair[1])
                time.sleep(0.0001)
                if seen[0] != seen[1] or seen != (pair[0], pair[1]):  # half made, or moved while read
                    torn.append(seen)

    threads = [_in_thread(writer) for _ in range(3)] + [_in_thread(reader) for _ in range(5)]
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert torn == []
    assert pair == [3 * rounds, 3 * rounds]
