"""Sending one signed attempt over HTTP: to the checked address only, no redirects, a 10-second timeout, at most
256 KB of the answer read."""

import email.utils
import functools
import http.cookiejar
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
            timeout=timeout, limits=limits, trust_env=False, follow_redirects=False, cookies=no_cookies
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
        try:
            request = self._request(attempt)
        except TargetRefused as error:
            return Sent(None, f"refused: {error}")
        started = time.monotonic()
        try:
            response = self._client.send(request, stream=True)
            try:
                _read_limited(response, started + self._timeout)
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


@functools.lru_cache(maxsize=1024)
def _pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, str]:
    """The URL with its host replaced by the address checked for it, and the host (kept: building a URL costs)."""
    return url.copy_with(host=address), url.raw_host.decode("ascii")


def retry_after(response: httpx.Response, now: float) -> float | None:
    """How many seconds a 429 or 503 answer asks to be left alone: its ``Retry-After`` header, as seconds or as
    an HTTP date (``now`` is the epoch seconds it is compared with); None without one or with one that does not
    parse."""
    value = response.headers.get("retry-after", "").strip()
    if response.status_code not in RETRY_AFTER_STATUSES or not value:
        return None
    if value.isdigit():
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


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."
