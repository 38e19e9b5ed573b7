"""The scheduler: a background thread that runs due ``scheduledGameObject`` transitions every half second,
inside ``gameservices serve`` or on its own as ``gameservices worker``.

Several processes may run it on one database: each transition runs in its own transaction, which claims the
transition's row under a lock and checks that it is still pending, so it runs exactly once; a transition left
pending by a stopped process is simply found again by the next look.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import GameServicesError
from gameservices.projection.live import LiveState
from gameservices.services.access import session as access_session
from gameservices.services.catalog import scheduler_jobs
from gameservices.services.periods import close as period_close
from gameservices.services.scoring import analytics
from gameservices.storage import event_log
from gameservices.storage.database import Engine, read_transaction, write_transaction
from gameservices.storage.schedules import ScheduleRecord, is_passing_failure

# Due transitions run within this delay (plus their own short transactions): well inside the 2 seconds promised.
INTERVAL_SECONDS = 0.5
# Transitions looked at per pass; a fuller backlog (after downtime) is worked through without pausing.
BATCH_SIZE = 100
# Viewing sessions of the player's beacons idle for an hour are dropped this often.
IDLE_SESSIONS_EVERY_SECONDS = 300.0
# The use counts of expired KSs (`actionslimit`) are dropped this often.
EXPIRED_KS_USES_EVERY_SECONDS = 300.0
_log = logging.getLogger(__name__)

# A job runs once per tick and answers whether it has more work ready right away.
Job = Callable[[], bool]


class Scheduler:
    """A thread running its jobs every interval until ``stop``."""

    def __init__(self, jobs: Sequence[Job], *, interval_seconds: float = INTERVAL_SECONDS) -> None:
        self._jobs = tuple(jobs)
        self._interval = interval_seconds
        self._stopping = threading.Event()
        # A daemon thread never holds up the process's exit; ``stop`` is the orderly way out.
        self._thread = threading.Thread(target=self._loop, name="gameservices-scheduler", daemon=True)

    @property
    def running(self) -> bool:
        """Whether the scheduler's thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it; a transition already begun finishes (or rolls back) first."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            if not self._tick():
                self._stopping.wait(self._interval)

    def _tick(self) -> bool:
        more = False
        for job in self._jobs:
            if self._stopping.is_set():
                return False
            try:
                more = job() or more
            except Exception:
                # The loop must outlive a failing database or a bug; the next tick tries again.
                _log.exception("a scheduler job failed")
        return more


class LogRetention:
    """The scheduler job that deletes event log entries older than the retention, at most once a minute (in
    chunks, so no transaction grows large); several processes may run it at once."""

    CHUNK = 5_000
    EVERY_SECONDS = 60.0

    def __init__(self, engine: Engine, *, days: int) -> None:
        self._engine = engine
        self._days = days
        self._next = 0.0

    def __call__(self) -> bool:
        """Delete one chunk when due; True when a full chunk went (more may be waiting)."""
        if time.monotonic() < self._next:
            return False
        with write_transaction(self._engine) as conn:
            deleted = event_log.delete_older_than(conn, now_ms() - self._days * 86_400_000, limit=self.CHUNK)
        if deleted < self.CHUNK:
            self._next = time.monotonic() + self.EVERY_SECONDS
        return deleted == self.CHUNK


@dataclass(frozen=True)
class TransitionPass:
    """What one look for due transitions found and ran."""

    due: int
    ran: tuple[ScheduleRecord, ...]


class Every:
    """A job run at most once every so many seconds (the first tick runs it)."""

    def __init__(
        self, seconds: float, job: Callable[[], object], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds, self._job, self._clock = seconds, job, clock
        self._next = 0.0

    def __call__(self) -> bool:
        now = self._clock()
        if now >= self._next:
            self._next = now + self._seconds
            self._job()
        return False


def start_scheduler(
    engine: Engine,
    *,
    interval_seconds: float = INTERVAL_SECONDS,
    log_retention_days: int = 0,
    live: LiveState | None = None,
) -> Scheduler:
    """Start running due scheduled transitions and period closes, forgetting idle player sessions and the use
    counts of expired KSs, and (when days are given) the event log's retention in a background thread; call
    ``stop()`` on the result. Closes rank
    the period in `live` (the server's states; a state of its own when None)."""
    idle_sessions = partial(_forget_idle_sessions, engine)
    live = live if live is not None else LiveState()
    jobs: list[Job] = [
        partial(_transitions_job, engine, live),
        partial(_periods_job, engine, live),
        Every(IDLE_SESSIONS_EVERY_SECONDS, idle_sessions),
        Every(EXPIRED_KS_USES_EVERY_SECONDS, partial(forget_expired_ks_uses, engine)),
    ]
    if log_retention_days > 0:
        jobs.append(LogRetention(engine, days=log_retention_days))
    scheduler = Scheduler(jobs, interval_seconds=interval_seconds)
    scheduler.start()
    return scheduler


def run_due_transitions(
    engine: Engine, *, limit: int = BATCH_SIZE, live: LiveState | None = None
) -> TransitionPass:
    """Run the transitions due now (at most ``limit``), earliest first, each in its own transaction (a write of
    its partner: `live` holds the partners' states, a state of its own when None)."""
    with read_transaction(engine) as conn:
        due = scheduler_jobs.due(conn, now=now_ms(), limit=limit)
    states = live if live is not None else LiveState()
    ran = [outcome for outcome in (run_transition(engine, states, schedule) for schedule in due) if outcome]
    return TransitionPass(due=len(due), ran=tuple(ran))


def run_transition(engine: Engine, live: LiveState, schedule: ScheduleRecord) -> ScheduleRecord | None:
    """Run one due transition; returns it ``done`` or ``failed``, or None when it was not ours to run."""
    try:
        with live.transaction(engine, schedule.partner_id) as (_, conn):
            outcome = scheduler_jobs.execute(conn, schedule=schedule, now=now_ms())
    except GameServicesError as error:
        reason = error.message
    except Exception as error:
        if is_passing_failure(error):
            _log.warning("scheduledGameObject %s: will try again (%s)", schedule.id, error)
            return None
        _log.exception("scheduledGameObject %s failed unexpectedly", schedule.id)
        reason = f"Internal error ({type(error).__name__})"
    else:
        _report(outcome)
        return outcome
    # The failed attempt was rolled back whole; the failure is recorded in a transaction of its own.
    with write_transaction(engine) as conn:
        outcome = scheduler_jobs.fail(conn, schedule=schedule, now=now_ms(), reason=reason)
    _report(outcome)
    return outcome


def _forget_idle_sessions(engine: Engine) -> None:
    forgotten = analytics.forget_idle_sessions(engine, now=time.time())
    if forgotten:
        _log.info("forgot %d idle player sessions", forgotten)


def forget_expired_ks_uses(engine: Engine) -> int:
    """The job dropping the use counts of expired KSs; how many went."""
    forgotten = access_session.forget_expired_uses(engine, now=time.time())
    if forgotten:
        _log.info("forgot the use counts of %d expired KSs", forgotten)
    return forgotten


def _transitions_job(engine: Engine, live: LiveState) -> bool:
    return run_due_transitions(engine, live=live).due >= BATCH_SIZE


def _periods_job(engine: Engine, live: LiveState) -> bool:
    return period_close.close_due(engine, live, now=now_ms(), limit=BATCH_SIZE) >= BATCH_SIZE


def _report(outcome: ScheduleRecord | None) -> None:
    if outcome is None:
        return
    level = logging.INFO if outcome.status == "done" else logging.WARNING
    _log.log(
        level,
        "scheduledGameObject %s %s: %s %s %s (due %s)%s",
        outcome.id,
        outcome.status,
        outcome.scheduled_action,
        outcome.game_object_type,
        outcome.game_object_id,
        format_ms(outcome.scheduled_date),
        f": {outcome.error}" if outcome.error else "",
    )
