"""The JSON response class of the API, serialising with orjson."""

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response


class JsonResponse(JSONResponse):
    """A JSON response rendered by orjson (fast), or by the standard library for what orjson refuses (integers
    beyond 64 bits, which JSON bodies may carry into free-form fields; lone surrogates, escaped)."""

    def render(self, content: Any) -> bytes:
        """Serialise the content."""
        return render_json(content)


def render_json(content: Any) -> bytes:
    """The JSON bytes of a value, as JsonResponse renders them."""
    try:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        # A lone surrogate (text the request itself carried) is written as its \u escape: still valid JSON.
        return json.dumps(content, separators=(",", ":")).encode()


def rendered(body: bytes) -> Response:
    """A 200 answer of JSON bytes rendered earlier."""
    return Response(content=body, media_type="application/json")
