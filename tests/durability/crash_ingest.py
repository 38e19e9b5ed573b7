"""Crash safety of event ingestion: events go in batches of 1,000 with event ids to a ``gameservices serve``
process whose database is taken away at random moments — the server SIGKILLed (SQLite) or PostgreSQL stopped
``-m immediate`` — and after each fault the client re-sends from the last acknowledged batch. The end state must
equal the state of an uninterrupted run, and the database must pass its integrity check.

Standalone, from the repository root: ``python -m tests.durability.crash_ingest --events 1000000 --kills 20 [--database postgres]``.
"""

import argparse
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from gameservices.projection import entries
from gameservices.projection.replay import verify
from gameservices.storage.database import normalize_url
from tests.durability import workload
from tests.durability.processes import PostgresInstance, Server, postgres_binaries

# The name under which tests record their figures (tests/durability/conftest.py prints them).
FIGURES = "durability figures"


@dataclass
class Figures:
    """What one run measured."""

    events: int = 0
    batches: int = 0
    kills: int = 0
    # Faults that cut a request off (the others landed between two requests).
    interrupted: int = 0
    # Batches committed before the fault although their answer never arrived (all duplicates on re-send).
    committed_unanswered: int = 0
    resent_duplicates: int = 0
    recoveries: list[float] = field(default_factory=list)
    # At each SIGKILL (SQLite): how many log entries the derived tables' checkpoint lacked, which the restart
    # then applied from the log.
    behind_checkpoint: list[int] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Fault:
    """How to take the database away (called from a timer thread) and how to bring it back."""

    inject: Callable[[], None]
    recover: Callable[[], float]


def ingest(server: Server, fault: Fault, *, batches: int, kills: int, seed: int) -> Figures:
    """Send every batch once acknowledged, injecting ``kills`` faults at random batches and random moments."""
    chooser = random.Random(seed)
    kill_at = set(chooser.sample(range(1, batches), kills)) if kills else set()
    figures = Figures(batches=batches, events=batches * workload.BATCH_SIZE)
    started = time.monotonic()
    acked, index, durable_until, latency = 0, 0, 0, 0.3
    while index < batches:
        timer = None
        if index in kill_at:
            kill_at.discard(index)
            timer = threading.Timer(chooser.uniform(0, latency), fault.inject)
            timer.start()
        sent = time.monotonic()
        answer = _send(server, workload.batch(seed, index))
        if answer is not None:
            _check_atomic(answer, index, durable_until, figures)
            latency = 0.8 * latency + 0.2 * (time.monotonic() - sent)
            acked = max(acked, index + 1)
        if timer is not None:
            timer.join()
            figures.kills += 1
            figures.interrupted += answer is None
            figures.recoveries.append(fault.recover())
            # Every acknowledged batch must have survived; re-send the last one to prove it.
            durable_until = acked
            index = max(acked - 1, 0)
            continue
        if answer is None:
            raise AssertionError(f"batch {index} failed without a fault")
        index += 1
    figures.seconds = time.monotonic() - started
    return figures


def _send(server: Server, events: list[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        status, answer = server.call("event/send", {"events": events})
    except (httpx.TransportError, ValueError):
        return None
    if status != 200:
        return None
    assert answer["rejected"] == [], answer["rejected"][:3]
    return dict(answer)


def _check_atomic(answer: dict[str, Any], index: int, durable_until: int, figures: Figures) -> None:
    """A batch applies whole or not at all; one acknowledged before a fault is all duplicates afterwards."""
    accepted, duplicates = answer["accepted"], answer["duplicates"]
    assert (accepted, duplicates) in ((workload.BATCH_SIZE, 0), (0, workload.BATCH_SIZE)), (index, answer)
    if index < durable_until:
        assert duplicates == workload.BATCH_SIZE, f"acknowledged batch {index} was lost: {answer}"
    elif duplicates:
        figures.committed_unanswered += 1
    figures.resent_duplicates += duplicates


@dataclass
class Outcome:
    """The end state of a run: engine tables, v1 answers, integrity check output."""

    fingerprint: dict[str, tuple[int, str]]
    answers: Any
    integrity: str
    figures: Figures


def run_once(server: Server, fault: Fault | None, *, batches: int, kills: int, seed: int) -> Outcome:
    """Set up the leaderboard, ingest the stream (with faults when given) and capture the end state."""
    server.start()
    try:
        objects = workload.set_up(server.call)
        quiet = Fault(inject=lambda: None, recover=lambda: 0.0)
        figures = ingest(server, fault or quiet, batches=batches, kills=kills if fault else 0, seed=seed)
        engine = create_engine(normalize_url(server.database_url))
        try:
            with engine.connect() as conn:
                labels = workload.names_by_id(conn, partner_id := int(server.demo["partnerId"]))
            answers = workload.api_answers(server.call, objects, labels)
            # Stopped politely, the server writes a last checkpoint: the tables then hold every entry.
            server.stop()
            with engine.connect() as conn:
                fingerprint = workload.engine_fingerprint(conn, partner_id)
                _check_ledger(conn, partner_id)
                _check_log(conn, partner_id)
                assert _checkpoint(conn, partner_id) == _last_seq(conn, partner_id)
        finally:
            engine.dispose()
    finally:
        server.stop()
    return Outcome(fingerprint, answers, "", figures)


def _behind_checkpoint(conn: sqlite3.Connection, partner_id: int) -> int:
    query = "SELECT p.log_seq - c.seq FROM partners p JOIN log_checkpoints c ON c.partner_id = p.id WHERE p.id = ?"
    return int(conn.execute(query, (partner_id,)).fetchone()[0])


def _checkpoint(conn: Any, partner_id: int) -> int:
    query = text("SELECT seq FROM log_checkpoints WHERE partner_id = :p")
    return int(conn.execute(query, {"p": partner_id}).scalar_one())


def _last_seq(conn: Any, partner_id: int) -> int:
    return int(
        conn.execute(text("SELECT log_seq FROM partners WHERE id = :p"), {"p": partner_id}).scalar_one()
    )


def _check_ledger(conn: Any, partner_id: int) -> None:
    """Each user's total is the sum of their ledger rows."""
    mismatched = conn.execute(
        text(
            "SELECT s.game_object_id, s.user_id, s.score, r.total FROM user_scores s JOIN (SELECT game_object_id, "
            "user_id, SUM(score) AS total FROM user_rule_scores WHERE partner_id = :p "
            "GROUP BY game_object_id, user_id) r ON r.game_object_id = s.game_object_id AND r.user_id = s.user_id "
            "WHERE s.partner_id = :p AND abs(r.total - s.score) > 1e-6"
        ),
        {"p": partner_id},
    ).all()
    assert mismatched == [], mismatched[:5]


def _check_log(conn: Any, partner_id: int) -> None:
    """The event log is gap-free, holds every processed event once, and replays into the stored state."""
    rows = conn.execute(
        text("SELECT seq, kind, body FROM event_log WHERE partner_id = :p ORDER BY seq"), {"p": partner_id}
    ).all()
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    logged = [
        event.event_id
        for row in rows
        if row.kind == entries.EVENTS
        for event in entries.decode_events(row.body)
    ]
    processed = conn.execute(
        text("SELECT COUNT(*) FROM processed_events WHERE partner_id = :p"), {"p": partner_id}
    ).scalar_one()
    assert len(logged) == len(set(logged)) == processed
    verdict = verify(conn, partner_id)
    assert verdict.same, verdict.differences


def sqlite_run(
    workdir: Path, *, batches: int, kills: int, seed: int, env: dict[str, str] | None = None
) -> tuple[Outcome, Outcome]:
    """The uninterrupted run and the run with SIGKILLs, each on its own SQLite file (`env`: the servers'
    settings)."""
    outcomes = []
    for name, faults in (("reference", 0), ("crashed", kills)):
        folder = workdir / name
        folder.mkdir(parents=True)
        server = Server(f"sqlite:///{folder / 'gameservices.db'}", folder, env)

        behind: list[int] = []

        def restart(server: Server = server, folder: Path = folder, behind: list[int] = behind) -> float:
            server.kill()
            with sqlite3.connect(folder / "gameservices.db") as killed:
                behind.append(_behind_checkpoint(killed, int(server.demo["partnerId"])))
            return server.start()

        fault = Fault(inject=server.kill, recover=restart) if faults else None
        outcome = run_once(server, fault, batches=batches, kills=faults, seed=seed)
        outcome.figures.behind_checkpoint = behind
        with sqlite3.connect(folder / "gameservices.db") as checked:
            outcome.integrity = str(checked.execute("PRAGMA integrity_check").fetchone()[0])
        outcomes.append(outcome)
    return outcomes[0], outcomes[1]


def postgres_run(
    instance: PostgresInstance, workdir: Path, *, batches: int, kills: int, seed: int
) -> tuple[Outcome, Outcome]:
    """The uninterrupted run and the run with PostgreSQL stopped ``-m immediate``, on two databases of one cluster."""
    outcomes = []
    for name, faults in (("reference", 0), ("crashed", kills)):
        folder = workdir / name
        folder.mkdir(parents=True)
        database = f"durability_{name}_{seed}"
        server = Server(instance.create_database(database), folder)
        fault = Fault(inject=instance.stop_immediate, recover=instance.start) if faults else None
        outcome = run_once(server, fault, batches=batches, kills=faults, seed=seed)
        outcome.integrity = instance.amcheck(database).strip() or "ok"
        outcomes.append(outcome)
    return outcomes[0], outcomes[1]


def assert_same_state(reference: Outcome, crashed: Outcome) -> None:
    """Every engine table, every v1 answer and the integrity checks agree with the uninterrupted run."""
    assert (reference.integrity, crashed.integrity) == ("ok", "ok")
    for table, printed in reference.fingerprint.items():
        assert crashed.fingerprint[table] == printed, table
    assert crashed.answers == reference.answers


def summary(database: str, reference: Outcome, crashed: Outcome) -> str:
    """One line of figures for the test output."""
    figures = crashed.figures
    slowest = max(figures.recoveries, default=0.0)
    return (
        f"crash safety on {database}: {figures.events:,} events in {figures.batches:,} batches, "
        f"{figures.kills} faults ({figures.interrupted} mid-request, {figures.committed_unanswered} committed "
        f"but unanswered), {figures.resent_duplicates:,} duplicates re-sent, slowest recovery {slowest:.1f} s, "
        f"{figures.seconds:.1f} s with faults vs {reference.figures.seconds:.1f} s without; "
        f"integrity: {crashed.integrity}; "
        + (
            f"log entries after the checkpoint at each kill: {figures.behind_checkpoint}; "
            if figures.behind_checkpoint
            else ""
        )
        + "tables: "
        + ", ".join(f"{table} {count}" for table, (count, _) in crashed.fingerprint.items())
    )


def main() -> None:
    """Run the comparison from the command line and exit non-zero when the states differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events to ingest (a multiple of 1,000)"
    )
    parser.add_argument("--kills", type=int, default=20, help="faults to inject")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    options = parser.parse_args()
    batches = options.events // workload.BATCH_SIZE
    with tempfile.TemporaryDirectory(prefix="gameservices-crash.") as folder:
        if options.database == "sqlite":
            reference, crashed = sqlite_run(
                Path(folder), batches=batches, kills=options.kills, seed=options.seed
            )
        else:
            binaries = postgres_binaries()
            if binaries is None:
                sys.exit("no PostgreSQL binaries under /usr/lib/postgresql")
            instance = PostgresInstance(binaries)
            try:
                instance.start()
                reference, crashed = postgres_run(
                    instance, Path(folder), batches=batches, kills=options.kills, seed=options.seed
                )
            finally:
                instance.close()
    print(summary(options.database, reference, crashed))
    same = crashed.fingerprint == reference.fingerprint and crashed.answers == reference.answers
    sys.exit(0 if same and crashed.integrity == "ok" else "the state after the faults differs")


if __name__ == "__main__":
    main()
