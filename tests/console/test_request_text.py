"""Text no database can store (NUL, a lone surrogate) is refused wherever the console, the big screen and the
widget read a request's text: form values, query parameters and the ids in a path. SQLite would store it and
PostgreSQL refuse it with a server error; the API refuses it at its edge (tests/api/test_unstorable_text.py)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient

NUL = "a\x00b"


def _leaderboard(api: Api) -> str:
    return str(api.ok("leaderboard/create", {**guide.leaderboard_4_4(), "status": "enabled"})["id"])


def _refused(response: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "NUL" in response.text and 'role="alert"' in response.text


def test_the_leaderboard_form_refuses_nul_like_the_api(api: Api, console: ConsoleClient) -> None:
    board = _leaderboard(api)
    status, _ = api.call("leaderboard/update", {"id": board, "name": NUL})
    assert status == 400
    _refused(console.post(f"/console/leaderboards/{board}", {"name": NUL}, follow_redirects=False))
    _refused(console.post("/console/leaderboards", {"name": NUL}, follow_redirects=False))
    names = [board["name"] for board in api.ok("leaderboard/list", {})["objects"]]
    assert all("\x00" not in name for name in names)


def test_the_display_link_form_refuses_nul(api: Api, console: ConsoleClient) -> None:
    board = _leaderboard(api)
    _refused(
        console.post(f"/console/leaderboards/{board}/displayLinks", {"title": NUL}, follow_redirects=False)
    )
    assert api.ok("displayLink/list", {})["totalCount"] == 0


def test_the_webhook_form_refuses_nul(api: Api, console: ConsoleClient) -> None:
    form: dict[str, Any] = {
        "url": "https://93.184.216.34/x",
        "eventTypes": "score.changed",
        "description": NUL,
    }
    _refused(console.post("/console/webhooks", form, follow_redirects=False))
    assert api.ok("webhook/list", {})["totalCount"] == 0


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (
            "/console/schedules",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": NUL,
                "scheduledAction": "enable",
                "scheduledDate": "2035-01-01T00:00:00Z",
            },
        ),
        ("/console/rules", {"gameObjectId": NUL, "body": "{}"}),
        ("/console/widget", {"origins": NUL}),
        ("/console/badges", {"body": '{"name": "a\\u0000b"}'}),
    ],
)
def test_every_console_form_refuses_nul(console: ConsoleClient, path: str, form: dict[str, str]) -> None:
    _refused(console.post(path, form, follow_redirects=False))


def test_the_json_editor_refuses_a_lone_surrogate(api: Api, console: ConsoleClient) -> None:
    response = console.post("/console/badges", {"body": '{"name": "a\\ud800b"}'}, follow_redirects=False)
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert api.ok("badge/list", {})["totalCount"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "/console/leaderboards/a%00b",
        "/console/leaderboards/a%00b/stream",
        "/console/rules/a%00b",
        "/console/badges/a%00b",
        "/console/certificates/a%00b/preview.pdf",
    ],
)
def test_an_id_with_nul_in_a_console_path_is_not_found(console: ConsoleClient, url: str) -> None:
    assert console.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/console/webhooks/deliveries?webhookId=a%00b",
        "/console/rules?gameObjectId=a%00b",
        "/console/users?userId=a%00b",
        "/console/reports/download?gameObjectId=a%00b&reportType=leaderboard",
    ],
)
def test_nul_in_a_console_query_is_refused(console: ConsoleClient, url: str) -> None:
    _refused(console.get(url))


def test_nul_in_the_widgets_game_object_id_is_refused(app_client: TestClient, partner: Partner) -> None:
    user_ks = partner.mint(type=0, user_id="viewer")
    headers = {"Authorization": f"Bearer {user_ks}"}
    assert app_client.get("/widget/rank/data?gameObjectId=a%00b", headers=headers).status_code == 400
    assert app_client.get(f"/widget/rank?partnerId={partner.id}&gameObjectId=a%00b").status_code == 400


@pytest.mark.parametrize("url", ["/display/a%00b", "/display/a%00b/stream"])
def test_a_display_share_id_with_nul_is_not_found(app_client: TestClient, url: str) -> None:
    assert app_client.get(url).status_code == 404
