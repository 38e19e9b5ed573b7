"""On SQLite a serving process looks at the followed partners' log seqs every 10 ms (`LogPoller`): one read. A read
never takes SQLite's write lock, so polling must neither hold other processes' writers up nor wait for them: an
idle process following hundreds of partners leaves the write lock free for the others, and another process's
long write transaction (an import, a checkpoint) does not stop it from noticing entries committed before it."""

import sqlite3
import threading
import time
from pathlib import Path

from gameservices.services.access.partner import create_partner
from gameservices.storage.database import open_engine, write_transaction
from gameservices.storage.log_wakeups import LogPoller
from gameservices.storage.migrate import upgrade
from tests import serving

PARTNERS = 500


def _database_with_partners(path: Path, count: int) -> list[int]:
    engine = open_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with write_transaction(engine) as conn:
            return [int(create_partner(conn, name=f"partner {n}")["partnerId"]) for n in range(count)]
    finally:
        engine.dispose()


def test_an_idle_process_following_many_partners_leaves_the_write_lock_to_others(tmp_path: Path) -> None:
    database = tmp_path / "gameservices.db"
    _database_with_partners(database, PARTNERS)
    port = serving.free_port()
    log = tmp_path / "server.log"
    process = serving.start(
        f"sqlite:///{database}", tmp_path, port, log=log, env={"GAMESERVICES_CREATE_DEMO_PARTNER": "false"}
    )
    try:
        serving.wait_until_up(f"http://127.0.0.1:{port}", log, process=process)
        time.sleep(1.0)  # every partner loaded and followed; nothing is written from now on
        # Another process's writer that does not sleep on SQLite's busy handler: it finds the lock free each time
        # unless someone holds it.
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        locked = taken = 0
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    raise
                locked += 1
            else:
                other.execute("ROLLBACK")
                taken += 1
            time.sleep(0.001)
        other.close()
    finally:
        serving.stop(process)
    assert taken > 100
    assert locked == 0, f"an idle server held the write lock at {locked} of {locked + taken} tries"


def test_another_process_holding_the_write_lock_does_not_stall_polling(tmp_path: Path) -> None:
    database = tmp_path / "gameservices.db"
    [partner_id] = _database_with_partners(database, 1)
    engine = open_engine(f"sqlite:///{database}")
    woken = threading.Event()
    # Another process's long write transaction (an import, say) holds the write lock.
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    # The state follows the partner one entry behind the log: the first round finds it grew.
    poller = LogPoller(engine, lambda: {partner_id: -1}, lambda _partners: woken.set()).start()
    try:
        noticed = woken.wait(1.5)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        poller.stop()
        engine.dispose()
    assert noticed, "the poller waited for another process's write transaction to read the log seqs"
