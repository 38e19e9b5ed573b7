"""The guide's own examples replayed as events, with the expected points worked out by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.api import guide_bodies as guide

if TYPE_CHECKING:
    from tests.unit.domain.conftest import Game

VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
POLLS = [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}]

# Guide 6.7 and 15.1: 10 points per 60 seconds watched, per user per entry, at most 100.
WATCH_SESSIONS: dict[str, Any] = {
    "gameObjectType": "leaderboard",
    "gameObjectId": "lb",
    "name": "Watch sessions",
    "description": "10 points per 60 seconds watched",
    "conditions": VIEW,
    "type": "sum",
    "mode": "distribute_points",
    "metric": "playTime",
    "groupBy": "kuserId,entryId",
    "goal": "60",
    "points": "10",
    "maxPoints": "100",
    "reportFormat": "default",
}


def view(user: str, entry: str, seconds: float, **more: object) -> dict[str, object]:
    return {"eventType": "viewPeriod", "userId": user, "entryId": entry, "playTime": seconds, **more}


def test_6_7_watch_sessions(game: Game) -> None:
    game.rule("watch", WATCH_SESSIONS)
    game.send(
        view("ann", "0_keynote", 30),  # progress 30: no multiple of 60 yet
        view("ann", "0_keynote", 45),  # 75: first multiple -> 10
        view("ann", "0_keynote", 60),  # 135: second -> 10 (20)
        view("bob", "0_keynote", 59),  # 59: nothing
    )
    game.send(
        view("ann", "0_keynote", 300),  # 435: multiples 3..7 -> 50 (70)
        view("ann", "0_keynote", 300),  # 735: multiples 8..12 would be 50, the cap leaves 30 (100)
        view("ann", "0_panel", 120),  # another entry, its own bucket and cap: 20
        view("bob", "0_keynote", 1),  # 60: 10
    )
    assert [(award.user_id, award.points) for award in game.awards] == [
        ("ann", 10.0),
        ("ann", 10.0),
        ("ann", 50.0),
        ("ann", 30.0),
        ("ann", 20.0),
        ("bob", 10.0),
    ]
    assert (game.score("ann"), game.score("bob")) == (120.0, 10.0)
    keynote = game.bucket("watch", "ann", "0_keynote")
    assert keynote is not None
    assert (keynote.progress, keynote.awarded) == (735.0, 100.0)


# Guide 6.8: 20 points per upvote per user per entry (max 100), the sub-rule caps upvotes at 5 per user.
UPVOTES: dict[str, Any] = guide.rule_6_8("lb")


def like(user: str, entry: str, comment: str) -> dict[str, object]:
    return {"eventType": "like", "userId": user, "entryId": entry, "commentId": comment, "like": True}


def test_6_8_upvotes_capped_by_a_sub_rule(game: Game) -> None:
    game.rule("upvotes", UPVOTES)
    game.send(
        like("ann", "0_a", "c1"),  # sub-rule 1 of 5, root 0_a: 20
        like("ann", "0_a", "c2"),  # sub 2, root 0_a: 20 (40)
        like("ann", "0_a", "c3"),  # sub 3, root 0_a: 20 (60)
        like("ann", "0_b", "c4"),  # sub 4, root 0_b: 20
    )
    game.send(
        like("ann", "0_b", "c5"),  # sub 5 (now exhausted), root 0_b: 20 (40)
        like("ann", "0_b", "c6"),  # sub already awarded its 5: the root ignores it
        like("ann", "0_c", "c7"),  # same, on any entry
        like("bob", "0_a", "c8"),  # bob has his own sub-rule bucket: 20
    )
    assert [(award.rule_id, award.user_id, award.points) for award in game.awards] == [
        ("upvotes", "ann", 20.0),
        ("upvotes", "ann", 20.0),
        ("upvotes", "ann", 20.0),
        ("upvotes", "ann", 20.0),
        ("upvotes", "ann", 20.0),
        ("upvotes", "bob", 20.0),
    ]
    assert (game.score("ann"), game.score("bob")) == (100.0, 20.0)
    cap = game.bucket("upvotes/0", "ann")
    entry_b = game.bucket("upvotes", "ann", "0_b")
    assert cap is not None and entry_b is not None
    assert (cap.progress, cap.awarded) == (5.0, 5.0)
    assert (entry_b.progress, entry_b.awarded) == (2.0, 40.0)
    assert game.bucket("upvotes", "ann", "0_c") is None


CONFERENCE_POLICY = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]}],
}


def conference(game: Game, *, enabled: bool) -> None:
    """Guide 15.1: leaderboard, three rules, and the "Power Attendee" badge."""
    game.game_object(
        "lb",
        enabled=enabled,
        start="2025-06-01T09:00:00Z",
        end="2025-06-03T18:00:00Z",
        virtual_event_ids=("7001",),
        policy=CONFERENCE_POLICY,
    )
    game.game_object(
        "badge", kind="badge", virtual_event_ids=("7001",), policy={"userDefaultPolicy": "display"}
    )


def conference_rules(game: Game) -> None:
    game.rule("watch", WATCH_SESSIONS)
    rule = {"gameObjectType": "leaderboard", "gameObjectId": "lb", "mode": "distribute_points", "goal": "1"}
    game.rule(
        "polls",
        {
            **rule,
            "name": "Answer polls",
            "conditions": POLLS,
            "type": "count",
            "metric": "pollId",
            "groupBy": "kuserId",
            "points": "25",
            "maxPoints": "unlimited",
        },
    )
    game.rule(
        "chat",
        {
            **rule,
            "name": "Chat messages",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
            "type": "count",
            "metric": "comment",
            "groupBy": "kuserId",
            "points": "5",
            "maxPoints": "50",
        },
    )
    game.badge_rule(
        "attendee",
        {
            "name": "Watch 10 unique sessions",
            "conditions": VIEW,
            "type": "countUnique",
            "metric": "entryId",
            "groupBy": "kuserId",
            "goal": "10",
            "points": "1",
            "maxPoints": "1",
        },
    )


def test_15_1_virtual_conference(game: Game) -> None:
    conference(game, enabled=False)  # created "scheduled": not enabled yet
    conference_rules(game)
    game.profile("dave@internal.com", email="dave@internal.com")
    on = {"virtualEventId": 7001, "eventTime": "2025-06-01T09:30:00Z"}
    game.send(view("ann", "0_e0", 60, **on))  # badge only: 1 unique session
    assert game.score("ann") == 0.0

    conference(game, enabled=True)  # step 4: enabled when the event starts
    game.send(
        *(view("ann", f"0_e{n}", 90, **on) for n in range(10)),  # 10 per entry: 100; badge reaches 10 at 0_e9
        *({"eventType": "pollAnswered", "userId": "ann", "pollId": f"p{n}", **on} for n in range(3)),  # 75
        *({"eventType": "comment", "userId": "ann", **on} for _ in range(12)),  # 5 each, capped at 50
        view("dave@internal.com", "0_e1", 600, **on),  # internal: not saved on the leaderboard
        {"eventType": "pollAnswered", "userId": "dave@internal.com", **on},
        view("carl", "0_e1", 600, virtualEventId="9999"),  # another virtual event
        view("erin", "0_e1", 600, virtualEventId=7001, eventTime="2025-06-03T18:00:01Z"),  # after endDate
    )
    assert game.score("ann") == 100.0 + 75.0 + 50.0
    assert game.score("dave@internal.com") == game.score("carl") == game.score("erin") == 0.0
    assert game.bucket("watch", "dave@internal.com", "0_e1") is None
    assert game.score("ann", "badge") == 1.0
    assert [
        (c.game_object_id, c.user_id, c.event_index) for c in game.completions if c.game_object_id == "badge"
    ] == [("badge", "ann", 9)]
    badge = game.bucket("attendee", "dave@internal.com")
    assert badge is not None
    assert badge.progress == 1.0  # the badge's policy saves everyone
    assert game.bucket("attendee", "erin") is not None  # the badge has no dates


def test_15_4_flash_challenge_double_points(game: Game) -> None:
    conference(game, enabled=True)
    conference_rules(game)
    game.game_object(
        "flash", start="2025-06-01T14:00:00Z", end="2025-06-01T15:00:00Z", virtual_event_ids=("7001",)
    )
    game.rule(
        "speed",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": "flash",
            "name": "Speed polls (double points)",
            "conditions": POLLS,
            "type": "count",
            "mode": "distribute_points",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "50",
            "maxPoints": "unlimited",
        },
        object_id="flash",
    )
    times = [
        "2025-06-01T13:59:59Z",
        "2025-06-01T14:00:00Z",
        "2025-06-01T14:30:00Z",
        "2025-06-01T15:00:00Z",
        "2025-06-01T15:00:01Z",
    ]
    game.send(
        *(
            {"eventType": "pollAnswered", "userId": "ann", "virtualEventId": "7001", "eventTime": t}
            for t in times
        )
    )
    assert game.score("ann", "flash") == 3 * 50.0  # 14:00, 14:30 and 15:00 are inside the window
    assert game.score("ann", "lb") == 5 * 25.0  # all five fall in the conference's days


SPONSOR: dict[str, Any] = {
    "gameObjectType": "leaderboard",
    "gameObjectId": "lb",
    "name": "Sponsor booth engagement",
    "conditions": [
        {"fact": "eventType", "operator": "equal", "value": "viewPeriod"},
        {"fact": "categories", "operator": "in", "value": "301"},
    ],
    "type": "sum",
    "mode": "distribute_points",
    "metric": "playTime",
    "groupBy": "kuserId,entryId",
    "goal": "30",
    "points": "15",
    "maxPoints": "150",
}


def test_15_7_sponsor_category(game: Game) -> None:
    game.rule("sponsor", SPONSOR)
    game.send(
        view("ann", "0_booth", 45, categories=[301, 17]),  # 45: one multiple of 30 -> 15
        view("ann", "0_booth", 45, categories=["301"]),  # 90: three -> 30 (45)
        view("ann", "0_booth", 600, categories="17,301"),  # 690: 23 multiples, the cap leaves 105 (150)
        view("ann", "0_news", 600, categories=[17]),  # not a sponsor entry
        view("ann", "0_plain", 600),  # no categories: `in` never matches a missing fact
        view("ann", "0_demo", 30, categories="301"),  # another sponsor entry: 15
    )
    assert [award.points for award in game.awards] == [15.0, 30.0, 105.0, 15.0]
    assert game.score("ann") == 165.0


def test_15_10_team_badge_and_hidden_executives(game: Game) -> None:
    game.game_object(
        "lb",
        start="2025-06-01T09:00:00Z",
        end="2025-06-03T18:00:00Z",
        policy={
            "userDefaultPolicy": "display",
            "policies": [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["executives"]}],
        },
    )
    game.game_object("badge", kind="badge")
    game.rule("watch", WATCH_SESSIONS)  # the guide leaves the leaderboard's rules to the reader
    game.badge_rule(
        "engaged",
        {
            "name": "Department total engagement",
            "conditions": VIEW,
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId",
            "goal": "300",
            "points": "1",
            "maxPoints": "1",
        },
    )
    game.profile("ceo", groups=("executives",))
    on = {"eventTime": "2025-06-02T10:00:00Z"}
    game.send(
        view("ann", "0_a", 100, **on),  # badge 100
        view("ann", "0_b", 150, **on),  # 250
        view("ceo", "0_a", 120, **on),  # leaderboard 20, hidden; badge 120
        view("ann", "0_c", 60, **on),  # 310: the badge rule completes, 1 point
        view("ann", "0_d", 400, **on),  # badge capped at 1
        view("bob", "0_a", 299, **on),  # 299: not yet
    )
    assert [(c.rule_id, c.user_id, c.event_index) for c in game.completions if c.rule_id == "engaged"] == [
        ("engaged", "ann", 3)
    ]
    assert game.score("ann", "badge") == 1.0
    assert game.score("bob", "badge") == 0.0
    assert [(award.points, award.hidden) for award in game.awards if award.user_id == "ceo"] == [(20.0, True)]
    assert game.score("ceo") == 20.0  # hidden users still score (team totals)
    bob = game.bucket("engaged", "bob")
    assert bob is not None
    assert (bob.progress, bob.completed_at) == (299.0, None)
