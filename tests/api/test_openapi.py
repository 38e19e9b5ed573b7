"""The served OpenAPI document lists every action with its request, response and error statuses."""

from tests.conftest import Api

ACTIONS = {
    "leaderboard": ["create", "get", "update", "delete", "clone", "list"],
    "badge": ["create", "get", "update", "delete", "clone", "list"],
    "certificate": ["create", "get", "update", "delete", "clone", "list"],
    "leadScoring": ["create", "get", "update", "delete", "clone", "list"],
    "rule": ["create", "get", "update", "delete", "list"],
    "scheduledGameObject": ["create", "get", "update", "delete", "list"],
    "userProfile": ["create", "upsert", "update", "get", "delete", "list"],
    "displayLink": ["create", "get", "delete", "list"],
}


def test_every_action_is_documented(api: Api) -> None:
    document = api.client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for controller, actions in ACTIONS.items():
        for action in actions:
            operation = paths[f"/api/v1/{controller}/{action}"]["post"]
            assert "requestBody" in operation, (controller, action)
            assert {"200", "400", "401", "403", "404"} <= set(operation["responses"]), (controller, action)
    assert "/api/v1/health" in paths
