"""Limiting each partner's request rate: a token bucket per partner id, answered with 429.

Only a KS the partner signed spends the partner's tokens: one this process has verified already (a dictionary
look-up, `services.session.vouched_partner`) takes its partner's token at once; any other KS (its first use in
this process, or a forged one) first takes a token of its client address's bucket, then one of the process's
bucket of verifications (``UNVERIFIED_RATE_FACTOR`` times the partner rate, for every address together), then is
verified (one read of the partner's secrets) and, if it passes, takes its partner's token too. A flood of forged
KSs naming a partner thus empties the flooder's address bucket, never the partner's; a flood from more addresses
than the address buckets keep (an IPv6 /48 holds 65,536 /64s, each with a full bucket) empties the verification
bucket, so that forged KSs cost at most that many reads a second: while it lasts, a KS new to the process is
refused with 429 too (a KS the process has verified already still passes). The partner's own flood (the same
KSs again and again) costs what it did: the look-up replaces reading the partner id out of the KS, and is
cheaper (about 2 µs a request against 6 µs). A KS ended by ``session.end`` is forgotten (at once by the
process that ends it, by any other once it refuses it) and is then counted as a forged one. A KS too long to be remembered
(`services.session.MAX_REMEMBERED_KS_LENGTH`) is verified, and takes a token of its address, on each request.

API v1 requests are counted by the ASGI middleware before their body is read. API v3 requests are counted by
their router once their parameters are read (`admit`): the official clients send the KS in the body, and read
a refusal only in API v3's envelope. A multirequest takes a token for each of its requests.
"""

import ipaddress
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from gameservices.errors import RateLimited
from gameservices.services.access.session import vouch, vouched_partner
from gameservices.storage.database import Engine

API_V3_PREFIX = "/api_v3"
# Buckets kept at most: keys come from client addresses (and partner ids), so anyone can name many of them.
MAX_BUCKETS = 10_000
# IPv6 keys sit above every IPv4 address; an IPv6 client is keyed by its /64, the block one host is given.
_IPV6_KEYS = 1 << 128
_IPV6_HOST_BITS = 64
# Verifications of KSs the process does not know yet, for every client address together: this many times the
# partner rate a second (docs/security.md, Limits). A partner minting a KS for each request spends at most its
# partner rate of them (each verified KS then takes its partner's token), so several partners can do so at once.
UNVERIFIED_RATE_FACTOR = 4
# The key of the one bucket of verifications.
_EVERY_ADDRESS = 0


class TokenBuckets:
    """One bucket per key (a partner, a client address) holding up to ``rate`` tokens, refilled at ``rate``
    tokens a second.

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

    def take(self, key: int, count: int = 1) -> float:
        """Take `count` tokens; 0.0 when granted, otherwise the seconds until they are available (nothing is
        taken then).

        More tokens than a full bucket holds are granted once the bucket is full, leaving it in debt: the
        average rate stays ``rate`` and the next requests wait for the debt to be paid back.
        """
        now = self.clock()
        needed = min(float(count), self.rate)
        with self._lock:
            tokens, since = self._buckets.pop(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - since) * self.rate)
            granted = tokens >= needed
            if granted:
                tokens -= count
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                del self._buckets[next(iter(self._buckets))]
            return 0.0 if granted else (needed - tokens) / self.rate


class RateLimit:
    """Refuse a partner's requests over ``per_second`` with 429 ``RATE_LIMITED`` (0 turns the limit off).

    A request's KS is charged as `admit` says: to its partner once the partner is known to have signed it, and
    to the client address before that, so that a forged KS cannot spend the partner's tokens. Requests
    without a KS pass through to be refused by authentication; API v3 requests pass through to be counted by
    their router (`admit`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: int,
        engine: Engine,
        clock: Callable[[], float] = time.monotonic,
        buckets: TokenBuckets | None = None,
        address_buckets: TokenBuckets | None = None,
        unverified_buckets: TokenBuckets | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        if buckets is None and per_second > 0:
            buckets = TokenBuckets(float(per_second), clock)
        if address_buckets is None and per_second > 0:
            address_buckets = TokenBuckets(float(per_second), clock)
        if unverified_buckets is None and per_second > 0:
            unverified_buckets = unverified_buckets_of(per_second, clock)
        self.buckets = buckets
        self.address_buckets = address_buckets
        self.unverified_buckets = unverified_buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or str(scope["path"]).startswith(API_V3_PREFIX):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        host = str(client[0]) if client else ""
        wait = await admit(
            self.buckets,
            self.address_buckets,
            self.engine,
            _header_ks(scope) or _query_ks(scope),
            host,
            unverified_buckets=self.unverified_buckets,
        )
        if wait > 0.0:
            await _refuse(send, wait)
            return
        await self.app(scope, receive, send)


async def admit(
    buckets: TokenBuckets | None,
    address_buckets: TokenBuckets | None,
    engine: Engine,
    ks: str | None,
    client_host: str,
    count: int = 1,
    *,
    unverified_buckets: TokenBuckets | None = None,
) -> float:
    """Take `count` tokens for a request carrying `ks`: 0.0 when granted (or there is nothing to count),
    otherwise the seconds until they are available.

    A KS this process has verified takes its partner's tokens. Any other takes the client address's first and one
    of `unverified_buckets` (one verification, whatever `count`), then is verified, and takes its partner's if it
    passes: one that does not is left for authentication to refuse.
    (The player's beacons take the same tokens themselves, and answer in the player's protocol instead,
    api/v3/analytics.py.)
    """
    if buckets is None or not ks:
        return 0.0
    partner_id = vouched_partner(ks)
    if partner_id is None:
        wait = verification_wait(address_buckets, unverified_buckets, client_host, count)
        if wait > 0.0:
            return wait
        partner_id = await run_in_threadpool(vouch, engine, ks)
        if partner_id is None:
            return 0.0
    return buckets.take(partner_id, count)


def verification_wait(
    address_buckets: TokenBuckets | None,
    unverified_buckets: TokenBuckets | None,
    client_host: str,
    count: int = 1,
) -> float:
    """Take what a request takes before the database is read for something it claims that no bucket of its
    partner's vouches for (a KS not known to be signed, a partner id not known to exist): `count` tokens of its
    client address's bucket, then one of the process's verifications. 0.0 when granted, otherwise the seconds
    until they are available (the address's tokens stay taken when the verification is refused)."""
    if address_buckets is not None:
        wait = address_buckets.take(address_key(client_host), count)
        if wait > 0.0:
            return wait
    if unverified_buckets is not None:
        return unverified_buckets.take(_EVERY_ADDRESS)
    return 0.0


def unverified_buckets_of(per_second: int, clock: Callable[[], float] = time.monotonic) -> TokenBuckets:
    """The bucket of verifications of KSs not known yet, for a partner rate of `per_second`."""
    return TokenBuckets(float(UNVERIFIED_RATE_FACTOR * per_second), clock)


def address_key(host: str) -> int:
    """The bucket key of a client address: an IPv4 address itself, an IPv6 address its /64 (a host given a /64
    has every address in it); 0 for a host that is no address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return 0
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return int(address.ipv4_mapped)
        return _IPV6_KEYS + (int(address) >> _IPV6_HOST_BITS)
    return int(address)


def refused(wait: float) -> RateLimited:
    """The error of a request refused for its partner's rate; `wait` is the seconds until a token is there."""
    return RateLimited(
        "Too many requests for this partner; retry later", args={"RETRY_AFTER": round(wait, 3)}
    )


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header of a refusal: whole seconds, at least 1."""
    return str(max(1, int(wait + 0.999)))


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
