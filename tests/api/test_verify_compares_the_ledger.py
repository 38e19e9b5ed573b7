"""`db replay --verify` is the proof that the derived tables hold what the log says. The ledger
(`user_rule_scores`: each user's points per rule, read by `userScore/ruleProgress`, reports and certificate
progress) is one of those tables, and the one a checkpoint adds to rather than overwrites: ledger points added
twice (an entry's deltas written by two checkpoints) must show as a difference, not pass as the same."""

from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.replay import verify
from gameservices.storage import scores as score_repository
from gameservices.storage.database import read_transaction, write_transaction
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def test_verify_reports_ledger_points_added_twice(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"), ("ann", "p2"), ("bob", "p1"))
    checkpoint_partner(engine, partner.id)
    (progress,) = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert progress["score"] == 20
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
    # The ledger of ann's entry added a second time: the tables now say ann earned 40 points under the rule.
    with write_transaction(engine) as conn:
        score_repository.add_rule_scores(conn, partner.id, {(board, progress["ruleId"], "ann"): 20.0}, 0.0)
    (drifted,) = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert drifted["score"] == 40  # what every reader of the ledger now answers
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert not verdict.same, "verify passed with ann's ledger at 40 points for 20 replayed"
