"""The processes the crash runs start and stop: a ``gameservices serve`` process and a private PostgreSQL instance.
Each is stopped through the PID it was started with; nothing else on the machine is touched."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REQUEST_TIMEOUT = 300.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A ``gameservices serve`` process on one database, restartable on the same port."""

    def __init__(self, database_url: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.demo: dict[str, Any] = {}
        self.client = httpx.Client(timeout=REQUEST_TIMEOUT)

    def start(self) -> float:
        """Start the process and wait until it answers; return the seconds that took."""
        started = time.monotonic()
        env = {
            **os.environ,
            "GAMESERVICES_DATABASE_URL": self.database_url,
            "GAMESERVICES_VALIDATE_CERTIFICATE_BACKGROUNDS": "false",
            **self.env,
        }
        command = [
            sys.executable,
            "-m",
            "gameservices",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=log, stderr=log)
        self._wait_until_up()
        if not self.demo:
            self.demo = self._demo_partner()
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the process (no shutdown of any kind) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        """Stop the process the polite way."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def call(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /api/v1/<path> as the demo partner's admin."""
        headers = {"Authorization": f"Bearer {self.demo['ks']}"}
        response = self.client.post(f"{self.base}/api/v1/{path}", json=body, headers=headers)
        return response.status_code, response.json()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not come up; see {self.log}")

    def _demo_partner(self) -> dict[str, Any]:
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        raise RuntimeError(f"the server printed no demo partner; see {self.log}")


def postgres_binaries() -> Path | None:
    """The newest installed PostgreSQL server binaries, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresInstance:
    """A PostgreSQL cluster of its own: initdb into a temporary directory, its own port on 127.0.0.1."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="gameservices-durability-pg."))
        self.data = self.root / "data"
        self.port = free_port()
        self.pid: int | None = None
        if os.geteuid() == 0:
            # initdb refuses to run as root; the cluster belongs to the postgres user, as in .ci/run.
            shutil.chown(self.root, user="postgres")
        self._run(f"{binaries}/initdb -D {self.data} -A trust -U postgres")

    def url(self, database: str) -> str:
        """The URL of a database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> float:
        """Start the cluster (crash recovery included) and wait until it accepts connections; return seconds."""
        started = time.monotonic()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
        self._run(f"{self.binaries}/pg_ctl -D {self.data} -o '{options}' -l {self.root}/log -w start")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return time.monotonic() - started

    def stop_immediate(self) -> None:
        """``pg_ctl stop -m immediate``: every server process quits at once, without a checkpoint."""
        self._run(f"{self.binaries}/pg_ctl -D {self.data} -m immediate -w stop")
        self.pid = None

    def create_database(self, name: str) -> str:
        """Create a database and return its URL."""
        self._run(f"{self.binaries}/createdb -h 127.0.0.1 -p {self.port} -U postgres {name}")
        return self.url(name)

    def amcheck(self, database: str) -> str:
        """Run pg_amcheck (heap and every index) on a database; return its output (empty when all is well)."""
        command = (
            f"{self.binaries}/pg_amcheck --install-missing --heapallindexed -h 127.0.0.1 -p {self.port} "
            f"-U postgres {database}"
        )
        return self._run(command)

    def close(self) -> None:
        """Stop the cluster and remove its files."""
        if self.pid is not None:
            try:
                self._run(f"{self.binaries}/pg_ctl -D {self.data} -m fast -w stop")
            except subprocess.CalledProcessError:
                os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, command: str) -> str:
        argv = ["su", "postgres", "-c", command] if os.geteuid() == 0 else ["sh", "-c", command]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
        return done.stdout + done.stderr
