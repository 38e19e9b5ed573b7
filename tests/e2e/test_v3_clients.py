"""End to end: the official Kaltura clients, unchanged, against ``gameservices serve`` over real HTTP — the
Python client (``kalturaapiclient``, XML) and the Node client (``kaltura-client``, JSON, when Node is
installed) — and the guide's curl example of section 10.5. What they read must be what API v1 shows."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from KalturaClient import KalturaClient  # test-only dependency: the official Python client
from KalturaClient.Base import KalturaConfiguration
from KalturaClient.exceptions import KalturaException
from KalturaClient.Plugins.Core import KalturaFilterPager, KalturaSessionType
from KalturaClient.Plugins.Game import KalturaGameObjectType, KalturaUserScorePropertiesFilter

from tests.api.v3_client import scored_leaderboard, v1_ranking

NODE_PROJECT = Path(__file__).parent / "node"
# Ten points an event; "dan" and "bea" tie at 50 and "dan", fed first, reached it first.
EVENTS = {"dan": 5, "bea": 5, "fay": 4, "amy": 3, "eve": 2, "cal": 1}
RANKED = [(1, "dan", 50), (2, "bea", 50), (3, "fay", 40), (4, "amy", 30), (5, "eve", 20), (6, "cal", 10)]


class HttpApi:
    """API v1 over HTTP with a KS."""

    def __init__(self, base: str, ks: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=30
        )

    def call(self, path: str, body: Any = None) -> tuple[int, Any]:
        """POST an action; (status, answer)."""
        response = self.http.post(f"/{path}", json=body if body is not None else {})
        return response.status_code, response.json()

    def ok(self, path: str, body: Any = None) -> Any:
        """POST an action and insist on 200."""
        status, answer = self.call(path, body)
        assert status == 200, (path, status, answer)
        return answer


def python_client(base: str) -> KalturaClient:
    return KalturaClient(KalturaConfiguration(serviceUrl=base))


def score_filter(leaderboard: str | None, **properties: Any) -> KalturaUserScorePropertiesFilter:
    chosen = {"gameObjectType": KalturaGameObjectType.LEADERBOARD, **properties}
    return KalturaUserScorePropertiesFilter(gameObjectId=leaderboard, **chosen)


def ranking(response: Any) -> list[tuple[int | None, str, int | None]]:
    """(rank, userId, score) of a response the Python client built."""
    return [(item.rank, item.userId, item.score) for item in response.objects]


def code_of(call: Any) -> str:
    with pytest.raises(KalturaException) as raised:
        call()
    code: str = raised.value.code
    return code


def test_python_client(served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    client = python_client(base)
    ks = client.session.start(demo["adminSecret"], "py-admin", KalturaSessionType.ADMIN, demo["partnerId"])
    client.setKs(ks)
    v1 = HttpApi(base, ks)
    board = scored_leaderboard(v1, EVENTS)
    user_scores = client.game.userScore

    listed = user_scores.list(score_filter(board), KalturaFilterPager(pageSize=25, pageIndex=1))
    assert ranking(listed) == RANKED == v1_ranking(v1, board) and listed.totalCount == 6
    around = user_scores.list(score_filter(board, userIdEqual="amy", placesAboveUser=1, placesBelowUser=1))
    neighbourhood = {"userIdEqual": "amy", "placesAboveUser": 1, "placesBelowUser": 1}
    assert ranking(around) == RANKED[2:5] == v1_ranking(v1, board, **neighbourhood)

    updated = user_scores.update(board, KalturaGameObjectType.LEADERBOARD, "cal", 45)
    assert ranking(updated) == [(3, "cal", 45)]
    assert v1_ranking(v1, board)[2] == (3, "cal", 45)
    deleted = user_scores.delete(board, KalturaGameObjectType.LEADERBOARD, "fay")
    assert ranking(deleted) == [(4, "fay", 40)]
    assert [user for _, user, _ in v1_ranking(v1, board)] == ["dan", "bea", "cal", "amy", "eve"]
    assert (
        code_of(lambda: user_scores.delete(board, KalturaGameObjectType.LEADERBOARD, "fay"))
        == "USER_ID_NOT_FOUND"
    )
    assert code_of(lambda: user_scores.list(score_filter(board, gameObjectType="9"))) == "INVALID_ENUM_VALUE"
    assert code_of(lambda: user_scores.list(score_filter(None))) == "GAME_OBJECT_ID_REQUIRED"
    assert (
        code_of(
            lambda: python_client(base).session.start(
                "0" * 32, "", KalturaSessionType.ADMIN, demo["partnerId"]
            )
        )
        == "START_SESSION_ERROR"
    )

    client.startMultiRequest()
    user_scores.list(score_filter(board))
    user_scores.delete(board, KalturaGameObjectType.LEADERBOARD, "nobody")
    listed_again, failed = client.doMultiRequest()
    assert ranking(listed_again) == v1_ranking(v1, board)
    assert isinstance(failed, KalturaException) and failed.code == "USER_ID_NOT_FOUND"

    client.session.end()
    assert code_of(lambda: user_scores.list(score_filter(board))) == "INVALID_KS"
    status, refused = v1.call("leaderboard/list")
    assert status == 401 and refused["args"]["ERR_CODE"] == -6 and refused["args"]["ERR_DESC"] == "LOGOUT"


@pytest.fixture(scope="session")
def node_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Node scenario with its pinned client installed beside it (skipped where Node is absent)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed")
    folder = tmp_path_factory.mktemp("node-client")
    for name in ("package.json", "package-lock.json", "v3_scenario.js"):
        shutil.copy(NODE_PROJECT / name, folder / name)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / "v3_scenario.js"


def test_node_client(served: tuple[str, dict[str, Any]], node_scenario: Path) -> None:
    base, demo = served
    v1 = HttpApi(base, demo["ks"])
    board = scored_leaderboard(v1, EVENTS)
    scenario = {
        "serviceUrl": base,
        "partnerId": demo["partnerId"],
        "secret": demo["adminSecret"],
        "leaderboardId": board,
        "neighbour": "amy",
        "updatedUser": "cal",
        "updatedScore": 45,
        "deletedUser": "fay",
    }
    run = subprocess.run(
        ["node", node_scenario.name, json.dumps(scenario)],
        cwd=node_scenario.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)

    def rows(response: dict[str, Any]) -> list[tuple[int, str, int]]:
        assert response["objectType"] == "KalturaUserScorePropertiesResponse", response
        return [(item["rank"], item["userId"], item["score"]) for item in response["objects"]]

    assert rows(out["list"]) == RANKED and out["list"]["totalCount"] == 6
    assert rows(out["neighbourhood"]) == RANKED[2:5]
    assert rows(out["update"]) == [(3, "cal", 45)]
    assert rows(out["delete"]) == [(4, "fay", 40)]
    assert [user for _, user, _ in v1_ranking(v1, board)] == ["dan", "bea", "cal", "amy", "eve"]
    assert out["deleteAgain"]["code"] == "USER_ID_NOT_FOUND"
    assert out["deleteAgain"]["objectType"] == "KalturaAPIException"
    assert out["badType"]["code"] == "INVALID_ENUM_VALUE"
    assert out["badSecret"]["code"] == "START_SESSION_ERROR"
    started, listed = out["multirequest"]
    assert isinstance(started, str) and rows(listed) == v1_ranking(v1, board)
    assert out["end"] is None and out["afterEnd"]["code"] == "INVALID_KS"
    assert HttpApi(base, out["ks"]).call("leaderboard/list")[1]["args"]["ERR_DESC"] == "LOGOUT"


def test_guides_curl_example(served: tuple[str, dict[str, Any]]) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    base, demo = served
    v1 = HttpApi(base, demo["ks"])
    board = scored_leaderboard(v1, EVENTS)
    # Guide 10.5, word for word, with KALTURA_SERVICE_URL pointing at this server's /api_v3.
    service_url, ks = f"{base}/api_v3", demo["ks"]
    command = [
        curl, "-sS", "-X", "POST", f"{service_url}/service/leaderboard_userscore/action/list",
        "-d", f"ks={ks}",
        "-d", "format=1",
        "-d", "filter[objectType]=KalturaUserScorePropertiesFilter",
        "-d", "filter[gameObjectType]=1",
        "-d", f"filter[gameObjectId]={board}",
        "-d", "pager[pageSize]=25",
        "-d", "pager[pageIndex]=1",
    ]  # fmt: skip
    answer = json.loads(
        subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
    )
    assert answer["objectType"] == "KalturaUserScorePropertiesResponse"
    assert [(item["rank"], item["userId"], item["score"]) for item in answer["objects"]] == RANKED
    assert {"rank", "userId", "puserId", "score"} <= set(answer["objects"][0])
