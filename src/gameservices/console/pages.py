"""Rendering a page: the Jinja2 templates and the security headers every page carries."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
# Scripts only from the service itself (no inline script, no inline event handler), nothing may frame a page
# unless the page says otherwise (the widget), forms post only back here.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The pages' policy, with the origins that may frame the page."""
    return _CSP.format(ancestors=frame_ancestors)


def security_headers(frame_ancestors: str = "'none'") -> dict[str, str]:
    """The headers of every page. The referrer stays on this site (a share id never leaves it), and browsers
    still send the ``Origin`` of a same-site form, which the sign-in checks."""
    headers = {
        "Content-Security-Policy": content_security_policy(frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    return headers


def render_text(template: str, context: dict[str, Any]) -> str:
    """A template rendered to text (a whole page or a fragment)."""
    return _environment.get_template(template).render(**context)


def page(
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    frame_ancestors: str = "'none'",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A rendered template as an HTML response with the security headers."""
    return HTMLResponse(
        render_text(template, context),
        status_code=status_code,
        headers={**security_headers(frame_ancestors), **(headers or {})},
    )
