"""The processes the crash runs start and stop: a ``gameservices serve`` process and a private PostgreSQL instance.
Each is stopped through the PID it was started with; nothing else on the machine is touched."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests import serving

REQUEST_TIMEOUT = 300.0


class Server:
    """A ``gameservices serve`` process on one database, restartable on the same port."""

    def __init__(self, database_url: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.env = env or {}
        self.port = serving.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.demo: dict[str, Any] = {}
        self.client = httpx.Client(timeout=REQUEST_TIMEOUT)

    def start(self) -> float:
        """Start the process and wait until it answers; return the seconds that took."""
        started = time.monotonic()
        self.process = serving.start(self.database_url, self.workdir, self.port, log=self.log, env=self.env)
        serving.wait_until_up(self.base, self.log, process=self.process)
        if not self.demo:
            self.demo = serving.demo_partner(self.log, process=self.process)
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the process (no shutdown of any kind) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        """Stop the process the polite way."""
        if self.process is not None:
            serving.stop(self.process)

    def call(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /api/v1/<path> as the demo partner's admin."""
        headers = {"Authorization": f"Bearer {self.demo['ks']}"}
        response = self.client.post(f"{self.base}/api/v1/{path}", json=body, headers=headers)
        return response.status_code, response.json()


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
        self.port = serving.free_port()
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
