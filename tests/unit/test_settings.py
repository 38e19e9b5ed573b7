"""Settings refuse values the service cannot work with, at start rather than in what it writes."""

import pytest
from pydantic import ValidationError

from gameservices.settings import Settings


@pytest.mark.parametrize(
    "url",
    [
        "certs.example.org",
        "/certs",
        "ftp://certs.example.org",
        "https://",
        "https://x.org/?a=1",
        "https://x.org/#k",
    ],
)
def test_the_public_url_must_be_an_absolute_http_url(url: str) -> None:
    # It is the base of every credential's ids and links: relative ones would be resolved against a verifier's
    # own base, and its QR code would lead nowhere.
    with pytest.raises(ValidationError, match="GAMESERVICES_PUBLIC_URL"):
        Settings(public_url=url)


@pytest.mark.parametrize(
    "url", ["", "https://certs.example.org", "http://127.0.0.1:8000/", "https://x.org/base/"]
)
def test_an_absolute_public_url_or_none_is_taken(url: str) -> None:
    assert Settings(public_url=url).public_url == url


@pytest.mark.parametrize("port", [0, -1, 65_536, 99_999])
def test_the_port_is_one_a_socket_can_have(port: int) -> None:
    # `serve --port` is bounded; GAMESERVICES_PORT reached bind unchecked and ended in a traceback.
    with pytest.raises(ValidationError, match="port"):
        Settings(port=port)
