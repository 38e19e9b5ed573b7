"""Crash safety on PostgreSQL: a cluster of the test's own stopped ``-m immediate`` at random moments of an
ingestion (the server process keeps running and reconnects) ends in the same state as an uninterrupted run, and
``pg_amcheck`` finds every table and index sound. Skipped when the PostgreSQL binaries are not installed."""

from pathlib import Path

import pytest

from tests.durability.crash_ingest import FIGURES, assert_same_state, postgres_run, summary
from tests.durability.processes import PostgresInstance


@pytest.mark.parametrize(
    ("events", "kills"),
    [
        pytest.param(12_000, 5, id="ci"),
        pytest.param(1_000_000, 20, id="million", marks=pytest.mark.slow),
    ],
)
def test_immediate_stop_mid_ingest_loses_and_repeats_nothing(
    postgres_instance: PostgresInstance,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    events: int,
    kills: int,
) -> None:
    reference, crashed = postgres_run(
        postgres_instance, tmp_path, batches=events // 1_000, kills=kills, seed=13
    )
    request.node.user_properties.append((FIGURES, summary("PostgreSQL", reference, crashed)))
    assert crashed.figures.kills == kills
    assert crashed.fingerprint["processed_events"][0] == events
    assert_same_state(reference, crashed)
