"""Bodies of the verifiable-certificate actions of ``userCertificateReport``."""

from typing import Annotated

from pydantic import StringConstraints

from gameservices.api.schemas.common import Id, RequestModel

MAX_REASON = 1024


class CredentialRevoke(RequestModel):
    """``userCertificateReport/revoke``: the user certificate's id and why (kept private to the partner)."""

    id: Id
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] | None = None
