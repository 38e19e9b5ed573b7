"""Text no database can store (a NUL character, a lone surrogate: `domain.text`) refused wherever the front end
reads a request's text: the ids in its path, its query parameters and its form values.

The API refuses such text in a JSON body at its edge (`api.text_check`); the console, the big screen and the
widget are checked here, once per request and before any handler: the console's route class calls it, and the
public routers take it as a dependency. SQLite would store the text, PostgreSQL refuse it with a server error.
The answer depends on the request's own text only, so it tells a caller who is not signed in nothing.
"""

from collections.abc import Iterable

from starlette.requests import Request

from gameservices.domain.text import has_unstorable, readable, unstorable_reason
from gameservices.errors import GameServicesError, ObjectNotFound, ValidationFailed


async def unstorable_text_error(request: Request) -> GameServicesError | None:
    """The error for the request's first unstorable text, or None: an id in the path that holds one names no
    object (not found); a query parameter or a form value that holds one is invalid."""
    for value in request.path_params.values():
        if isinstance(value, str) and has_unstorable(value):
            return ObjectNotFound(readable(value))
    found = _first_unstorable(request.query_params.multi_items())
    if found is None and request.method == "POST":
        # The form is read once: the handler is given the same parsed form.
        form = await request.form()
        found = _first_unstorable(
            (name, value) for name, value in form.multi_items() if isinstance(value, str)
        )
    if found is None:
        return None
    name, text = found
    return ValidationFailed(readable(name), unstorable_reason(text))


async def refuse_unstorable_text(request: Request) -> None:
    """Refuse a request that carries unstorable text (a dependency of the public routers)."""
    error = await unstorable_text_error(request)
    if error is not None:
        raise error


def _first_unstorable(items: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (name, text) pair whose name or value holds unstorable text."""
    for name, value in items:
        for text in (name, value):
            if has_unstorable(text):
                return name, text
    return None
