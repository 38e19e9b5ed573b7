"""``gameservices serve`` listens where the settings say unless the command line says otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gameservices.cli.serve import listen_address
from gameservices.settings import Settings
from tests import serving


def test_listen_address_prefers_the_options_then_the_settings() -> None:
    settings = Settings(host="0.0.0.0", port=9001)
    assert listen_address(settings, None, None) == ("0.0.0.0", 9001)
    assert listen_address(settings, "127.0.0.1", None) == ("127.0.0.1", 9001)
    assert listen_address(settings, None, 9002) == ("0.0.0.0", 9002)
    assert listen_address(Settings(), None, None) == ("127.0.0.1", 8000)


def _serve(tmp_path: Path, env_port: int, *args: str) -> "subprocess.Popen[bytes]":
    # Started here, not by tests.serving: the host and port come from the environment unless the options say.
    env = {
        **os.environ,
        "GAMESERVICES_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "GAMESERVICES_HOST": "127.0.0.1",
        "GAMESERVICES_PORT": str(env_port),
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
