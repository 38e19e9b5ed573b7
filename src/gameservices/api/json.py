"""The JSON response class of the API, serialising with orjson."""

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    """A JSON response rendered by orjson (fast, and strict about what is JSON)."""

    def render(self, content: Any) -> bytes:
        """Serialise the content."""
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
