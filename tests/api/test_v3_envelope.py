"""The API v3 envelopes byte for byte (XML and JSON, errors included) and the server's casts of typed
parameters."""

import json
from typing import Any

import pytest

from gameservices.api.v3 import envelope
from gameservices.api.v3.arguments import Arguments
from gameservices.errors import GameServicesError, InvalidInput

ERROR = InvalidInput('Missing parameter "x"', code="MISSING_MANDATORY_PARAMETER", args={"PARAM_NAME": "x"})
RESPONSE = {
    "objectType": "KalturaUserScorePropertiesResponse",
    "objects": [{"objectType": "KalturaUserScoreProperties", "rank": None, "userId": "a<b>&'\"", "score": 5}],
    "totalCount": 1,
}


@pytest.mark.parametrize(
    ("value", "xml"),
    [
        ("text", "text"),
        (None, ""),
        (True, "1"),
        (False, "0"),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        ("bell\x07", "bell"),
        ([1, "a"], "<item>1</item><item>a</item>"),
        (
            RESPONSE,
            "<objectType>KalturaUserScorePropertiesResponse</objectType><objects><item>"
            "<objectType>KalturaUserScoreProperties</objectType><rank></rank>"
            "<userId>a&lt;b&gt;&amp;&apos;&quot;</userId><score>5</score></item></objects><totalCount>1</totalCount>",
        ),
        (
            ERROR,
            "<error><code>MISSING_MANDATORY_PARAMETER</code><message>Missing parameter &quot;x&quot;</message>"
            "<objectType>KalturaAPIException</objectType><args><item><objectType>KalturaApiExceptionArg</objectType>"
            "<name>PARAM_NAME</name><value>x</value></item></args></error>",
        ),
        (
            GameServicesError("gameObjectId is required", code="GAME_OBJECT_ID_REQUIRED"),
            "<error><code>GAME_OBJECT_ID_REQUIRED</code><message>gameObjectId is required</message>"
            "<objectType>KalturaAPIException</objectType><args></args></error>",
        ),
    ],
)
def test_xml_values(value: Any, xml: str) -> None:
    assert envelope.xml_value(value) == xml


def test_xml_document_envelope() -> None:
    document = envelope.xml_document("ks", 0.25).decode()
    assert document == (
        '<?xml version="1.0" encoding="utf-8"?><xml><result>ks</result><executionTime>0.25</executionTime></xml>'
    )


@pytest.mark.parametrize(
    ("value", "document"),
    [
        ("ks", '"ks"'),
        (None, "null"),
        (
            RESPONSE,
            '{"objects":[{"userId":"a<b>&\'\\"","score":5,"objectType":"KalturaUserScoreProperties"}],'
            '"totalCount":1,"objectType":"KalturaUserScorePropertiesResponse"}',
        ),
        (
            ERROR,
            '{"code":"MISSING_MANDATORY_PARAMETER","message":"Missing parameter \\"x\\"",'
            '"objectType":"KalturaAPIException","args":{"PARAM_NAME":"x"}}',
        ),
        (
            InvalidInput("m", code="C"),
            '{"code":"C","message":"m","objectType":"KalturaAPIException","args":[]}',
        ),
        (["ks", None, ERROR], None),
    ],
)
def test_json_documents(value: Any, document: str | None) -> None:
    produced = envelope.json_document(value).decode()
    if document is None:
        assert json.loads(produced) == ["ks", None, json.loads(envelope.json_document(ERROR))]
    else:
        assert produced == document


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("5", 5), (" -7 ", -7), ("12.9", 12), (12.9, 12), ("1e3", 1000), (True, 1), ("0", 0)],
)
def test_integers_cast_as_the_server_does(value: Any, expected: int) -> None:
    assert Arguments({"n": value}).integer("n") == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ten", "PROPERTY_VALIDATION_NUMERIC_VALUE"),
        ("", "PROPERTY_VALIDATION_NUMERIC_VALUE"),
        ({"a": 1}, "PROPERTY_VALIDATION_NUMERIC_VALUE"),
        ("1e999999999", "PROPERTY_VALIDATION_MAX_VALUE"),
        ("-1e30", "PROPERTY_VALIDATION_MIN_VALUE"),
        (2**70, "PROPERTY_VALIDATION_MAX_VALUE"),
    ],
)
def test_integers_refused(value: Any, code: str) -> None:
    with pytest.raises(GameServicesError) as raised:
        Arguments({"n": value}).integer("n")
    assert raised.value.code == code


@pytest.mark.parametrize(("value", "expected"), [("a", "a"), (7, "7"), (7.0, "7"), (False, ""), (None, None)])
def test_texts(value: Any, expected: str | None) -> None:
    assert Arguments({"t": value}).optional_text("t") == expected
