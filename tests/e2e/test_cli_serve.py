"""``gameservices serve`` listens where the settings say unless the command line says otherwise."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gameservices.auth.ks import mint_ks
from gameservices.cli.serve import listen_address
from gameservices.settings import Settings
from tests import serving


def test_listen_address_prefers_the_options_then_the_settings() -> None:
    settings = Settings(host="0.0.0.0", port=9001)
    assert listen_address(settings, None, None) == ("0.0.0.0", 9001)
    assert listen_address(settings, "127.0.0.1", None) == ("127.0.0.1", 9001)
    assert listen_address(settings, None, 9002) == ("0.0.0.0", 9002)
    assert listen_address(Settings(), None, None) == ("127.0.0.1", 8000)


# Run in a process of its own: freezing reaches every object of the process.
_LOADED_FOR_GOOD = """
import gc, json, weakref
from gameservices.cli.serve import loaded_for_good

class Node:
    pass

cycle = Node()
cycle.itself = cycle
gone = weakref.ref(cycle)
del cycle
frozen = gc.get_freeze_count()
with loaded_for_good():
    paused = not gc.isenabled()
    kept = [Node() for _ in range(5_000)]
print(json.dumps({
    "paused": paused,
    "enabled_after": gc.isenabled(),
    "newly_frozen": gc.get_freeze_count() - frozen,
    "garbage_collected_first": gone() is None,
}))
"""


def test_the_state_loaded_before_serving_is_frozen_with_the_garbage_collected_first() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_FOR_GOOD], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(done.stdout)
    assert found["paused"] is True
    assert found["enabled_after"] is True
    assert found["newly_frozen"] >= 5_000
    assert found["garbage_collected_first"] is True


def _serve(
    tmp_path: Path, env_port: int, *args: str, environment: dict[str, str] | None = None
) -> "subprocess.Popen[bytes]":
    # Started here, not by tests.serving: the host and port come from the environment unless the options say.
    env = {
        **os.environ,
        "GAMESERVICES_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "GAMESERVICES_HOST": "127.0.0.1",
        "GAMESERVICES_PORT": str(env_port),
        **(environment or {}),
    }
    with (tmp_path / "serve.log").open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "gameservices", "serve", *args],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("option_wins", [False, True], ids=["environment", "option"])
def test_serve_listens_on_the_configured_port(tmp_path: Path, option_wins: bool) -> None:
    env_port, option_port = serving.free_port(), serving.free_port()
    args = ("--port", str(option_port)) if option_wins else ()
    process = _serve(tmp_path, env_port, *args)
    try:
        base = f"http://127.0.0.1:{option_port if option_wins else env_port}"
        serving.wait_until_up(base, tmp_path / "serve.log", process=process)
    finally:
        serving.stop(process)


def _workers_of(parent: "subprocess.Popen[bytes]") -> set[int]:
    """The worker processes of `serve --workers N` (not multiprocessing's resource tracker)."""
    listed = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(parent.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {int(line.split()[0]) for line in listed.splitlines() if "spawn_main" in line}


def test_serve_with_workers_starts_a_worker_again_when_one_is_killed(tmp_path: Path) -> None:
    port = serving.free_port()
    process = _serve(tmp_path, port, "--workers", "2")
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base, tmp_path / "serve.log", process=process, timeout=120)
        deadline = time.monotonic() + 60
        first = _workers_of(process)
        while len(first) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, serving.output(tmp_path / "serve.log")
            time.sleep(0.1)
            first = _workers_of(process)
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        while len(_workers_of(process) - first) < 1 or killed in _workers_of(process):
            assert time.monotonic() < deadline, serving.output(tmp_path / "serve.log")
            time.sleep(0.1)
        assert process.poll() is None and len(_workers_of(process)) == 2
        assert "ended (exit code -9): starting another" in serving.output(tmp_path / "serve.log")
        serving.wait_until_up(base, tmp_path / "serve.log", process=process)
    finally:
        serving.stop(process)
    assert process.returncode == 0


def test_serve_with_workers_fails_when_its_workers_cannot_start(tmp_path: Path) -> None:
    # A program holding the port without SO_REUSEPORT: every worker's bind fails. The command used to wait for
    # them and end with status 0, as if it had served and been stopped.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _serve(tmp_path, taken.getsockname()[1], "--workers", "2")
        try:
            assert process.wait(timeout=120) == 1
        finally:
            serving.stop(process)
    assert "A worker ended before it served" in serving.output(tmp_path / "serve.log")


@pytest.mark.parametrize(
    ("name", "value"), [("GAMESERVICES_PORT", "0"), ("GAMESERVICES_PUBLIC_URL", "certs.example.org")]
)
def test_a_setting_the_service_cannot_work_with_is_one_line_and_status_1(
    tmp_path: Path, name: str, value: str
) -> None:
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", name: value}
    done = subprocess.run(
        [sys.executable, "-m", "gameservices", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {name}: ") and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("believed", "workers"),
    [("", "1"), ("127.0.0.1", "1"), ("", "2")],
    ids=["none", "loopback", "none-two-workers"],
)
def test_forwarded_addresses_are_believed_only_from_the_configured_peers(
    tmp_path: Path, believed: str, workers: str
) -> None:
    # A KS bound to one address (iprestrict) names the client uvicorn saw: the peer (127.0.0.1 here), or the
    # address a believed peer forwarded.
    port = serving.free_port()
    process = _serve(
        tmp_path, port, "--workers", workers, environment={"GAMESERVICES_FORWARDED_ALLOW_IPS": believed}
    )
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base, tmp_path / "serve.log", process=process)
        demo = serving.demo_partner(tmp_path / "serve.log", process=process)
        ks = mint_ks(
            partner_id=demo["partnerId"],
            secret=demo["adminSecret"],
            now=time.time(),
            privileges="iprestrict:10.1.2.3",
        )
        answered = httpx.post(
            f"{base}/api/v1/leaderboard/list",
            json={},
            headers={"Authorization": f"Bearer {ks}", "X-Forwarded-For": "10.1.2.3"},
            timeout=10,
        )
        if believed:
            assert answered.status_code == 200, answered.text
        else:
            assert (
                answered.status_code == 401
                and answered.json()["args"]["ERR_DESC"] == "EXCEEDED_RESTRICTED_IP"
            )
    finally:
        serving.stop(process)
