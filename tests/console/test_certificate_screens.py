"""The certificate screen's issued list and a user's PDF, served like ``userCertificateReport/serveCertificate``."""

from fastapi.testclient import TestClient

from tests.api.test_certificate_pdf import _certificate, image_server, pdf_api
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient

__all__ = ["image_server", "pdf_api"]


def test_issued_certificates_are_listed_and_downloadable(
    pdf_api: Api, image_server: str, partner: Partner
) -> None:
    certificate, _ = _certificate(pdf_api, f"{image_server}/bg.png")
    event = {
        "eventType": "viewPeriod",
        "userId": "zoe",
        "entryId": "m1",
        "entryName": "Kubernetes Basics",
        "playTime": 130,
        "eventTime": "2025-06-02T10:00:00Z",
    }
    pdf_api.ok("event/send", {"events": [event]})
    [report] = pdf_api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    console = ConsoleClient(TestClient(pdf_api.client.app, raise_server_exceptions=False))
    console.sign_in(partner)
    page = console.get(f"/console/certificates/{certificate}")
    assert page.status_code == 200 and "Kubernetes Basics" in page.text
    link = f"/console/certificates/issued/{report['id']}.pdf"
    assert link in page.text
    pdf = console.get(link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert console.get("/console/certificates/issued/0123456789abcdef01234567.pdf").status_code == 404
