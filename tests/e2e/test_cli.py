"""The ``gameservices`` command line: partners, sessions and migrations on a fresh SQLite database."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gameservices.auth.ks import KS_TYPE_USER, verify_ks


def _run(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "gameservices", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def test_partner_lifecycle_and_ks(tmp_path: Path) -> None:
    _run(tmp_path, "db", "upgrade")
    created = json.loads(_run(tmp_path, "partner", "create", "--name", "Acme", "--partner-id", "4242").stdout)
    assert set(created) == {"partnerId", "adminSecret", "ks"} and created["partnerId"] == 4242
    session = verify_ks(created["ks"], secrets=[created["adminSecret"]], now=time.time())
    assert session.partner_id == 4242 and session.type == 2
    assert (
        _run(tmp_path, "partner", "create", "--name", "Again", "--partner-id", "4242", check=False).returncode
        == 1
    )
    minted = _run(
        tmp_path,
        "ks",
        "--partner-id",
        "4242",
        "--user-id",
        "u1",
        "--type",
        "user",
        "--expiry",
        "60",
        "--privileges",
        "setrole:viewer",
    ).stdout.strip()
    user_session = verify_ks(minted, secrets=[created["adminSecret"]], now=time.time())
    assert user_session.type == KS_TYPE_USER and user_session.user_id == "u1"
    assert user_session.privileges.role_ids == ("viewer",)
    _run(
        tmp_path,
        "partner",
        "set-role",
        "--partner-id",
        "4242",
        "--role-id",
        "viewer",
        "--permissions",
        "GAME_BASE",
    )
    _run(tmp_path, "partner", "disable", "--partner-id", "4242")
    _run(tmp_path, "partner", "set-game-services", "--partner-id", "4242", "--disabled")
    listed = json.loads(_run(tmp_path, "partner", "list").stdout)
    assert listed[0]["partnerId"] == 4242 and listed[0]["enabled"] is False
    assert listed[0]["gameServicesEnabled"] is False
    assert "adminSecret" not in listed[0]
    assert _run(tmp_path, "partner", "disable", "--partner-id", "1", check=False).returncode == 1
