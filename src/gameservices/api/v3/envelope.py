"""The answers of API v3, byte for byte in the Kaltura server's two formats; the HTTP status is always 200.

XML (``format=2``, the default)::

    <?xml version="1.0" encoding="utf-8"?><xml><result>…</result><executionTime>0.01</executionTime></xml>

an object as ``<objectType>`` followed by its properties, a list as ``<item>`` elements, a boolean as 1 or 0,
null as nothing, an error as ``<error><code/><message/><objectType>KalturaAPIException</objectType><args>
<item><objectType>KalturaApiExceptionArg</objectType><name/><value/></item></args></error>``.

JSON (``format=1``): the result itself, objects with ``objectType`` last and without their null properties,
an error as ``{"code", "message", "objectType": "KalturaAPIException", "args"}`` (empty args are ``[]``).

A multirequest answers the list of its results in either format. A result is a value of the API v3 services:
a dict (an object when it has ``objectType``), a list, text, a number, a boolean, None, or the error that
request raised.
"""

import re
from typing import Any
from xml.sax.saxutils import escape

from gameservices.api.json import render_json
from gameservices.errors import GameServicesError

FORMAT_JSON = "1"
FORMAT_XML = "2"
JSON_MEDIA_TYPE = "application/json"
XML_MEDIA_TYPE = "text/xml"

_XML_HEAD = '<?xml version="1.0" encoding="utf-8"?><xml><result>'
_QUOTES = {'"': "&quot;", "'": "&apos;"}
# Characters XML 1.0 cannot carry: dropped, so a stored value never breaks a client's parser.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_document(result: Any, execution_seconds: float) -> bytes:
    """The whole XML answer for a result."""
    return (
        f"{_XML_HEAD}{xml_value(result)}</result>"
        f"<executionTime>{round(execution_seconds, 6)}</executionTime></xml>"
    ).encode()


def json_document(result: Any) -> bytes:
    """The whole JSON answer for a result."""
    return render_json(json_value(result))


def xml_value(value: Any) -> str:
    """One value in XML, without an enclosing element."""
    if isinstance(value, GameServicesError):
        return _xml_error(value)
    if isinstance(value, dict):
        parts = [f"<objectType>{_text(value['objectType'])}</objectType>"] if "objectType" in value else []
        parts.extend(
            f"<{name}>{xml_value(item)}</{name}>" for name, item in value.items() if name != "objectType"
        )
        return "".join(parts)
    if isinstance(value, list):
        return "".join(f"<item>{xml_value(item)}</item>" for item in value)
    return _text(value)


def json_value(value: Any) -> Any:
    """One value as the JSON document holds it."""
    if isinstance(value, GameServicesError):
        return {
            "code": value.code,
            "message": value.message,
            "objectType": "KalturaAPIException",
            "args": {name: _arg(item) for name, item in value.arguments.items()} or [],
        }
    if isinstance(value, dict):
        shown = {
            name: json_value(item)
            for name, item in value.items()
            if item is not None and name != "objectType"
        }
        if "objectType" in value:
            shown["objectType"] = value["objectType"]
        return shown
    if isinstance(value, list):
        return [json_value(item) for item in value]
    return value


def _xml_error(error: GameServicesError) -> str:
    args = "".join(
        "<item><objectType>KalturaApiExceptionArg</objectType>"
        f"<name>{_text(name)}</name><value>{_text(_arg(item))}</value></item>"
        for name, item in error.arguments.items()
    )
    return (
        f"<error><code>{_text(error.code)}</code><message>{_text(error.message)}</message>"
        f"<objectType>KalturaAPIException</objectType><args>{args}</args></error>"
    )


def _arg(value: Any) -> str:
    return "" if value is None else str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return escape(_NOT_XML.sub("", str(value)), _QUOTES)
