"""Two ``gameservices worker`` processes on one database apply 200 due transitions exactly once each."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from gameservices.domain.timefmt import now_ms
from gameservices.services.access.partner import create_partner
from gameservices.services.catalog import game_objects
from gameservices.services.catalog import scheduled_game_object as schedule_service
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade
from gameservices.storage.partners import read_versions
from gameservices.storage.schema import game_objects as game_object_table
from gameservices.storage.schema import scheduled_game_objects as schedule_table
from tests.conftest import POSTGRES_URL, postgres_database

OBJECTS = 100
# The worker command as the CLI registers it; both look for due transitions almost continuously, so that they
# race for the same rows.
WORKER = [
    "-c",
    "import typer; from gameservices.cli.worker import worker; typer.run(worker)",
    "--interval",
    "0.05",
]
RAN = re.compile(r"scheduledGameObject (\w+) done:")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database shared by the test and its worker processes."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        url = postgres_database("workers")
    else:
        url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


class Worker:
    """A ``gameservices worker`` process with its output in files."""

    def __init__(self, url: str, directory: Path, name: str) -> None:
        self.stdout = directory / f"{name}.out"
        self.stderr = directory / f"{name}.err"
        env = {**os.environ, "GAMESERVICES_DATABASE_URL": url}
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen([sys.executable, *WORKER], env=env, stdout=out, stderr=err)

    def wait_until_running(self) -> None:
        """Wait for the line the worker prints once its scheduler runs."""
        deadline = time.monotonic() + 30
        while "Running scheduled transitions" not in self.stdout.read_text():
            assert self.process.poll() is None, self.stderr.read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM the worker and return its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def ran(self) -> list[str]:
        """The ids of the transitions this worker logged as done."""
        return RAN.findall(self.stderr.read_text())


def plan_objects(engine: Engine) -> tuple[int, list[str]]:
    """A partner with scheduled leaderboards."""
    with write_transaction(engine) as conn:
        partner_id: int = create_partner(conn, name="workers")["partnerId"]
        fields = {"status": "scheduled", "startDate": 0, "endDate": 10**13, "virtualEventIds": ["1"]}
        ids = [
            game_objects.create(
                conn, partner_id=partner_id, kind=LEADERBOARD, fields={**fields, "name": f"challenge {n}"}
            ).id
            for n in range(OBJECTS)
        ]
    return partner_id, ids


def plan_transitions(engine: Engine, partner_id: int, object_ids: list[str]) -> set[str]:
    """Two overdue transitions per leaderboard: the first half ends disabled, the second half enabled."""
    due = now_ms() - 1000
    planned: set[str] = set()
    with write_transaction(engine) as conn:
        for number, object_id in enumerate(object_ids):
            actions = ("enable", "disable") if number < OBJECTS // 2 else ("disable", "enable")
            for offset, action in enumerate(actions):
                fields = {
                    "gameObjectType": "leaderboard",
                    "gameObjectId": object_id,
                    "scheduledAction": action,
                    "scheduledDate": due + offset,
                }
                planned.add(schedule_service.create(conn, partner_id=partner_id, fields=fields).id)
    return planned


def wait_until_none_pending(engine: Engine, partner_id: int) -> None:
    """Poll until the partner has no pending transition left."""
    deadline = time.monotonic() + 20
    query = select(schedule_table.c.id).where(
        (schedule_table.c.partner_id == partner_id) & (schedule_table.c.status == "pending")
    )
    while True:
        with read_transaction(engine) as conn:
            if conn.execute(query).first() is None:
                return
        assert time.monotonic() < deadline, "transitions still pending after 20 seconds"
        time.sleep(0.1)


def test_two_workers_run_each_due_transition_exactly_once(database_url: str, tmp_path: Path) -> None:
    engine = open_engine(database_url)
    partner_id, object_ids = plan_objects(engine)
    workers = [Worker(database_url, tmp_path, name) for name in ("first", "second")]
    try:
        for worker in workers:
            worker.wait_until_running()
        with read_transaction(engine) as conn:
            rules_before = read_versions(conn, partner_id)[1]
        planned = plan_transitions(engine, partner_id, object_ids)
        wait_until_none_pending(engine, partner_id)
    finally:
        exit_codes = [worker.stop() for worker in workers]
    assert exit_codes == [0, 0]

    # Each run bumps the partner's rules version once: the count of runs in the database.
    with read_transaction(engine) as conn:
        assert read_versions(conn, partner_id)[1] - rules_before == 2 * OBJECTS
        rows = conn.execute(
            select(schedule_table.c.id, schedule_table.c.status, schedule_table.c.executed_at).where(
                schedule_table.c.partner_id == partner_id
            )
        ).all()
        statuses = dict(
            conn.execute(
                select(game_object_table.c.id, game_object_table.c.status).where(
                    game_object_table.c.partner_id == partner_id
                )
            ).all()
        )
    engine.dispose()
    assert {row.id for row in rows} == planned
    assert {row.status for row in rows} == {"done"} and all(row.executed_at for row in rows)
    assert [statuses[object_id] for object_id in object_ids] == ["disabled"] * 50 + ["enabled"] * 50
    # And each run was logged by exactly one worker. Both read the same due list and try every transition on it;
    # each try takes the partner's row lock first, so they take turns, and which of them runs a transition (and
    # which then finds it done) is up to timing: one of them may well run them all.
    logged = [worker.ran() for worker in workers]
    assert Counter(logged[0] + logged[1]) == Counter(planned)
