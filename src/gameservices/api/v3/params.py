"""Request parameters of API v3, read as the Kaltura server reads them.

Parameters come from the URL path (``/service/<name>/action/<name>/...`` pairs), the query string, form fields
and a JSON body. Flattened keys become nested objects: brackets (``filter[gameObjectId]``, ``a[b][c]``) as
PHP reads them and colons (``filter:gameObjectId``, ``1:service``) as the Kaltura server groups them;
``name__null`` stands for a parameter sent as null. A multirequest numbers its requests (``1:service``, or
``{"1": {...}}`` in JSON) and may refer to an earlier result as ``{1:result:objects:0:userId}``.
"""

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from gameservices.domain.text import has_unstorable, readable

Params = dict[str, Any]

NULL_SUFFIX = "__null"
# Deeper keys than any Kaltura object nests are dropped, so no request can build an arbitrarily deep tree.
MAX_DEPTH = 32
# Parameters a multirequest's requests take from the common ones unless they carry their own.
INHERITED = ("ks", "clientTag", "partnerId")
_BRACKETS = re.compile(r"\[([^\]]*)\]")
_INDEX = re.compile(r"[0-9]{1,9}")
_REFERENCE = re.compile(r"\{([0-9]{1,9}):result(?::([^}]*))?\}")


def key_path(key: str) -> list[str]:
    """The nesting a flattened key names: ``a:b[c][d]`` is ``["a", "b", "c", "d"]``."""
    head, bracket, rest = key.partition("[")
    path = head.split(":")
    if bracket:
        path.extend(_BRACKETS.findall(bracket + rest))
    return path


def nest(pairs: Iterable[tuple[str, Any]], into: Params | None = None) -> Params:
    """Build (or extend) the parameter tree from flattened ``(key, value)`` pairs; a later pair wins."""
    tree: Params = {} if into is None else into
    for key, value in pairs:
        if key.endswith(NULL_SUFFIX):
            key, value = key[: -len(NULL_SUFFIX)], None
        path = key_path(key)
        if len(path) > MAX_DEPTH:
            continue
        if len(path) > 1 and path[-1] == "-":
            # "name:-" is the Kaltura clients' way of sending an empty list or object.
            path, value = path[:-1], {}
        _set_path(tree, path, value)
    return tree


def merge_json(tree: Params, body: bytes) -> Params:
    """Add the parameters of a JSON object body (its top-level keys grouped like flattened ones).

    A body that is not a JSON object is ignored, as the Kaltura server ignores it.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = _lenient_json(body)
    if not isinstance(document, dict):
        return tree
    return nest(((str(key), _nulls(value, 1)) for key, value in document.items()), tree)


def _lenient_json(body: bytes) -> Any:
    """The standard library's reading of a body orjson refuses: it takes lone surrogates, which the typed reads
    then refuse by name (`arguments`, `first_unstorable`), where ignoring the body would hide them."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def first_unstorable(params: Params) -> str | None:
    """The name of the first parameter (flattened, ``a:b``) whose name or text holds a NUL character or a lone
    surrogate, which no database stores and XML cannot carry; None when there is none."""
    pending: list[tuple[str, Any]] = [("", params)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and has_unstorable(value):
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}:{key}" if path else str(key)
                if has_unstorable(str(key)):
                    return readable(child)
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((f"{path}:{index}", item) for index, item in enumerate(value))
    return None


def path_pairs(path: str) -> list[tuple[str, str]]:
    """The ``name/value`` pairs of a path after ``/api_v3`` (``index.php`` ignored)."""
    parts = [part for part in path.split("/") if part and part != "index.php"]
    return list(zip(parts[0::2], parts[1::2], strict=False))


def split_multirequest(params: Params) -> list[Params]:
    """The requests of a multirequest in order: numbered from 0 or 1 up, ending at the first number that
    names no service and action; each takes the common ``ks``, ``clientTag`` and ``partnerId`` it lacks."""
    numbers = [int(key) for key in params if _INDEX.fullmatch(key)]
    if not numbers:
        return []
    requests: list[Params] = []
    for number in range(min([1, *numbers]), max(numbers) + 1):
        current = params.get(str(number))
        if not isinstance(current, dict) or not current.get("service") or not current.get("action"):
            break
        inherited = {name: params[name] for name in INHERITED if name in params and name not in current}
        requests.append({**inherited, **current})
    return requests


def resolve_references(value: Any, results: list[Any], depth: int = 0) -> Any:
    """Replace ``{N:result[:path]}`` in every text of a request by what the N-th result holds there."""
    if isinstance(value, str):
        return _REFERENCE.sub(lambda match: _referenced_text(match, results), value)
    if depth >= MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {key: resolve_references(item, results, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, results, depth + 1) for item in value]
    return value


def _nulls(value: Any, depth: int) -> Any:
    """A JSON value with its ``name__null`` properties read as null properties ``name``."""
    if not isinstance(value, dict) or depth >= MAX_DEPTH:
        return value
    return {
        key[: -len(NULL_SUFFIX)] if key.endswith(NULL_SUFFIX) else key: (
            None if key.endswith(NULL_SUFFIX) else _nulls(item, depth + 1)
        )
        for key, item in value.items()
    }


def _set_path(tree: Params, path: list[str], value: Any) -> None:
    node = tree
    for position, segment in enumerate(path):
        key = str(len(node)) if segment == "" else segment
        if position == len(path) - 1:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child


def _referenced_text(match: re.Match[str], results: list[Any]) -> str:
    number = int(match.group(1))
    if not 1 <= number <= len(results):
        return match.group(0)  # not run yet: left as written
    found: Any = results[number - 1]
    for step in (match.group(2) or "").split(":"):
        if not step:
            continue
        found = _step(found, step)
    return _as_text(found)


def _step(value: Any, step: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(step)
    if isinstance(value, list) and _INDEX.fullmatch(step) and int(step) < len(value):
        return value[int(step)]
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, str | int | float):
        return str(value)
    return ""
