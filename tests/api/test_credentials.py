"""Verifiable certificates through the API: issued with the report list, served and verified on public routes,
revoked and reinstated, checked by the CLI, and refused across partners."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyld import jsonld
from sqlalchemy import Engine
from typer.testing import CliRunner

from gameservices.api.app import create_app
from gameservices.cli import app as cli_app
from gameservices.credentials.jsonld import offline_loader
from gameservices.credentials.verification import verify_credential
from gameservices.services.certificates import credentials as credential_service
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

PUBLIC = "https://certs.example.test"


def certified(
    api: Api,
    *,
    user: str = "ann",
    email: str | None = "Ann@Example.org",
    event_time: str = "2025-06-02T10:00:00Z",
) -> tuple[str, dict[str, Any]]:
    """A certificate (with the guide's host) and one certified user; the user's report list object."""
    body = guide.certificate_8_2() | {"status": "enabled"}
    certificate = api.ok("certificate/create", body)["id"]
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate))["id"]
    api.ok("certificate/update", {"id": certificate, "creditsMapping": f"credits,{rule}\n10.0,1\n11.5,2"})
    profile: dict[str, Any] = {"userId": user, "firstName": "Ann", "lastName": "Lee"}
    if email:
        profile["email"] = email
    api.ok("userProfile/create", profile)
    event = {
        "eventType": "viewPeriod",
        "userId": user,
        "entryId": "m1",
        "playTime": 130,
        "eventTime": event_time,
    }
    api.ok("event/send", {"events": [event]})
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    return certificate, report


def public_key(client: TestClient, document: dict[str, Any]) -> str:
    issuer = client.get(document["issuer"]["id"].removeprefix(PUBLIC))
    assert issuer.status_code == 200, issuer.text
    [method] = issuer.json()["verificationMethod"]
    assert method["id"] == document["proof"]["verificationMethod"] and method["type"] == "Multikey"
    return str(method["publicKeyMultibase"])


def fetch(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix(PUBLIC))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    loaded: dict[str, Any] = response.json()
    return loaded


def test_a_certified_user_gets_a_signed_open_badge_that_verifies(api: Api) -> None:
    _, report = certified(api)
    assert report["credentialUrl"].startswith(f"{PUBLIC}/credentials/")
    assert report["verifyUrl"] == report["credentialUrl"].replace("/credentials/", "/verify/")
    assert report["revoked"] is False
    # Listing again shows the same credential (issued once).
    again = api.ok("userCertificateReport/list", {"gameObjectId": report["gameObjectId"]})["objects"][0]
    assert again["credentialUrl"] == report["credentialUrl"]
    document = fetch(api.client, report["credentialUrl"])
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = document["credentialSubject"]
    assert subject["creditsEarned"] == 11.5
    assert subject["achievement"]["name"] == "CPE Certificate"
    assert subject["achievement"]["creditsAvailable"] == 3
    assert subject["achievement"]["criteria"]["id"] == "https://mysite.events.kaltura.com"
    assert document["validFrom"].startswith("2025-06-02T10:00:00")
    # The e-mail address is only there hashed; the user id not at all.
    text = json.dumps(document)
    assert "ann@example.org" not in text.lower() and '"ann"' not in text
    statuses = fetch(api.client, document["credentialStatus"]["statusListCredential"])
    verdict = verify_credential(document, public_key(api.client, document), statuses)
    assert verdict.state == "valid" and verdict.status_checked
    assert verdict.summary is not None and verdict.summary.holder_name == "Ann Lee"
    assert verdict.summary.credits == "11.5" and verdict.summary.date == "2025-06-02"


def test_the_issuer_documents_key_survives_json_ld_processing(api: Api) -> None:
    # A verifier reading the issuer document as JSON-LD finds the key the proof names, as an assertion method
    # of the issuer. The contexts of the VC and Open Badges define these two terms only inside a proof: without
    # the Controlled Identifiers context they were dropped, and with them the key.
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    issuer = api.client.get(document["issuer"]["id"].removeprefix(PUBLIC)).json()
    expanded = jsonld.expand(issuer, {"documentLoader": offline_loader()})
    [node] = [node for node in expanded if node["@id"] == document["issuer"]["id"]]
    security = "https://w3id.org/security#"
    [method] = node[f"{security}verificationMethod"]
    assert method["@id"] == document["proof"]["verificationMethod"]
    assert method["@type"] == [f"{security}Multikey"]
    assert method[f"{security}publicKeyMultibase"][0]["@value"] == public_key(api.client, document)
    assert node[f"{security}assertionMethod"] == [{"@id": document["proof"]["verificationMethod"]}]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "creditsEarned"), 99),
        (("credentialSubject", "identifier", 0, "identityHash"), "Mallory"),
        (("validFrom",), "2024-01-01T00:00:00Z"),
        (("credentialSubject", "achievement", "name"), "Another certificate"),
        (("issuer", "name"), "Another issuer"),
    ],
)
def test_changing_any_field_fails_verification(api: Api, path: tuple[Any, ...], value: Any) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    key = public_key(api.client, document)
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    verdict = verify_credential(document, key)
    assert verdict.state == "invalid" and "signature" in verdict.checks[0]


def test_revocation_shows_on_the_page_in_the_status_list_and_in_the_cli(api: Api, tmp_path: Path) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    key = public_key(api.client, document)
    page = api.client.get(report["verifyUrl"].removeprefix(PUBLIC))
    assert page.status_code == 200 and "Valid certificate" in page.text and "Ann Lee" in page.text
    revoked = api.ok("userCertificateReport/revoke", {"id": report["id"], "reason": "issued in error"})
    assert revoked["revoked"] is True and revoked["revocationReason"] == "issued in error"
    page = api.client.get(report["verifyUrl"].removeprefix(PUBLIC))
    assert "Revoked certificate" in page.text and "issued in error" not in page.text
    statuses = fetch(api.client, document["credentialStatus"]["statusListCredential"])
    assert verify_credential(document, key, statuses).state == "revoked"
    (tmp_path / "credential.json").write_text(json.dumps(document))
    (tmp_path / "status.json").write_text(json.dumps(statuses))
    result = CliRunner().invoke(
        cli_app,
        [
            "credential",
            "verify",
            str(tmp_path / "credential.json"),
            "--public-key",
            key,
            "--status-list",
            str(tmp_path / "status.json"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.output)["state"] == "revoked"
    listed = api.ok("userCertificateReport/list", {"gameObjectId": report["gameObjectId"]})["objects"][0]
    assert listed["revoked"] is True
    api.ok("userCertificateReport/unrevoke", {"id": report["id"]})
    statuses = fetch(api.client, document["credentialStatus"]["statusListCredential"])
    assert verify_credential(document, key, statuses).state == "valid"
    assert "Valid certificate" in api.client.get(report["verifyUrl"].removeprefix(PUBLIC)).text


def test_a_credential_valid_from_a_future_date_is_not_yet_valid_on_the_page_and_in_the_cli(
    api: Api, tmp_path: Path
) -> None:
    # Ingestion accepts a future eventTime, so the certification, and the credential's validFrom, can lie ahead.
    _, report = certified(api, event_time="2099-06-02T10:00:00Z")
    document = fetch(api.client, report["credentialUrl"])
    assert document["validFrom"] == "2099-06-02T10:00:00Z"
    key = public_key(api.client, document)
    page = api.client.get(report["verifyUrl"].removeprefix(PUBLIC))
    assert page.status_code == 200 and "Valid certificate" not in page.text
    assert "Certificate not yet valid" in page.text and "valid only from 2099-06-02T10:00:00Z" in page.text
    statuses = fetch(api.client, document["credentialStatus"]["statusListCredential"])
    verdict = verify_credential(document, key, statuses)
    assert (verdict.state, verdict.valid_from, verdict.status_checked) == (
        "not-yet-valid",
        "2099-06-02T10:00:00Z",
        True,
    )
    assert verdict.checks[-1] == "validity: not yet valid (valid from 2099-06-02T10:00:00Z)"
    assert verify_credential(document, key, statuses, now=4_100_000_000).state == "valid"  # (December 2099)
    (tmp_path / "credential.json").write_text(json.dumps(document))
    result = CliRunner().invoke(
        cli_app, ["credential", "verify", str(tmp_path / "credential.json"), "--public-key", key, "--offline"]
    )
    assert result.exit_code == 1, result.output
    answer = json.loads(result.output)
    assert answer["state"] == "not-yet-valid" and answer["checks"][-1].endswith(
        "(valid from 2099-06-02T10:00:00Z)"
    )
    api.ok("userCertificateReport/revoke", {"id": report["id"]})
    assert "Revoked certificate" in api.client.get(report["verifyUrl"].removeprefix(PUBLIC)).text


def test_a_credential_outliving_its_user_certificate_can_still_be_revoked(api: Api) -> None:
    # Clearing the certificate's scores drops its user certificates; the credential issued for one stays valid
    # (it was earned), and revoking it by the id it was issued for answered 404, so nothing could revoke it.
    certificate, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    api.ok("userScore/clear", {"gameObjectId": certificate})
    assert api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"] == []
    assert "Valid certificate" in api.client.get(report["verifyUrl"].removeprefix(PUBLIC)).text
    revoked = api.ok("userCertificateReport/revoke", {"id": report["id"], "reason": "scores cleared"})
    assert revoked["revoked"] is True and revoked["credentialUrl"] == report["credentialUrl"]
    statuses = fetch(api.client, document["credentialStatus"]["statusListCredential"])
    assert verify_credential(document, public_key(api.client, document), statuses).state == "revoked"
    assert "Revoked certificate" in api.client.get(report["verifyUrl"].removeprefix(PUBLIC)).text
    # An id that never had a credential is still unknown.
    status, error = api.call("userCertificateReport/revoke", {"id": "0_never", "reason": "x"})
    assert status == 404, error


def test_revoking_again_or_reinstating_a_valid_credential_leaves_the_status_list_as_it_was(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    url = document["credentialStatus"]["statusListCredential"]
    api.ok("userCertificateReport/unrevoke", {"id": report["id"]})
    untouched = fetch(api.client, url)
    later = credential_service._now_ms() + 3_600_000
    monkeypatch.setattr(credential_service, "_now_ms", lambda: later)
    api.ok("userCertificateReport/unrevoke", {"id": report["id"]})
    assert fetch(api.client, url) == untouched
    api.ok("userCertificateReport/revoke", {"id": report["id"], "reason": "issued in error"})
    revoked = fetch(api.client, url)
    assert revoked["validFrom"] != untouched["validFrom"]
    monkeypatch.setattr(credential_service, "_now_ms", lambda: later + 3_600_000)
    again = api.ok("userCertificateReport/revoke", {"id": report["id"], "reason": "a duplicate"})
    assert again["revoked"] is True and again["revocationReason"] == "a duplicate"
    # The same bits: the same signed document (its validFrom is the list's last change).
    assert fetch(api.client, url) == revoked


def test_another_partner_cannot_revoke_or_read_credentials(api: Api, new_partner: Any) -> None:
    certificate, report = certified(api)
    intruder = Api(api.client, new_partner("intruder").ks)
    for action in ("userCertificateReport/revoke", "userCertificateReport/unrevoke"):
        status, error = intruder.call(
            action, {"id": report["id"], "reason": "x"} if "un" not in action else {"id": report["id"]}
        )
        assert status == 404 and error["code"] == "OBJECT_NOT_FOUND", error
    status, _ = intruder.call("userCertificateReport/list", {"gameObjectId": certificate})
    assert status == 404
    listed = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"][0]
    assert listed["revoked"] is False


def test_public_routes_answer_unknown_ids_alike_and_need_no_ks(api: Api) -> None:
    _, report = certified(api)
    public_id = report["credentialUrl"].rsplit("/", 1)[1]
    assert len(public_id) >= 22
    for path in (
        "/credentials/AAAAAAAAAAAAAAAAAAAAAA",
        "/credentials/x",
        "/credentials/%00",
        "/status/1/999999",
        "/status/abc/1",
        "/status/99999999/1",
        "/issuers/0",
        "/issuers/abc",
    ):
        response = api.client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["objectType"] == "KalturaAPIException"
    page = api.client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA")
    assert page.status_code == 404 and "Unknown certificate" in page.text
    page = api.client.get(report["verifyUrl"].removeprefix(PUBLIC))
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert '<html lang="en">' in page.text and "<main>" in page.text


def test_the_page_escapes_what_users_typed(api: Api) -> None:
    body = guide.certificate_8_2() | {"status": "enabled", "name": "<script>alert(1)</script>"}
    certificate = api.ok("certificate/create", body)["id"]
    api.ok("rule/create", guide.certificate_rule_8_4(certificate))
    api.ok("userProfile/create", {"userId": "eve", "fullName": "<b>Eve</b>"})
    event = {
        "eventType": "viewPeriod",
        "userId": "eve",
        "entryId": "m1",
        "playTime": 400,
        "eventTime": "2025-06-02T10:00:00Z",
    }
    api.ok("event/send", {"events": [event]})
    [report] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
    page = api.client.get(report["verifyUrl"].removeprefix(PUBLIC)).text
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "&lt;b&gt;Eve" in page


def test_public_routes_are_rate_limited(engine: Engine, partner: Partner) -> None:
    settings = Settings(
        database_url="sqlite://",
        create_demo_partner=False,
        validate_certificate_backgrounds=False,
        credential_secret="s",
        public_rate_limit_per_second=3,
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        statuses = [client.get("/credentials/AAAAAAAAAAAAAAAAAAAAAA").status_code for _ in range(10)]
    assert statuses[:3] == [404, 404, 404] and 429 in statuses


def test_public_routes_count_an_ipv6_client_by_its_64_and_say_when_to_retry(engine: Engine) -> None:
    settings = Settings(
        database_url="sqlite://",
        create_demo_partner=False,
        validate_certificate_backgrounds=False,
        credential_secret="s",
        public_rate_limit_per_second=3,
    )
    app = create_app(settings, engine)

    def get(host: str) -> Any:
        client = TestClient(app, raise_server_exceptions=False, client=(host, 50000))
        return client.get("/credentials/AAAAAAAAAAAAAAAAAAAAAA")

    # Each address of one /64 is the same host: a new address does not bring new tokens.
    answers = [get(f"2001:db8:5:6::{number:x}") for number in range(1, 5)]
    assert [answer.status_code for answer in answers] == [404, 404, 404, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "RATE_LIMITED"
    assert refused.headers["retry-after"].isdigit() and int(refused.headers["retry-after"]) >= 1
    assert get("2001:db8:5:7::1").status_code == 404  # another /64
    assert [get(f"192.0.2.{number}").status_code for number in range(1, 5)] == [404] * 4  # IPv4: per address


def test_without_a_secret_there_are_no_credentials(engine: Engine, partner: Partner) -> None:
    settings = Settings(
        database_url="sqlite://", create_demo_partner=False, validate_certificate_backgrounds=False
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        api = Api(client, partner.ks)
        _, report = certified(api)
        assert report["credentialUrl"] is None and report["verifyUrl"] is None
        status, error = api.call("userCertificateReport/revoke", {"id": report["id"]})
        assert status == 409 and error["code"] == "CREDENTIALS_DISABLED"
        assert client.get(f"/issuers/{partner.id}").status_code == 404


def test_qr_fields_are_validated(api: Api) -> None:
    body = guide.certificate_8_2()
    elements = body["outputFileConfiguration"]["outputFileElements"]
    elements.append({"textElementType": "verificationQr", "x": 10, "y": 10, "size": 120})
    assert api.call("certificate/create", body)[0] == 200
    elements.append({"textElementType": "verificationQr"})
    status, error = api.call("certificate/create", body)
    assert status == 400 and "verificationQr" in error["message"], error
    elements.pop()
    elements[1] = {**elements[1], "size": 30}
    assert api.call("certificate/create", body)[0] == 400
    elements[1].pop("size")
    elements[-1]["size"] = 2
    assert api.call("certificate/create", body)[0] == 400
    assert api.call("certificate/create", guide.certificate_8_2() | {"verification": "maybe"})[0] == 400
    created = api.ok("certificate/create", guide.certificate_8_2() | {"verification": False})
    assert created["verification"] is False


def test_a_changed_secret_answers_409_and_lists_without_links(engine: Engine, partner: Partner) -> None:
    def client(secret: str) -> TestClient:
        settings = Settings(
            database_url="sqlite://",
            create_demo_partner=False,
            validate_certificate_backgrounds=False,
            credential_secret=secret,
            public_rate_limit_per_second=0,
        )
        return TestClient(create_app(settings, engine), raise_server_exceptions=False)

    with client("first secret") as first:
        certificate, report = certified(Api(first, partner.ks), user="kim")
        assert report["credentialUrl"]
    with client("second secret") as second:
        api = Api(second, partner.ks)
        api.ok("userProfile/create", {"userId": "lee", "fullName": "Lee"})
        event = {"eventType": "viewPeriod", "userId": "lee", "entryId": "m1", "playTime": 400}
        api.ok("event/send", {"events": [event]})
        rows = api.ok("userCertificateReport/list", {"gameObjectId": certificate})["objects"]
        assert {row["userId"]: bool(row["credentialUrl"]) for row in rows} == {"kim": True, "lee": False}
        lee = next(row for row in rows if row["userId"] == "lee")
        status, error = api.call("userCertificateReport/revoke", {"id": lee["id"]})
        assert status == 409 and error["code"] == "CREDENTIAL_KEY_UNAVAILABLE"
        public_id = report["credentialUrl"].rsplit("/", 1)[1]
        assert second.get(f"/credentials/{public_id}").status_code == 200
        assert second.get(f"/verify/{public_id}").status_code == 409
