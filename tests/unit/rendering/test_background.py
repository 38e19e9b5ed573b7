"""Background fetching: data URLs, image conversion, the address check, redirects, limits and the cache.

Every HTTP test talks to a server on 127.0.0.1 in this process; a guard fails any test that tries to
connect anywhere else, so refusals are proven without sending traffic to the refused addresses.
"""

import base64
import contextlib
import io
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from gameservices.rendering.background import (
    BackgroundError,
    BackgroundLoader,
    FetchPolicy,
    IpAddress,
    _read_limited,
    is_public_address,
    resolve_host,
    to_background,
)

Route = Callable[[BaseHTTPRequestHandler], None]


def image_bytes(
    image_format: str = "PNG", size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    image = Image.new("RGBA" if image_format == "PNG" else "RGB", size, color)
    output = io.BytesIO()
    image.save(output, image_format)
    return output.getvalue()


PNG = image_bytes()


def decoded(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return image


@dataclass
class ImageServer:
    """An HTTP server on 127.0.0.1 whose answers each test chooses by path."""

    port: int
    scheme: str = "http"
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    bytes_sent: dict[str, int] = field(default_factory=dict)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    def serve(self, path: str, body: bytes, content_type: str = "image/png", status: int = 200) -> None:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer

    def redirect(self, path: str, location: str) -> None:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = answer


@contextlib.contextmanager
def running_server(tls: ssl.SSLContext | None = None) -> Iterator[ImageServer]:
    """An `ImageServer` on 127.0.0.1 in a thread, speaking https when given a TLS context."""
    state: ImageServer | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert state is not None
            state.requests.append((self.path, self.headers.get("Host", "")))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            # The client may stop reading, as it should past a limit.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    state = ImageServer(port=httpd.server_address[1], scheme="http" if tls is None else "https")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with running_server() as state:
        yield state


@pytest.fixture(autouse=True)
def only_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection beyond 127.0.0.1 and any name lookup but `localhost` (read from /etc/hosts)."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: object) -> None:
        assert isinstance(address, tuple) and address[0] == "127.0.0.1", (
            f"connect to {address} refused by test"
        )
        real_connect(sock, address)

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        # socket.create_connection passes IP literals through here too; those need no DNS.
        assert host == "localhost" or _is_ip(host), f"DNS lookup of {host} refused by test"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def open_loader(**policy: Any) -> BackgroundLoader:
    return BackgroundLoader(FetchPolicy(allow_private_addresses=True, **policy))


def names(table: dict[str, list[str]]) -> Callable[[str, int], list[IpAddress]]:
    """A resolver answering from `table` (never from DNS)."""

    def resolve(host: str, port: int) -> list[IpAddress]:
        return [ipaddress.ip_address(address) for address in table[host]]

    return resolve


def failure(call: Callable[[], object]) -> BackgroundError:
    with pytest.raises(BackgroundError) as caught:
        call()
    return caught.value


# --- data: URLs and image conversion -------------------------------------------------------------------


def test_a_base64_data_url_becomes_an_rgb_jpeg_of_the_same_size() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    background = BackgroundLoader().load(url)
    image = decoded(background.jpeg)
    assert (background.width, background.height) == (40, 30) == image.size
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((20, 15))  # type: ignore[misc]
    assert abs(red - 200) <= 4 and abs(green - 30) <= 4 and abs(blue - 30) <= 4


def test_a_percent_encoded_data_url_is_decoded() -> None:
    gif = image_bytes("GIF", (12, 8), (0, 0, 255))
    background = BackgroundLoader().load("data:image/gif," + urllib.parse.quote_from_bytes(gif))
    assert (background.width, background.height) == (12, 8)


def test_base64_may_be_wrapped_and_unpadded() -> None:
    encoded = base64.b64encode(PNG).decode().rstrip("=")
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    assert BackgroundLoader().load("DATA:image/png;BASE64," + wrapped).width == 40


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("data:image/png;base64", "bad_url"),
        ("data:image/png;base64,@@@@", "bad_url"),
        ("data:text/plain,hello", "not_an_image"),
        ("data:,", "not_an_image"),
        (
            "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode(),
            "not_an_image",
        ),
        (
            "data:application/postscript,"
            + urllib.parse.quote("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 9 9\n"),
            "not_an_image",
        ),
    ],
    ids=["no-comma", "bad-base64", "text", "empty", "broken-png", "eps"],
)
def test_bad_data_urls_are_refused(url: str, reason: str) -> None:
    assert failure(lambda: BackgroundLoader().load(url)).reason == reason


def test_a_data_url_over_the_size_limit_is_refused() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    error = failure(lambda: BackgroundLoader(FetchPolicy(max_bytes=len(PNG) - 1)).load(url))
    assert error.reason == "too_large"
    assert error.message == f"The background is larger than {len(PNG) - 1} bytes"


def test_transparent_areas_become_white() -> None:
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    image.putpixel((0, 0), (0, 0, 0, 255))
    output = io.BytesIO()
    image.save(output, "PNG")
    flattened = decoded(to_background(output.getvalue(), 1_000_000).jpeg)
    assert min(flattened.getpixel((8, 8))) >= 250  # type: ignore[arg-type]


def test_grayscale_and_palette_images_become_rgb() -> None:
    for mode in ("L", "P"):
        output = io.BytesIO()
        Image.new(mode, (8, 6)).save(output, "PNG")
        assert decoded(to_background(output.getvalue(), 1_000_000).jpeg).mode == "RGB"


def test_an_exif_rotation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    background = to_background(output.getvalue(), 1_000_000)
    assert (background.width, background.height) == (20, 40)


@pytest.mark.parametrize(("size", "max_pixels"), [((100, 100), 9_999), ((14_401, 1), 1_000_000)])
def test_images_too_large_to_be_a_page_are_refused(size: tuple[int, int], max_pixels: int) -> None:
    output = io.BytesIO()
    Image.new("L", size).save(output, "PNG")
    assert failure(lambda: to_background(output.getvalue(), max_pixels)).reason == "too_large"


# --- the address check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("172.32.0.1", True),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:8.8.8.8", True),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("2606:4700:4700::1111", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_the_default_resolver_reads_localhost_locally() -> None:
    assert ipaddress.ip_address("127.0.0.1") in resolve_host("localhost", 80)


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/background.png",
        "http://10.0.0.1/background.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/background.png",
        "http://[::ffff:127.0.0.1]:{port}/background.png",
        "http://0.0.0.0:{port}/background.png",
        "http://localhost:{port}/background.png",
        "https://intranet.example/background.png",
    ],
)
def test_private_addresses_are_refused_before_connecting(server: ImageServer, target: str) -> None:
    server.serve("/background.png", PNG)
    loader = BackgroundLoader(FetchPolicy(), resolve=_with_localhost({"intranet.example": ["192.168.1.10"]}))
    error = failure(lambda: loader.load(target.format(port=server.port)))
    assert error.reason == "forbidden_address"
    assert "where the service may not fetch from" in error.message
    assert server.requests == []


def _with_localhost(table: dict[str, list[str]]) -> Callable[[str, int], list[IpAddress]]:
    lookup = names(table)
    return lambda host, port: resolve_host(host, port) if host == "localhost" else lookup(host, port)


def test_a_host_is_refused_when_any_of_its_addresses_is_private(server: ImageServer) -> None:
    server.serve("/background.png", PNG)
    resolve = names({"images.example": ["127.0.0.1", "10.0.0.1"]})
    loader = BackgroundLoader(FetchPolicy(trusted_networks=("127.0.0.1/32",)), resolve=resolve)
    error = failure(lambda: loader.load(server.url("/background.png", "images.example")))
    assert error.reason == "forbidden_address"
    assert "10.0.0.1" in error.message


def test_the_connection_goes_to_the_checked_address_without_resolving_again(server: ImageServer) -> None:
    server.serve("/background.png", PNG)
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])  # a rebinding name: checked once, then private
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[IpAddress]:
        calls.append(host)
        return [ipaddress.ip_address(address) for address in next(answers)]

    # only_loopback_traffic fails the test should anything look "images.example" up in DNS.
    loader = BackgroundLoader(FetchPolicy(trusted_networks=("127.0.0.1/32",)), resolve=rebinding)
    background = loader.load(server.url("/background.png", "images.example"))
    assert background.width == 40
    assert calls == ["images.example"]
    assert server.requests == [("/background.png", f"images.example:{server.port}")]


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/background.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/background.png",
        "http://metadata.example/computeMetadata/v1/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(server: ImageServer, location: str) -> None:
    server.redirect("/moved", location.format(port=server.port))
    resolve = names({"images.example": ["127.0.0.1"], "metadata.example": ["169.254.169.254"]})
    loader = BackgroundLoader(FetchPolicy(trusted_networks=("127.0.0.1/32",)), resolve=resolve)
    error = failure(lambda: loader.load(server.url("/moved", "images.example")))
    assert error.reason == "forbidden_address"
    assert server.requests == [("/moved", f"images.example:{server.port}")]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://images.example/a.png",
        "gopher://images.example/",
        "http:///a.png",
        "a.png",
    ],
)
def test_only_http_https_and_data_urls_are_fetched(url: str) -> None:
    assert failure(lambda: BackgroundLoader().load(url)).reason == "bad_url"


def test_a_redirect_to_another_scheme_is_refused(server: ImageServer) -> None:
    server.redirect("/moved", "file:///etc/passwd")
    assert failure(lambda: open_loader().load(server.url("/moved"))).reason == "bad_url"


# --- fetching ---------------------------------------------------------------------------------------------


def test_an_image_is_fetched_over_http(server: ImageServer) -> None:
    server.serve("/background.png", PNG)
    background = open_loader().load(server.url("/background.png"))
    assert (background.width, background.height) == (40, 30)
    assert server.requests == [("/background.png", f"127.0.0.1:{server.port}")]


def test_localhost_is_fetched_when_private_addresses_are_allowed(server: ImageServer) -> None:
    server.serve("/background.png", PNG)
    assert open_loader().load(server.url("/background.png", "localhost")).height == 30
    assert server.requests == [("/background.png", f"localhost:{server.port}")]


def test_three_redirects_are_followed(server: ImageServer) -> None:
    server.redirect("/one", "/two")
    server.redirect("/two", server.url("/three"))
    server.redirect("/three", "background.png")
    server.serve("/background.png", PNG)
    assert open_loader().load(server.url("/one")).width == 40
    assert [path for path, _ in server.requests] == ["/one", "/two", "/three", "/background.png"]


def test_a_fourth_redirect_is_refused(server: ImageServer) -> None:
    for step in range(4):
        server.redirect(f"/{step}", f"/{step + 1}")
    server.serve("/4", PNG)
    error = failure(lambda: open_loader().load(server.url("/0")))
    assert error.message == f"The background {server.url('/0')} redirects more than 3 times"
    assert [path for path, _ in server.requests] == ["/0", "/1", "/2", "/3"]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (404, b"missing", "http_status"),
        (500, b"", "http_status"),
        (200, b"<html>hello</html>", "not_an_image"),
    ],
)
def test_answers_that_are_not_images_are_refused(
    server: ImageServer, status: int, body: bytes, reason: str
) -> None:
    server.serve("/background.png", body, "text/html", status)
    assert failure(lambda: open_loader().load(server.url("/background.png"))).reason == reason


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(lambda: open_loader().load(f"http://127.0.0.1:{port}/background.png"))
    assert error.reason == "unreachable"


def test_a_host_without_addresses_is_unreachable() -> None:
    loader = BackgroundLoader(FetchPolicy(), resolve=names({"empty.example": []}))
    assert failure(lambda: loader.load("https://empty.example/a.png")).reason == "unreachable"


def test_a_declared_length_over_the_limit_is_refused_unread(server: ImageServer) -> None:
    server.serve("/big.png", PNG)
    assert (
        failure(lambda: open_loader(max_bytes=len(PNG) - 1).load(server.url("/big.png"))).reason
        == "too_large"
    )


@pytest.mark.parametrize("declared", [b"\xb2", b"12\xb2", b"", b"lots"])
def test_a_declared_length_that_is_no_number_is_not_trusted(declared: bytes) -> None:
    # h11 refuses such a header before it gets here; the reader does not lean on that ("\xb2": superscript two,
    # which str.isdigit() takes and int() refuses).
    def answer() -> httpx.Response:
        return httpx.Response(200, headers=[(b"Content-Length", declared)], stream=httpx.ByteStream(PNG))

    assert _read_limited(answer(), len(PNG), time.monotonic() + 5) == PNG
    assert failure(lambda: _read_limited(answer(), len(PNG) - 1, time.monotonic() + 5)).reason == "too_large"


def test_an_endless_answer_is_cut_at_the_limit(server: ImageServer) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the body runs until the connection closes
        chunk = b"\0" * 65_536
        for _ in range(1_024):  # 64 MiB at most
            handler.wfile.write(chunk)
            server.bytes_sent["/endless"] = server.bytes_sent.get("/endless", 0) + len(chunk)

    server.routes["/endless"] = endless
    started = time.monotonic()
    error = failure(lambda: open_loader(max_bytes=100_000).load(server.url("/endless")))
    assert error.reason == "too_large"
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert server.bytes_sent["/endless"] < 8 * 1024 * 1024  # far from the 64 MiB on offer


def test_a_silent_server_times_out(server: ImageServer) -> None:
    def silent(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)

    server.routes["/slow.png"] = silent
    started = time.monotonic()
    error = failure(lambda: open_loader(timeout=0.3).load(server.url("/slow.png")))
    assert error.reason == "timeout"
    assert time.monotonic() - started < 1.2


def test_a_trickling_server_hits_the_total_timeout(server: ImageServer) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        for _ in range(30):
            handler.wfile.write(b"\0")
            handler.wfile.flush()
            time.sleep(0.1)

    server.routes["/trickle.png"] = trickle
    started = time.monotonic()
    error = failure(lambda: open_loader(timeout=1, total_timeout=0.5).load(server.url("/trickle.png")))
    assert error.reason == "timeout"
    assert time.monotonic() - started < 1.5


def signed_certificate(folder: Path, host: str) -> ssl.SSLContext:
    """A server TLS context whose certificate names `host`, signed by a new CA written to folder/ca.pem."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gameservices test CA")])
    ca = (
        _certificate_builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    leaf = (
        _certificate_builder(server_name, ca_name, key.public_key(), now)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem")
    return context


def _certificate_builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


@pytest.mark.parametrize(("certified_host", "works"), [("images.example", True), ("other.example", False)])
def test_https_to_the_pinned_address_verifies_the_host_name(
    tmp_path: Path, certified_host: str, works: bool
) -> None:
    with running_server(signed_certificate(tmp_path, certified_host)) as tls_server:
        tls_server.serve("/background.png", PNG)
        policy = FetchPolicy(trusted_networks=("127.0.0.1/32",), ca_file=str(tmp_path / "ca.pem"))
        loader = BackgroundLoader(policy, resolve=names({"images.example": ["127.0.0.1"]}))
        url = tls_server.url("/background.png", "images.example")
        if works:
            assert loader.load(url).width == 40
            assert tls_server.requests == [("/background.png", f"images.example:{tls_server.port}")]
        else:
            error = failure(lambda: loader.load(url))
            assert error.reason == "unreachable"
            assert "certificate verify failed" in error.message
            assert tls_server.requests == []


# --- the cache --------------------------------------------------------------------------------------------


def test_a_background_is_fetched_once(server: ImageServer) -> None:
    server.serve("/background.png", PNG)
    loader = open_loader()
    first = loader.load(server.url("/background.png"))
    assert loader.load(server.url("/background.png")) is first
    assert server.hits("/background.png") == 1


def test_the_least_recently_used_background_leaves_the_cache_first(server: ImageServer) -> None:
    for path in ("/a.png", "/b.png", "/c.png"):
        server.serve(path, PNG)
    loader = open_loader(cache_entries=2)
    for path in ("/a.png", "/b.png", "/a.png", "/c.png", "/b.png", "/c.png"):
        loader.load(server.url(path))
    # a, b, a (cached), c (b leaves), b (a leaves), c (cached)
    assert [server.hits(path) for path in ("/a.png", "/b.png", "/c.png")] == [1, 2, 1]


@pytest.mark.parametrize("policy", [{"cache_bytes": 100}, {"cache_seconds": 0.0}, {"cache_entries": 0}])
def test_cache_limits(server: ImageServer, policy: dict[str, float]) -> None:
    server.serve("/background.png", PNG)
    loader = open_loader(**policy)
    loader.load(server.url("/background.png"))
    loader.load(server.url("/background.png"))
    assert server.hits("/background.png") == 2


def test_failures_are_not_cached(server: ImageServer) -> None:
    loader = open_loader()
    assert failure(lambda: loader.load(server.url("/later.png"))).reason == "http_status"
    server.serve("/later.png", PNG)
    assert loader.load(server.url("/later.png")).width == 40


def test_long_data_urls_are_cached_too() -> None:
    big = image_bytes("BMP", (400, 300), (1, 2, 3))
    url = "data:image/bmp;base64," + base64.b64encode(big).decode()
    loader = BackgroundLoader()
    assert loader.load(url) is loader.load(url)
