"""The certificate PDF's verification QR code, read back with zbarimg from the page rendered by pdftoppm."""

import io
import json
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
pytestmark = pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")), reason="needs zbarimg and pdftoppm"
)


def _background() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (40, 60, 120)).save(
        buffer, format="PNG"
    )  # dark: the QR brings its white
    return buffer.getvalue()


class _Files(BaseHTTPRequestHandler):
    body = _background()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture(scope="module")
def background_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bg.png"
    server.shutdown()


@pytest.fixture
def pdf_api(engine: Engine, partner: Partner) -> Iterator[Api]:
    settings = Settings(
        database_url="sqlite://",
        create_demo_partner=False,
        allow_private_backgrounds=True,
        credential_secret="pdf test secret",
        public_url="https://certs.example.test/",
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Api(client, partner.ks)


def _certified(api: Api, url: str, extra: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    body = guide.certificate_8_2() | {"status": "enabled", **fields}
    body["outputFileConfiguration"]["outputFileElements"] = [
        {"url": url},
        {"textElementType": "userFullName", "fontSize": 30, "y": 300},
        *extra,
    ]
    certificate = api.ok("certificate/create", body)["id"]
    api.ok("rule/create", guide.certificate_rule_8_4(certificate))
    api.ok("userProfile/create", {"userId": "qr", "fullName": "Quinn Reyes"})
    event = {
        "eventType": "viewPeriod",
        "userId": "qr",
        "entryId": "m1",
        "playTime": 400,
        "eventTime": "2025-06-02T10:00:00Z",
    }
    api.ok("event/send", {"events": [event]})
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    return dict(report)


def _codes(api: Api, record_id: str, tmp_path: Path) -> list[str]:
    response = api.client.post(
        "/api/v1/userCertificateReport/serveCertificate",
        json={"id": record_id},
        headers={"Authorization": f"Bearer {api.ks}"},
    )
    assert response.status_code == 200, response.text
    (tmp_path / "c.pdf").write_bytes(response.content)
    printed = "certs.example.test/verify/" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
        check=True,
        timeout=60,
    )
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "c.png")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    codes = found.stdout.split()
    # The short verify URL is printed under the code (as text, without the scheme).
    assert printed == bool(codes), (printed, codes)
    return codes


def test_the_pdf_qr_code_is_the_verify_url(pdf_api: Api, background_url: str, tmp_path: Path) -> None:
    report = _certified(pdf_api, background_url, [])
    assert report["verifyUrl"].startswith("https://certs.example.test/verify/")
    assert _codes(pdf_api, report["id"], tmp_path) == [report["verifyUrl"]]
    image = Image.open(tmp_path / "c.png").convert("L")
    # Default place: the bottom-right corner (the quiet zone is white on the dark background).
    assert image.getpixel((WIDTH - 30, HEIGHT - 60)) > 200 and image.getpixel((30, 30)) < 128


def test_a_placed_qr_code_is_where_the_template_says(
    pdf_api: Api, background_url: str, tmp_path: Path
) -> None:
    element = {"textElementType": "verificationQr", "x": 40, "y": 40, "size": 200}
    report = _certified(pdf_api, background_url, [element])
    assert _codes(pdf_api, report["id"], tmp_path) == [report["verifyUrl"]]
    image = Image.open(tmp_path / "c.png").convert("L")
    assert image.getpixel((45, 45)) > 200 and image.getpixel((WIDTH - 30, HEIGHT - 60)) < 128


def test_verification_false_leaves_the_qr_code_off(pdf_api: Api, background_url: str, tmp_path: Path) -> None:
    report = _certified(pdf_api, background_url, [], verification=False)
    assert _codes(pdf_api, report["id"], tmp_path) == []
    assert report["verifyUrl"]  # the credential itself is still issued


def test_the_pdf_states_the_same_credits_as_the_credential_its_qr_code_verifies(
    pdf_api: Api, background_url: str
) -> None:
    api = pdf_api
    body = guide.certificate_8_2() | {"status": "enabled"}
    body["outputFileConfiguration"]["outputFileElements"][0] = {"url": background_url}
    certificate = api.ok("certificate/create", body)["id"]
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate))["id"]
    api.ok("certificate/update", {"id": certificate, "creditsMapping": f"credits,{rule}\n10.0,1\n11.5,2"})
    api.ok("userProfile/create", {"userId": "pdfuser", "fullName": "Pat Doe"})

    def view(play_time: int, at: str) -> None:
        event = {
            "eventType": "viewPeriod",
            "userId": "pdfuser",
            "entryId": "m1",
            "playTime": play_time,
            "eventTime": at,
        }
        api.ok("event/send", {"events": [event]})

    view(60, "2025-06-02T10:00:00Z")  # 1 point: 10 credits, certified
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    assert report["status"] == "CERTIFIED", report
    credential = api.client.get(report["credentialUrl"].removeprefix("https://certs.example.test")).json()
    assert credential["credentialSubject"]["creditsEarned"] == 10

    view(70, "2025-06-02T11:00:00Z")  # 2 points: 11.5 credits
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    assert report["credits"] == 11.5

    response = api.client.post(
        "/api/v1/userCertificateReport/serveCertificate",
        json={"id": report["id"]},
        headers={"Authorization": f"Bearer {api.ks}"},
    )
    assert response.status_code == 200, response.text
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    page = api.client.get(report["verifyUrl"].removeprefix("https://certs.example.test")).text
    # The PDF's QR code leads to a page (and credential) saying 10 credits; the PDF must say the same.
    assert "10" in page
    assert "11.5" not in text and "10" in text, (text, json.dumps(credential["credentialSubject"]))
