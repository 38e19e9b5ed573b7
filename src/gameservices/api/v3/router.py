"""The ``/api_v3`` routes: every form the Kaltura clients use (``/api_v3/service/<service>/action/<action>``,
``/api_v3/service/multirequest``, ``/api_v3/index.php?service=…&action=…``), GET or POST, each answered with
HTTP 200 in the requested format, errors included."""

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from gameservices.api import rate_limit
from gameservices.api.deps import ks_of
from gameservices.api.v3 import analytics, envelope
from gameservices.api.v3.actions import Call, Context, run
from gameservices.api.v3.arguments import Arguments
from gameservices.api.v3.params import (
    Params,
    first_unstorable,
    merge_json,
    nest,
    path_pairs,
    resolve_references,
    split_multirequest,
)
from gameservices.domain.text import readable
from gameservices.errors import GameServicesError
from gameservices.services.kaltura import kaltura_v3 as v3_errors

PREFIX = "/api_v3"
METHODS = ["GET", "POST"]
MULTIREQUEST = "multirequest"
_log = logging.getLogger(__name__)


async def service_action(request: Request, service: str, action: str) -> Response:
    """One action of a service."""
    return await answer(request)


async def other_forms(request: Request) -> Response:
    """Multirequests and the forms naming service and action as parameters."""
    return await answer(request)


async def track_event(request: Request) -> Response:
    """The Kaltura player's analytics beacon (``analytics.trackEvent``), answered in JSON."""
    return await answer(request)


def _router() -> APIRouter:
    built = APIRouter(tags=["API v3"])
    for method in METHODS:
        # Before the general route, so the beacon has its own documented operation.
        built.add_api_route(
            f"{PREFIX}/service/analytics/action/trackEvent",
            track_event,
            methods=[method],
            operation_id=f"{method.lower()}_api_v3_analytics_track_event",
            **analytics.BEACON_ROUTE,
        )
        # One route per method, so each OpenAPI operation has its own id.
        built.add_api_route(
            f"{PREFIX}/service/{{service}}/action/{{action}}",
            service_action,
            methods=[method],
            operation_id=f"{method.lower()}_api_v3_service_action",
            response_model=None,
            response_class=Response,
            responses={
                200: {
                    "description": "The result, or a KalturaAPIException, in Kaltura's envelope",
                    "content": {
                        "text/xml": {"schema": {"type": "string"}},
                        "application/json": {"schema": {}},
                    },
                }
            },
            summary="Kaltura API v3 action (game_userscore, leaderboard_userscore, session)",
            description="Parameters as form fields, JSON or query string (`filter[gameObjectId]`, `ks`); "
            "`format=1` answers JSON, `format=2` (default) XML. Errors are KalturaAPIException results with "
            "HTTP 200.",
        )
        built.add_api_route(PREFIX, other_forms, methods=[method], include_in_schema=False)
        built.add_api_route(f"{PREFIX}/{{path:path}}", other_forms, methods=[method], include_in_schema=False)
    return built


router = _router()


async def answer(request: Request) -> Response:
    """Read the request's parameters, run its action (or actions) and render the answer."""
    started = time.perf_counter()
    beacon = analytics.is_beacon(request.scope)
    try:
        params = await read_params(request)
    except HTTPException:
        # An unreadable body (a multipart form without its boundary): a beacon is answered as every beacon
        # that cannot be scored is; any other call is read without it, and answered in the envelope.
        params = {} if beacon else url_params(request)
    if beacon or analytics.names_track_event(params):
        return await analytics.track_event(request, params)
    state = request.app.state
    header_ks = ks_of(request)
    client_host = request.client.host if request.client else ""
    wait = await rate_limit.admit(
        state.rate_limits,
        state.address_rate_limits,
        state.engine,
        counted_ks(params, header_ks),
        client_host,
        count=counted_calls(params),
        unverified_buckets=state.unverified_rate_limits,
    )
    if wait > 0.0:
        # Refused in the envelope, as every API v3 error is: the clients read nothing else.
        response = render(params, lambda: _each(params, rate_limit.refused(wait)), started)
        response.headers["Retry-After"] = rate_limit.retry_after(wait)
        return response
    uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context = Context(state.engine, state.live, client_host, uri)
    return await run_in_threadpool(respond, params, context, header_ks, started)


async def read_params(request: Request) -> Params:
    """Every parameter of a request: query string, then form fields or JSON body, then the URL path."""
    params = nest(request.query_params.multi_items())
    body = await request.body()
    content_type = request.headers.get("content-type", "").lower()
    if body.lstrip().startswith(b"{") or "json" in content_type:
        params = merge_json(params, body)
    elif content_type.startswith("multipart/form-data"):
        form = await request.form()
        fields = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        params = nest(((key, value) for key, value in fields if key != "json"), params)
        # Clients that upload files send their other parameters as JSON in the field "json".
        for key, value in fields:
            if key == "json":
                params = merge_json(params, value.encode())
    elif body.strip():
        params = nest(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True), params)
    return nest(path_pairs(request.url.path[len(PREFIX) :]), params)


def url_params(request: Request) -> Params:
    """The parameters of a request's URL alone: query string, then the URL path."""
    return nest(path_pairs(request.url.path[len(PREFIX) :]), nest(request.query_params.multi_items()))


def counted_ks(params: Params, header_ks: str | None) -> str | None:
    """The KS whose partner a request is counted against by the rate limit: the one its action uses, or for a
    multirequest the first its requests use."""
    ks = _text(params.get("ks")) or header_ks
    if not ks and _text(params.get("service")).lower() == MULTIREQUEST:
        ks = next((found for item in split_multirequest(params) if (found := _text(item.get("ks")))), None)
    return ks or None


def counted_calls(params: Params) -> int:
    """The tokens a request takes from the rate limit: one per action it calls (each request of a
    multirequest; one for a multirequest holding none, answered with an error all the same)."""
    if _text(params.get("service")).lower() == MULTIREQUEST:
        return max(1, len(split_multirequest(params)))
    return 1


def respond(params: Params, context: Context, header_ks: str | None, started: float) -> Response:
    """Run what the parameters ask for and render it in the requested format."""
    return render(params, lambda: _run(params, context, header_ks), started)


def render(params: Params, result_of: Callable[[], Any], started: float) -> Response:
    """The answer in the requested format: the result `result_of` gives, or the error of an unknown format."""
    format_ = _text(params.get("format")) or envelope.FORMAT_XML
    if format_ not in (envelope.FORMAT_JSON, envelope.FORMAT_XML):
        result: Any = v3_errors.unknown_response_format(readable(format_))
        format_ = envelope.FORMAT_XML
    else:
        result = result_of()
    if format_ == envelope.FORMAT_JSON:
        return Response(envelope.json_document(result), media_type=envelope.JSON_MEDIA_TYPE)
    body = envelope.xml_document(result, time.perf_counter() - started)
    return Response(body, media_type=envelope.XML_MEDIA_TYPE)


def _each(params: Params, error: GameServicesError) -> Any:
    """An error as the answer to a call: a multirequest's answer is the list of its requests' results."""
    if _text(params.get("service")).lower() == MULTIREQUEST:
        return [error for _ in split_multirequest(params)]
    return error


def _run(params: Params, context: Context, header_ks: str | None) -> Any:
    unstorable = first_unstorable(params)
    if unstorable is not None:
        return v3_errors.invalid_character(unstorable)
    if _text(params.get("service")).lower() == MULTIREQUEST:
        return run_multirequest(params, context, header_ks)
    return run_one(params, context, header_ks)


def run_multirequest(params: Params, context: Context, header_ks: str | None) -> list[Any]:
    """Run the numbered requests in order; a later one may use an earlier one's result."""
    results: list[Any] = []
    for request_params in split_multirequest(params):
        results.append(run_one(resolve_references(request_params, results), context, header_ks))
    return results


def run_one(params: Params, context: Context, header_ks: str | None) -> Any:
    """Run one action call; an error becomes its result."""
    try:
        service, action = _text(params.get("service")), _text(params.get("action"))
        if not service:
            raise v3_errors.service_not_specified()
        if not action:
            raise v3_errors.action_not_specified()
        ks = _text(params.get("ks")) or header_ks
        return run(Call(service, action, Arguments(params), ks, context))
    except GameServicesError as error:
        return error
    except Exception:
        _log.exception("unexpected error in API v3 %s.%s", params.get("service"), params.get("action"))
        return v3_errors.internal_error()


def _text(value: Any) -> str:
    """A parameter as text ("" when absent or not a single value)."""
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)
