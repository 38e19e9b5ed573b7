"""The ``certificate`` controller."""

from gameservices.api.game_objects import game_object_router
from gameservices.api.schemas.certificate import CertificateCreate, CertificateUpdate
from gameservices.services.certificate import CERTIFICATE

router = game_object_router("certificate", CERTIFICATE, CertificateCreate, CertificateUpdate)
