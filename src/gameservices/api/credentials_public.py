"""Public routes of verifiable certificates (no KS, rate limited per client address).

``GET /credentials/{id}`` the signed credential, ``GET /verify/{id}`` the verify page, ``GET
/status/{partnerId}/{listId}`` a signed status list, ``GET /issuers/{partnerId}`` the issuer's key.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from gameservices.api.json import render_json
from gameservices.api.rate_limit import TokenBuckets, address_key
from gameservices.api.responses import ErrorStatuses
from gameservices.errors import NotFound, RateLimited
from gameservices.services.certificates import credential_pages as pages
from gameservices.services.certificates.credentials import CredentialConfig
from gameservices.settings import Settings
from gameservices.storage.database import read_transaction

_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_NUMBER = re.compile(r"^[1-9][0-9]{0,9}$")
_MAX_ID = 2**31 - 1  # (the id columns' range)
_JSON_LD = "application/ld+json"
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_templates = Environment(
    loader=PackageLoader("gameservices.api", "templates"), autoescape=select_autoescape(default=True)
)
_HEADINGS = {
    "valid": ("Valid certificate", "The issuer signed this certificate and has not revoked it."),
    "revoked": ("Revoked certificate", "The issuer signed this certificate but has since revoked it."),
    "invalid": (
        "Not a valid certificate",
        "This certificate does not carry a valid signature of its issuer.",
    ),
    "not-yet-valid": (
        "Certificate not yet valid",
        "The issuer signed this certificate, but it is valid only from {valid_from}.",
    ),
    "unknown": ("Unknown certificate", "No certificate is known at this address."),
}


def config_of(settings: Settings) -> CredentialConfig | None:
    """The credential settings, or None when verifiable certificates are off (no secret configured)."""
    if not settings.credential_secret:
        return None
    base = settings.public_url.strip().rstrip("/") or f"http://{settings.host}:{settings.port}"
    return CredentialConfig(public_url=base, secret=settings.credential_secret)


def buckets_of(settings: Settings) -> TokenBuckets | None:
    """The per-address token buckets of the public routes (None: no limit)."""
    rate = settings.public_rate_limit_per_second
    return TokenBuckets(float(rate)) if rate > 0 else None


def _limited(request: Request) -> CredentialConfig:
    buckets: TokenBuckets | None = request.app.state.public_buckets
    if buckets is not None:
        wait = buckets.take(address_key(request.client.host if request.client else ""))
        if wait > 0.0:
            raise RateLimited("Too many requests; retry later", args={"RETRY_AFTER": round(wait, 3)})
    config: CredentialConfig | None = request.app.state.credentials
    if config is None:
        raise NotFound("Verifiable certificates are not enabled", code="NOT_FOUND")
    return config


Public = Annotated[CredentialConfig, Depends(_limited)]
_ERRORS: dict[int | str, dict[str, Any]] = {status: ErrorStatuses[status] for status in (404, 409, 429)}
router = APIRouter(tags=["verifiable certificates"], responses=_ERRORS)


@router.get("/credentials/{public_id}", response_class=Response, responses={200: {"content": {_JSON_LD: {}}}})
def credential(public_id: str, request: Request, _config: Public) -> Response:
    """The signed Open Badges 3.0 credential (JSON-LD, Data Integrity eddsa-rdfc-2022 proof)."""
    document = None
    if _PUBLIC_ID.match(public_id):
        with read_transaction(request.app.state.engine) as conn:
            document = pages.credential_document(conn, public_id)
    if document is None:
        raise NotFound("No such credential", code="CREDENTIAL_NOT_FOUND")
    return Response(document.encode("utf-8"), media_type=_JSON_LD, headers={"Cache-Control": "no-cache"})


@router.get(
    "/verify/{public_id}",
    response_class=HTMLResponse,
    responses={404: {"content": {"text/html": {}}, "description": "Unknown certificate (an HTML page)"}},
)
def verify(public_id: str, request: Request, config: Public) -> HTMLResponse:
    """The verify page: valid, revoked, not yet valid, invalid or unknown, with the holder, certificate, credits, date and issuer."""
    page = None
    if _PUBLIC_ID.match(public_id):
        with read_transaction(request.app.state.engine) as conn:
            page = pages.verify_page(conn, config, public_id)
    context: dict[str, Any] = {"state": "unknown", "summary": None, "checks": [], "credential_url": None}
    if page is not None:
        context = {
            "state": page.verdict.state,
            "summary": page.verdict.summary,
            "checks": page.verdict.checks,
            "credential_url": page.credential_url,
            "issuer_url": page.issuer_url,
        }
    heading, explanation = _HEADINGS[context["state"]]
    valid_from = page.verdict.valid_from if page is not None else ""
    context["heading"], context["explanation"] = heading, explanation.format(valid_from=valid_from)
    html = _templates.get_template("credentials/verify.html").render(**context)
    status = 404 if page is None else 200
    return HTMLResponse(html, status_code=status, headers=_HTML_HEADERS)


@router.get(
    "/status/{partner_id}/{list_id}", response_class=Response, responses={200: {"content": {_JSON_LD: {}}}}
)
def status(partner_id: str, list_id: str, request: Request, config: Public) -> Response:
    """A partner's signed BitstringStatusListCredential."""
    document = None
    if _is_id(partner_id) and _is_id(list_id):
        with read_transaction(request.app.state.engine) as conn:
            document = pages.status_list_document(conn, config, int(partner_id), int(list_id))
    if document is None:
        raise NotFound("No such status list", code="STATUS_LIST_NOT_FOUND")
    return Response(render_json(document), media_type=_JSON_LD, headers={"Cache-Control": "max-age=60"})


@router.get("/issuers/{partner_id}", response_class=Response, responses={200: {"content": {_JSON_LD: {}}}})
def issuer(partner_id: str, request: Request, config: Public) -> Response:
    """The issuer profile with its public key (a Multikey verification method)."""
    document = None
    if _is_id(partner_id):
        with read_transaction(request.app.state.engine) as conn:
            document = pages.issuer_document(conn, config, int(partner_id))
    if document is None:
        raise NotFound("No such issuer", code="ISSUER_NOT_FOUND")
    return Response(render_json(document), media_type=_JSON_LD)


def _is_id(text: str) -> bool:
    """Whether the text is a number a partner or status list id can be (any other names nothing: 404)."""
    return _NUMBER.match(text) is not None and int(text) <= _MAX_ID
