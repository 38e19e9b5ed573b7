"""The leaderboard page with its display links, and the forms that redraw it with an error in place."""

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api
from tests.console.conftest import ConsoleClient

LINKS = 2


def _leaderboard_with_links(api: Api) -> str:
    board = str(api.ok("leaderboard/create", {**guide.leaderboard_4_4(), "status": "enabled"})["id"])
    for index in range(LINKS):
        api.ok("displayLink/create", {"gameObjectId": board, "title": f"Screen {index}"})
    return board


def test_the_leaderboard_page_lists_every_display_link(api: Api, console: ConsoleClient) -> None:
    board = _leaderboard_with_links(api)
    response = console.get(f"/console/leaderboards/{board}")
    assert response.status_code == 200
    for link in api.ok("displayLink/list", {"gameObjectIdEqual": board})["objects"]:
        assert link["url"] in response.text


@pytest.mark.parametrize(
    "form", [{"top": "0"}, {"expiresAt": "yesterday"}, {"subLeaderboardId": "no such team"}]
)
def test_a_display_link_form_error_redraws_the_page_with_its_links(
    api: Api, console: ConsoleClient, form: dict[str, str]
) -> None:
    board = _leaderboard_with_links(api)
    response = console.post(f"/console/leaderboards/{board}/displayLinks", form, follow_redirects=False)
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert api.ok("displayLink/list", {"gameObjectIdEqual": board})["totalCount"] == LINKS


def test_a_leaderboard_form_error_redraws_the_page_with_its_links(api: Api, console: ConsoleClient) -> None:
    board = _leaderboard_with_links(api)
    form = {"name": "Renamed", "startDate": "not a date"}
    response = console.post(f"/console/leaderboards/{board}", form, follow_redirects=False)
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert api.ok("leaderboard/get", {"id": board})["name"] != "Renamed"
