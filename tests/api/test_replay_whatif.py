"""Replays over the event log: `rule/simulate` (what-if, never writes), `<game object>/rebuild` (one logged
change that other processes, a restart and `db replay --verify` agree with) and `userScore/explain`."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from gameservices.api.app import create_app
from gameservices.projection import entries
from gameservices.projection import loading as live_module
from gameservices.projection import simulate as simulate_module
from gameservices.projection.replay import verify
from gameservices.services.standings import user_score as user_score_service
from gameservices.storage import scores as score_repository
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.event_log import decode_body, encode_body
from gameservices.storage.schema import event_log, metadata, partners
from tests.api import guide_bodies as guide
from tests.api.test_achievements import badge_rows, certificate_rows, certificate_with_rule, view
from tests.api.test_period_close import DAY, daily_board, reward_rules
from tests.api.test_periods import act
from tests.conftest import Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}
LATER = {"eventTime": "2025-06-03T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def poll_rule(board: str, points: int, kind: str = "leaderboard") -> dict[str, Any]:
    return {
        "name": "Answer polls",
        "gameObjectType": kind,
        "gameObjectId": board,
        "mode": "distribute_points",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
        "type": "count",
        "metric": "pollId",
        "groupBy": "kuserId",
        "goal": "1",
        "points": str(points),
        "maxPoints": "unlimited",
    }


def view_rule(board: str, points: int) -> dict[str, Any]:
    return {
        **poll_rule(board, points),
        "name": "Watch",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "view"}],
        "metric": "entryId",
    }


def make_board(api: Api, points: int = 10) -> tuple[str, str]:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    rule = api.ok("rule/create", poll_rule(board, points))
    return board, str(rule["id"])


STREAM = [
    ("pollAnswered", "ann", "p1", IN_WINDOW),
    ("pollAnswered", "bob", "p1", IN_WINDOW),
    ("view", "bob", "e1", IN_WINDOW),
    ("pollAnswered", "ann", "p2", LATER),
    ("view", "cid", "e2", LATER),
    ("pollAnswered", "cid", "p3", LATER),
    ("pollAnswered", "ann", "p3", LATER),
]


def send(api: Api, items: list[tuple[str, str, str, dict[str, str]]]) -> None:
    events = []
    for event_type, user, value, when in items:
        key = "pollId" if event_type == "pollAnswered" else "entryId"
        events.append({"eventType": event_type, "userId": user, key: value, **when})
    answer = api.ok("event/send", {"events": events})
    assert answer["accepted"] == len(events), answer


def standings(api: Api, board: str) -> list[tuple[str, int, int]]:
    body = {"gameObjectId": board, "pager": {"pageSize": 100, "pageIndex": 1}}
    return [(o["userId"], o["score"], o["rank"]) for o in api.ok("userScore/list", body)["objects"]]


def counts(engine: Engine) -> dict[str, Any]:
    with read_transaction(engine) as conn:
        found: dict[str, Any] = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }
        found["seqs"] = conn.execute(
            select(partners.c.id, partners.c.log_seq, partners.c.state_version)
        ).all()
    return found


def fresh_partner(new_partner: Any, app_client: TestClient, points: int) -> tuple[Api, str]:
    """Another partner that got the same events with the poll rule at `points` from the start."""
    other = Api(app_client, new_partner("fresh").ks)
    board, _ = make_board(other, points)
    other.ok("rule/create", view_rule(board, 2))
    send(other, STREAM)
    return other, board


def test_simulating_the_current_rules_reproduces_the_live_scores(api: Api, engine: Engine) -> None:
    board, _ = make_board(api)
    api.ok("rule/create", view_rule(board, 2))
    other, other_rule = make_board(api, 5)  # another object's rules and changes are replayed around it
    send(api, STREAM[:3])
    api.ok("rule/update", {"id": other_rule, "points": "4"})
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@example.com"})
    send(api, STREAM[3:])
    api.ok("userScore/clear", {"gameObjectId": other})
    before = counts(engine)
    answer = api.ok("rule/simulate", {"gameObjectId": board, "rules": []})
    assert answer["eventsReplayed"] >= len(STREAM)  # the profile change logs a profile event too
    assert answer["usersAffected"] == 0 and answer["changes"] == []
    assert [(o["userId"], o["score"], o["rank"]) for o in answer["top"]] == standings(api, board)
    assert counts(engine) == before  # nothing written: rows and seqs unchanged


def test_simulating_a_changed_rule_equals_a_fresh_partner_under_that_rule(
    api: Api, engine: Engine, new_partner: Any, app_client: TestClient
) -> None:
    board, rule = make_board(api)
    api.ok("rule/create", view_rule(board, 2))
    send(api, STREAM)
    live = standings(api, board)
    before = counts(engine)
    answer = api.ok("rule/simulate", {"gameObjectId": board, "rules": [{"id": rule, "points": "3"}]})
    assert counts(engine) == before
    other, other_board = fresh_partner(new_partner, app_client, 3)
    expected = standings(other, other_board)
    assert [(o["userId"], o["score"], o["rank"]) for o in answer["top"]] == expected
    assert answer["usersAffected"] == 3
    scores_before = {user: score for user, score, _ in live}
    change = {c["userId"]: c for c in answer["changes"]}
    for user, score, rank in expected:
        assert change[user]["scoreAfter"] == score and change[user]["rankAfter"] == rank
        assert change[user]["scoreBefore"] == scores_before[user]
    moves = [abs(c["scoreAfter"] - c["scoreBefore"]) for c in answer["changes"]]
    assert moves == sorted(moves, reverse=True)
    assert standings(api, board) == live


def test_simulate_adds_and_removes_rules_and_limits_events_by_time(api: Api) -> None:
    board, rule = make_board(api)
    send(api, STREAM)
    added = api.ok("rule/simulate", {"gameObjectId": board, "rules": [view_rule(board, 100)], "top": 1})
    assert [(o["userId"], o["score"]) for o in added["top"]] == [("bob", 110)]
    removed = api.ok("rule/simulate", {"gameObjectId": board, "removeRuleIds": [rule]})
    assert removed["top"] == [] and removed["usersAffected"] == 3
    early = api.ok("rule/simulate", {"gameObjectId": board, "toTime": "2025-06-02T23:00:00Z"})
    assert early["eventsReplayed"] == 3
    assert [(o["userId"], o["score"]) for o in early["top"]] == [("ann", 10), ("bob", 10)]
    late = api.ok("rule/simulate", {"gameObjectId": board, "fromTime": 1748908800})  # 2025-06-03
    assert late["eventsReplayed"] == 4
    with_sub_rules = api.ok("rule/simulate", {"gameObjectId": board, "rules": [guide.rule_6_8(board)]})
    assert with_sub_rules["eventsReplayed"] == len(STREAM)


def test_invalid_candidates_are_refused_like_rule_create(api: Api) -> None:
    board, rule = make_board(api)
    bad = {**poll_rule(board, 1), "conditions": [{"fact": "eventType", "operator": "nope", "value": 1}]}
    status, created = api.call("rule/create", bad)
    assert status == 400
    status, simulated = api.call("rule/simulate", {"gameObjectId": board, "rules": [bad]})
    assert status == 400 and simulated["code"] == created["code"]
    assert api.call("rule/simulate", {"gameObjectId": board, "rules": [{"points": "3"}]})[0] == 400
    assert api.call("rule/simulate", {"gameObjectId": board, "rules": [{"id": rule, "name": None}]})[0] == 400
    assert api.call("rule/simulate", {"gameObjectId": board, "removeRuleIds": ["nope"]})[0] == 404
    assert api.call("rule/simulate", {"gameObjectId": "nope"})[0] == 404
    assert api.call("rule/simulate", {"gameObjectId": board, "top": 101})[0] == 400
    assert api.call("rule/simulate", {"gameObjectId": board, "fromTime": "yesterday"})[0] == 400


def test_a_window_ending_before_it_starts_is_a_400_naming_to_time(api: Api) -> None:
    # It replayed nothing and answered every user as losing all their points.
    board, _ = make_board(api)
    window = {"fromTime": "2025-06-03T00:00:00Z", "toTime": "2025-06-02T00:00:00Z"}
    status, body = api.call("rule/simulate", {"gameObjectId": board, **window})
    assert status == 400 and body["args"]["PARAM_NAME"] == "toTime", body
    same = {"fromTime": "2025-06-02T00:00:00Z", "toTime": "2025-06-02T00:00:00Z"}
    assert api.call("rule/simulate", {"gameObjectId": board, **same})[0] == 200


def test_a_rule_named_twice_in_remove_rule_ids_is_removed_once(api: Api) -> None:
    board, rule = make_board(api)
    send(api, STREAM)
    once = api.ok("rule/simulate", {"gameObjectId": board, "removeRuleIds": [rule]})
    assert api.ok("rule/simulate", {"gameObjectId": board, "removeRuleIds": [rule, rule]}) == once


@pytest.mark.parametrize("field", ["fromTime", "toTime"])
@pytest.mark.parametrize("value", ["\u00b2", "1748772000\u00b2", "--5"])
def test_a_window_time_that_is_no_time_is_a_400_naming_the_field(api: Api, field: str, value: str) -> None:
    # "\u00b2" (superscript two) passes str.isdigit() but not float(): once a 500.
    board, _ = make_board(api)
    status, body = api.call("rule/simulate", {"gameObjectId": board, field: value})
    assert status == 400, body
    assert body["args"]["PARAM_NAME"] == field and "ISO 8601" in body["message"]


def test_a_replay_past_its_bound_is_refused_naming_the_limit(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    board, _ = make_board(api)
    send(api, STREAM)
    monkeypatch.setattr(simulate_module, "MAX_EVENTS", 5)
    status, answer = api.call("rule/simulate", {"gameObjectId": board})
    assert status == 400 and "5 events" in answer["message"], answer
    assert answer["code"] == "SIMULATION_TOO_LARGE"


@pytest.fixture
def second(app_client: TestClient, engine: Engine, settings: Any, api: Api) -> Any:
    """A second application on the same database: another process with its own live state."""
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Api(client, api.ks)


def _no_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> Any:
        raise AssertionError("the state was loaded from the tables again")

    monkeypatch.setattr(live_module.bucket_repository, "load_buckets", refuse)
    monkeypatch.setattr(live_module, "load_boards", refuse)


def test_rebuild_after_a_rule_change_equals_a_fresh_partner_and_every_process_agrees(
    monkeypatch: pytest.MonkeyPatch,
    api: Api,
    second: Api,
    engine: Engine,
    settings: Any,
    partner: Any,
    new_partner: Any,
    app_client: TestClient,
) -> None:
    board, rule = make_board(api)
    api.ok("rule/create", view_rule(board, 2))
    send(api, STREAM[:4])
    assert standings(second, board)  # the second process has loaded the partner
    api.ok("rule/update", {"id": rule, "points": "3"})  # changes only what comes next
    send(api, STREAM[4:])
    other, other_board = fresh_partner(new_partner, app_client, 3)
    expected = standings(other, other_board)
    assert standings(api, board) != expected
    simulated = api.ok("rule/simulate", {"gameObjectId": board})
    assert standings(second, board)
    _no_reload(monkeypatch)  # from here on, both processes only apply log entries
    rebuilt = api.ok("leaderboard/rebuild", {"id": board})
    assert rebuilt == simulated  # the same summary, now applied
    assert standings(api, board) == expected
    assert standings(second, board) == expected  # caught up through the log entry
    send(api, [("pollAnswered", "bob", "p9", LATER)])  # scoring goes on from the rebuilt state
    expected_after = [(u, s + (3 if u == "bob" else 0), r) for u, s, r in expected]
    expected_after.sort(key=lambda item: -item[1])
    assert [s for _, s, _ in standings(second, board)] == [s for _, s, _ in expected_after]
    monkeypatch.undo()
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:  # a restart
        assert standings(Api(client, api.ks), board) == standings(api, board)
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
    again = api.ok("rule/simulate", {"gameObjectId": board})
    assert again["usersAffected"] == 0 and again["changes"] == []


def test_rebuild_keeps_issued_badges_unless_revoke_unearned(api: Api, partner: Any, engine: Engine) -> None:
    badge = api.ok("badge/create", {**guide.badge_7_1(), "status": "enabled"})
    rule = badge["rules"][0]["id"]
    events = [view("ann", f"s{n}", 30, n) for n in range(3)] + [view("bob", "s0", 30, 5)]
    api.ok(
        "event/send", {"events": [{**event, "virtualEventId": guide.VIRTUAL_EVENT_ID} for event in events]}
    )
    assert badge_rows(api, badge["id"])["ann"]["status"] == "ACHIEVED"
    api.ok("rule/update", {"id": rule, "goal": "4"})
    api.ok("badge/rebuild", {"id": badge["id"]})
    assert badge_rows(api, badge["id"])["ann"]["status"] == "ACHIEVED"  # kept
    api.ok("badge/rebuild", {"id": badge["id"], "revokeUnearned": True})
    assert badge_rows(api, badge["id"])["ann"]["status"] == "IN_PROGRESS"
    api.ok("rule/update", {"id": rule, "goal": "1"})
    summary = api.ok("badge/rebuild", {"id": badge["id"], "revokeUnearned": True})
    assert {row["userId"]: row["status"] for row in badge_rows(api, badge["id"]).values()} == {
        "ann": "ACHIEVED",
        "bob": "ACHIEVED",
    }
    assert summary["eventsReplayed"] == 4
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_certificate_and_lead_scoring_rebuild(api: Api, partner: Any, engine: Engine) -> None:
    rule = {**guide.certificate_rule_8_4("x"), "points": "1"}
    rule.pop("gameObjectId"), rule.pop("gameObjectType")
    certificate, rule_id = certificate_with_rule(api, "once", 3, rule, "credits,{rule}\n10.0,1\n11.5,2")
    lead = api.ok("leadScoring/create", {**guide.lead_scoring_9_3(), "status": "enabled"})["id"]
    api.ok("rule/create", guide.lead_scoring_rule_9_3(lead))
    api.ok("event/send", {"events": [view("ann", "m1", 70, 1), view("ben", "m1", 30, 2)]})
    assert [row["userId"] for row in certificate_rows(api, certificate, status="CERTIFIED")] == ["ann"]
    api.ok("rule/update", {"id": rule_id, "goal": "30"})
    api.ok("certificate/rebuild", {"id": certificate})
    rows = {row["userId"]: row for row in certificate_rows(api, certificate)}
    assert rows["ben"]["status"] == "CERTIFIED" and rows["ann"]["credits"] == 11.5
    lead_summary = api.ok("leadScoring/rebuild", {"id": lead})
    assert lead_summary["usersAffected"] == 0
    for controller in ("leaderboard", "badge", "certificate", "leadScoring"):
        assert api.call(f"{controller}/rebuild", {"id": "nope"})[0] == 404
    assert api.call("leaderboard/rebuild", {"id": certificate})[0] == 404  # the id of another kind
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
    assert (verdict.certificates, verdict.unverified) == (2, [])  # ann's and ben's, recomputed by the replay


def test_a_rebuild_entry_not_carrying_its_certificates_leaves_them_unverified(
    api: Api, partner: Any, engine: Engine
) -> None:
    rule = {**guide.certificate_rule_8_4("x"), "points": "1"}
    rule.pop("gameObjectId"), rule.pop("gameObjectType")
    certificate, _ = certificate_with_rule(api, "once", 3, rule, "credits,{rule}\n10.0,1\n11.5,2")
    api.ok("event/send", {"events": [view("ann", "m1", 70, 1)]})
    api.ok("certificate/rebuild", {"id": certificate})
    # As entries written before rebuilds carried what they wrote: the replay cannot know the certificate.
    with write_transaction(engine) as conn:
        seq, body = conn.execute(
            select(event_log.c.seq, event_log.c.body).where(
                event_log.c.partner_id == partner.id, event_log.c.kind == entries.GAME_OBJECT_REBUILD
            )
        ).one()
        details = decode_body(bytes(body))
        del details["certificates"], details["ledger"]
        conn.execute(
            update(event_log)
            .where(event_log.c.partner_id == partner.id, event_log.c.seq == seq)
            .values(body=encode_body(details))
        )
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same and (verdict.certificates, verdict.unverified) == (0, [certificate])
    # Cleared, it is known again: nothing left, and what follows is decided by the replay.
    api.ok("userScore/clear", {"gameObjectId": certificate})
    api.ok("event/send", {"events": [view("ann", "m2", 70, 3)]})
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same and (verdict.certificates, verdict.unverified) == (1, [])


def test_rebuild_keeps_scores_set_by_hand_in_the_ledger(api: Api, partner: Any, engine: Engine) -> None:
    board, rule = make_board(api)
    send(api, STREAM[:2])
    live = api.client.app.state.live  # type: ignore[attr-defined]
    with live.transaction(engine, partner.id) as (_, conn):
        record = user_score_service.game_object(
            conn, partner_id=partner.id, game_object_id=board, game_object_type=None
        )
        user_score_service.set_score(
            conn, live=live, partner_id=partner.id, record=record, user_id="ann", score=99
        )
    send(api, STREAM[3:4])  # ann: +10 on top of the 99
    api.ok("rule/update", {"id": rule, "points": "3"})
    api.ok("leaderboard/rebuild", {"id": board})
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "ann"})["score"] == 102
    with read_transaction(engine) as conn:
        ledger = score_repository.rule_scores_of_object(conn, partner.id, board)
        assert verify(conn, partner.id).same
    for user, score, _ in standings(api, board):
        assert sum(points for (owner, _), points in ledger.items() if owner == user) == score
    explained = api.ok("userScore/explain", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert [(o["ruleId"], o["eventType"], o["points"], o["total"]) for o in explained] == [
        (rule, "pollAnswered", 3, 102),
        ("manual", "userScore.set", 96, 99),
        (rule, "pollAnswered", 3, 3),
    ]


def test_a_certificate_rebuild_revoking_the_unearned_keeps_the_earned_ones_and_their_credentials(
    api: Api, partner: Any, engine: Engine
) -> None:
    rule = {**guide.certificate_rule_8_4("x"), "points": "1"}
    rule.pop("gameObjectId"), rule.pop("gameObjectType")
    certificate, rule_id = certificate_with_rule(api, "once", 3, rule, "credits,{rule}\n10.0,1\n11.5,2")
    api.ok("event/send", {"events": [view("ann", "m1", 130, 1), view("ben", "m1", 70, 2)]})
    before = {row["userId"]: row for row in certificate_rows(api, certificate, status="CERTIFIED")}
    assert set(before) == {"ann", "ben"} and before["ann"]["credentialUrl"]
    api.ok("rule/update", {"id": rule_id, "goal": "100"})
    api.ok("certificate/rebuild", {"id": certificate, "revokeUnearned": True})
    after = {row["userId"]: row for row in certificate_rows(api, certificate)}
    assert [user for user, row in after.items() if row["status"] == "CERTIFIED"] == ["ann"]
    # Ann still earns it: the same user certificate, so the same credential (one, and revocable by its id).
    assert (after["ann"]["id"], after["ann"]["credentialUrl"]) == (
        before["ann"]["id"],
        before["ann"]["credentialUrl"],
    )
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences


def test_simulate_leaves_period_end_events_outside_its_window_out(api: Api) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    _, tally = reward_rules(api, board["id"])
    api.ok("event/send", {"events": [act("ann", 5, now - 1000), act("bob", 9, now - 1000)]})
    api.ok("leaderboard/closePeriod", {"id": board["id"]})  # leaderboardPeriodEnd events at the close
    everything = api.ok("rule/simulate", {"gameObjectId": tally})
    assert {(o["userId"], o["score"]) for o in everything["top"]} == {("ann", 1), ("bob", 1)}
    for window in ({"toTime": (now - DAY) / 1000}, {"fromTime": (now + DAY) / 1000}):
        outside = api.ok("rule/simulate", {"gameObjectId": tally, **window})
        assert (outside["top"], outside["usersAffected"]) == ([], 2), window


def test_simulate_counts_period_end_events_and_holds_them_to_the_bound(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    _, tally = reward_rules(api, board["id"])
    api.ok("event/send", {"events": [act("ann", 5, now - 1000), act("bob", 9, now - 1000)]})
    api.ok("leaderboard/closePeriod", {"id": board["id"]})  # two leaderboardPeriodEnd events, one per user
    assert api.ok("rule/simulate", {"gameObjectId": tally})["eventsReplayed"] == 4
    within = api.ok("rule/simulate", {"gameObjectId": tally, "fromTime": (now - DAY) / 1000})
    assert within["eventsReplayed"] == 4
    outside = api.ok("rule/simulate", {"gameObjectId": tally, "fromTime": (now + DAY) / 1000})
    assert outside["eventsReplayed"] == 0
    monkeypatch.setattr(simulate_module, "MAX_EVENTS", 3)  # the sent events fit; the period's end does not
    for window in ({}, {"fromTime": (now - DAY) / 1000}):
        status, answer = api.call("rule/simulate", {"gameObjectId": tally, **window})
        assert (status, answer.get("code")) == (400, "SIMULATION_TOO_LARGE"), (window, answer)
        assert "3 events" in answer["message"]
