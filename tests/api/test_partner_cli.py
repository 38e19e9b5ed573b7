"""``gameservices partner set-game-services``: the switch of guide 14.2, flipped from the command line while the
API runs (every endpoint answers 403 while it is off, and works again once it is back on)."""

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from gameservices.cli import app
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.api.v3_client import V3, v3_test_client
from tests.conftest import Api, Partner


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", database_url)
    return CliRunner()


def _switch(cli: CliRunner, partner_id: int, flag: str) -> None:
    result = cli.invoke(app, ["partner", "set-game-services", "--partner-id", str(partner_id), flag])
    assert result.exit_code == 0, result.output


def _listed(cli: CliRunner, partner_id: int) -> dict[str, object]:
    result = cli.invoke(app, ["partner", "list"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = next(
        item for item in json.loads(result.stdout) if item["partnerId"] == partner_id
    )
    return found


def test_game_services_switched_off_and_on_from_the_cli(cli: CliRunner, api: Api, partner: Partner) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    assert api.call("leaderboard/list")[0] == 200  # the KS is verified and remembered
    polled = {"gameObjectId": board, "gameObjectType": "leaderboard"}
    assert api.call("userScore/list", polled)[0] == api.call("userScore/list", polled)[0] == 200  # page kept
    _switch(cli, partner.id, "--disabled")
    assert _listed(cli, partner.id)["gameServicesEnabled"] is False
    assert _listed(cli, partner.id)["enabled"] is True
    for path, body in [
        ("leaderboard/list", {}),
        ("leaderboard/create", guide.leaderboard_4_2()),
        ("event/send", {"events": []}),
        ("userScore/list", polled),
    ]:
        status, answer = api.call(path, body)
        assert (status, answer["code"]) == (403, "SERVICE_FORBIDDEN"), path
    _switch(cli, partner.id, "--enabled")
    assert _listed(cli, partner.id)["gameServicesEnabled"] is True
    assert api.call("leaderboard/list")[0] == 200
    assert api.ok("leaderboard/list")["totalCount"] == 1
    assert api.call("userScore/list", polled)[0] == 200


def test_game_services_off_also_closes_the_v3_api(
    cli: CliRunner, api: Api, partner: Partner, engine: Engine, settings: Settings
) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    params = {"filter": {"gameObjectType": "1", "gameObjectId": board}}
    with v3_test_client(engine, settings) as client:
        v3 = V3(client, partner.ks)
        assert v3.call("game_userscore", "list", params)["objectType"] == "KalturaUserScorePropertiesResponse"
        _switch(cli, partner.id, "--disabled")
        assert v3.call("game_userscore", "list", params)["code"] == "SERVICE_FORBIDDEN"
        _switch(cli, partner.id, "--enabled")
        assert v3.call("game_userscore", "list", params)["objectType"] == "KalturaUserScorePropertiesResponse"


def test_set_game_services_needs_a_known_partner_and_a_direction(cli: CliRunner) -> None:
    unknown = cli.invoke(app, ["partner", "set-game-services", "--partner-id", "987654321", "--disabled"])
    assert unknown.exit_code == 1 and "Partner [987654321] not found" in unknown.output
    missing = cli.invoke(app, ["partner", "set-game-services", "--partner-id", "1"])
    assert missing.exit_code == 2


@pytest.mark.parametrize("expiry", ["0", "-5", str(10 * 365 * 86400 + 1), str(10**21)])
def test_ks_expiry_outside_what_session_start_hands_out_is_a_usage_error(
    cli: CliRunner, partner: Partner, expiry: str
) -> None:
    result = cli.invoke(app, ["ks", "--partner-id", str(partner.id), "--expiry", expiry])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and result.stdout == ""
    assert "Invalid value for '--expiry'" in result.stderr


def test_ks_expiry_up_to_ten_years_is_minted(cli: CliRunner, api: Api, partner: Partner) -> None:
    result = cli.invoke(app, ["ks", "--partner-id", str(partner.id), "--expiry", str(10 * 365 * 86400)])
    assert result.exit_code == 0, result.output
    ks = result.stdout.strip()
    assert api.call("leaderboard/list", ks=ks)[0] == 200
