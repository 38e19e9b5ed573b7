"""The ``webhook`` and ``webhookDelivery`` controllers: shapes, validation, secrets, outbound address rules and
tenancy (delivery itself: tests/webhooks/)."""

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from gameservices.services.push.webhook import MAX_WEBHOOKS
from gameservices.webhooks.targets import TargetPolicy, TargetRefused
from tests.conftest import Api, Partner


@pytest.fixture
def targets(app_client: TestClient) -> Iterator[Callable[[TargetPolicy], None]]:
    """Sets the application's outbound rules for webhooks for one test."""
    state: Any = app_client.app.state  # type: ignore[attr-defined]
    before = state.webhook_targets

    def use(policy: TargetPolicy) -> None:
        state.webhook_targets = policy

    yield use
    state.webhook_targets = before


PUBLIC = "https://93.184.216.34/hooks/scores"


def _create(api: Api, **fields: Any) -> Any:
    return api.ok("webhook/create", {"url": PUBLIC, "eventTypes": ["score.changed"], **fields})


def test_create_answers_the_webhook_with_its_secret_once(api: Api) -> None:
    made = _create(api, gameObjectIds=["abc"], description="CRM")
    assert made["objectType"] == "Webhook" and made["status"] == "enabled"
    assert made["url"] == PUBLIC and made["eventTypes"] == ["score.changed"]
    assert made["gameObjectIds"] == ["abc"] and made["description"] == "CRM"
    assert made["secret"].startswith("whsec_")
    Webhook(made["secret"])  # a secret the receiver library accepts
    fetched = api.ok("webhook/get", {"id": made["id"]})
    assert "secret" not in fetched and fetched["id"] == made["id"]
    listed = api.ok("webhook/list", {"pager": {"pageSize": 10}})
    assert listed["totalCount"] == 1 and "secret" not in listed["objects"][0]


def test_update_changes_fields_and_null_clears_the_optional_ones(api: Api) -> None:
    made = _create(api, gameObjectIds=["abc"], description="CRM")
    changed = api.ok(
        "webhook/update",
        {"id": made["id"], "eventTypes": ["badge.achieved", "score.changed"], "description": None},
    )
    assert changed["eventTypes"] == ["badge.achieved", "score.changed"]
    assert changed["description"] is None and changed["gameObjectIds"] == ["abc"]
    disabled = api.ok("webhook/update", {"id": made["id"], "status": "disabled", "gameObjectIds": None})
    assert disabled["status"] == "disabled" and disabled["gameObjectIds"] is None
    assert api.call("webhook/update", {"id": made["id"], "url": None})[0] == 400
    assert api.ok("webhook/list", {"statusEqual": "disabled"})["totalCount"] == 1
    assert api.ok("webhook/list", {"statusEqual": "enabled"})["totalCount"] == 0


def test_an_empty_game_object_list_means_every_game_object_on_update_as_on_create(api: Api) -> None:
    assert _create(api, gameObjectIds=[])["gameObjectIds"] is None
    made = _create(api, gameObjectIds=["abc"])
    changed = api.ok("webhook/update", {"id": made["id"], "gameObjectIds": []})
    assert changed["gameObjectIds"] is None
    assert api.ok("webhook/get", {"id": made["id"]})["gameObjectIds"] is None


def test_rotate_secret_answers_a_new_secret_and_when_the_old_one_stops(api: Api) -> None:
    made = _create(api)
    rotated = api.ok("webhook/rotateSecret", {"id": made["id"]})
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    assert rotated["previousSecretExpiresAt"] is not None


def test_delete_removes_the_webhook_and_its_deliveries(api: Api) -> None:
    made = _create(api)
    api.ok("webhook/test", {"id": made["id"]})
    assert api.ok("webhookDelivery/list", {"webhookId": made["id"]})["totalCount"] == 1
    assert api.ok("webhook/delete", {"id": made["id"]}) == {"id": made["id"], "deleted": True}
    assert api.call("webhook/get", {"id": made["id"]})[0] == 404
    assert api.ok("webhookDelivery/list", {"webhookId": made["id"]})["totalCount"] == 0
    assert api.call("webhook/delete", {"id": made["id"]})[0] == 404


def test_test_queues_a_pending_webhook_test_delivery(api: Api) -> None:
    made = _create(api)
    delivery = api.ok("webhook/test", {"id": made["id"]})
    assert delivery["objectType"] == "WebhookDelivery" and delivery["type"] == "webhook.test"
    assert delivery["status"] == "pending" and delivery["attempts"] == 0 and delivery["changeId"] is None
    assert delivery["webhookId"] == made["id"] and delivery["nextAttemptAt"] is not None
    listed = api.ok("webhookDelivery/list", {"status": "pending", "pager": {"pageSize": 5}})
    assert [item["id"] for item in listed["objects"]] == [delivery["id"]]
    assert api.ok("webhookDelivery/list", {"status": "failed"})["totalCount"] == 0


def test_only_a_failed_delivery_is_retried(api: Api) -> None:
    made = _create(api)
    delivery = api.ok("webhook/test", {"id": made["id"]})
    status, answer = api.call("webhookDelivery/retry", {"id": delivery["id"]})
    assert status == 409 and answer["code"] == "WEBHOOK_DELIVERY_NOT_FAILED"
    assert api.call("webhookDelivery/retry", {"id": "0" * 24})[0] == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://93.184.216.34/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@93.184.216.34/x"}, "url"),
        ({"url": "http://127.0.0.1:8000/hook"}, "url"),
        ({"url": "http://10.0.0.5/hook"}, "url"),
        ({"url": "http://[::1]/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://localhost/hook"}, "url"),
        ({"url": "https://" + "a" * 2050 + ".example/"}, "url"),
        ({"eventTypes": []}, "eventTypes"),
        ({"eventTypes": ["score.exploded"]}, "eventTypes"),
        ({"status": "paused"}, "status"),
        ({"status": ""}, "status"),
        ({"gameObjectIds": ["x"] * 101}, "gameObjectIds"),
        ({"description": "d" * 1025}, "description"),
        ({"secret": "whsec_mine"}, "secret"),
    ],
)
def test_create_refuses_bad_fields_with_400(api: Api, fields: dict[str, Any], field: str) -> None:
    status, answer = api.call("webhook/create", {"url": PUBLIC, "eventTypes": ["score.changed"], **fields})
    assert status == 400, answer
    assert answer["objectType"] == "KalturaAPIException"
    assert api.ok("webhook/list")["totalCount"] == 0


def test_update_checks_the_url_like_create(api: Api) -> None:
    made = _create(api)
    status, answer = api.call("webhook/update", {"id": made["id"], "url": "http://192.168.1.1/"})
    assert status == 400 and "192.168.1.1" in answer["message"]
    assert api.ok("webhook/get", {"id": made["id"]})["url"] == PUBLIC


def test_a_host_is_refused_when_any_of_its_addresses_is_private(
    api: Api, targets: Callable[[TargetPolicy], None]
) -> None:
    answers = {
        "hooks.example.test": ["93.184.216.35"],
        "sneaky.example.test": ["93.184.216.34", "10.1.2.3"],
        "mapped.example.test": ["::ffff:127.0.0.1"],
    }

    def resolve(host: str, _port: int) -> list[Any]:
        if host not in answers:
            raise TargetRefused(f"cannot resolve the host {host}")
        return [ipaddress.ip_address(address) for address in answers[host]]

    targets(TargetPolicy(resolve=resolve))
    body = {"eventTypes": ["score.changed"]}
    assert api.call("webhook/create", {**body, "url": "https://hooks.example.test/x"})[0] == 200
    for host in ("sneaky.example.test", "mapped.example.test", "unknown.example.test"):
        status, answer = api.call(
            "webhook/create", {"url": f"https://{host}/x", "eventTypes": ["score.changed"]}
        )
        assert status == 400 and host in answer["message"], answer


def test_private_targets_are_allowed_when_the_setting_says_so(
    api: Api, targets: Callable[[TargetPolicy], None]
) -> None:
    targets(TargetPolicy(allow_private=True))
    made = _create(api, url="http://127.0.0.1:9/hook")
    assert made["url"] == "http://127.0.0.1:9/hook"


def test_a_partner_has_at_most_the_limit_of_webhooks(api: Api) -> None:
    for _ in range(MAX_WEBHOOKS):
        _create(api)
    status, answer = api.call("webhook/create", {"url": PUBLIC, "eventTypes": ["score.changed"]})
    assert status == 409 and answer["code"] == "WEBHOOK_LIMIT_REACHED"


def test_another_partners_webhooks_and_deliveries_answer_like_unknown_ids(
    api: Api, app_client: TestClient, new_partner: Any
) -> None:
    made = _create(api)
    delivery = api.ok("webhook/test", {"id": made["id"]})
    intruder: Partner = new_partner("intruder")
    other = Api(app_client, intruder.ks)
    for path in ("webhook/get", "webhook/delete", "webhook/rotateSecret", "webhook/test"):
        assert other.call(path, {"id": made["id"]})[0] == 404, path
    assert other.call("webhook/update", {"id": made["id"], "status": "disabled"})[0] == 404
    assert other.call("webhookDelivery/retry", {"id": delivery["id"]})[0] == 404
    assert other.ok("webhook/list")["totalCount"] == 0
    assert other.ok("webhookDelivery/list", {"webhookId": made["id"]})["totalCount"] == 0
    assert api.ok("webhook/get", {"id": made["id"]})["status"] == "enabled"
