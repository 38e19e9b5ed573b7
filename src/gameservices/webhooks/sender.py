"""Sending one signed attempt over HTTP: to the checked address only, no redirects, 10 seconds in all (connecting,
sending, the answer's headers and as much of its body as is read), at most 256 KB of the answer read.

httpx's timeouts bound each network operation, so a receiver answering a byte at a time could hold an attempt
for as long as it liked. The client's connections therefore come from a network backend whose every operation
gets no more than what is left of its attempt's 10 seconds (`_Deadline`): the attempt ends by its deadline,
whatever the receiver does."""

import concurrent.futures
import email.utils
import functools
import http.cookiejar
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from gameservices.storage.webhook_deliveries import Attempt
from gameservices.webhooks import signing
from gameservices.webhooks.targets import TargetPolicy, TargetRefused

TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 256 * 1024
USER_AGENT = "gameservices-webhooks/1"
MAX_ERROR = 1024
# Answers whose Retry-After header is honoured (Standard Webhooks: throttling and unavailability).
RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class Sent:
    """How an attempt went: the answer's status (None when there was none), what went wrong, if anything, and
    how long the receiver asked to be left alone (``Retry-After`` of a 429 or 503 answer, seconds)."""

    status_code: int | None
    error: str | None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        """A 2xx answer: the receiver has the message."""
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """Sends attempts through one pooled HTTP client; safe to share between threads."""

    def __init__(
        self,
        targets: TargetPolicy,
        *,
        connections: int = 32,
        timeout: float = TIMEOUT_SECONDS,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._targets = targets
        self._timeout = timeout
        # The signature's timestamp is the real time of the attempt, whatever clock schedules the attempts.
        self._wall_clock = wall_clock
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        # No cookies are kept: one receiver's cookie must not travel with another webhook's messages.
        no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._client = httpx.Client(
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
            cookies=no_cookies,
            transport=_DeadlineTransport(limits),
        )
        self._timeouts = self._client.timeout.as_dict()

    @property
    def timeout(self) -> float:
        """Seconds an attempt may take."""
        return self._timeout

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def send(self, attempt: Attempt) -> Sent:
        """POST the attempt's body, signed, to its webhook's URL."""
        if len(attempt.payload) > MAX_BODY_BYTES:
            return Sent(None, f"the body is larger than {MAX_BODY_BYTES} bytes")
        # The deadline covers resolving the host too: an attempt ends within the timeout however slowly the
        # webhook's name server answers (the lease that keeps other dispatchers off is sized on that).
        deadline = time.monotonic() + self._timeout
        try:
            request = _resolving.submit(self._request, attempt).result(timeout=self._timeout)
        except TargetRefused as error:
            return Sent(None, f"refused: {error}")
        except concurrent.futures.TimeoutError:
            return Sent(None, f"timed out after {self._timeout:g} s (resolving the host)")
        try:
            with _deadline.until(deadline):
                response = self._client.send(request, stream=True)
                try:
                    _read_limited(response, deadline)
                finally:
                    response.close()
        except httpx.TimeoutException:
            return Sent(None, f"timed out after {self._timeout:g} s")
        except httpx.HTTPError as error:
            return Sent(None, _shortened(f"{type(error).__name__}: {error}"))
        if response.is_redirect:
            return Sent(response.status_code, "redirects are not followed: give the webhook its final URL")
        if not 200 <= response.status_code < 300:
            again = retry_after(response, self._wall_clock())
            return Sent(response.status_code, f"answered HTTP {response.status_code}", again)
        return Sent(response.status_code, None)

    def _request(self, attempt: Attempt) -> httpx.Request:
        url = self._targets.parse(attempt.url)
        address = self._targets.address(url)
        pinned, host = _pinned(url, str(address))
        keys = tuple(signing.secret_key(secret) for secret in attempt.secrets)
        headers = {
            "Host": url.netloc.decode("ascii"),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signing.headers(keys, attempt.delivery_id, int(self._wall_clock()), attempt.payload),
        }
        # TLS still names (SNI) and checks the certificate of the host, not of the address connected to.
        extensions: dict[str, Any] = {"timeout": self._timeouts}
        if url.scheme == "https" and host != str(address):
            extensions["sni_hostname"] = host
        # Built directly, not by the client: nothing of the client's (default headers, cookies) is merged in.
        return httpx.Request("POST", pinned, headers=headers, content=attempt.payload, extensions=extensions)


# Resolves webhooks' hosts (and builds their requests) so that an attempt need not wait for a slow name server
# past its deadline; a lookup left behind finishes here on its own (getaddrinfo cannot be interrupted).
_resolving = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-resolve")


@functools.lru_cache(maxsize=1024)
def _pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, str]:
    """The URL with its host replaced by the address checked for it, and the host (kept: building a URL costs)."""
    return url.copy_with(host=address), url.raw_host.decode("ascii")


def retry_after(response: httpx.Response, now: float) -> float | None:
    """How many seconds a 429 or 503 answer asks to be left alone: its ``Retry-After`` header, as seconds or as
    an HTTP date (``now`` is the epoch seconds it is compared with); None without one or with one that does not
    parse (a malformed header is taken as absent)."""
    value = response.headers.get("retry-after", "").strip()
    if response.status_code not in RETRY_AFTER_STATUSES or not value:
        return None
    if value.isascii() and value.isdigit():  # not isdigit() alone: "²" is a digit int() refuses
        return float(int(value[:9]))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now) if when.tzinfo is not None else None


def _read_limited(response: httpx.Response, deadline: float) -> None:
    """Read (and drop) the answer up to the size limit, so the connection can carry the next attempt."""
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > MAX_BODY_BYTES or time.monotonic() > deadline:
            return  # the rest is not needed: closing the response drops the connection


class _Deadline(threading.local):
    """The deadline of the attempt the calling thread is sending (monotonic seconds; None: not sending one)."""

    at: float | None = None

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        self.at = deadline
        try:
            yield
        finally:
            self.at = None

    def bound(self, timeout: float | None) -> float | None:
        """A network operation's timeout, cut to what is left before the deadline (never 0, which would mean
        not waiting at all rather than timing out at once)."""
        if self.at is None:
            return timeout
        left = max(self.at - time.monotonic(), 0.001)
        return left if timeout is None else min(timeout, left)


_deadline = _Deadline()


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the deadline of the attempt using it."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _deadline.bound(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _BoundedStream(self._stream.start_tls(ssl_context, server_hostname, _deadline.bound(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, its connections bounded by their attempts' deadlines."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _deadline.bound(timeout)
        return _BoundedStream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _deadline.bound(timeout)
        return _BoundedStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport (its request and exception mapping) over a pool of bounded connections."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_BoundedBackend(),
        )


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."
