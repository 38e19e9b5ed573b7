"""LiveState.cached_page: a rendered page only for a fresh enough state, and never a wait."""

import threading

from gameservices.projection.live import LiveState

KEY = ("board", None, 0, 25)


def _live_with_page() -> LiveState:
    live = LiveState()
    state = live.partner(7)
    state.recompile()  # no rules: loaded
    state.set_versions(5, 2)
    state.keep_page(KEY, b"page")
    return live


def test_a_page_of_a_fresh_enough_state_is_answered() -> None:
    live = _live_with_page()
    assert live.cached_page(7, (5, 2), KEY) == b"page"
    assert live.cached_page(7, (4, 1), KEY) == b"page"  # the state is newer than the versions read
    assert live.cached_page(7, (5, 2), ("other", None, 0, 25)) is None
    assert live.cached_page(8, (0, 0), KEY) is None


def test_no_page_for_a_state_behind_or_pages_of_an_older_state() -> None:
    live = _live_with_page()
    assert live.cached_page(7, (6, 2), KEY) is None
    assert live.cached_page(7, (5, 3), KEY) is None
    live.partner(7).set_versions(6, 2)  # changed since the pages were rendered
    assert live.cached_page(7, (6, 2), KEY) is None


def test_a_writer_applying_changes_means_no_answer_rather_than_a_wait() -> None:
    live = _live_with_page()
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with live.partner(7).lock.exclusive():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(10)
    try:
        assert live.cached_page(7, (5, 2), KEY) is None
    finally:
        release.set()
        thread.join(10)
    assert live.cached_page(7, (5, 2), KEY) == b"page"
