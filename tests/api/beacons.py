"""Sending the Kaltura player's beacons as its KAVA plugin does (playkit-js-providers' analytics service):
GET with every parameter in the query string, or POST with eventType, partnerId, entryId and sessionId in the
query string and the rest as a JSON body."""

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kava_session.json"
URL_PARAMS = ("eventType", "partnerId", "entryId", "sessionId")
INDEX = "/api_v3/index.php"
SERVICE_PATH = "/api_v3/service/analytics/action/trackEvent"


def recorded_session(partner_id: int, **viewer: Any) -> list[dict[str, Any]]:
    """The recorded session's beacons (note, expectedPlayTime, params) for a partner and viewer."""
    beacons: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["beacons"]
    for beacon in beacons:
        beacon["params"] = {**beacon["params"], "partnerId": partner_id, **viewer}
    return beacons


def send_beacon(client: Any, params: dict[str, Any], *, method: str = "POST", path: str = INDEX) -> Any:
    """Send one beacon; the HTTP response."""
    query = {"service": "analytics", "action": "trackEvent"} if path == INDEX else {}
    if method == "GET":
        return client.get(path, params={**query, **{key: _text(value) for key, value in params.items()}})
    in_url = {key: _text(params[key]) for key in URL_PARAMS if key in params}
    body = {key: value for key, value in params.items() if key not in URL_PARAMS}
    return client.post(
        path,
        params={**query, **in_url},
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )


def _text(value: Any) -> str:
    # As JavaScript's encodeURIComponent renders a value.
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def view_beacon(
    partner_id: int, user: str, entry: str, session: str, index: int, play_time_sum: float
) -> dict[str, Any]:
    """A VIEW beacon."""
    return {
        "eventType": 99,
        "partnerId": partner_id,
        "entryId": entry,
        "sessionId": session,
        "eventIndex": index,
        "playTimeSum": play_time_sum,
        "position": play_time_sum,
        "userId": user,
    }
