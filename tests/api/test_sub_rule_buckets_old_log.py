"""Rule changes logged when sub-rules' buckets were keyed by their position (before revision 0020) left each
position's buckets to the sub-rule that took the position. A replay of such a log moves them the same way, so
that it ends where revision 0020 moved the tables: the sub-rule now at a position holds that position's
buckets, and positions no sub-rule holds any more keep theirs under `<root id>/<position>`."""

from typing import Any

from sqlalchemy import Engine

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.rules import sub_rule_ids
from gameservices.projection import entries
from gameservices.projection.apply import SUB_RULE_BUCKETS, Applier
from gameservices.projection.replay import ReplayedProfiles, verify
from gameservices.projection.state import PartnerState
from gameservices.storage import event_log
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.api.test_rule import cap_sub_rule
from tests.conftest import Api, Partner


def _likes(*comments: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "eventType": "like",
                "userId": "ann",
                "entryId": "0_a",
                "commentId": comment,
                "like": True,
                "eventTime": "2025-06-02T10:00:00Z",
                "virtualEventId": guide.VIRTUAL_EVENT_ID,
            }
            for comment in comments
        ]
    }


def _replayed(engine: Engine, partner_id: int, *, keep_ids: bool) -> dict[BucketKey, Bucket]:
    """The buckets of a replay of the partner's log with its rule changes as written before revision 0020: no
    mark; with `keep_ids` False, their sub-rules without ids too (which the engine keys by position, as every
    sub-rule was then)."""
    state = PartnerState()
    state.make_private()
    applier = Applier(state, ReplayedProfiles())
    with read_transaction(engine) as conn:
        found = event_log.entries_after(conn, partner_id, 0, limit=1000)
    for entry in found:
        if entry.kind != entries.RULE_CHANGE:
            applier.apply(entry.kind, entry.body)
            continue
        details = event_log.decode_body(entry.body)
        del details[SUB_RULE_BUCKETS]
        if not keep_ids and details["rule"] is not None:
            sub_rules = details["rule"]["data"].get("subRules") or []
            for sub_rule in sub_rules:
                sub_rule.pop("id", None)
        applier.apply_details(entry.kind, details)
    applier.finish()
    return dict(state.buckets)


def test_a_replay_moves_sub_rule_buckets_as_rule_changes_logged_before_revision_0020_left_them(
    api: Api, engine: Engine, partner: Partner
) -> None:
    leaderboard = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})
    body = guide.rule_6_8(leaderboard["id"]) | {"groupBy": "kuserId,commentId", "points": "10"}
    body["subRules"] = [
        cap_sub_rule("Per user", "kuserId", "3"),
        cap_sub_rule("Per entry", "kuserId,entryId", "2"),
    ]
    rule = api.ok("rule/create", body)
    api.ok("event/send", _likes("c1", "c2", "c3"))
    # The first sub-rule removed, then one added before the one left and one after it, then the order changed.
    api.ok("rule/update", {"id": rule["id"], "subRules": [rule["subRules"][1]]})
    api.ok("event/send", _likes("c4"))
    kept = api.ok("rule/get", {"id": rule["id"]})["subRules"][0]
    subs = [cap_sub_rule("New", "kuserId", "9"), kept, cap_sub_rule("Third", "entryId", "1")]
    added = api.ok("rule/update", {"id": rule["id"], "subRules": subs})
    api.ok("event/send", _likes("c5", "c6"))
    final = api.ok(
        "rule/update", {"id": rule["id"], "subRules": [added["subRules"][2], added["subRules"][0]]}
    )
    api.ok("event/send", _likes("c7"))
    # The rule's buckets as sub-rules keyed by position made them, renamed as revision 0020 renames them.
    ids = sub_rule_ids(rule["id"], final["subRules"])
    renamed = {f"{rule['id']}/{position}": sub_rule_id for position, sub_rule_id in enumerate(ids)}
    by_position = _replayed(engine, partner.id, keep_ids=False)
    migrated = {
        (renamed.get(rule_id, rule_id), values): bucket for (rule_id, values), bucket in by_position.items()
    }
    assert _replayed(engine, partner.id, keep_ids=True) == migrated
    # The log as written now (each rule change marked) replays to the tables.
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
