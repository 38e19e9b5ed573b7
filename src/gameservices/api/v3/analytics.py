"""API v3 ``analytics.trackEvent``: the Kaltura player's analytics beacons (KAVA), GET or POST, answered as the
player expects, ``{"time": <epoch seconds>, "viewEventsEnabled": true}`` in JSON, whatever the beacon held.

A beacon that cannot be scored (garbage, an unknown partner, a KS that is not a USER KS of the beacon's
partner, no user) is answered the same way and changes nothing. A partner over its request rate gets
``viewEventsEnabled: false`` (the player then stops its VIEW beacons) instead of a 429, and the beacon is
not scored. Only a beacon whose KS its partner signed spends the partner's request tokens; one without a KS
(its ``userId`` taken at its word, which anyone can send) spends a bucket of the partner's KS-less beacons at
the same rate, so that such beacons cannot turn the partner's API calls away. Browsers send the player's JSON POSTs cross-origin: the answers allow any origin.

Nothing is read for a beacon before a bucket allows it. A KS this process has verified takes its partner's token
first; any other KS, and a KS-less beacon whose partner the process does not know, takes a token of its client
address and one of the process's verifications (the buckets of the API's KSs not known yet, `rate_limit.admit`)
before the read; over them it is not scored and answered as a beacon that is, so that a viewer caught in
someone else's flood is not told to stop its VIEWs. The facts of partners that exist are remembered for
``PARTNER_FACTS_SECONDS`` (`BeaconPartners`): their KS-less beacons read nothing meanwhile.
"""

import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Scope

from gameservices.api import rate_limit
from gameservices.api.rate_limit import TokenBuckets
from gameservices.domain.beacons import Beacon, read_beacon
from gameservices.services.access.session import vouched_partner
from gameservices.services.scoring import analytics as service

SERVICE = "analytics"
ACTION = "trackevent"
_PATH = "/api_v3/service/analytics/action/trackevent"
# (The same path after index.php, as the router takes it too.)
_INDEX_PATH = "/api_v3/index.php/service/analytics/action/trackevent"
_INDEX_PATHS = ("/api_v3", "/api_v3/", "/api_v3/index.php")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
_log = logging.getLogger(__name__)


def names_track_event(params: dict[str, Any]) -> bool:
    """Whether API v3 parameters call ``analytics.trackEvent``."""
    return _lower(params.get("service")) == SERVICE and _lower(params.get("action")) == ACTION


def is_beacon(scope: Scope) -> bool:
    """Whether a request is a beacon, from its path and query string alone (before its body is read)."""
    path = str(scope.get("path", "")).lower()
    if path.startswith((_PATH, _INDEX_PATH)):
        return True
    if path not in _INDEX_PATHS:
        return False
    query: bytes = scope.get("query_string", b"")
    pairs = {name.lower(): value.lower() for name, value in parse_qsl(query.decode("latin-1"))}
    return pairs.get("service") == SERVICE and pairs.get("action") == ACTION


async def track_event(request: Request, params: dict[str, Any]) -> Response:
    """Score the beacon (when it can be) and answer it."""
    received_at = time.time()
    beacon = read_beacon(params)
    if beacon is None:
        return answer(received_at, view_events_enabled=True)
    client_ip = request.client.host if request.client else ""
    uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    enabled = await run_in_threadpool(_score, request.app.state, beacon, client_ip, uri, received_at)
    return answer(received_at, view_events_enabled=enabled)


def _score(state: Any, beacon: Beacon, client_ip: str, uri: str, received_at: float) -> bool:
    """Write the beacon if it is to be scored; False when its partner is over its rate (no more VIEWs).

    Nothing is read for a beacon before a bucket allows it: one whose KS this process knows its partner signed
    takes the partner's token first; any other KS, and a partner id not known to exist, take a token of the
    client address and one of the process's verifications (as the API's KSs not known yet do, `admit`)."""
    try:
        if beacon.ks is None:
            user_id = _viewer_without_ks(state, beacon, client_ip)
            buckets = state.unsigned_beacon_limits
        else:
            signer = vouched_partner(beacon.ks)
            if signer is None:
                if not _may_read(state, client_ip):
                    return True  # (not scored; the player keeps sending, each beacon a retry)
                buckets = state.rate_limits
            elif signer != beacon.partner_id:
                return True  # another partner's KS: never scored, nothing to read
            else:
                if _over(state.rate_limits, signer):
                    return False
                buckets = None  # (its token is taken)
            require_ks = state.settings.beacons_require_ks
            user_id = service.identify(
                state.engine, beacon, client_ip=client_ip, uri=uri, require_ks=require_ks
            )
        if user_id is None:
            return True
        # Only partners that exist spend tokens here: made-up partner ids fill no bucket.
        if _over(buckets, beacon.partner_id):
            return False
        state.beacons.write(beacon.partner_id, service.Viewed(beacon, user_id, received_at))
    except Exception:
        # The player ignores the answer's status anyway; an unexpected failure is logged, never a 500.
        _log.exception("beacon of partner %s not scored", beacon.partner_id)
    return True


def _viewer_without_ks(state: Any, beacon: Beacon, client_ip: str) -> str | None:
    """The viewer of a beacon without a KS (its `userId`), if its partner takes beacons; its partner's facts are
    remembered a while (`BeaconPartners`), and read only once the rate limit allows it."""
    if state.settings.beacons_require_ks or beacon.user_id is None:
        return None
    partners: service.BeaconPartners = state.beacon_partners
    if not partners.takes_beacons(beacon.partner_id, may_read=lambda: _may_read(state, client_ip)):
        return None
    return beacon.user_id


def _may_read(state: Any, client_ip: str) -> bool:
    """Whether a beacon nothing vouches for may read the database: its client address's token and one of the
    process's verifications, shared with the API's KSs not known yet."""
    wait = rate_limit.verification_wait(state.address_rate_limits, state.unverified_rate_limits, client_ip)
    return wait == 0.0


def _over(buckets: TokenBuckets | None, partner_id: int) -> bool:
    return buckets is not None and buckets.take(partner_id) > 0.0


def answer(received_at: float, *, view_events_enabled: bool) -> Response:
    """The answer the player reads: the server time (its session start) and whether to keep sending VIEWs."""
    body = orjson.dumps({"time": round(received_at, 3), "viewEventsEnabled": view_events_enabled})
    return Response(body, media_type="application/json", headers=CORS_HEADERS)


async def preflight() -> Response:
    """The browser's CORS preflight of a beacon POST."""
    return Response(status_code=204, headers=CORS_HEADERS)


async def other_preflight(request: Request) -> Response:
    """The preflight of the other forms taken for a beacon (`is_beacon`: ``/api_v3?service=analytics&...``,
    the service path after index.php, any case); no other API v3 request has one."""
    if not is_beacon(request.scope):
        raise HTTPException(status_code=405)
    return await preflight()


class BeaconAnswer(BaseModel):
    """What a beacon is answered, whatever it held."""

    time: float
    viewEventsEnabled: bool


def _parameter(name: str, kind: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": kind},
        "description": description,
    }


# The parameters scoring reads (the player sends many more; all are accepted and the others ignored). A POST
# carries eventType, partnerId, entryId and sessionId in the query string and the rest as a JSON body.
BEACON_PARAMETERS = [
    _parameter("partnerId", "integer", "The partner"),
    _parameter("eventType", "integer", "KAVA event number: 1, 3, 11-15 and 99 are scored"),
    _parameter("entryId", "string", "The entry played"),
    _parameter("sessionId", "string", "The viewing session"),
    _parameter("eventIndex", "integer", "The event's number in the session"),
    _parameter("playTimeSum", "number", "VIEW: seconds played in the session so far"),
    _parameter("position", "number", "Playback position"),
    _parameter("ks", "string", "A USER KS of the partner: its user is the viewer"),
    _parameter("userId", "string", "The viewer, when no KS names one"),
    _parameter("virtualEventId", "string", "The virtual event (else the entry's)"),
    _parameter("playbackType", "string", "vod, live or dvr"),
]
BEACON_ROUTE: dict[str, Any] = {
    "response_model": None,
    "response_class": Response,
    "responses": {200: {"model": BeaconAnswer, "description": "Always, whatever the beacon held"}},
    "summary": "Kaltura player analytics beacon (KAVA analytics.trackEvent)",
    "openapi_extra": {"parameters": BEACON_PARAMETERS},
}

router = APIRouter(tags=["API v3"])
for _path in ("/api_v3/service/analytics/action/trackEvent", "/api_v3/index.php"):
    router.add_api_route(_path, preflight, methods=["OPTIONS"], include_in_schema=False)
for _path in ("/api_v3", "/api_v3/{path:path}"):
    router.add_api_route(_path, other_preflight, methods=["OPTIONS"], include_in_schema=False)


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""
