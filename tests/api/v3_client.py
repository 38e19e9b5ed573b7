"""Helpers of the API v3 tests: an in-process app serving ``/api_v3``, a caller, and a leaderboard scored
through API v1 events."""

import xml.etree.ElementTree as ElementTree
from typing import Any, Protocol

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.api.v3 import router
from gameservices.settings import Settings
from tests.api import guide_bodies as guide


class V1(Protocol):
    """Anything that calls an API v1 action and insists on success (in-process or over HTTP)."""

    def ok(self, path: str, body: Any = None) -> Any:
        """POST /api/v1/<path> and return the answer."""
        ...


def v3_test_client(engine: Engine, settings: Settings) -> TestClient:
    """The application with the ``/api_v3`` routes (included here until the application carries them)."""
    app = create_app(settings, engine)
    if not any(str(getattr(route, "path", "")).startswith("/api_v3") for route in app.routes):
        app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


class V3:
    """Calls API v3 actions as form posts, with a KS parameter."""

    def __init__(self, client: TestClient, ks: str | None) -> None:
        self.client = client
        self.ks = ks

    def post(self, service: str, action: str, params: dict[str, Any], *, ks: str | None = None) -> Any:
        """POST the parameters (flattened with brackets) and return the raw response."""
        fields = {"format": "1", **flatten(params)}
        token = ks if ks is not None else self.ks
        if token:
            fields["ks"] = token
        return self.client.post(f"/api_v3/service/{service}/action/{action}", data=fields)

    def call(self, service: str, action: str, params: dict[str, Any] | None = None, **options: Any) -> Any:
        """Call in JSON and decode the result (an error is a result too)."""
        response = self.post(service, action, params or {}, **options)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    def xml(self, service: str, action: str, params: dict[str, Any] | None = None) -> ElementTree.Element:
        """Call in XML and return the document's root."""
        response = self.post(service, action, {**(params or {}), "format": "2"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
        return ElementTree.fromstring(response.content)

    def list_scores(self, leaderboard: str, pager: dict[str, Any] | None = None, **criteria: Any) -> Any:
        """``game_userscore.list`` of a leaderboard."""
        params: dict[str, Any] = {
            "filter": {
                "objectType": "KalturaUserScorePropertiesFilter",
                "gameObjectType": "1",
                "gameObjectId": leaderboard,
                **criteria,
            }
        }
        if pager is not None:
            params["pager"] = pager
        return self.call("game_userscore", "list", params)


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"filter": {"a": 1}}`` as the form fields ``filter[a]=1``."""
    fields: dict[str, str] = {}
    for name, value in params.items():
        key = f"{prefix}[{name}]" if prefix else name
        if isinstance(value, dict):
            fields.update(flatten(value, key))
        else:
            fields[key] = str(value)
    return fields


def scored_leaderboard(api: V1, events_per_user: dict[str, int]) -> str:
    """An enabled leaderboard where each ``pollAnswered`` event is worth 10 points, fed in user order (so
    equal scores rank by who reached them first)."""
    leaderboard: str = api.ok(
        "leaderboard/create",
        {
            "name": "API v3 board",
            "status": "enabled",
            "startDate": "2025-01-01T00:00:00Z",
            "endDate": "2035-01-01T00:00:00Z",
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
        },
    )["id"]
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": leaderboard,
            "name": "Polls",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
            "type": "count",
            "mode": "distribute_points",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "10",
            "maxPoints": "unlimited",
            "status": "enabled",
        },
    )
    events = [
        {
            "eventId": f"{leaderboard}-{user}-{number}",
            "eventType": "pollAnswered",
            "userId": user,
            "pollId": f"poll{number}",
            "eventTime": f"2025-06-01T10:{position:02d}:{number:02d}Z",
            "virtualEventId": guide.VIRTUAL_EVENT_ID,
        }
        for position, (user, count) in enumerate(events_per_user.items())
        for number in range(count)
    ]
    result = api.ok("event/send", {"events": events})
    assert result["rejected"] == [], result
    return leaderboard


def v1_ranking(api: V1, leaderboard: str, **body: Any) -> list[tuple[int | None, str, Any]]:
    """(rank, userId, score) of ``userScore/list`` in API v1."""
    listed = api.ok("userScore/list", {"gameObjectId": leaderboard, **body})
    return [(item["rank"], item["userId"], item["score"]) for item in listed["objects"]]


def v3_ranking(answer: Any) -> list[tuple[int | None, str, Any]]:
    """(rank, userId, score) of a ``KalturaUserScorePropertiesResponse`` in JSON."""
    assert answer["objectType"] == "KalturaUserScorePropertiesResponse", answer
    return [(item.get("rank"), item["userId"], item["score"]) for item in answer["objects"]]
