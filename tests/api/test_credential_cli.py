"""``gameservices credential verify``: files and real HTTP, valid, revoked and changed credentials."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gameservices.cli import app as cli_app
from tests.api.test_credentials import PUBLIC, certified, fetch, public_key
from tests.conftest import Api


def test_cli_verifies_a_valid_credential_and_refuses_a_changed_one(api: Api, tmp_path: Path) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    key = public_key(api.client, document)
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        cli_app, ["credential", "verify", str(path), "--public-key", key, "--offline"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["state"] == "valid" and answer["statusChecked"] is False and answer["credits"] == "11.5"
    document["credentialSubject"]["creditsEarned"] = 12
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        cli_app, ["credential", "verify", str(path), "--public-key", key, "--offline"]
    )
    assert result.exit_code == 1 and json.loads(result.output)["state"] == "invalid"


def test_cli_fetches_credential_key_and_status_list_over_http(api: Api) -> None:
    """The CLI given URLs: a real HTTP server (stdlib) serves what the public routes answered."""
    _, report = certified(api)
    public_id = report["credentialUrl"].rsplit("/", 1)[1]
    document = fetch(api.client, report["credentialUrl"])
    api.ok("userCertificateReport/revoke", {"id": report["id"]})
    served = {
        f"/credentials/{public_id}": api.client.get(f"/credentials/{public_id}").content,
        "/issuer": api.client.get(document["issuer"]["id"].removeprefix(PUBLIC)).content,
        "/status": api.client.get(
            document["credentialStatus"]["statusListCredential"].removeprefix(PUBLIC)
        ).content,
    }

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = CliRunner().invoke(
            cli_app,
            [
                "credential",
                "verify",
                f"{base}/verify/{public_id}",
                "--public-key",
                f"{base}/issuer",
                "--status-list",
                f"{base}/status",
            ],
        )
    finally:
        server.shutdown()
    assert result.exit_code == 2, result.output
    assert json.loads(result.output)["state"] == "revoked"


def test_cli_answers_a_credential_with_a_proof_set_as_invalid(api: Api, tmp_path: Path) -> None:
    # A proof set (an array of proofs) is not the single proof the issuer signs with: a verdict, no traceback.
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    (tmp_path / "issuer.json").write_text(api.client.get(document["issuer"]["id"].removeprefix(PUBLIC)).text)
    document["proof"] = [document["proof"]]
    (tmp_path / "credential.json").write_text(json.dumps(document))
    for key in (
        str(tmp_path / "issuer.json"),
        public_key(api.client, {**document, "proof": document["proof"][0]}),
    ):
        result = CliRunner().invoke(
            cli_app,
            ["credential", "verify", str(tmp_path / "credential.json"), "--public-key", key, "--offline"],
        )
        assert not isinstance(result.exception, AttributeError), result.exception
        assert result.exit_code == 1 and json.loads(result.output)["state"] == "invalid", result.output


def _methods_of_a_wrong_type(wanted: str) -> list[object]:
    """``verificationMethod`` values of the wrong JSON type, whole or in their fields."""
    return [
        5,
        True,
        "text",
        {"id": wanted},
        None,
        [5],
        [[wanted]],
        [{"id": wanted, "publicKeyMultibase": 5}],
        [{"id": wanted, "publicKeyMultibase": ["z6Mk"]}],
        [{"id": wanted, "publicKeyMultibase": None}],
        [{"id": [wanted], "publicKeyMultibase": "z6Mk"}],
    ]


def test_cli_answers_an_issuer_document_of_wrong_json_types_with_one_line(api: Api, tmp_path: Path) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    issuer = api.client.get(document["issuer"]["id"].removeprefix(PUBLIC)).json()
    (tmp_path / "credential.json").write_text(json.dumps(document))
    wanted = document["proof"]["verificationMethod"]
    for methods in _methods_of_a_wrong_type(wanted):
        (tmp_path / "issuer.json").write_text(json.dumps({**issuer, "verificationMethod": methods}))
        result = CliRunner().invoke(
            cli_app,
            [
                "credential",
                "verify",
                str(tmp_path / "credential.json"),
                "--public-key",
                str(tmp_path / "issuer.json"),
                "--offline",
            ],
        )
        assert isinstance(result.exception, SystemExit), (methods, repr(result.exception))
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1, (methods, result.output)
        answer = json.loads(result.output)
        assert answer["state"] == "invalid" and "issuer document" in answer["checks"][0], (methods, answer)


def test_cli_answers_a_proof_naming_no_text_method_with_one_line(api: Api, tmp_path: Path) -> None:
    _, report = certified(api)
    document = fetch(api.client, report["credentialUrl"])
    (tmp_path / "issuer.json").write_text(api.client.get(document["issuer"]["id"].removeprefix(PUBLIC)).text)
    for method in (5, [document["proof"]["verificationMethod"]], {"id": "x"}):
        changed = {**document, "proof": {**document["proof"], "verificationMethod": method}}
        (tmp_path / "credential.json").write_text(json.dumps(changed))
        result = CliRunner().invoke(
            cli_app,
            [
                "credential",
                "verify",
                str(tmp_path / "credential.json"),
                "--public-key",
                str(tmp_path / "issuer.json"),
                "--offline",
            ],
        )
        assert isinstance(result.exception, SystemExit), (method, repr(result.exception))
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1, (method, result.output)
        assert json.loads(result.output)["checks"] == [
            "the credential has no single proof naming its verification method"
        ]
