"""Group commit: the write calls of one partner that arrive while a group is being committed wait, and the next
group takes them all, so many calls share one durable commit and still no call returns before its own data is
committed."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gameservices.storage.database import AfterCommitFailed

__all__ = ["GroupCommit"]

Call = TypeVar("Call")
Result = TypeVar("Result")


@dataclass(slots=True)
class _Pending(Generic[Call]):
    """A call waiting for its group: its outcome is set by the thread that ran the group."""

    call: Call
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """The calls of one partner waiting to be written, and whether a group is being written now."""

    def __init__(self) -> None:
        self._pending: list[_Pending[Any]] = []
        self._leading = False
        self._turn = threading.Condition()

    def run(
        self,
        call: Call,
        run: Callable[[list[Call]], Sequence[Result]],
        lock: "threading.Lock",
    ) -> Result:
        """Run `call` together with the other waiting calls, holding `lock` (the writer turn); return its
        own result. `run` gets the calls in arrival order and returns one result per call, within one
        transaction that it commits before returning. A failing group is run again one call at a time, so a
        bad call fails alone (but not one whose failure came after its commit: AfterCommitFailed)."""
        pending: _Pending[Call] = _Pending(call)
        group: list[_Pending[Call]] = []
        with self._turn:
            self._pending.append(pending)
            while self._leading and not pending.done:
                self._turn.wait()
            if not pending.done:  # no group runs now: this call leads the next one, with all that waits
                self._leading = True
                group, self._pending = self._pending, []
        if group:
            try:
                with lock:
                    _run_group(group, run)
            finally:
                with self._turn:
                    for member in group:
                        if not member.done:
                            member.error, member.done = (
                                RuntimeError("the group of calls was interrupted"),
                                True,
                            )
                    self._leading = False
                    self._turn.notify_all()
        if pending.error is not None:
            raise pending.error
        result: Result = pending.result
        return result


def _run_group(group: list[_Pending[Call]], run: Callable[[list[Call]], Sequence[Result]]) -> None:
    try:
        results = run([pending.call for pending in group])
    except Exception as error:
        if len(group) == 1 or isinstance(error, AfterCommitFailed):  # (committed: never written twice)
            for pending in group:
                pending.error, pending.done = error, True
            return
        for pending in group:
            _run_group([pending], run)
        return
    for pending, result in zip(group, results, strict=True):
        pending.result, pending.done = result, True
