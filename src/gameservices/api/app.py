"""Building the FastAPI application: routers, error handlers, edge limits and the OpenAPI document."""

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gameservices import errors
from gameservices.api import (
    badge,
    certificate,
    credentials_public,
    display_link,
    entry,
    event,
    event_csv,
    lead_scoring,
    leaderboard,
    report,
    rule,
    scheduled_game_object,
    stream,
    user_badge,
    user_certificate_credentials,
    user_certificate_report,
    user_lead_scoring,
    user_profile,
    user_profile_csv,
    user_score,
    v3,
    webhook,
    webhook_delivery,
)
from gameservices.api.deps import LoopConnection, authenticated
from gameservices.api.errors import error_response, from_validation_error, handle_service_error
from gameservices.api.json import JsonResponse
from gameservices.api.limits import BodyLimits
from gameservices.api.rate_limit import RateLimit, TokenBuckets, unverified_buckets_of
from gameservices.api.v3 import analytics as v3_analytics
from gameservices.console import app as console
from gameservices.feed.hub import FeedHub
from gameservices.projection.live import LiveState
from gameservices.rendering.background import BackgroundLoader, FetchPolicy
from gameservices.services.scoring.analytics import BeaconPartners, BeaconWriter
from gameservices.settings import Settings
from gameservices.storage import log_wakeups
from gameservices.storage.database import Engine
from gameservices.webhooks.targets import TargetPolicy

API_PREFIX = "/api/v1"
CONTROLLER_ROUTERS = (
    leaderboard.router,
    badge.router,
    certificate.router,
    lead_scoring.router,
    rule.router,
    scheduled_game_object.router,
    user_profile.router,
    user_profile_csv.router,
    entry.router,
    user_score.router,
    user_badge.router,
    user_certificate_report.router,
    user_certificate_credentials.router,
    user_lead_scoring.router,
    event.router,
    event_csv.router,
    report.router,
    display_link.router,
    webhook.router,
    webhook_delivery.router,
)
_HOT_ROUTERS = (user_score.router, event.router)
_log = logging.getLogger(__name__)


# The application's type, for layers that pass it along without importing FastAPI.
Application = FastAPI


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The API application on an open (and migrated) database."""
    app = FastAPI(
        title="gameservices",
        summary="Kaltura Game Services (SCM) gamification API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The reference page is the console's: Swagger UI served from the package, not from a CDN.
        docs_url=None,
        redoc_url=None,
        default_response_class=JsonResponse,
    )
    app.state.settings = settings
    app.state.engine = engine
    # `events` writes leave the derived tables to a checkpoint when one runs (`serve` starts it).
    app.state.live = LiveState(checkpoints=settings.checkpoint_interval_ms > 0)
    app.state.feed_hub = FeedHub(engine, poll_seconds=settings.stream_poll_seconds)
    log_wakeups.listen_locally(app.state.feed_hub.poke)
    app.state.backgrounds = BackgroundLoader(
        FetchPolicy(allow_private_addresses=settings.allow_private_backgrounds)
    )
    app.state.webhook_targets = TargetPolicy(allow_private=settings.allow_private_webhooks)
    app.state.loop_connection = LoopConnection(engine)
    # One token bucket per partner, shared by the rate limit and the player's beacons carrying a KS (which answer
    # "stop sending VIEWs" rather than a 429); one per client address for KSs not known to be signed by their
    # partner, and one for all of them together (so that a flood from countless addresses reads the database at
    # a bounded rate; beacons nothing vouches for take them too before their read); one per partner for beacons
    # without a KS, which anyone can send, whose partners' facts are remembered a while (`BeaconPartners`).
    rate = settings.rate_limit_per_second
    app.state.rate_limits = TokenBuckets(float(rate)) if rate > 0 else None
    app.state.address_rate_limits = TokenBuckets(float(rate)) if rate > 0 else None
    app.state.unverified_rate_limits = unverified_buckets_of(rate) if rate > 0 else None
    app.state.unsigned_beacon_limits = TokenBuckets(float(rate)) if rate > 0 else None
    app.state.beacon_partners = BeaconPartners(engine)
    app.state.beacons = BeaconWriter(engine, app.state.live)
    app.state.credentials = credentials_public.config_of(settings)
    app.state.public_buckets = credentials_public.buckets_of(settings)
    # Routes are matched one after another: the polled and the flooded controllers come first, each included
    # straight into the app (one level of routers to walk, not two).
    for router in sorted(CONTROLLER_ROUTERS, key=lambda router: router not in _HOT_ROUTERS):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(stream.router, prefix=API_PREFIX)
    app.include_router(_health_router())
    app.include_router(v3_analytics.router)
    app.include_router(v3.router)
    app.include_router(credentials_public.router)
    console.install(app, api_prefix=API_PREFIX)
    _install_error_handlers(app)
    app.add_middleware(
        BodyLimits, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    # Added last, so it runs first: an over-eager partner is turned away before its body is read.
    app.add_middleware(
        RateLimit,
        per_second=rate,
        engine=engine,
        buckets=app.state.rate_limits,
        address_buckets=app.state.address_rate_limits,
        unverified_buckets=app.state.unverified_rate_limits,
    )
    return app


def end_streams(app: FastAPI) -> None:
    """End every open server-sent event stream (the change stream, the big screens, the console's live views),
    so a stopping server is not held up by them; callable from any thread."""
    app.state.feed_hub.close()
    app.state.display_hub.close()


CONTROLLERS = frozenset(router.prefix.strip("/") for router in CONTROLLER_ROUTERS)


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    def health() -> dict[str, str]:
        """Liveness: answers without authentication."""
        return {"status": "ok"}

    for path in ("/health", f"{API_PREFIX}/health"):
        for method in ("GET", "POST"):
            operation = f"{method.lower()}_{path.strip('/').replace('/', '_')}"
            router.add_api_route(path, health, methods=[method], operation_id=operation)
    return router


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.GameServicesError, handle_service_error)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> JsonResponse:
        # A request that is both unauthenticated and malformed is answered as unauthenticated.
        return await _unauthenticated(request) or error_response(from_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JsonResponse:
        if exc.status_code == 400 and request.url.path.startswith(f"{API_PREFIX}/"):
            # A body that could not even be parsed (not UTF-8, a multipart form without its boundary): the KS is
            # reported first, as for any malformed body.
            return await _unauthenticated(request) or error_response(_unreadable_body(exc))
        if exc.status_code == 404:
            return error_response(_unknown_route(request.url.path))
        if exc.status_code == 405:
            error = errors.GameServicesError("Use POST for API actions", code="METHOD_NOT_ALLOWED")
            response = error_response(error)
            response.status_code = 405
            return response
        error = errors.GameServicesError(str(exc.detail), code="HTTP_ERROR")
        response = error_response(error)
        response.status_code = exc.status_code
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JsonResponse:
        _log.exception("unexpected error", exc_info=exc)
        response = error_response(errors.GameServicesError("Internal server error"))
        response.status_code = 500
        return response


async def _unauthenticated(request: Request) -> JsonResponse | None:
    """The answer to a request whose KS is missing or invalid; None when it authenticates."""
    try:
        await authenticated(request)
    except errors.AuthenticationFailed as auth_error:
        return error_response(auth_error)
    except errors.GameServicesError:
        pass  # a valid KS that may not call the action: the body's problem is reported
    return None


def _unreadable_body(exc: StarletteHTTPException) -> errors.ValidationFailed:
    # FastAPI's words for a JSON body it could not decode.
    if exc.detail == "There was an error parsing the body":
        return errors.ValidationFailed("", "The request body is not valid JSON")
    return errors.ValidationFailed("", str(exc.detail))


def _unknown_route(path: str) -> errors.NotFound:
    parts = path[len(API_PREFIX) + 1 :].split("/") if path.startswith(API_PREFIX + "/") else []
    if parts and parts[0] in CONTROLLERS:
        return errors.NotFound(
            f"Action [{path}] does not exist", code="ACTION_DOES_NOT_EXISTS", args={"ACTION": path}
        )
    return errors.NotFound(
        f"Service [{path}] does not exist", code="SERVICE_DOES_NOT_EXISTS", args={"SERVICE": path}
    )
