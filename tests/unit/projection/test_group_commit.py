"""Group commit: a failing group runs again call by call, but never a group whose transaction committed."""

import threading

import pytest

from gameservices.projection.group_commit import GroupCommit
from gameservices.storage.database import AfterCommitFailed


def _grouped(fail: Exception) -> tuple[list[list[str]], list[BaseException | str]]:
    """Two calls in one group whose run raises `fail`: the runs made and each call's outcome."""
    group = GroupCommit()
    runs: list[list[str]] = []
    outcomes: list[BaseException | str] = []
    lock = threading.Lock()
    first_waits = threading.Event()

    def run(calls: list[str]) -> list[str]:
        if not runs:
            first_waits.wait(5)  # the second call joins while the first leads
        runs.append(list(calls))
        if "b" in calls:  # b's own failure, or its group's commit's
            raise fail
        return [f"{call} done" for call in calls]

    def call(name: str) -> None:
        try:
            outcomes.append(group.run(name, run, lock))
        except Exception as error:
            outcomes.append(error)

    holder = threading.Thread(target=call, args=("lead",))
    holder.start()
    while not group._leading:  # (the first call leads a group of its own)
        pass
    others = [threading.Thread(target=call, args=(name,)) for name in ("a", "b")]
    for thread in others:
        thread.start()
    while len(group._pending) < 2:
        pass
    first_waits.set()
    for thread in (holder, *others):
        thread.join(10)
    return runs, outcomes


def test_a_failing_group_runs_again_call_by_call() -> None:
    runs, outcomes = _grouped(ValueError("bad call"))
    assert runs == [["lead"], ["a", "b"], ["a"], ["b"]]
    assert sorted(map(str, outcomes)) == ["a done", "bad call", "lead done"]


def test_a_group_that_committed_is_not_run_again() -> None:
    runs, outcomes = _grouped(AfterCommitFailed("committed"))
    assert runs == [["lead"], ["a", "b"]]  # its calls are written once, and both told of the failure
    assert sorted(map(str, outcomes)) == ["committed", "committed", "lead done"]


def test_one_call_failing_after_its_commit_fails_alone() -> None:
    group = GroupCommit()
    with pytest.raises(AfterCommitFailed):
        group.run("x", lambda calls: (_ for _ in ()).throw(AfterCommitFailed("committed")), threading.Lock())
