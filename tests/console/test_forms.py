"""The console's JSON editors read their text as the API reads a body: text that is not a JSON object, however
it fails to be one, is a form error shown in place."""

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api
from tests.console.conftest import ConsoleClient

# Deeper than the JSON parser's recursion limit.
DEEP_JSON = "[" * 50_000 + "]" * 50_000
EDITORS = ("rules", "badges", "certificates", "leadScorings")


@pytest.mark.parametrize("screen", EDITORS)
@pytest.mark.parametrize("text", [DEEP_JSON, '{"a": ' * 5_000 + "1" + "}" * 5_000, "{", "[]"])
def test_the_create_editors_refuse_text_that_is_not_a_json_object(
    console: ConsoleClient, screen: str, text: str
) -> None:
    response = console.post(f"/console/{screen}", {"body": text}, follow_redirects=False)
    assert response.status_code == 400 and 'role="alert"' in response.text


def test_the_edit_editors_refuse_deeply_nested_json(api: Api, console: ConsoleClient) -> None:
    board = str(api.ok("leaderboard/create", {**guide.leaderboard_4_4(), "status": "enabled"})["id"])
    rule = api.ok("rule/create", guide.rule_6_7(board))["id"]
    badge = api.ok("badge/create", guide.badge_7_1())["id"]
    for path in (f"/console/rules/{rule}", f"/console/badges/{badge}"):
        response = console.post(path, {"body": DEEP_JSON}, follow_redirects=False)
        assert response.status_code == 400 and 'role="alert"' in response.text, path
