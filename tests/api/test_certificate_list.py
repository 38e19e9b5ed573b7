"""``certificate/list`` with ``externalIdEqual`` (DESIGN.md section 1), at the top level or under ``filter``."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner


def _certificate(api: Api, external_id: str | None, **fields: Any) -> str:
    body = {**guide.certificate_8_2(), "externalId": external_id, **fields}
    if external_id is None:
        del body["externalId"]
    created: str = api.ok("certificate/create", body)["id"]
    return created


def _ids(answer: dict[str, Any]) -> list[str]:
    return [item["id"] for item in answer["objects"]]


def test_certificates_filtered_by_external_id(api: Api) -> None:
    first = _certificate(api, "NASBA-PROG-2025-4821")
    second = _certificate(api, "NASBA-PROG-2025-4821", status="enabled")
    _certificate(api, "PROGRAM-12345")
    _certificate(api, None)
    wanted = {"externalIdEqual": "NASBA-PROG-2025-4821", "orderBy": "+createdAt"}
    assert _ids(api.ok("certificate/list", wanted)) == [first, second]
    assert _ids(api.ok("certificate/list", {"filter": wanted})) == [first, second]
    both = api.ok("certificate/list", {**wanted, "statusEqual": "enabled"})
    assert (both["totalCount"], _ids(both)) == (1, [second])
    paged = api.ok("certificate/list", {**wanted, "pager": {"pageSize": 1, "pageIndex": 2}})
    assert (paged["totalCount"], _ids(paged)) == (2, [second])
    assert api.ok("certificate/list", {"externalIdEqual": "nasba-prog-2025-4821"})["totalCount"] == 0
    assert api.ok("certificate/list", {"externalIdEqual": ""})["totalCount"] == 0
    outer = api.ok("certificate/list", {"externalIdEqual": "PROGRAM-12345", "filter": wanted})
    assert outer["totalCount"] == 1  # the top level wins over ``filter``


def test_external_id_filter_stays_within_the_partner(
    app_client: TestClient, new_partner: Any, api: Api
) -> None:
    mine = _certificate(api, "SHARED-PROGRAM")
    other: Partner = new_partner("other")
    _certificate(Api(app_client, other.ks), "SHARED-PROGRAM")
    assert _ids(api.ok("certificate/list", {"externalIdEqual": "SHARED-PROGRAM"})) == [mine]


def test_external_id_filter_is_refused_where_there_is_no_external_id(api: Api) -> None:
    for controller in ("leaderboard", "badge", "leadScoring"):
        status, body = api.call(f"{controller}/list", {"externalIdEqual": "X"})
        assert (status, body["code"]) == (400, "VALIDATION_ERROR"), controller
        assert "externalIdEqual" in body["message"]
    status, body = api.call("certificate/list", {"externalIdEqual": "x" * 257})
    assert status == 400
    status, body = api.call("certificate/list", {"externalIdEqual": ["A"]})
    assert status == 400


def test_virtual_events_filter_also_under_filter(api: Api) -> None:
    api.ok("leaderboard/create", guide.leaderboard_4_2())
    second = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "virtualEventIds": ["7"]})["id"]
    assert _ids(api.ok("leaderboard/list", {"filter": {"virtualEventIdIn": ["7"]}})) == [second]
