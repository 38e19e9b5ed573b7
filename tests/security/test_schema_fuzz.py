"""Schema fuzzing (OWASP API8, security misconfiguration; API4): schemathesis generates bodies for every operation
of the served OpenAPI document (and for the spellings it answers without documenting them, as their documented
twins) and runs every check — no server error, every answer matches its documented schema and status, and a
request without a KS is always 401, never a validation error. API v3's parameters: tests/security/test_v3_fuzz.py."""

import json
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.settings import Settings
from tests.conftest import Partner

pytestmark = pytest.mark.usefixtures("sqlite_only")
OPENAPI = "/api/v1/openapi.json"
# A schema cannot say every business rule (endDate after startDate, ids that exist, no NUL characters), so a
# schema-valid request may rightly be refused with 400/404; every other check runs.
BUSINESS_RULES = [positive_data_acceptance]
EXAMPLES = 100
# Public routes of verifiable certificates (no KS: a credential's unguessable id is the capability).
PUBLIC_PATHS = ("/credentials/", "/verify/", "/status/", "/issuers/")
# Spellings the API answers but does not document (the Kaltura clients send both): fuzzed as their documented twin.
UNDOCUMENTED_SPELLINGS = {
    "POST /api/v1/userProfile/importFromCSV": "/api/v1/userProfile/importFromCsv",
    "POST /api/v1/event/sendExternalEventsFromCSV": "/api/v1/event/sendExternalEventsFromCsv",
}


@pytest.fixture(scope="module")
def fuzzed_app(engine: Engine, settings: Settings) -> FastAPI:
    """The application under fuzzing (backgrounds not fetched: generated URLs must not leave the machine). Its
    change streams end at once (as when the server stops), so a valid `GET /api/v1/stream` answers and ends."""
    application = create_app(settings, engine)
    application.state.feed_hub.close()
    return application


@pytest.fixture(scope="module")
def fuzz_partner(engine: Engine) -> Partner:
    """The partner every generated request authenticates as."""
    from gameservices.services.access.partner import create_partner
    from gameservices.storage.database import write_transaction

    with write_transaction(engine) as conn:
        created = create_partner(conn, name="fuzzed")
    return Partner(created["partnerId"], created["adminSecret"], created["ks"])


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> Any:
    """The OpenAPI document the application serves, loaded by schemathesis."""
    return schemathesis.openapi.from_asgi(OPENAPI, fuzzed_app)


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def _fuzz(operation: Any, examples: int, check: Any) -> int:
    return _fuzz_with(operation.as_strategy(), examples, check)


def _fuzz_with(cases: Any, examples: int, check: Any) -> int:
    calls = [0]

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        calls[0] += 1
        check(case)

    run()
    return calls[0]


def test_every_operation_answers_as_documented(api_schema: Any, fuzz_partner: Partner) -> None:
    headers = {"Authorization": f"Bearer {fuzz_partner.ks}"}
    failures: dict[str, str] = {}
    counts: dict[str, int] = {}
    for operation in _operations(api_schema):
        try:
            counts[operation.label] = _fuzz(
                operation,
                EXAMPLES,
                lambda case: case.call_and_validate(headers=headers, excluded_checks=BUSINESS_RULES),
            )
        except (
            Exception,
            BaseExceptionGroup,
        ) as error:  # every operation is fuzzed, then all failures reported
            failures[operation.label] = str(error)[:2000]
    print(
        f"\nschema fuzzing: {len(counts) + len(failures)} operations, {sum(counts.values())} requests, "
        f"{len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
    assert counts["POST /api/v1/userProfile/importFromCSV"] > 0  # multipart uploads are fuzzed too
    for replayed in (
        "rule/simulate",
        "leaderboard/rebuild",
        "badge/rebuild",
        "userScore/explain",
        "userScore/ruleProgress",
        "leaderboard/closePeriod",
    ):
        assert counts[f"POST /api/v1/{replayed}"] > 0
    assert counts["GET /api/v1/stream"] > 0


def _sent_to(path: str, operation: Any) -> Any:
    """The operation's generated cases, sent to another path."""

    def moved(case: Any) -> Any:
        case.path = path
        return case

    return operation.as_strategy().map(moved)


def test_undocumented_spellings_answer_as_documented(api_schema: Any, fuzz_partner: Partner) -> None:
    headers = {"Authorization": f"Bearer {fuzz_partner.ks}"}
    operations = {operation.label: operation for operation in _operations(api_schema)}

    def as_documented(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=BUSINESS_RULES)

    def anonymous(case: Any) -> None:
        if case.headers:
            case.headers.pop("Authorization", None)
        response = case.call()
        assert (response.status_code, response.json()["code"]) == (401, "MISSING_KS"), response.text[:300]

    for label, path in UNDOCUMENTED_SPELLINGS.items():
        assert path not in {operation.path for operation in operations.values()}  # else fuzzed already
        assert _fuzz_with(_sent_to(path, operations[label]), EXAMPLES, as_documented) > 0
        assert _fuzz_with(_sent_to(path, operations[label]), 20, anonymous) > 0


def test_missing_ks_is_always_401(api_schema: Any) -> None:
    def anonymous(case: Any) -> None:
        if case.headers:
            case.headers.pop("Authorization", None)
        response = case.call()
        assert response.status_code == 401, (case.path, response.status_code, response.text[:300])
        assert response.json()["code"] == "MISSING_KS"

    total = 0
    for operation in _operations(api_schema):
        if "health" in operation.path or operation.path.startswith(("/api_v3", *PUBLIC_PATHS)):
            continue  # health and the verifiable certificates' public routes need no KS; API v3 answers every
            # error inside an HTTP 200 envelope
        total += _fuzz(operation, 20, anonymous)
    print(f"\nmissing KS: {total} generated requests without a KS, all 401 MISSING_KS")


def test_beacons_are_always_answered(api_schema: Any, fuzz_partner: Partner) -> None:
    """The player's beacon operation, fuzzed harder: whatever the parameters, 200 and the answer the player
    reads, never an error."""

    def beacon(case: Any) -> None:
        if case.query is not None and case.query.get("partnerId") == 0:
            case.query["partnerId"] = fuzz_partner.id  # now and then a real partner
        response = case.call()
        assert response.status_code == 200, (case.query, response.text[:300])
        answer = response.json()
        assert set(answer) == {"time", "viewEventsEnabled"} and answer["viewEventsEnabled"] is True

    total = 0
    for operation in _operations(api_schema):
        if operation.path.endswith("/analytics/action/trackEvent"):
            total += _fuzz(operation, 300, beacon)
    assert total >= 600
    print(f"\nbeacons: {total} generated beacons, all answered 200")


# Odd input no schema describes (docs/security.md): text no database stores (lone surrogates, which schemathesis
# never generates, and NUL), null where a value is required, a list or an object where text or an enum is
# expected, numbers beyond 64 bits or the score limit. Each schema-valid case gets one of them at one place of its
# body (or query), or one odd text at the end of every text it holds; the answer must be a 4xx in the error shape
# (or API v3's envelope), never a 5xx. A fixed sample (derandomized), small enough for every CI run.
ODD_TEXT = ["\ud800", "a\udc00b", "\udbff\udbff", "x\x00y", "\ud83d"]
ODD_VALUES: list[Any] = [
    None,
    [],
    {},
    ["equal"],
    {"all": []},
    2**64,
    -(2**63) - 1,
    10**30,
    1e308,
    2**53 + 2,
    True,
]
ODD_EXAMPLES = 15


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the value itself, each item and each member, at any depth)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_places(item, (*path, index)))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copied = list(value)
    copied[head] = _replaced(copied[head], rest, new)
    return copied


@st.composite
def _odd_cases(draw: st.DrawFn, operation: Any) -> Any:
    case = draw(operation.as_strategy(GenerationMode.POSITIVE))
    as_json = _is_json(case) and isinstance(case.body, dict | list)
    document = case.body if as_json else case.query
    if not isinstance(document, dict):
        return case
    # A JSON body carries any value, lone surrogates as escapes; a query string carries ASCII text only.
    texts = ODD_TEXT if as_json else [text for text in ODD_TEXT if text.isascii()]
    values = ODD_VALUES if as_json else [str(value) for value in ODD_VALUES if isinstance(value, int)]
    if draw(st.booleans()):
        # The same odd text at the end of every text of the request: whatever field it lands in must be refused.
        suffix = draw(st.sampled_from(texts))
        mutated = _with_suffix(document, suffix)
        if as_json:
            case.body = mutated
        else:
            case.query = mutated
        return case
    path = draw(st.sampled_from(_places(document)))
    old = _value_at(document, path)
    if isinstance(old, dict) and old and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(old, key=str)))
        suffix = draw(st.sampled_from(texts))
        new: Any = {(f"{name}{suffix}" if name == key else name): item for name, item in old.items()}
    elif isinstance(old, str):
        new = draw(st.sampled_from([old + text for text in texts] + values))
    elif as_json or path:
        new = draw(st.sampled_from(texts + values))
    else:
        return case
    if as_json:
        case.body = _replaced(document, path, new)
    else:
        case.query = _replaced(document, path, new)
    return case


def _is_json(case: Any) -> bool:
    return case.media_type is not None and "json" in case.media_type


def _send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a case; a JSON body as ASCII JSON, which carries lone surrogates as escapes (schemathesis's own
    serialiser cannot encode them)."""
    if not _is_json(case):
        return case.call(headers=headers)
    return client.request(
        case.method,
        case.formatted_path,
        params=case.query,
        headers={**headers, "Content-Type": "application/json"},
        content=json.dumps(case.body).encode(),
    )


def _with_suffix(value: Any, suffix: str) -> Any:
    if isinstance(value, str):
        return value + suffix
    if isinstance(value, dict):
        return {key: _with_suffix(item, suffix) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_suffix(item, suffix) for item in value]
    return value


def _value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def test_odd_input_never_gives_a_server_error(
    api_schema: Any, fuzzed_app: FastAPI, fuzz_partner: Partner
) -> None:
    headers = {"Authorization": f"Bearer {fuzz_partner.ks}"}
    client = TestClient(fuzzed_app, raise_server_exceptions=False)
    failures: dict[str, str] = {}
    for operation in _operations(api_schema):

        def answers_without_a_server_error(case: Any) -> None:
            response = _send(client, case, headers)
            assert response.status_code < 500, (case.path, case.body, case.query, response.text[:300])
            # The public credential routes answer people (HTML pages) and verifiers, not API clients.
            if response.status_code >= 400 and not case.path.startswith(PUBLIC_PATHS):
                assert response.json()["objectType"] == "KalturaAPIException", response.text[:300]

        try:
            _fuzz_with(_odd_cases(operation), ODD_EXAMPLES, answers_without_a_server_error)
        except (Exception, BaseExceptionGroup) as error:
            failures[operation.label] = str(error)[:2000]
    print(f"\nodd input: {ODD_EXAMPLES} cases per operation, {len(failures)} operations failing")
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
