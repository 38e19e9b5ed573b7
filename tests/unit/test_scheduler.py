"""The scheduler's loop: its timing, its resilience and its stopping, with jobs that touch no database."""

import threading
import time

from gameservices.scheduler import Scheduler


class CountingJob:
    """A job that counts its runs and answers ``more`` for its first ``busy`` runs."""

    def __init__(self, *, busy: int = 0, fail_first: bool = False) -> None:
        self.runs = 0
        self.busy = busy
        self.fail_first = fail_first
        self.ran = threading.Event()

    def __call__(self) -> bool:
        self.runs += 1
        self.ran.set()
        if self.fail_first and self.runs == 1:
            raise RuntimeError("the database is away")
        return self.runs <= self.busy


def run_for(scheduler: Scheduler, seconds: float) -> None:
    """Let a scheduler run for a while, then stop it."""
    scheduler.start()
    time.sleep(seconds)
    scheduler.stop()


def test_a_job_runs_once_per_interval() -> None:
    job = CountingJob()
    run_for(Scheduler([job], interval_seconds=0.1), 0.55)
    # Ticks at 0, 0.1, ..., 0.5 s: six, fewer on a busy machine, never a busy loop.
    assert 3 <= job.runs <= 7


def test_a_job_with_more_work_runs_again_without_waiting() -> None:
    job = CountingJob(busy=50)
    run_for(Scheduler([job], interval_seconds=10), 0.3)
    assert job.runs == 51


def test_a_failing_job_does_not_end_the_loop() -> None:
    job = CountingJob(fail_first=True)
    other = CountingJob()
    run_for(Scheduler([job, other], interval_seconds=0.05), 0.3)
    assert job.runs >= 3 and other.runs >= 3


def test_stop_ends_a_long_wait_at_once() -> None:
    job = CountingJob()
    scheduler = Scheduler([job], interval_seconds=3600)
    scheduler.start()
    assert job.ran.wait(5)
    asked = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - asked < 0.5
    assert not scheduler.running and job.runs == 1


def test_stop_before_start_is_harmless() -> None:
    scheduler = Scheduler([CountingJob()])
    scheduler.stop()
    assert not scheduler.running
