"""`gameservices serve --workers N` whose parent process is killed with SIGKILL: its workers must not go on
serving the port on their own. Nobody replaces them, nobody stops them (a SIGTERM to a restarted parent reaches
only its own workers), and a restarted `serve --workers N` binds the same port beside them (SO_REUSEPORT), so the
port would be answered by workers of the old process and of the new one at random."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests import serving


def _children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(word) for word in listed.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_of_a_killed_parent_stop_serving(tmp_path: Path) -> None:
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    parent = serving.start(
        f"sqlite:///{tmp_path / 'gameservices.db'}", tmp_path, port, "--workers", "2", log=log
    )
    workers: list[int] = []
    try:
        serving.wait_until_up(base, log, process=parent, timeout=120)
        workers = _children(parent.pid)
        assert len(workers) >= 2, workers
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        left = [pid for pid in workers if _alive(pid)]
        try:
            answered = httpx.get(f"{base}/health", timeout=2).status_code
        except httpx.TransportError:
            answered = None
        assert (left, answered) == ([], None), (
            f"15 s after the parent was killed, its processes {left} still run and the port answers {answered}"
        )
    finally:
        if parent.poll() is None:
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_restart_after_the_parent_was_killed_answers_from_its_own_database_only(tmp_path: Path) -> None:
    # The service is started again on the same port after its parent was killed, on another database (moved,
    # restored from a backup): every answer must come from the new one.
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    old_folder, new_folder = tmp_path / "old", tmp_path / "new"
    old_log, new_log = tmp_path / "old.log", tmp_path / "new.log"
    old = serving.start(f"sqlite:///{tmp_path / 'old.db'}", old_folder, port, "--workers", "2", log=old_log)
    new: subprocess.Popen[bytes] | None = None
    workers: list[int] = []
    try:
        serving.wait_until_up(base, old_log, process=old, timeout=120)
        workers = _children(old.pid)
        os.kill(old.pid, signal.SIGKILL)
        old.wait()
        new = serving.start(
            f"sqlite:///{tmp_path / 'new.db'}", new_folder, port, "--workers", "2", log=new_log
        )
        ks = serving.demo_partner(new_log, process=new, timeout=120)["ks"]
        deadline = time.monotonic() + 120
        while len([pid for pid in _children(new.pid) if _alive(pid)]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(8)  # the new workers load and listen
        statuses = []
        for _ in range(40):
            answer = httpx.post(
                f"{base}/api/v1/leaderboard/list",
                json={},
                headers={"Authorization": f"Bearer {ks}"},
                timeout=30,
            )
            statuses.append(answer.status_code)
        assert statuses.count(200) == 40, f"answers of 40 calls with the new database's KS: {statuses}"
    finally:
        for process in (old, new):
            if process is not None:
                serving.stop(process)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
