"""Certificate rendering: fetching a template's background image safely and drawing the certificate PDF.

Belongs here: turning a certificate's `outputFileConfiguration` and one user's values into PDF bytes, and the
network and image handling that needs. Not here: which users are certified, credits, storage or HTTP
handlers (the certificate service calls this package). Imports Pillow, reportlab and httpx; never FastAPI or
SQLAlchemy.
"""

from gameservices.rendering.background import Background, BackgroundError, BackgroundLoader, FetchPolicy
from gameservices.rendering.pdf import CertificateValues, TextPlacement, placements, render_certificate

__all__ = [
    "Background",
    "BackgroundError",
    "BackgroundLoader",
    "CertificateValues",
    "FetchPolicy",
    "TextPlacement",
    "placements",
    "render_certificate",
]
