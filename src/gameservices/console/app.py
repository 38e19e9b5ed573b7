"""Adding the console, the big screen, the widget, the API reference page and the static assets to the app."""

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from gameservices.console import (
    certificate,
    display,
    display_link,
    event_import,
    events,
    game_object,
    leaderboard,
    report,
    rule,
    scheduled_game_object,
    signin,
    user,
    webhook,
    widget,
)
from gameservices.console.display_hub import DisplayHub
from gameservices.console.pages import STATIC_DIR, page

DOCS_CSP_STYLE = "style-src 'self' 'unsafe-inline'"


# The front end's routers, in the order their routes are matched.
ROUTERS = (
    signin.router,
    display.console_router,
    leaderboard.router,
    rule.router,
    certificate.router,
    *game_object.ROUTERS,
    display_link.router,
    scheduled_game_object.router,
    user.router,
    event_import.router,
    events.router,
    report.router,
    webhook.router,
    widget.console_router,
    display.router,
    widget.page_router,
    widget.router,
)


def install(app: FastAPI, *, api_prefix: str) -> None:
    """Mount the front end on an API application (after the API's own routes, which are matched first)."""
    app.state.display_hub = DisplayHub(app.state.engine, app.state.live)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = f"{api_prefix}/openapi.json"

    @app.get(f"{api_prefix}/docs", include_in_schema=False)
    def api_docs(_request: Request) -> Response:
        """The API reference (Swagger UI served from the package: works offline, under a strict policy)."""
        response = page("docs/api_docs.html", {"title": "gameservices API", "openapi_url": openapi_url})
        # Swagger UI sets style attributes on its elements; scripts stay restricted to the service's own.
        policy = response.headers["Content-Security-Policy"].replace("style-src 'self'", DOCS_CSP_STYLE)
        response.headers["Content-Security-Policy"] = policy
        return response
