"""Crash safety on SQLite: a server SIGKILLed at random moments of an ingestion ends in the same state as one
that was never interrupted, and the database file passes ``PRAGMA integrity_check``."""

from pathlib import Path

import pytest

from tests.durability.crash_ingest import FIGURES, assert_same_state, sqlite_run, summary


@pytest.mark.parametrize(
    ("events", "kills"),
    [
        pytest.param(12_000, 5, id="ci"),
        pytest.param(1_000_000, 20, id="million", marks=pytest.mark.slow),
    ],
)
def test_sigkill_mid_ingest_loses_and_repeats_nothing(
    tmp_path: Path, request: pytest.FixtureRequest, events: int, kills: int
) -> None:
    reference, crashed = sqlite_run(tmp_path, batches=events // 1_000, kills=kills, seed=11)
    request.node.user_properties.append((FIGURES, summary("SQLite", reference, crashed)))
    assert crashed.figures.kills == kills
    assert crashed.fingerprint["processed_events"][0] == events
    assert_same_state(reference, crashed)


def test_sigkill_during_checkpoints_loses_and_repeats_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # A checkpoint every millisecond: the checkpoint thread is writing the derived tables nearly all the time,
    # so the kills land in or between checkpoints, with entries after the last one that each restart applies.
    reference, crashed = sqlite_run(
        tmp_path, batches=12, kills=5, seed=17, env={"GAMESERVICES_CHECKPOINT_INTERVAL_MS": "1"}
    )
    request.node.user_properties.append(
        (FIGURES, summary("SQLite, checkpoint every 1 ms", reference, crashed))
    )
    assert crashed.figures.kills == 5
    assert crashed.fingerprint["processed_events"][0] == 12_000
    assert_same_state(reference, crashed)
    # (Whether a kill finds entries after the last checkpoint here is timing: [0, 0, 1, 0, 1] one run, all 0s
    # another. The next test makes sure of them.)


def test_sigkill_with_entries_after_the_checkpoint_loses_and_repeats_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # No checkpoint within the run (one a minute, the longest interval): every restart after the first commit
    # loads the tables at their checkpoint and applies all the entries after it.
    reference, crashed = sqlite_run(
        tmp_path, batches=12, kills=5, seed=19, env={"GAMESERVICES_CHECKPOINT_INTERVAL_MS": "60000"}
    )
    request.node.user_properties.append(
        (FIGURES, summary("SQLite, no checkpoint within the run", reference, crashed))
    )
    assert crashed.figures.kills == 5
    assert crashed.fingerprint["processed_events"][0] == 12_000
    assert_same_state(reference, crashed)
    assert any(behind > 0 for behind in crashed.figures.behind_checkpoint), crashed.figures.behind_checkpoint
