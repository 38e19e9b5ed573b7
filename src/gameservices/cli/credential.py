"""``gameservices credential verify``: check a certificate credential against its issuer's public key.

The same check as the public verify page (``credentials.verification.verify_credential``): the proof over
the canonical document, then the revocation bit in the issuer's signed status list. JSON-LD contexts are
bundled: only the credential, the key and the status list are read, from files or URLs.
Exit status: 0 valid, 1 invalid, not yet valid (its validFrom is to come) or unreadable, 2 revoked.
"""

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import orjson
import typer

from gameservices.credentials.verification import status_entries, verify_credential

credential_app = typer.Typer(help="Verifiable certificates.", no_args_is_help=True)
_EXIT = {"valid": 0, "invalid": 1, "not-yet-valid": 1, "revoked": 2}


@credential_app.command("verify")
def verify(
    credential: Annotated[
        str, typer.Argument(help="The credential: a file, or its /credentials/ or /verify/ URL.")
    ],
    public_key: Annotated[
        str,
        typer.Option(
            help="The issuer's key: a publicKeyMultibase (z6Mk...), or the issuer document's file or URL."
        ),
    ],
    status_list: Annotated[
        str | None,
        typer.Option(help="The status list credential (file or URL); default: the URL the credential names."),
    ] = None,
    offline: Annotated[
        bool, typer.Option(help="Read nothing over the network (no status check without --status-list).")
    ] = False,
) -> None:
    """Verify a credential: prints the verdict as JSON; exit 0 valid, 2 revoked, 1 invalid or not yet valid."""
    document = _load(_credential_location(credential), offline)
    key = _key(public_key, document, offline)
    statuses = _statuses(status_list, document, offline)
    verdict = verify_credential(document, key, statuses)
    summary = verdict.summary
    typer.echo(
        orjson.dumps(
            {
                "state": verdict.state,
                "statusChecked": verdict.status_checked,
                "checks": verdict.checks,
                "holder": summary.holder_name if summary else None,
                "certificate": summary.certificate_name if summary else None,
                "credits": summary.credits if summary else None,
                "date": summary.date if summary else None,
                "issuer": summary.issuer_name if summary else None,
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    )
    raise typer.Exit(code=_EXIT[verdict.state])


def _credential_location(location: str) -> str:
    if location.startswith(("http://", "https://")) and "/verify/" in location:
        return location.replace("/verify/", "/credentials/", 1)
    return location


def _key(value: str, document: dict[str, Any], offline: bool) -> str:
    if value.startswith("z") and not Path(value).exists():
        return value
    issuer = _load(value, offline)
    proof = document.get("proof")
    wanted = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(wanted, str):
        _fail("the credential has no single proof naming its verification method")
    methods = issuer.get("verificationMethod")
    if not isinstance(methods, list) or not all(isinstance(method, dict) for method in methods):
        _fail("the issuer document's verificationMethod is not a list of objects")
    found = [method for method in methods if method.get("id") == wanted]
    if not found:
        _fail(f"the issuer document has no key {wanted}")
    key = found[0].get("publicKeyMultibase")
    if not isinstance(key, str) or not key:
        _fail(f"the issuer document's key {wanted} has no publicKeyMultibase text")
    return key


def _statuses(location: str | None, document: dict[str, Any], offline: bool) -> dict[str, Any] | None:
    if location is None:
        entries = status_entries(document) or [{}]
        if offline or not entries[0].get("statusListCredential"):
            return None
        location = str(entries[0]["statusListCredential"])
    return _load(location, offline)


def _load(location: str, offline: bool) -> dict[str, Any]:
    try:
        if location.startswith(("http://", "https://")):
            if offline:
                _fail(f"--offline: will not fetch {location}")
            response = httpx.get(
                location, headers={"Accept": "application/ld+json, application/json"}, timeout=10
            )
            response.raise_for_status()
            text = response.text
        else:
            text = Path(location).read_text(encoding="utf-8")
        loaded = json.loads(text)
    except (OSError, ValueError, httpx.HTTPError) as error:
        _fail(f"cannot read {location}: {error}")
    if not isinstance(loaded, dict):
        _fail(f"{location} is not a JSON object")
    return loaded


def _fail(message: str) -> NoReturn:
    typer.echo(orjson.dumps({"state": "invalid", "checks": [message]}).decode())
    raise typer.Exit(code=1)
