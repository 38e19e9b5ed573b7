"""Threads racing for database row locks in a test: wait for them, and break a deadlock so that the session goes
on."""

import threading

from sqlalchemy import Engine, text


def join_or_unstick(engine: Engine, threads: list[threading.Thread], seconds: float = 15) -> list[str]:
    """Wait up to `seconds` for each thread; the names of those still running (a deadlock), whose waits for row
    locks are then cancelled (PostgreSQL) so that they end."""
    for thread in threads:
        thread.join(seconds)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            conn.commit()
        for thread in threads:
            thread.join(10)
    return stuck
