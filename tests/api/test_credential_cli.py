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
