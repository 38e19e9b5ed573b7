"""API v3 fuzzing (OWASP API8, security misconfiguration; API4). Each parameter of each action's well-formed call
is given each odd value in turn; then hypothesis sends the forms the Kaltura clients use — GET or POST to
``/api_v3``, ``/api_v3/index.php``, ``/api_v3/service/<service>/action/<action>`` (with ``/<name>/<value>`` pairs
after it) or any other path under ``/api_v3``; parameters in the query string, a form, a JSON body, a multipart form
or a body that is none of these — spoiled: odd keys and nesting (``filter[``, ``a:b[c]``, 40 levels, ``__null``),
numbers past 64 bits or not numbers (``1e309``, ``²``), text no database stores, multirequests whose references
point nowhere, KSs that are not. Whatever is sent, the answer is never a server error (an HTTP 5xx, or API v3's
internal error in its HTTP 200 envelope) and its body is the JSON or XML it says it is.

The OpenAPI document has one v3 operation and no parameters to describe, so schemathesis
(tests/security/test_schema_fuzz.py) cannot reach these. A fixed sample (derandomized), some seconds long."""

import json
import xml.etree.ElementTree as ElementTree
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gameservices.services.kaltura.kaltura_v3 import internal_error
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

pytestmark = pytest.mark.usefixtures("sqlite_only")
INTERNAL_ERROR = internal_error()
EXAMPLES = 600
# Stands for a KS minted for the request alone (a generated session.end ends it, not the partner's own).
FRESH_KS = "<ks>"
BOARD = "<board>"
# Stands for text longer than any parameter takes (65,536 characters); a URL carries less (httpx: 65,536 in all).
LONG = "<long>"
SECRET = "<secret>"
PARTNER = "<partner>"
SERVICES = ("game_userscore", "leaderboard_userscore", "session", "multirequest", "analytics", "system", "")
ACTIONS = ("list", "update", "delete", "start", "end", "trackEvent", "ping", "")
NAMES = (
    "service",
    "action",
    "format",
    "ks",
    "partnerId",
    "secret",
    "userId",
    "type",
    "expiry",
    "privileges",
    "gameObjectId",
    "gameObjectType",
    "score",
    "filter",
    "pager",
    "objectType",
    "pageSize",
    "pageIndex",
    "userIdEqual",
    "placesAboveUser",
    "clientTag",
    "json",
    "-",
    "",
)
ODD_KEYS = (
    "[",
    "]",
    "[]",
    ":",
    "::",
    "a]b[",
    "filter[gameObjectId",
    "filter]]gameObjectId[[",
    "filter" + "[x]" * 40,
    ":".join(["1"] * 40),
    "__null",
    "filter__null",
    "1:",
    ":1",
    "99999999999:service",
    "-1:service",
    "x\x00y",
)
ODD_VALUES = (
    "",
    "0",
    "1",
    "2",
    "-1",
    "1.5",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "9" * 25,
    "-" + "9" * 25,
    "\u00b2",  # superscript two: str.isdigit() says yes, int() refuses it
    "\u0663",  # Arabic-Indic three
    "0x10",
    "true",
    "null",
    "[]",
    "{}",
    "{0:result}",
    "{1:result}",
    "{1:result:objects:0:userId}",
    "{2:result:x:y}",
    "{99999999999:result}",
    "a\x00b",
    "\u202e",
    LONG,
    FRESH_KS,
    "djJ8MTAwfA",  # the start of a KS v2, and nothing after it
    BOARD,
    "owner-ann",
)

services = st.sampled_from(SERVICES)
actions = st.sampled_from(ACTIONS)
names = st.sampled_from(NAMES)
nested_keys = st.tuples(
    st.sampled_from(("filter", "pager", "0", "1", "2", "3")), names, st.integers(0, 3)
).map(
    lambda made: (
        f"{made[0]}[{made[1]}]",
        f"{made[0]}:{made[1]}",
        f"{made[0]}[{made[1]}][]",
        f"{made[0]}:{made[1]}:-",
    )[made[2]]
)
keys = st.one_of(names, nested_keys, st.sampled_from(ODD_KEYS), st.text(max_size=8))
texts = st.one_of(st.sampled_from(ODD_VALUES), st.integers().map(str), st.text(max_size=12))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=12,
)


# Well-formed calls of each action, which the requests below start from before they are spoiled.
SCORE_LIST = {"filter[gameObjectId]": BOARD, "filter[gameObjectType]": "1", "pager[pageSize]": "5"}
SCORE_TARGET = {"gameObjectId": BOARD, "gameObjectType": "1", "userId": "owner-ann"}
CALLS: dict[tuple[str, str], dict[str, str]] = {
    ("game_userscore", "list"): SCORE_LIST,
    ("leaderboard_userscore", "list"): {
        **SCORE_LIST,
        "filter[placesAboveUser]": "2",
        "filter[userIdEqual]": "u",
    },
    ("game_userscore", "update"): {**SCORE_TARGET, "score": "5"},
    ("leaderboard_userscore", "update"): {**SCORE_TARGET, "score": "7"},
    ("game_userscore", "delete"): SCORE_TARGET,
    ("session", "start"): {
        "secret": SECRET,
        "partnerId": PARTNER,
        "type": "2",
        "expiry": "60",
        "userId": "u",
    },
    ("session", "end"): {},
    ("multirequest", ""): {
        **{f"1:{key}": value for key, value in SCORE_LIST.items()},
        "1:service": "game_userscore",
        "1:action": "list",
        **{f"2:{key}": value for key, value in SCORE_TARGET.items()},
        "2:service": "game_userscore",
        "2:action": "update",
        "2:userId": "{1:result:objects:0:userId}",
        "2:score": "1",
    },
}


@st.composite
def v3_requests(draw: st.DrawFn) -> dict[str, Any]:
    """One request: method, path, and its parameters (a well-formed call spoiled in a few places, or parameters
    made up whole) in one of the transports."""
    service, action = (
        draw(st.sampled_from(sorted(CALLS))) if draw(st.integers(0, 3)) else (draw(services), draw(actions))
    )
    pairs = "/".join(quote(draw(texts)[:40], safe="") for _ in range(draw(st.integers(0, 4))))
    path = draw(
        st.sampled_from(
            (
                "/api_v3",
                "/api_v3/index.php",
                f"/api_v3/service/{quote(service)}/action/{quote(action)}",
                f"/api_v3/service/{quote(service)}/action/{quote(action)}",
                f"/api_v3/service/{quote(service)}/action/{quote(action)}/{pairs}",
                f"/api_v3/service/{quote(service)}",
                f"/api_v3/{pairs}",
            )
        )
    )
    params: dict[str, Any] = {"service": service, "action": action} if draw(st.integers(0, 2)) else {}
    params["ks"] = draw(st.sampled_from([FRESH_KS, FRESH_KS, FRESH_KS, "", "not a ks", "djJ8MTAwfA"]))
    params["format"] = draw(st.sampled_from(["1", "1", "2", "3", "", "json"]))
    params.update(CALLS.get((service, action), {}))
    method = draw(st.sampled_from(["GET", "POST"]))
    transport = (
        "query" if method == "GET" else draw(st.sampled_from(["query", "form", "json", "multipart", "raw"]))
    )
    spoiled_keys = st.one_of(st.sampled_from(sorted(params)), keys)
    values = json_values if transport == "json" else texts
    params.update(draw(st.dictionaries(spoiled_keys, values, max_size=4)))
    for key in draw(st.lists(st.sampled_from(sorted(params)), max_size=2)):
        params.pop(key, None)
    request: dict[str, Any] = {"method": method, "path": path, "transport": transport, "params": params}
    if transport == "raw":
        request["raw"] = draw(
            st.sampled_from(
                [b"{", b"[1,2]", b"\xff\xfe", b"a=%ZZ&b", b'{"a": NaN}', b"\x00" * 10, b"1:service=x"]
            )
        )
        request["content_type"] = draw(
            st.sampled_from(
                ["", "application/json", "multipart/form-data", "multipart/form-data; boundary=x"]
            )
        )
    return request


def _filled(value: Any, stand_ins: dict[str, Any]) -> Any:
    """The request's values with the stand-ins replaced (a KS minted now, the partner's leaderboard, long text)."""
    if isinstance(value, str):
        made = stand_ins.get(value, value)
        return made() if callable(made) else made
    if isinstance(value, dict):
        return {key: _filled(item, stand_ins) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, stand_ins) for item in value]
    return value


def _send(client: TestClient, request: dict[str, Any], params: dict[str, Any]) -> Any:
    method, path, transport = request["method"], request["path"], request["transport"]
    if transport == "query":
        return client.request(method, path, params=params)
    if transport == "form":
        return client.request(method, path, data=params)
    if transport == "json":
        # ASCII JSON (NaN and Infinity as Python writes them: orjson refuses them, the lenient reader takes them).
        return client.request(
            method, path, content=json.dumps(params).encode(), headers={"Content-Type": "application/json"}
        )
    if transport == "multipart":
        fields = {key: value for key, value in params.items() if key != "json"}
        fields["json"] = json.dumps({key: value for key, value in params.items() if key.startswith("1")})
        return client.request(
            method, path, data=fields, files={"upload": ("x.bin", b"\x00\x01", "text/plain")}
        )
    headers = {"Content-Type": request["content_type"]} if request["content_type"] else {}
    return client.request(method, path, params=params, content=request["raw"], headers=headers)


def _assert_answered(response: Any, shown: object) -> None:
    """Not a server error (an HTTP 5xx, or API v3's internal error in its HTTP 200 envelope), and a body that is
    the JSON or XML it says it is."""
    assert response.status_code < 500, (shown, response.status_code, response.text[:300])
    assert INTERNAL_ERROR.code not in response.text, (shown, response.text[:300])
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        json.loads(response.content)
    elif "xml" in content_type:
        ElementTree.fromstring(response.content)
    else:
        pytest.fail(f"{shown}: answered {content_type!r}")


@pytest.fixture
def stand_ins(api: Api, partner: Partner) -> dict[str, Any]:
    """What the stand-ins are for this test's partner (FRESH_KS: a function, minting a KS per request)."""
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    return {FRESH_KS: partner.mint, BOARD: board, SECRET: partner.secret, PARTNER: str(partner.id)}


def test_each_parameter_of_each_action_with_each_odd_value(
    app_client: TestClient, stand_ins: dict[str, Any]
) -> None:
    count = 0
    for (service, action), call in CALLS.items():
        path = f"/api_v3/service/{service}/action/{action}" if action else f"/api_v3/service/{service}"
        for key in [*call, "ks", "format"]:
            for value in ODD_VALUES:
                params = {"format": "1", "ks": FRESH_KS, **call, key: value}
                form = _filled(params, {**stand_ins, LONG: "x" * 70_000})
                _assert_answered(app_client.post(path, data=form), (path, key, value[:40]))
                count += 1
    print(f"\nAPI v3 parameters: {count} calls, each with one odd value, no server error")


def test_malformed_v3_requests_never_give_a_server_error(
    app_client: TestClient, stand_ins: dict[str, Any]
) -> None:
    seen: dict[str, int] = {}

    @given(request=v3_requests())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def answered(request: dict[str, Any]) -> None:
        long_text = "x" * (20_000 if request["transport"] in ("query", "raw") else 70_000)
        response = _send(app_client, request, _filled(request["params"], {**stand_ins, LONG: long_text}))
        shown = (request["method"], request["path"][:80], request["transport"], str(request["params"])[:300])
        _assert_answered(response, shown)
        key = f"{request['method']} {request['transport']} {response.status_code}"
        seen[key] = seen.get(key, 0) + 1

    answered()
    print(
        f"\nAPI v3 fuzzing: {sum(seen.values())} malformed requests, no server error: {dict(sorted(seen.items()))}"
    )
    assert {key.rsplit(" ", 1)[0] for key in seen} == {
        "GET query",
        *(f"POST {transport}" for transport in ("query", "form", "json", "multipart", "raw")),
    }
