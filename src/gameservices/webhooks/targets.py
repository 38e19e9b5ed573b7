"""Where a webhook may send: http(s) URLs whose host resolves only to public addresses, the rules certificate
backgrounds follow (``rendering.background.is_public_address``), unless private targets are allowed.

The check runs when a webhook is created or changed and again before every attempt: the host is resolved, every
address it resolves to must be public, and the attempt connects to the checked address itself, so a second DNS
answer cannot move it into the service's own network (DNS rebinding).
"""

import functools
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from gameservices.rendering.background import IpAddress, is_public_address

MAX_URL = 2048
Resolver = Callable[[str, int], list[IpAddress]]


class TargetRefused(Exception):
    """A URL the service will not send to; the message says why."""


def resolve_host(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to, in the resolver's order."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"cannot resolve the host {host}") from error
    addresses: list[IpAddress] = []
    for *_, socket_address in answers:
        address = ipaddress.ip_address(str(socket_address[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses deliveries may go to; ``allow_private`` lifts the public-address rule."""

    allow_private: bool = False
    resolve: Resolver = resolve_host

    def parse(self, url: str) -> httpx.URL:
        """The URL if it is an absolute http or https URL without credentials (TargetRefused otherwise)."""
        return _parsed(url)

    def address(self, url: httpx.URL) -> IpAddress:
        """The address to connect to for ``url``: its host's first address, once every address is allowed."""
        host = url.raw_host.decode("ascii")
        literal = _ip_literal(host)
        addresses = [literal] if literal is not None else self.resolve(host, url.port or _default_port(url))
        if not addresses:
            raise TargetRefused(f"the host {host} has no address")
        if not self.allow_private:
            for address in addresses:
                if not is_public_address(address):
                    raise TargetRefused(f"the host {host} is at {address}, where webhooks may not be sent")
        return addresses[0]

    def check(self, url: str) -> str:
        """The URL as stored, once it passes every rule (TargetRefused otherwise)."""
        parsed = self.parse(url)
        self.address(parsed)
        return str(parsed)


@functools.lru_cache(maxsize=1024)
def _parsed(url: str) -> httpx.URL:
    # Parsed once per URL (a pure function of the text): every attempt parses its webhook's URL.
    if len(url) > MAX_URL:
        raise TargetRefused(f"longer than {MAX_URL} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise TargetRefused("not a valid URL") from error
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise TargetRefused("must be an http or https URL")
    if parsed.userinfo:
        raise TargetRefused("must not carry a user name or password")
    return parsed.copy_with(fragment=None)


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _ip_literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
