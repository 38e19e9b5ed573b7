"""``userCertificateReport`` actions of verifiable certificates: ``revoke``, ``unrevoke``, and the links the
``list`` objects gain (``credentialUrl``, ``verifyUrl``)."""

import logging
from dataclasses import replace
from typing import Any

from fastapi import APIRouter

from gameservices.api.credentials_public import config_of
from gameservices.api.deps import Api, WriteApi
from gameservices.api.responses import ErrorStatuses
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.credentials import CredentialRevoke
from gameservices.errors import Conflict
from gameservices.services.certificates import credentials as service
from gameservices.services.certificates.certificate_document import CertificateDocument
from gameservices.services.scoring.achievements import CERTIFIED
from gameservices.storage.credentials import CredentialRecord
from gameservices.storage.database import Connection, write_transaction

_log = logging.getLogger(__name__)
router = APIRouter(prefix="/userCertificateReport", tags=["userCertificateReport"], responses=ErrorStatuses)


@router.post("/revoke", response_model=None)
def revoke(body: CredentialRevoke, api: WriteApi) -> dict[str, Any]:
    """Revoke a user certificate's credential: its status bit is set, the verify page says revoked."""
    with write_transaction(api.engine) as conn:
        return service.set_revoked(
            conn,
            config_of(api.settings),
            partner_id=api.partner_id,
            record_id=body.id,
            revoked=True,
            reason=body.reason,
        )


@router.post("/unrevoke", response_model=None)
def unrevoke(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Reinstate a revoked credential."""
    with write_transaction(api.engine) as conn:
        return service.set_revoked(
            conn,
            config_of(api.settings),
            partner_id=api.partner_id,
            record_id=body.id,
            revoked=False,
            reason=None,
        )


def issued_credentials(
    conn: Connection, api: Api, objects: list[dict[str, Any]]
) -> dict[str, CredentialRecord]:
    """The credentials issued so far for the listed certified user certificates, by record id (read within the
    list's transaction; `add_links` issues the others after it)."""
    if config_of(api.settings) is None:
        return {}
    certified = [item["id"] for item in objects if item.get("status") == CERTIFIED]
    return dict(service.existing(conn, api.partner_id, certified))


def add_links(api: Api, objects: list[dict[str, Any]], issued: dict[str, CredentialRecord]) -> None:
    """Give each listed user certificate its credential links, issuing the credentials not issued yet in a
    transaction of their own. Called once the list's read has ended: a write opened while the read still holds
    its pooled connection waits for a second one, and concurrent lists would take the whole pool."""
    config = config_of(api.settings)
    certified = [item["id"] for item in objects if item.get("status") == CERTIFIED]
    missing = [record_id for record_id in certified if record_id not in issued]
    if config is not None and missing:
        try:
            with write_transaction(api.engine) as write:
                issued.update(service.issue_for(write, config, api.partner_id, missing))
        except Conflict as error:  # a key the secret cannot open: list without links rather than fail
            _log.warning("credentials not issued for partner %s: %s", api.partner_id, error.message)
    for item in objects:
        item.update(service.links(config, issued.get(item["id"])))


def with_verify_url(api: Api, document: CertificateDocument, record_id: str) -> CertificateDocument:
    """The PDF's document with the short verify URL its QR code carries (none when verification is off). Called
    with no transaction open (it may write one)."""
    config = config_of(api.settings)
    if config is None or not document.verification:
        return document
    with write_transaction(api.engine) as conn:
        credential = service.ensure_one(conn, config, api.partner_id, record_id)
    # The PDF states what the credential its QR code verifies states (signed once, when first issued).
    values = service.issued_values(credential, document.values)
    return replace(document, verify_url=config.verify_url(credential.public_id), values=values)
