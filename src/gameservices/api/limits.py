"""ASGI middleware at the edge: body size limits, and an empty body read as ``{}``."""

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gameservices.api.text_check import unstorable_text_error
from gameservices.errors import GameServicesError, PayloadTooLarge, ValidationFailed

_UPLOAD_SUFFIXES = ("FromCSV", "FromCsv")
# The console's CSV upload (its form posts the file to this path).
_CONSOLE_UPLOAD = "/console/import"
# The methods whose body API v1 reads as JSON (an empty one as `{}`).
_JSON_METHODS = ("POST", "PUT", "PATCH")


class BodyLimits:
    """Refuse bodies over the limit with 413 before a handler sees them; give empty JSON bodies as ``{}``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every method's body is limited: API v3 reads the parameters of a GET's body too.
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        uploads = scope["path"].endswith(_UPLOAD_SUFFIXES) or scope["path"].rstrip("/") == _CONSOLE_UPLOAD
        limit = self.max_upload_bytes if uploads else self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (
            scope["method"] in _JSON_METHODS
            and not scope["path"].endswith(_UPLOAD_SUFFIXES)
            and not _is_multipart(scope)
        ):
            # API v1 speaks JSON only: a body sent without a JSON content type (curl -d) is read as JSON anyway.
            scope = _as_json(scope)
            if not body.strip():
                body = b"{}"
            elif not scope["path"].startswith(_API_V3) and (error := _unstorable(scope, body)) is not None:
                if not scope["path"].startswith("/api/v1/"):
                    await _send_error(send, 400, error)
                    return
                # API v1 refuses it once the KS is checked (api/deps.py), so a caller without one learns nothing.
                scope = {**scope, "state": {**scope.get("state", {}), UNSTORABLE_TEXT: error}}
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, original: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            # After the body, wait for the real disconnect (streaming responses watch for it).
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


UNSTORABLE_TEXT = "gameservices_unstorable_text"
# API v3 reads its parameters itself and answers a bad character inside its envelope (api/v3/arguments.py).
_API_V3 = "/api_v3"
# Actions whose body holds a list of items each checked on its own: one bad item is refused, not the call.
_ITEMS_CHECKED_ONE_BY_ONE = {"/api/v1/event/send": "events"}


def _unstorable(scope: Scope, body: bytes) -> ValidationFailed | None:
    return unstorable_text_error(body, items_checked_later=_ITEMS_CHECKED_ONE_BY_ONE.get(scope["path"]))


def _is_multipart(scope: Scope) -> bool:
    return any(
        name == b"content-type" and value.startswith(b"multipart/") for name, value in scope["headers"]
    )


def _as_json(scope: Scope) -> Scope:
    if not scope["path"].startswith("/api/v1/"):
        return scope
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
    return {**scope, "headers": [*headers, (b"content-type", b"application/json")]}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    await _send_error(
        send, 413, PayloadTooLarge(f"The request body exceeds {limit} bytes", args={"LIMIT": limit})
    )


async def _send_error(send: Send, status: int, error: GameServicesError) -> None:
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "objectType": "KalturaAPIException",
        "args": error.arguments,
    }
    payload = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
