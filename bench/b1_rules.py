"""B1: rules engine throughput in-process (DESIGN.md section 8: >= 300k events/s, <= 2x slower at 1,000 rules).

Generates a seeded workload (default 1,000,000 events over 50,000 users) and evaluates it against 10, 100 and
1,000 rules in batches of 10,000 events (the `event/send` maximum), carrying bucket state between batches
as the service does. Normalisation of the raw events is timed separately.

Scenarios for the rule counts above 10:
- virtual-events: N/10 game objects, each with the same 10 rules and its own virtualEventId; each event
  belongs to one virtual event (a partner running many events at once).
- event-types: N rules spread over N/2 event types; each event type is pinned by two rules.

Run: PYTHONPATH=src python bench/b1_rules.py [--events 200000] [--scenario event-types] [--batch 1000000]
"""

import argparse
import gc
import random
import time
from collections.abc import Callable
from typing import Any

from gameservices.cli.serve import tune_for_serving
from gameservices.domain.buckets import DictBucketSource
from gameservices.domain.engine import GameObjectScope, RuleSet, evaluate
from gameservices.domain.events import NormalizedEvent, normalize_event
from gameservices.domain.rules import Rule, parse_rule

USERS = 50_000
ENTRIES = 500
CATEGORIES = 20
BATCH = 10_000
BASE_EVENT_TYPES = (
    ("viewPeriod", 50),
    ("pollAnswered", 15),
    ("comment", 15),
    ("like", 10),
    ("quizSubmitted", 10),
)


def _when(event_type: str) -> list[dict[str, Any]]:
    return [{"fact": "eventType", "operator": "equal", "value": event_type}]


def _template() -> list[dict[str, Any]]:
    """Ten rules mixing every counting type, caps and category conditions."""
    view, polls, quiz = _when("viewPeriod"), _when("pollAnswered"), _when("quizSubmitted")
    in_categories = {"fact": "categories", "operator": "in", "value": "c1,c2,c3"}
    return [
        {
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId,entryId",
            "goal": "60",
            "points": "10",
            "maxPoints": "100",
            "conditions": view,
        },
        {
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId",
            "goal": "300",
            "points": "1",
            "maxPoints": "unlimited",
            "conditions": [*view, in_categories],
        },
        {
            "type": "count",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "25",
            "maxPoints": "unlimited",
            "conditions": polls,
        },
        {
            "type": "count",
            "metric": "comment",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "5",
            "maxPoints": "50",
            "conditions": _when("comment"),
        },
        {
            "type": "countBoolean",
            "metric": "like",
            "groupBy": "kuserId,entryId",
            "goal": "1",
            "points": "2",
            "maxPoints": "20",
            "conditions": _when("like"),
        },
        {
            "type": "countUnique",
            "metric": "entryId",
            "groupBy": "kuserId",
            "goal": "5",
            "points": "50",
            "maxPoints": "50",
            "conditions": view,
        },
        {
            "type": "countUnique",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "3",
            "points": "10",
            "maxPoints": "unlimited",
            "conditions": polls,
        },
        {
            "type": "count",
            "metric": "kuserId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "30",
            "maxPoints": "90",
            "conditions": [*quiz, {"fact": "categories", "operator": "contains", "value": "c5"}],
        },
        {
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId",
            "goal": "600",
            "points": "20",
            "maxPoints": "unlimited",
            "conditions": view,
            "mode": "dont_distribute_points",
        },
        {
            "type": "countUnique",
            "metric": "kuserId",
            "groupBy": "",
            "goal": "1",
            "points": "100",
            "maxPoints": "300",
            "conditions": quiz,
        },
    ]


def _parse(raw: dict[str, object], rule_id: str, object_id: str) -> Rule:
    body = {"name": rule_id, "mode": "distribute_points", **raw}
    return parse_rule(body, rule_id=rule_id, game_object_id=object_id)


def virtual_event_rules(count: int) -> tuple[list[GameObjectScope], list[Rule]]:
    """count/10 leaderboards, each the 10-rule template, each scoped to its own virtual event."""
    objects = max(count // 10, 1)
    scopes = [
        GameObjectScope(f"lb{n}", "leaderboard", True, virtual_event_ids=frozenset({f"ve{n}"}))
        for n in range(objects)
    ]
    rules = [
        _parse(raw, f"lb{n}-r{k}", f"lb{n}") for n in range(objects) for k, raw in enumerate(_template())
    ]
    return scopes, rules


def event_type_rules(count: int) -> tuple[list[GameObjectScope], list[Rule]]:
    """count rules over count/2 event types (two rules pin each type), on 10 leaderboards."""
    scopes = [GameObjectScope(f"lb{n}", "leaderboard", True) for n in range(10)]
    template = _template()
    rules = []
    for k in range(count):
        raw = dict(template[k % 10])
        raw["conditions"] = [
            {**condition, "value": f"type{k // 2}"} if condition["fact"] == "eventType" else condition
            for condition in raw["conditions"]
        ]
        rules.append(_parse(raw, f"r{k}", f"lb{k % 10}"))
    return scopes, rules


def raw_events(
    count: int, *, seed: int, pick_type: Callable[[random.Random], str], virtual_events: int, first: int = 0
) -> list[dict[str, object]]:
    """Seeded events: fields as analytics send them (categories as lists, numbers as numbers)."""
    rng = random.Random(seed)
    events: list[dict[str, object]] = []
    for n in range(first, first + count):
        event_type = pick_type(rng)
        event: dict[str, object] = {
            "eventType": event_type,
            "userId": f"u{rng.randrange(USERS)}",
            "eventId": f"e{n}",
            "eventTime": 1_750_000_000 + n * 0.01,
            "entryId": f"0_{rng.randrange(ENTRIES):05d}",
            "categories": [f"c{rng.randrange(CATEGORIES)}" for _ in range(rng.randint(1, 3))],
            "virtualEventId": f"ve{rng.randrange(virtual_events)}",
            "playTime": rng.randint(10, 60),
            "pollId": f"p{rng.randrange(40)}",
            "like": rng.random() < 0.8,
        }
        events.append(event)
    return events


def _base_type(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for event_type, weight in BASE_EVENT_TYPES:
        if roll < weight:
            return event_type
        roll -= weight
    return BASE_EVENT_TYPES[0][0]


def run(rule_set: RuleSet, events: list[NormalizedEvent], batch: int = BATCH) -> tuple[float, int]:
    """Evaluate in batches carrying state; return (seconds, awards)."""
    store = DictBucketSource()
    awards = 0
    started = time.perf_counter()
    for offset in range(0, len(events), batch):
        outcome = evaluate(events[offset : offset + batch], rule_set=rule_set, buckets=store)
        store.apply(outcome.changed)
        awards += len(outcome.awards)
    return time.perf_counter() - started, awards


class _EventTypes:
    """Picks one of `count` numbered event types uniformly."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __call__(self, rng: random.Random) -> str:
        return f"type{rng.randrange(self.count)}"


def workload(
    scenario: str, rule_count: int, event_count: int, seed: int
) -> tuple[list[GameObjectScope], list[Rule], list[NormalizedEvent], float]:
    """Scopes, rules and normalised events of a scenario, and the seconds normalisation took."""
    if scenario == "virtual-events":
        scopes, rules = virtual_event_rules(rule_count)
        pick_type: Callable[[random.Random], str] = _base_type
        virtual_events = max(rule_count // 10, 1)
    else:
        scopes, rules = event_type_rules(rule_count)
        pick_type, virtual_events = _EventTypes(max(rule_count // 2, 1)), 1
    events: list[NormalizedEvent] = []
    normalising = 0.0
    # Generated in chunks so that raw and normalised copies of a million events never coexist.
    for chunk, offset in enumerate(range(0, event_count, 100_000)):
        raws = raw_events(
            min(100_000, event_count - offset),
            seed=seed * 1000 + chunk,
            pick_type=pick_type,
            virtual_events=virtual_events,
            first=offset,
        )
        started = time.perf_counter()
        events.extend(normalize_event(raw, received_at=1_750_000_000.0) for raw in raws)
        normalising += time.perf_counter() - started
    return scopes, rules, events, normalising


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--scenario", choices=("virtual-events", "event-types"), default="virtual-events")
    parser.add_argument("--rules", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=BATCH, help="events per evaluate call")
    args = parser.parse_args()
    # The interpreter settings `gameservices serve` runs with (collector thresholds, switch interval).
    tune_for_serving()
    first_rate = None
    for count in args.rules:
        scopes, rules, events, normalising = workload(args.scenario, count, args.events, args.seed)
        rule_set = RuleSet.build(scopes, rules)
        # The generated events are set-up data, not state the engine builds: keep the collector off them.
        gc.collect()
        gc.freeze()
        seconds, awards = run(rule_set, events, args.batch)
        gc.unfreeze()
        rate = len(events) / seconds
        first_rate = first_rate or rate
        print(
            f"{args.scenario} rules={len(rules)} events={len(events)} batch={args.batch}: evaluate {rate:,.0f} events/s "
            f"({first_rate / rate:.2f}x the time of the first line), normalise {len(events) / normalising:,.0f} "
            f"events/s, awards {awards:,}"
        )
        del events


if __name__ == "__main__":
    main()
