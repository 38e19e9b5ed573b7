"""Limiting each partner's request rate: a token bucket per partner id, answered with 429.

API v1 requests are counted by the ASGI middleware before their body is read. API v3 requests are counted by
their router once their parameters are read (`take_for`): the official clients send the KS in the body, and
read a refusal only in API v3's envelope.
"""

import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gameservices.auth.ks import KsInvalid, peek_partner_id
from gameservices.errors import RateLimited

API_V3_PREFIX = "/api_v3"
# Buckets kept at most: keys come from KSs that are not verified (and from client addresses), so anyone can
# name any number of them.
MAX_BUCKETS = 10_000


class TokenBuckets:
    """One bucket per partner holding up to ``rate`` tokens, refilled at ``rate`` tokens a second.

    At most ``MAX_BUCKETS`` are kept: past it the least recently used goes, and is full again if it comes back
    (it has had the longest to refill; a partner loses nothing but at most ``rate`` tokens of waiting).
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        # In order of last use: each take moves its bucket to the end.
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, partner_id: int) -> float:
        """Take a token; 0.0 when granted, otherwise the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.pop(partner_id, (self.rate, now))
            tokens = min(self.rate, tokens + (now - since) * self.rate)
            granted = tokens >= 1.0
            if granted:
                tokens -= 1.0
            self._buckets[partner_id] = (tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                del self._buckets[next(iter(self._buckets))]
            return 0.0 if granted else (1.0 - tokens) / self.rate


class RateLimit:
    """Refuse a partner's requests over ``per_second`` with 429 ``RATE_LIMITED`` (0 turns the limit off).

    The partner id is read from the KS without verifying it: a forged KS can only spend the named partner's
    tokens, never anyone's data, and verifying every KS before counting would make floods expensive.
    Requests without a readable KS pass through to be refused by authentication; API v3 requests pass
    through to be counted by their router (`take_for`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: int,
        clock: Callable[[], float] = time.monotonic,
        buckets: TokenBuckets | None = None,
    ) -> None:
        self.app = app
        if buckets is None and per_second > 0:
            buckets = TokenBuckets(float(per_second), clock)
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or str(scope["path"]).startswith(API_V3_PREFIX):
            await self.app(scope, receive, send)
            return
        partner_id = partner_of(scope)
        wait = self.buckets.take(partner_id) if partner_id is not None else 0.0
        if wait > 0.0:
            await _refuse(send, wait)
            return
        await self.app(scope, receive, send)


def take_for(buckets: TokenBuckets | None, ks: str | None) -> float:
    """Take a token for the partner an API v3 request's KS names: 0.0 when granted (or there is nothing to
    count), otherwise the seconds until one is available. API v3 answers a refusal in its own envelope.

    (The player's beacons take their partner's tokens themselves and answer "no more VIEWs" instead,
    api/v3/analytics.py.)
    """
    partner_id = _partner_named(ks)
    if buckets is None or partner_id is None:
        return 0.0
    return buckets.take(partner_id)


def refused(wait: float) -> RateLimited:
    """The error of a request refused for its partner's rate; `wait` is the seconds until a token is there."""
    return RateLimited(
        "Too many requests for this partner; retry later", args={"RETRY_AFTER": round(wait, 3)}
    )


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header of a refusal: whole seconds, at least 1."""
    return str(max(1, int(wait + 0.999)))


def partner_of(scope: Scope) -> int | None:
    """The partner id named by the request's KS (the ``Authorization`` header, or a ``ks`` query parameter)."""
    return _partner_named(_header_ks(scope) or _query_ks(scope))


def _partner_named(ks: str | None) -> int | None:
    if not ks:
        return None
    try:
        return peek_partner_id(ks)
    except KsInvalid:
        return None


def _header_ks(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() in ("bearer", "ks") and token.strip():
                return token.strip()
    return None


def _query_ks(scope: Scope) -> str | None:
    query_string: bytes = scope.get("query_string", b"")
    query = query_string.decode("latin-1")
    for name, value in parse_qsl(query):
        if name == "ks" and value:
            return value
    return None


async def _refuse(send: Send, wait: float) -> None:
    error = refused(wait)
    payload = orjson.dumps(
        {
            "code": error.code,
            "message": error.message,
            "objectType": "KalturaAPIException",
            "args": error.arguments,
        }
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"retry-after", retry_after(wait).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
