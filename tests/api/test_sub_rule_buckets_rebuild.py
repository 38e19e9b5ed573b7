"""Rebuilds written since revision 0020 and sub-rules that change between them: a replay puts every rebuilt
bucket under the key the writer stored it under.

A replay reads a `gameObject.rebuild` entry's `<root id>/<one or two digits>` rows as the sub-rule at that
position under the rules applied up to the entry (entries written before 0020 keyed every sub-rule so). A rebuild
written since recomputes its object under the rules of that same moment and writes only the keys the engine
gives them: `<root id>/<sub-rule id>`, or `<root id>/<position>` for a sub-rule without an id, which the reading
maps to itself. Leftover buckets (of a removed sub-rule) are dropped by the rebuild, not written, and later
sub-rule changes are not read back into an entry already applied.
"""

import copy
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.domain.rules import sub_rule_ids
from gameservices.projection import entries
from gameservices.projection.apply import BY_ID, SUB_RULE_BUCKETS, Applier, rebuilt_buckets
from gameservices.projection.live import LiveState
from gameservices.projection.rebuild import Recomputation, entry_details
from gameservices.projection.replay import ReplayedProfiles, snapshot, verify
from gameservices.projection.state import PartnerState
from gameservices.storage import event_log
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import read_transaction
from gameservices.storage.rules import RuleRecord
from tests.api import guide_bodies as guide
from tests.api.test_rule import cap_sub_rule
from tests.conftest import Api


def _likes(user: str, *comments: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "eventType": "like",
                "userId": user,
                "entryId": "0_a",
                "commentId": comment,
                "like": True,
                "eventTime": "2025-06-02T10:00:00Z",
                "virtualEventId": guide.VIRTUAL_EVENT_ID,
            }
            for comment in comments
        ]
    }


def test_rebuilds_between_sub_rule_changes_replay_to_the_live_state(
    app_client: TestClient, engine: Engine, settings: Any, new_partner: Any
) -> None:
    partner = new_partner()
    api = Api(app_client, partner.ks)
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    body = guide.rule_6_8(board) | {"groupBy": "kuserId,commentId", "points": "10"}
    body["subRules"] = [
        cap_sub_rule("Per user", "kuserId", "3"),
        cap_sub_rule("Per entry", "kuserId,entryId", "2"),
    ]
    rule = api.ok("rule/create", body)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        follower = Api(other_client, partner.ks)
        follower.ok("userScore/list", {"gameObjectId": board})  # the second process loads the state now
        api.ok("event/send", _likes("ann", "c1", "c2"))
        api.ok("leaderboard/rebuild", {"id": board})
        # The first sub-rule removed and a new one put in its position (its buckets are left behind under its
        # id), the second's position taken by another new one; events; a rebuild; the order changed again.
        kept = rule["subRules"][1]
        changed = api.ok(
            "rule/update",
            {
                "id": rule["id"],
                "subRules": [
                    cap_sub_rule("New", "kuserId", "9"),
                    cap_sub_rule("Other", "entryId", "1"),
                    kept,
                ],
            },
        )
        api.ok("event/send", _likes("ann", "c3") | {"events": _likes("bob", "c1", "c2")["events"]})
        api.ok("leaderboard/rebuild", {"id": board})
        api.ok(
            "rule/update", {"id": rule["id"], "subRules": [changed["subRules"][2], changed["subRules"][0]]}
        )
        api.ok("event/send", _likes("bob", "c3", "c4"))
        api.ok("leaderboard/rebuild", {"id": board})
        api.ok("event/send", _likes("ann", "c4"))
        follower.ok("userScore/list", {"gameObjectId": board})  # ... and follows the log since
        followed = snapshot(other_client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        found = event_log.entries_after(conn, partner.id, 0, limit=1000)
    assert verdict.same, verdict.differences
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as stored:
        assert followed == snapshot(stored)
    # Each rebuild wrote its sub-rules' buckets under their ids (the rule's sub-rules at that moment): no row a
    # replay would read by position.
    sub_rules: list[Any] = []
    rebuilds = 0
    for entry in found:
        details = event_log.decode_body(entry.body)
        if entry.kind == entries.RULE_CHANGE:
            sub_rules = details["rule"]["data"]["subRules"]
        elif entry.kind == entries.GAME_OBJECT_REBUILD:
            rebuilds += 1
            ids = {rule["id"], *sub_rule_ids(rule["id"], sub_rules)}
            written = {row[0] for row in details["buckets"]}
            assert written <= ids
            assert written & set(sub_rule_ids(rule["id"], sub_rules))
            assert not any(key.rpartition("/")[2].isdigit() for key in written)
    assert rebuilds == 3


def test_a_rebuild_of_sub_rules_without_ids_is_read_back_under_the_keys_it_wrote(
    api: Api, engine: Engine, partner: Any
) -> None:
    """A sub-rule without an id (none is stored so by the rule service; a rule stored by other means could hold
    one) is keyed by its position: the rebuild writes `<root id>/<position>`, and the entry is read back under the
    rules it was written under to the very buckets recomputed, whichever sub-rule takes the position later."""
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    body = guide.rule_6_8(board) | {"groupBy": "kuserId,commentId", "points": "10"}
    body["subRules"] = [
        cap_sub_rule("Per user", "kuserId", "3"),
        cap_sub_rule("Per entry", "kuserId,entryId", "2"),
    ]
    rule = api.ok("rule/create", body)
    api.ok("event/send", _likes("ann", "c1", "c2", "c3") | {"events": _likes("bob", "c1")["events"]})
    with read_transaction(engine) as conn:
        stored = rule_repository.get_rule(conn, partner_id=partner.id, rule_id=rule["id"])
        assert stored is not None
        without_ids = copy.deepcopy(stored.data)
        without_ids["subRules"][0].pop("id")  # the first by position, the second by its id
        for data in (stored.data, without_ids):
            rules = {rule["id"]: RuleRecord(**{**stored.__dict__, "data": data})}
            recomputed = Recomputation(board, rules=rules)
            state = recomputed.run(conn, partner.id)
            rows = entry_details(state, board)["buckets"]
            keys = {row[0] for row in rows}
            assert keys == {rule["id"], *sub_rule_ids(rule["id"], data["subRules"])}
            assert rebuilt_buckets(rows, rules) == dict(state.buckets)
    assert f"{rule['id']}/0" in keys
    # Applied, then the rule given ids (a sub-rule with an id now holds position 0): the buckets stay where the
    # rebuild put them, in a replay as in the tables the rebuild wrote.
    replayed = PartnerState()
    replayed.make_private()
    replayed.set_rules(rules)
    applier = Applier(replayed, ReplayedProfiles())
    applier.apply_details(entries.GAME_OBJECT_REBUILD, entry_details(state, board))
    applier.apply_details(entries.RULE_CHANGE, {"rule": stored.__dict__, SUB_RULE_BUCKETS: BY_ID})
    applier.finish()
    assert dict(replayed.buckets) == dict(state.buckets)
