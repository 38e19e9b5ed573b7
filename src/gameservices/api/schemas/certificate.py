"""Bodies of the ``certificate`` controller (guide section 8)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import (
    MAX_NAME,
    Name,
    ParticipationPolicy,
    Real,
    RequestModel,
    Status,
    Text,
    Url,
    Whole,
    update_model,
)

MAX_ELEMENTS = 50


class OutputFileElement(RequestModel):
    """The background (first element, ``url``) or a text overlay of the certificate PDF."""

    url: Annotated[str, StringConstraints(max_length=8 * 1024 * 1024)] | None = None
    textElementType: (
        Literal[
            "userFullName", "entryName", "credits", "certificationDate", "metadataField", "verificationQr"
        ]
        | None
    ) = None
    fontSize: Real | None = Field(None, gt=0, le=500)
    x: Real | None = Field(None, ge=0, le=100_000)
    y: Real | None = Field(None, ge=0, le=100_000)
    xPath: Annotated[str, StringConstraints(max_length=MAX_NAME)] | None = None
    # verificationQr: the side of the QR square (quiet zone included), in pixels.
    size: Real | None = Field(None, ge=16, le=100_000)


class OutputFileConfiguration(RequestModel):
    """The PDF template: a background then text overlays."""

    outputFileElements: list[OutputFileElement] = Field(min_length=1, max_length=MAX_ELEMENTS)


class CertificateCreate(RequestModel):
    """``certificate/create``."""

    objectType: Literal["Certificate"] | None = None
    name: Name
    description: Text | None = None
    status: Status = "disabled"
    externalId: Annotated[str, StringConstraints(max_length=MAX_NAME)] | None = None
    certificateEligibility: Literal["once", "perEntry"]
    certifiedCreditsThreshold: Real = Field(ge=0, le=1_000_000_000)
    host: Url | None = None
    outputFileConfiguration: OutputFileConfiguration | None = None
    creditsMapping: Annotated[str, StringConstraints(max_length=65536)] | None = None
    metadataProfileId: Whole | Annotated[str, StringConstraints(max_length=64)] | None = None
    participationPolicy: ParticipationPolicy | None = None
    # Verifiable certificates: false leaves the QR code off the PDF (the credential is still issued).
    verification: bool | None = None


CertificateUpdate = update_model(CertificateCreate, "CertificateUpdate")
