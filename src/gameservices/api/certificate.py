"""The ``certificate`` controller."""

from typing import Any

from gameservices.api.deps import Api
from gameservices.api.game_objects import game_object_router
from gameservices.api.schemas.certificate import CertificateCreate, CertificateUpdate
from gameservices.services.catalog.certificate import CERTIFICATE, check_background


def _check_background(api: Api, fields: dict[str, Any]) -> None:
    if api.settings.validate_certificate_backgrounds:
        check_background(fields, loader=api.backgrounds)


router = game_object_router(
    "certificate", CERTIFICATE, CertificateCreate, CertificateUpdate, _check_background
)
