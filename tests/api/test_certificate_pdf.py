"""Certificates as real PDFs through API v1: background fetched from a (local) server, the user's name, entry,
credits and date as extractable text on a page the size of the background; bad backgrounds refused up front."""

import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

WIDTH, HEIGHT = 1000, 700
NAME = "Zoë Ångström-Łukasiewicz"


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


FILES = {
    "/bg.png": (b"image/png", _png(WIDTH, HEIGHT)),
    "/notes.txt": (b"text/plain", b"not an image"),
    "/huge.png": (b"image/png", b"\x89PNG" + b"0" * (11 * 1024 * 1024)),
}


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = FILES.get(self.path)
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type.decode())
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def pdf_api(engine: Engine, partner: Partner) -> Iterator[Api]:
    """API v1 with background checks on, allowed to fetch from this machine's test server."""
    settings = Settings(database_url="sqlite://", create_demo_partner=False, allow_private_backgrounds=True)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Api(client, partner.ks)


def _certificate(api: Api, url: str) -> tuple[str, str]:
    body = {**guide.certificate_8_2(), "certificateEligibility": "perEntry"}
    body["outputFileConfiguration"]["outputFileElements"][0]["url"] = url
    body["outputFileConfiguration"]["outputFileElements"][1:] = [
        {"textElementType": "userFullName", "fontSize": 30, "y": 300},
        {"textElementType": "entryName", "fontSize": 24, "y": 400},
        {"textElementType": "credits", "fontSize": 20, "x": 700, "y": 500},
        {"textElementType": "certificationDate", "fontSize": 18, "x": 100, "y": 500},
    ]
    certificate = api.ok("certificate/create", body)["id"]
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate))["id"]
    api.ok(
        "certificate/update",
        {"id": certificate, "status": "enabled", "creditsMapping": f"credits,{rule}\n10.0,1\n11.5,2"},
    )
    return certificate, rule


def test_served_certificate_is_a_real_pdf(pdf_api: Api, image_server: str, tmp_path: Path) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    pdf_api.ok(
        "userProfile/create", {"userId": "zoe", "firstName": "Zoë", "lastName": "Ångström-Łukasiewicz"}
    )
    pdf_api.ok(
        "event/send",
        {
            "events": [
                {
                    "eventType": "viewPeriod",
                    "userId": "zoe",
                    "entryId": "m1",
                    "entryName": "Kubernetes Basics",
                    "playTime": 130,
                    "eventTime": "2025-06-02T10:00:00Z",
                }
            ]
        },
    )
    [report] = pdf_api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    assert report["status"] == "CERTIFIED" and report["credits"] == 11.5
    response = pdf_api.client.post(
        "/api/v1/userCertificateReport/serveCertificate",
        json={"id": report["id"]},
        headers={"Authorization": f"Bearer {pdf_api.ks}"},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    [page] = reader.pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (WIDTH, HEIGHT)
    text = page.extract_text()
    for expected in (NAME, "Kubernetes Basics", "11.5", "2025-06-02"):
        assert expected in text, (expected, text)
    if shutil.which("pdftoppm"):
        (tmp_path / "c.pdf").write_bytes(response.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "72", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
            check=True,
            timeout=60,
        )
        image = Image.open(tmp_path / "c.png").convert("L")
        assert image.size == (WIDTH, HEIGHT)
        dark_rows = [
            y for y in range(HEIGHT) if any(image.getpixel((x, y)) < 128 for x in range(0, WIDTH, 2))
        ]
        # The name's baseline is at y=300 (30 px font): its ink lies just above it.
        assert any(270 <= y <= 305 for y in dark_rows) and not any(200 <= y <= 260 for y in dark_rows)


def test_not_certified_yet_is_a_conflict(pdf_api: Api, image_server: str) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    pdf_api.ok(
        "event/send",
        {
            "events": [
                {
                    "eventType": "viewPeriod",
                    "userId": "lou",
                    "entryId": "m1",
                    "playTime": 20,
                    "eventTime": "2025-06-02T10:00:00Z",
                }
            ]
        },
    )
    assert pdf_api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"] == []
    status, error = pdf_api.call("userCertificateReport/serveCertificate", {"id": "0123456789abcdef01234567"})
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "words"),
    [("/notes.txt", "image"), ("/huge.png", "large"), ("/missing.png", "404")],
)
def test_bad_backgrounds_are_refused_and_nothing_is_stored(
    pdf_api: Api, image_server: str, path: str, words: str
) -> None:
    body = guide.certificate_8_2()
    body["outputFileConfiguration"]["outputFileElements"][0]["url"] = f"{image_server}{path}"
    status, error = pdf_api.call("certificate/create", body)
    assert (
        status == 400 and error["args"]["PARAM_NAME"] == "outputFileConfiguration.outputFileElements[0].url"
    )
    assert words in error["message"].lower(), error
    assert pdf_api.ok("certificate/list")["totalCount"] == 0


def test_unreachable_and_private_backgrounds_are_refused(pdf_api: Api, api: Api, image_server: str) -> None:
    body = guide.certificate_8_2()
    body["outputFileConfiguration"]["outputFileElements"][0]["url"] = "http://127.0.0.1:9/bg.png"
    assert pdf_api.call("certificate/create", body)[0] == 400
    strict_settings = Settings(database_url="sqlite://", create_demo_partner=False)
    with TestClient(create_app(strict_settings, api.client.app.state.engine)) as client:
        strict = Api(client, api.ks)
        body["outputFileConfiguration"]["outputFileElements"][0]["url"] = f"{image_server}/bg.png"
        status, error = strict.call("certificate/create", body)
        assert status == 400 and "may not fetch" in error["message"], error
        certificate = strict.ok(
            "certificate/create", guide.certificate_8_2() | {"outputFileConfiguration": None}
        )
        status, _ = strict.call(
            "certificate/update",
            {
                "id": certificate["id"],
                "outputFileConfiguration": {
                    "outputFileElements": [{"url": "http://169.254.169.254/latest/meta-data"}]
                },
            },
        )
        assert status == 400
    assert api.ok("certificate/list")["totalCount"] == 1
