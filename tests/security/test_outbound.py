"""Outbound fetches (OWASP API7, server-side request forgery) through the API: a certificate background cannot
reach loopback, private, link-local or metadata addresses, directly, through redirects, or through DNS names that
resolve to them. The fetcher's own unit tests are tests/unit/rendering/test_background.py."""

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.rendering.background import BackgroundLoader, FetchPolicy, IpAddress, resolve_host
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

FIELD = "outputFileConfiguration.outputFileElements[0].url"
NAMES = {
    "images.example": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "metadata.example": ["169.254.169.254"],
    "intranet.example": ["10.1.2.3"],
    "v6local.example": ["::1"],
    "mixed.example": ["93.184.216.34", "192.168.0.10"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


class Redirector(BaseHTTPRequestHandler):
    """Answers every path with a redirect to the location the path names (``/to/<url>``)."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Redirector.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", self.path.removeprefix("/to/"))
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def redirector() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every outbound connection attempt; any to an address other than 127.0.0.1 fails the test."""
    attempts: list[str] = []
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        attempts.append(str(address[0]))
        assert address[0] == "127.0.0.1", f"connection attempted to {address}"
        original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def _resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[IpAddress]]:
    def resolve(host: str, port: int) -> list[IpAddress]:
        if host not in table:
            return resolve_host(host, port)  # numeric forms such as 2130706433 resolve locally
        return [ipaddress.ip_address(address) for address in table[host]]

    return resolve


def _client(engine: Engine, policy: FetchPolicy, **settings: Any) -> TestClient:
    app = create_app(Settings(database_url="sqlite://", create_demo_partner=False, **settings), engine)
    app.state.backgrounds = BackgroundLoader(policy, resolve=_resolver(NAMES))
    return TestClient(app, raise_server_exceptions=False)


def _with_background(url: str) -> dict[str, Any]:
    body = guide.certificate_8_2()
    body["outputFileConfiguration"]["outputFileElements"][0]["url"] = url
    return body


DIRECT = [
    "http://127.0.0.1/bg.png",
    "http://localhost/bg.png",
    "http://[::1]/bg.png",
    "http://10.0.0.1/bg.png",
    "http://172.16.5.4/bg.png",
    "http://192.168.1.1/bg.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://0.0.0.0/bg.png",
    "http://2130706433/bg.png",
    "http://[::ffff:169.254.169.254]/",
    "http://metadata.example/computeMetadata/v1/",
    "http://intranet.example/bg.png",
    "http://v6local.example/bg.png",
    "http://mixed.example/bg.png",
    "http://mapped.example/bg.png",
    "file:///etc/passwd",
    "gopher://intranet.example/",
]


@pytest.mark.parametrize("url", DIRECT)
def test_private_targets_are_refused_on_create_and_update(
    engine: Engine, partner: Partner, connections: list[str], url: str
) -> None:
    with _client(engine, FetchPolicy()) as client:
        api = Api(client, partner.ks)
        status, error = api.call("certificate/create", _with_background(url))
        assert status == 400 and error["args"]["PARAM_NAME"] == FIELD, error
        created = api.ok("certificate/create", guide.certificate_8_2() | {"outputFileConfiguration": None})
        status, error = api.call(
            "certificate/update",
            {"id": created["id"], "outputFileConfiguration": {"outputFileElements": [{"url": url}]}},
        )
        assert status == 400 and error["args"]["PARAM_NAME"] == FIELD, error
        assert api.ok("certificate/list")["totalCount"] == 1
    assert connections == []


REDIRECTS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/bg.png",
    "http://[::1]/bg.png",
    "http://metadata.example/",
    "http://intranet.example/bg.png",
    "http://mixed.example/bg.png",
]


@pytest.mark.parametrize("target", REDIRECTS)
def test_redirects_to_private_targets_are_refused(
    engine: Engine, partner: Partner, redirector: int, connections: list[str], target: str
) -> None:
    # The redirecting server itself is trusted (an intranet image server); where it points is checked again.
    policy = FetchPolicy(trusted_networks=("127.0.0.1/32",))
    Redirector.hits.clear()
    with _client(engine, policy) as client:
        status, error = Api(client, partner.ks).call(
            "certificate/create", _with_background(f"http://images.example:{redirector}/to/{target}")
        )
    assert status == 400 and error["args"]["PARAM_NAME"] == FIELD, error
    assert "may not fetch" in error["message"], error
    assert Redirector.hits == [f"/to/{target}"]
    assert set(connections) == {"127.0.0.1"}


def test_serving_a_stored_private_background_fetches_nothing(
    engine: Engine, partner: Partner, connections: list[str]
) -> None:
    # A template stored while the check on create was off (or before an address turned private) is refused again
    # when the PDF is served.
    with _client(engine, FetchPolicy(), validate_certificate_backgrounds=False) as client:
        api = Api(client, partner.ks)
        certificate = api.ok(
            "certificate/create", _with_background("http://169.254.169.254/latest/meta-data/")
        )
        rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))["id"]
        api.ok(
            "certificate/update",
            {
                "id": certificate["id"],
                "status": "enabled",
                "certifiedCreditsThreshold": 1,
                "creditsMapping": f"credits,{rule}\n1,1",
            },
        )
        event = {
            "eventType": "viewPeriod",
            "userId": "u",
            "entryId": "e",
            "playTime": 90,
            "eventTime": "2025-06-02T10:00:00Z",
        }
        api.ok("event/send", {"events": [event]})
        rows = api.ok("userCertificateReport/list", {"gameObjectId": certificate["id"]})["objects"]
        assert rows[0]["status"] == "CERTIFIED", rows
        status, error = api.call("userCertificateReport/serveCertificate", {"id": rows[0]["id"]})
    assert status == 400 and "may not fetch" in error["message"], error
    assert connections == []
