"""Certificate backgrounds: get the image a template's first element names, safely, ready for the PDF.

A background `url` is a `data:` URL (base64 or percent-encoded) or an http/https URL. A remote fetch refuses
addresses inside the service's own network (loopback, private, link-local with the cloud metadata address,
unspecified, multicast, reserved): the host name is resolved here, every address it resolves to is checked,
and the connection goes to the checked address itself, so a second DNS answer cannot move it elsewhere (DNS
rebinding). Each redirect is checked the same way. Responses are streamed and cut at a size limit.

The image is decoded with Pillow (common web formats only) and re-encoded once as an RGB JPEG, which the PDF
embeds as it is. Results are kept in a bounded LRU cache keyed by URL. Every failure is a `BackgroundError`.
"""

import base64
import binascii
import hashlib
import io
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx
from PIL import Image, ImageOps

from gameservices.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IpAddress]]
FailureReason = Literal[
    "bad_url", "forbidden_address", "unreachable", "timeout", "http_status", "too_large", "not_an_image"
]

JPEG_QUALITY = 90
# Formats a certificate background may come in; Pillow's other decoders (EPS runs Ghostscript) stay unused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
# Acrobat refuses pages wider or taller than 200 inches, and a page here is as large as its image.
MAX_PAGE_SIDE = 14_400
_REQUEST_HEADERS = {
    "Accept": "image/*",
    "Accept-Encoding": "identity",
    "User-Agent": "gameservices-certificates",
}
_CACHE_KEY_MAX = 2048


class BackgroundError(InvalidInput):
    """The background image of a certificate could not be had (a 400: the template names it); `reason` says why."""

    default_code = "CERTIFICATE_BACKGROUND_ERROR"

    def __init__(self, message: str, *, reason: FailureReason) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Background:
    """A background ready for the PDF: RGB JPEG bytes and the image's size in pixels."""

    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of background fetching; `allow_private_addresses` turns the address check off."""

    timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 3
    max_pixels: int = 25_000_000
    allow_private_addresses: bool = False
    # Networks allowed despite the address check, e.g. an intranet image server ("10.1.2.0/24").
    trusted_networks: tuple[str, ...] = ()
    # CA bundle (PEM) that https servers' certificates must chain to instead of the public ones.
    ca_file: str | None = None
    cache_entries: int = 64
    cache_bytes: int = 100 * 1024 * 1024
    cache_seconds: float = 3600.0


def is_public_address(address: IpAddress) -> bool:
    """Whether an address is none of loopback, private, link-local, unspecified, multicast, reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # IPv4-mapped, 6to4 and NAT64 addresses reach the IPv4 address they carry.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve_host(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to, in the resolver's order."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise BackgroundError(f"Cannot resolve the background host {host}", reason="unreachable") from error
    addresses: list[IpAddress] = []
    for *_, socket_address in answers:
        address = ipaddress.ip_address(str(socket_address[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class BackgroundLoader:
    """Loads backgrounds under one `FetchPolicy`, with its own cache; safe to share between threads."""

    def __init__(self, policy: FetchPolicy | None = None, *, resolve: Resolver = resolve_host) -> None:
        self._policy = policy or FetchPolicy()
        self._resolve = resolve
        self._trusted = [ipaddress.ip_network(network) for network in self._policy.trusted_networks]
        self._cache = _Cache(self._policy.cache_entries, self._policy.cache_bytes, self._policy.cache_seconds)

    def load(self, url: str) -> Background:
        """The background at `url` (http, https or data), from the cache when it is there."""
        url = url.strip()
        key = url if len(url) <= _CACHE_KEY_MAX else hashlib.sha256(url.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if url[:5].lower() == "data:":
            data = decode_data_url(url, self._policy.max_bytes)
        else:
            data = self._fetch(_http_url(url))
        background = to_background(data, self._policy.max_pixels)
        self._cache.put(key, background)
        return background

    def _fetch(self, url: httpx.URL) -> bytes:
        policy, asked = self._policy, url
        deadline = time.monotonic() + policy.total_timeout
        try:
            verify = ssl.create_default_context(cafile=policy.ca_file) if policy.ca_file else True
            with httpx.Client(
                verify=verify, timeout=policy.timeout, trust_env=False, headers=_REQUEST_HEADERS
            ) as client:
                for _ in range(policy.max_redirects + 1):
                    response = client.send(self._pinned_request(client, url), stream=True)
                    try:
                        location = response.headers.get("Location")
                        if response.is_redirect and location:
                            url = _http_url(str(url.join(location)))
                            continue
                        if not response.is_success:
                            raise BackgroundError(
                                f"{_shown(url)} answered HTTP {response.status_code}",
                                reason="http_status",
                            )
                        return _read_limited(response, policy.max_bytes, deadline)
                    finally:
                        response.close()
        except httpx.TimeoutException as error:
            raise BackgroundError(
                f"Fetching the background {_shown(url)} timed out", reason="timeout"
            ) from error
        except httpx.HTTPError as error:
            raise BackgroundError(
                f"The background {_shown(url)} is unreachable: {error}", reason="unreachable"
            ) from error
        raise BackgroundError(
            f"The background {_shown(asked)} redirects more than {policy.max_redirects} times",
            reason="unreachable",
        )

    def _pinned_request(self, client: httpx.Client, url: httpx.URL) -> httpx.Request:
        """A request for `url` sent to the checked address; Host and TLS (SNI, certificate) name the host."""
        host = url.raw_host.decode("ascii")
        address = self._checked_address(host, url.port or (443 if url.scheme == "https" else 80))
        extensions = {"sni_hostname": host} if url.scheme == "https" and _ip_literal(host) is None else {}
        return client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers={"Host": url.netloc.decode("ascii")},
            extensions=extensions,
        )

    def _checked_address(self, host: str, port: int) -> IpAddress:
        literal = _ip_literal(host)
        addresses = [literal] if literal is not None else self._resolve(host, port)
        if not addresses:
            raise BackgroundError(f"The background host {host} has no address", reason="unreachable")
        for address in addresses:
            if self._policy.allow_private_addresses or any(address in network for network in self._trusted):
                continue
            if not is_public_address(address):
                raise BackgroundError(
                    f"The background host {host} is at {address}, where the service may not fetch from",
                    reason="forbidden_address",
                )
        return addresses[0]


def decode_data_url(url: str, max_bytes: int) -> bytes:
    """The bytes a `data:` URL carries, base64 or percent-encoded."""
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise BackgroundError("A data: URL needs a comma before its data", reason="bad_url")
    raw = urllib.parse.unquote_to_bytes(payload)
    if header.split(";")[-1].strip().lower() == "base64":
        compact = b"".join(raw.split())
        try:
            raw = base64.b64decode(compact + b"=" * (-len(compact) % 4), validate=True)
        except binascii.Error as error:
            raise BackgroundError("The data: URL holds invalid base64", reason="bad_url") from error
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    return raw


def to_background(data: bytes, max_pixels: int) -> Background:
    """Decode an image, flatten it onto white, and re-encode it as an RGB JPEG."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
            if width * height > max_pixels or max(width, height) > MAX_PAGE_SIDE:
                raise BackgroundError(
                    f"The background image is {width}x{height} pixels, more than the service accepts",
                    reason="too_large",
                )
            upright = ImageOps.exif_transpose(image)
            rgb = _flatten(upright)
        output = io.BytesIO()
        rgb.save(output, "JPEG", quality=JPEG_QUALITY)
    except BackgroundError:
        raise
    except Exception as error:  # Pillow's decoders fail in many ways on damaged or hostile input.
        raise BackgroundError(
            "The background is not an image (JPEG, PNG, GIF, WebP or BMP)", reason="not_an_image"
        ) from error
    return Background(jpeg=output.getvalue(), width=rgb.width, height=rgb.height)


def _flatten(image: Image.Image) -> Image.Image:
    # Transparent areas become white, as on the paper a certificate is printed on, not JPEG's black.
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _read_limited(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    # ASCII digits only: str.isdigit() alone also takes "²", which int() refuses (h11 refuses it today, too).
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if time.monotonic() > deadline:
            raise BackgroundError("Fetching the background took too long", reason="timeout")
        chunks.append(chunk)
    return b"".join(chunks)


def _http_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise BackgroundError(
            f"The background url {_shown(url)} is not a valid URL", reason="bad_url"
        ) from error
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise BackgroundError(
            f"The background url {_shown(url)} is not an http, https or data: URL", reason="bad_url"
        )
    return parsed


def _ip_literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _too_large(max_bytes: int) -> BackgroundError:
    return BackgroundError(f"The background is larger than {max_bytes} bytes", reason="too_large")


def _shown(url: str | httpx.URL) -> str:
    text = str(url)
    return text if len(text) <= 120 else text[:117] + "..."


class _Cache:
    """A thread-safe LRU of backgrounds bounded by entries, JPEG bytes and age."""

    def __init__(self, max_entries: int, max_bytes: int, max_seconds: float) -> None:
        self._entries: OrderedDict[str, tuple[float, Background]] = OrderedDict()
        self._max_entries, self._max_bytes, self._max_seconds = max_entries, max_bytes, max_seconds
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Background | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] >= self._max_seconds:
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, background: Background) -> None:
        size = len(background.jpeg)
        with self._lock:
            if key in self._entries:
                self._remove(key)
            if self._max_entries < 1 or size > self._max_bytes:
                return
            self._entries[key] = (time.monotonic(), background)
            self._bytes += size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: str) -> None:
        _, background = self._entries.pop(key)
        self._bytes -= len(background.jpeg)
