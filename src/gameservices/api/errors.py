"""The one table from error classes to HTTP statuses, and the Kaltura exception body every error carries."""

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from gameservices import errors
from gameservices.api.json import JsonResponse
from gameservices.api.rate_limit import retry_after

STATUS_BY_ERROR: dict[type[errors.GameServicesError], int] = {
    errors.InvalidInput: 400,
    errors.AuthenticationFailed: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


_QUOTED = re.compile(r"'([^']*)'")


class ErrorBody(BaseModel):
    """A Kaltura API exception as the service returns it."""

    code: str
    message: str
    objectType: str = "KalturaAPIException"
    args: dict[str, Any] = {}


def status_of(error: errors.GameServicesError) -> int:
    """The HTTP status for an error, by the first class of its ancestry in the table."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_response(error: errors.GameServicesError) -> JsonResponse:
    """Render an error as its status and Kaltura body."""
    body = {
        "code": error.code,
        "message": error.message,
        "objectType": "KalturaAPIException",
        "args": error.arguments,
    }
    wait = error.arguments.get("RETRY_AFTER")
    if isinstance(error, errors.RateLimited | errors.Unavailable) and isinstance(wait, int | float):
        # As the API's own rate limit answers (api/rate_limit.py): whole seconds, at least 1.
        headers = {"Retry-After": retry_after(wait)}
        return JsonResponse(body, status_code=status_of(error), headers=headers)
    return JsonResponse(body, status_code=status_of(error))


def from_validation_error(exc: RequestValidationError) -> errors.GameServicesError:
    """Turn the first problem pydantic found in a body into the service's error, naming the field."""
    problem = exc.errors()[0] if exc.errors() else {"type": "value_error", "loc": (), "msg": "invalid body"}
    field = _field_of(problem)
    kind = problem.get("type", "")
    if kind == "json_invalid":
        return errors.ValidationFailed("", "The request body is not valid JSON")
    if kind == "missing":
        return errors.MissingParameter(field)
    if kind in ("literal_error", "enum"):
        # A field whose values come from several literal members of a union has a problem per member: the values
        # of them all are what it expects.
        expected = [
            value
            for other in exc.errors()
            if other.get("type") == kind and isinstance(other.get("ctx"), dict) and _field_of(other) == field
            for value in _values(str(other["ctx"].get("expected", "")))
        ]
        return errors.InvalidEnumValue(field, _short(problem.get("input")), expected)
    if kind == "extra_forbidden":
        return errors.ValidationFailed(field, "unknown or read-only field")
    return errors.ValidationFailed(field, str(problem.get("msg", "invalid value")))


def _values(expected: str) -> list[str]:
    # pydantic writes them as "'a', 'b' or 'c'" (the values as the service names them elsewhere: bare).
    quoted = _QUOTED.findall(expected)
    return quoted if quoted else [expected]


def _field_of(problem: Any) -> str:
    location = [str(part) for part in problem.get("loc", ()) if part != "body"]
    # Union members and function validators add their type name to the location; the field path is what matters.
    return ".".join(part for part in location if not _is_type_tag(part))


def _is_type_tag(part: str) -> bool:
    return (
        part.startswith(("function-", "list[", "dict[", "tagged-union", "literal["))
        or part
        in {
            "str",
            "int",
            "float",
            "bool",
            "constrained-str",
            "json-or-python[json=float,python=float]",
        }
        or part.startswith("json-or-python")
    )


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."


async def handle_service_error(_request: Request, exc: Exception) -> JsonResponse:
    """Exception handler for the service's own errors."""
    assert isinstance(exc, errors.GameServicesError)
    return error_response(exc)
