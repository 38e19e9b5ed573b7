"""ASGI middleware at the edge: body size limits, and an empty body read as ``{}``."""

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gameservices.errors import GameServicesError, PayloadTooLarge, ValidationFailed

_UPLOAD_SUFFIXES = ("FromCSV", "FromCsv")


class BodyLimits:
    """Refuse bodies over the limit with 413 before a handler sees them; give empty JSON bodies as ``{}``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"].endswith(_UPLOAD_SUFFIXES) else self.max_body_bytes
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
        if not scope["path"].endswith(_UPLOAD_SUFFIXES) and not _is_multipart(scope):
            # API v1 speaks JSON only: a body sent without a JSON content type (curl -d) is read as JSON anyway.
            scope = _as_json(scope)
            if not body.strip():
                body = b"{}"
            elif b"\\u0000" in body and (path := _nul_path(body)) is not None:
                if not scope["path"].startswith("/api/v1/"):
                    await _send_error(send, 400, nul_error(path))
                    return
                # API v1 refuses it once the KS is checked (api/deps.py), so a caller without one learns nothing.
                scope = {**scope, "state": {**scope.get("state", {}), NUL_PATH: path}}
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


NUL_PATH = "gameservices_nul_path"


def nul_error(path: str) -> ValidationFailed:
    """The error for a JSON body with a NUL character in a string."""
    return ValidationFailed(path, "text may not contain NUL (U+0000) characters")


def _nul_path(body: bytes) -> str | None:
    """The path of the first JSON string holding a NUL (no database stores one), or None."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return child
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item) for index, item in enumerate(value))
    return None


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
