"""Helpers shared by the benchmark workloads: timing, free ports, child processes and the machine description."""

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` calls of a measurement."""
    return statistics.median(measure() for _ in range(runs))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def python_env() -> dict[str, str]:
    """The environment for a child Python process that imports the package from src/."""
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{BENCH}"}


def run_json(args: list[str], timeout: float = 600.0) -> dict[str, Any]:
    """Run a child process that prints one JSON object as its last line; return it."""
    done = subprocess.run(
        args, cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {done.stderr[-2000:]}")
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed


def machine() -> dict[str, str]:
    """CPU model, cores, memory and Python version of this machine."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{memory_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "os": platform.platform(),
        "load average at start (1/5/15 min)": load,
    }


def resident_bytes() -> int:
    """This process's resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def ensure_command(command: str, packages: list[str]) -> str:
    """The path of a command, installing its Debian packages first when it is missing (the suite runs as
    root on the project's machines; elsewhere it says what to install)."""
    found = shutil.which(command)
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"{command} is missing: install {' '.join(packages)}")
    sys.stderr.write(f"installing {' '.join(packages)} for {command}\n")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        subprocess.run(args, check=True, timeout=900, stdout=subprocess.DEVNULL, env=env)
    found = shutil.which(command)
    if found is None:
        raise RuntimeError(f"{command} is still missing after installing {' '.join(packages)}")
    return found


class PostgresServer:
    """A throwaway PostgreSQL cluster for a benchmark: initdb in a temporary folder, listening on 127.0.0.1 on a
    free port only, stopped and removed by `stop` (Debian's packages; run as the `postgres` user when root)."""

    def __init__(self) -> None:
        import tempfile

        ensure_command("psql", ["postgresql"])
        self.folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries are missing: install postgresql")
        self._bin = bins[-1]
        data = self.folder / "data"
        self._as_postgres([str(self._bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200"
        log = self.folder / "log"
        self._as_postgres(
            [str(self._bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        )

    def _as_postgres(self, args: list[str]) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            args = ["su", "postgres", "-c", " ".join(f"'{arg}'" for arg in args)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=120)

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        try:
            self._as_postgres(
                [str(self._bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "stop"]
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
