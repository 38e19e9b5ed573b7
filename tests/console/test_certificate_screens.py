"""The certificate screen: the issued list and a user's PDF, served like ``userCertificateReport/serveCertificate``
(verify URL and QR code included), and the template's PDF preview for a sample or a chosen user."""

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.services.certificates.certificate_document import (
    SAMPLE_ENTRY,
    SAMPLE_NAME,
    SAMPLE_PUBLIC_ID,
)
from gameservices.settings import Settings
from tests.api.test_certificate_pdf import _certificate, image_server
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient

__all__ = ["image_server"]
VERIFY_BASE = "certs.example.test/verify/"


@pytest.fixture
def pdf_api(engine: Engine, partner: Partner) -> Iterator[Api]:
    """API v1 with verifiable certificates on, allowed to fetch backgrounds from this machine's test server."""
    settings = Settings(
        database_url="sqlite://",
        create_demo_partner=False,
        allow_private_backgrounds=True,
        credential_secret="console test secret",
        public_url="https://certs.example.test",
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Api(client, partner.ks)


def _certified_zoe(api: Api, certificate: str) -> dict[str, object]:
    api.ok("userProfile/create", {"userId": "zoe", "firstName": "Zoë", "lastName": "Quinn"})
    event = {
        "eventType": "viewPeriod",
        "userId": "zoe",
        "entryId": "m1",
        "entryName": "Kubernetes Basics",
        "playTime": 130,
        "eventTime": "2025-06-02T10:00:00Z",
    }
    api.ok("event/send", {"events": [event]})
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    return dict(report)


def _text(response: object) -> str:
    content: bytes = response.content  # type: ignore[attr-defined]
    assert response.status_code == 200, content[:500]  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/pdf"  # type: ignore[attr-defined]
    [page] = PdfReader(io.BytesIO(content)).pages
    return page.extract_text()


def _console(api: Api, partner: Partner) -> ConsoleClient:
    console = ConsoleClient(TestClient(api.client.app, raise_server_exceptions=False))
    console.sign_in(partner)
    return console


def test_issued_certificates_are_listed_and_downloadable(
    pdf_api: Api, image_server: str, partner: Partner
) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    report = _certified_zoe(pdf_api, certificate)
    console = _console(pdf_api, partner)
    page = console.get(f"/console/certificates/{certificate}")
    assert page.status_code == 200 and "Kubernetes Basics" in page.text
    link = f"/console/certificates/issued/{report['id']}.pdf"
    assert link in page.text
    text = _text(console.get(link))
    # The same document as the API's: the user's name, entry, credits, and the verify URL of the credential.
    for expected in ("Zoë Quinn", "Kubernetes Basics", "11.5", f"{VERIFY_BASE}"):
        assert expected in text, (expected, text)
    [listed] = pdf_api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    assert str(listed["verifyUrl"]).removeprefix("https://") in text
    assert console.get("/console/certificates/issued/0123456789abcdef01234567.pdf").status_code == 404


def test_the_preview_renders_the_template_for_a_sample_or_a_chosen_user(
    pdf_api: Api, image_server: str, partner: Partner, new_partner: object
) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    console = _console(pdf_api, partner)
    page = console.get(f"/console/certificates/{certificate}")
    assert f'action="/console/certificates/{certificate}/preview.pdf"' in page.text
    sample = _text(console.get(f"/console/certificates/{certificate}/preview.pdf"))
    for expected in (SAMPLE_NAME, SAMPLE_ENTRY, f"{VERIFY_BASE}{SAMPLE_PUBLIC_ID}"):
        assert expected in sample, (expected, sample)
    _certified_zoe(pdf_api, certificate)
    chosen = _text(console.get(f"/console/certificates/{certificate}/preview.pdf?userId=zoe"))
    for expected in ("Zoë Quinn", "Kubernetes Basics", "11.5", "2025-06-02"):
        assert expected in chosen, (expected, chosen)
    # A user without a profile or progress: the id as the name, sample values for the rest.
    stranger = _text(console.get(f"/console/certificates/{certificate}/preview.pdf?userId=nobody"))
    assert "nobody" in stranger and SAMPLE_ENTRY in stranger
    # Nothing was issued by previewing.
    listed = pdf_api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    assert [item["userId"] for item in listed] == ["zoe"]


def test_the_preview_of_another_partners_or_a_missing_certificate_is_not_found(
    pdf_api: Api, image_server: str, partner: Partner, new_partner: object
) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    board = {
        "name": "Not a certificate",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2040-01-01T00:00:00Z",
    }
    leaderboard = pdf_api.ok("leaderboard/create", {**board, "status": "enabled", "virtualEventIds": []})[
        "id"
    ]
    other: Partner = new_partner()  # type: ignore[operator]
    stranger = _console(pdf_api, other)
    assert stranger.get(f"/console/certificates/{certificate}/preview.pdf").status_code == 404
    console = _console(pdf_api, partner)
    assert console.get(f"/console/certificates/{leaderboard}/preview.pdf").status_code == 404
    assert console.get(f"/console/certificates/{'0' * 24}/preview.pdf").status_code == 404
    too_long = console.get(f"/console/certificates/{certificate}/preview.pdf", params={"userId": "u" * 300})
    assert too_long.status_code == 400
