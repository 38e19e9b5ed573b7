"""Schema fuzzing (OWASP API8, security misconfiguration; API4): schemathesis generates bodies for every operation
of the served OpenAPI document and runs every check — no server error, every answer matches its documented
schema and status, and a request without a KS is always 401, never a validation error."""

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
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


@pytest.fixture(scope="module")
def fuzzed_app(engine: Engine, settings: Settings) -> FastAPI:
    """The application under fuzzing (backgrounds not fetched: generated URLs must not leave the machine)."""
    return create_app(settings, engine)


@pytest.fixture(scope="module")
def fuzz_partner(engine: Engine) -> Partner:
    """The partner every generated request authenticates as."""
    from gameservices.services.partner import create_partner
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
    calls = [0]

    @given(case=operation.as_strategy())
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
    for replayed in ("rule/simulate", "leaderboard/rebuild", "badge/rebuild", "userScore/explain"):
        assert counts[f"POST /api/v1/{replayed}"] > 0


def test_missing_ks_is_always_401(api_schema: Any) -> None:
    def anonymous(case: Any) -> None:
        if case.headers:
            case.headers.pop("Authorization", None)
        response = case.call()
        assert response.status_code == 401, (case.path, response.status_code, response.text[:300])
        assert response.json()["code"] == "MISSING_KS"

    total = 0
    for operation in _operations(api_schema):
        if "health" in operation.path or operation.path.startswith("/api_v3"):
            continue  # health needs no KS; API v3 answers every error inside an HTTP 200 envelope
        total += _fuzz(operation, 20, anonymous)
    print(f"\nmissing KS: {total} generated requests without a KS, all 401 MISSING_KS")
