"""A `rule/simulate` candidate is checked as `rule/update` checks a change (docs/replay.md): clearing the rule's
`status` with null is refused with a 400 naming the field, as `rule/update` refuses it, not answered with a 500."""

from tests.api.test_replay_whatif import STREAM, make_board, send
from tests.conftest import Api


def test_a_candidate_clearing_status_is_refused_like_rule_update(api: Api) -> None:
    board, rule = make_board(api)
    send(api, STREAM)
    status, updated = api.call("rule/update", {"id": rule, "status": None})
    assert status == 400 and updated["code"] == "VALIDATION_ERROR", updated
    status, answer = api.call(
        "rule/simulate", {"gameObjectId": board, "rules": [{"id": rule, "status": None}]}
    )
    assert status == 400, (status, answer)
    assert answer["code"] == "VALIDATION_ERROR" and answer["args"]["PARAM_NAME"] == "rules.0.status", answer
