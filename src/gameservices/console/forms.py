"""From a submitted form to the API's request model, with the API's own validation messages."""

import json
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from gameservices.api.errors import from_validation_error
from gameservices.api.text_check import unstorable_text_error
from gameservices.errors import GameServicesError, ValidationFailed


def validated(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """The body as the API would parse it; raises the error the API would answer."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(RequestValidationError(error.errors())) from error


def json_object(text: str, field: str = "body") -> dict[str, Any]:
    """A JSON editor's text as an object; a text that is not one, or whose strings hold text no database can
    store (``\\u0000``), fails as the API fails such a body."""
    unstorable = unstorable_text_error(text.encode("utf-8", "surrogatepass"))
    if unstorable is not None:
        raise unstorable
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        # Nesting deeper than the parser's recursion limit is refused like any other text that does not parse.
        raise ValidationFailed("", "The request body is not valid JSON") from error
    if not isinstance(value, dict):
        raise ValidationFailed(field, "must be a JSON object")
    return value


def filled(form: dict[str, str]) -> dict[str, Any]:
    """The fields a form gives a value (an empty input is a field left out)."""
    return {key: value.strip() for key, value in form.items() if value.strip()}


def problem(error: GameServicesError) -> dict[str, str]:
    """An error as a form shows it next to the inputs."""
    return {"code": error.code, "message": error.message}
