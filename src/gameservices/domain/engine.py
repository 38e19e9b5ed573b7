"""The rules engine: a rule set indexed by event type, and batch evaluation of events against it.

A rule sees an event when its game object is enabled, the rule is enabled, the event time lies within the
object's [startDate, endDate] (when set), the event's virtualEventId (if any) is one of the object's
virtualEventIds (if it has any), the recipient's participation policy is not do_not_save, and the
conditions match. Evaluation reads stored buckets through a BucketSource and never changes them: it returns
copies of what changed, so a caller whose transaction fails can simply drop the result.

A rule that cannot use an event (a metric, points or cap value it needs is missing or not a number) skips it
for itself alone: its work on that event is undone and listed in `skipped`; every other rule still sees it.
"""

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from gameservices.domain.accumulation import SUM, Applier, RuleStep
from gameservices.domain.awards import Evaluation
from gameservices.domain.batch import BatchState, NoProfiles, ProfileLookup
from gameservices.domain.buckets import BucketKey, BucketSource
from gameservices.domain.conditions import compile_conditions, split_event_type_pin
from gameservices.domain.entries import DURATION
from gameservices.domain.errors import EventSkipped
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.policies import DEFAULT_POLICY, Participation, ParticipationPolicy
from gameservices.domain.rule_values import CapKind
from gameservices.domain.rules import Rule, RuleMode
from gameservices.domain.runners import RuleRunner, SubRuleRunner

NO_PROFILES = NoProfiles()
# Distinct (eventType, virtualEventId) pairs remembered per rule set; past this, selections are recomputed.
MAX_REMEMBERED_SELECTIONS = 100_000
# Distinct users whose (userId,) key part a rule set shares between batches (about 10 MB); past this,
# it starts afresh.
MAX_REMEMBERED_USERS = 250_000
_SAFE_INT = 2**53


class Selection(NamedTuple):
    """The rules one kind of event concerns, and whether any of them could skip an event.

    `appliers` are the rules' `apply` functions, in rule order. When `may_refuse`, `checks` lists the
    (metric, must not be negative) pairs that decide it: an event whose metrics are all plain numbers
    (non-negative where asked) cannot be skipped, so it needs no undo log; None means every event needs it.
    """

    runners: tuple[RuleRunner, ...]
    may_refuse: bool
    appliers: tuple[Applier, ...]
    checks: tuple[tuple[str, bool], ...] | None


@dataclass(frozen=True, slots=True)
class GameObjectScope:
    """What the engine needs to know about a game object: whether and for whom its rules run."""

    id: str
    type: str
    enabled: bool
    start: float | None = None
    end: float | None = None
    virtual_event_ids: frozenset[str] = frozenset()
    policy: ParticipationPolicy = DEFAULT_POLICY


class RuleSet:
    """The enabled rules of enabled game objects, filed by the event types their conditions pin."""

    __slots__ = ("_by_type", "_selections", "_user_groups", "_wildcard", "reads_entry_duration", "rule_count")

    def __init__(
        self,
        by_type: dict[str, list[RuleRunner]],
        wildcard: list[RuleRunner],
        rule_count: int,
        reads_entry_duration: bool = False,
    ) -> None:
        self._by_type = by_type
        self._wildcard = wildcard
        self._selections: dict[tuple[str, str | None], Selection] = {}
        # One (userId,) tuple per user, shared by the keys of all the user's buckets across batches: fewer
        # objects for the collector, and key comparisons in the bucket dicts that stop at identity.
        self._user_groups: dict[str, tuple[str]] = {}
        self.rule_count = rule_count
        # Whether some rule's cap reads `duration`, which an event may leave to its entry's last seen one.
        self.reads_entry_duration = reads_entry_duration

    @classmethod
    def build(cls, scopes: Iterable[GameObjectScope], rules: Iterable[Rule]) -> "RuleSet":
        """Compile rules; rules that are disabled, or whose object is missing or disabled, are left out."""
        scope_by_id = {scope.id: scope for scope in scopes}
        by_type: dict[str, list[RuleRunner]] = {}
        wildcard: list[RuleRunner] = []
        rule_count = 0
        reads_duration = False
        for order, rule in enumerate(rules):
            scope = scope_by_id.get(rule.game_object_id)
            if scope is None or not scope.enabled or not rule.enabled or _saves_nobody(scope.policy):
                continue
            event_types, runner = _compile(rule, scope, order)
            rule_count += 1
            reads_duration = reads_duration or any(_caps_by_duration(step) for step in runner.steps())
            if event_types is None:
                wildcard.append(runner)
            for event_type in event_types or ():
                by_type.setdefault(event_type, []).append(runner)
        return cls(by_type, wildcard, rule_count, reads_duration)

    def runners_for(self, event_type: str, virtual_event_id: str | None) -> Selection:
        """The rules an event of this type and virtual event may concern, in rule order."""
        key = (event_type, virtual_event_id)
        selection = self._selections.get(key)
        if selection is None:
            selection = self._select(event_type, virtual_event_id)
            if len(self._selections) < MAX_REMEMBERED_SELECTIONS:
                self._selections[key] = selection
        return selection

    def _select(self, event_type: str, virtual_event_id: str | None) -> Selection:
        candidates = sorted(
            [*self._by_type.get(event_type, ()), *self._wildcard], key=lambda runner: runner.order
        )
        runners = tuple(
            runner
            for runner in candidates
            if virtual_event_id is None
            or not runner.virtual_event_ids
            or virtual_event_id in runner.virtual_event_ids
        )
        appliers = tuple(runner.apply for runner in runners)
        return Selection(
            runners, any(runner.may_refuse for runner in runners), appliers, _refusal_checks(runners)
        )

    def bucket_keys(self, events: Iterable[NormalizedEvent]) -> set[BucketKey]:
        """Keys of every bucket evaluating these events may read (a superset), for loading them in bulk."""
        keys: set[BucketKey] = set()
        for event in events:
            for runner in self.runners_for(event.event_type, event.virtual_event_id).runners:
                keys.update(runner.bucket_keys(event))
        return keys


def _saves_nobody(policy: ParticipationPolicy) -> bool:
    return policy.is_uniform and policy.user_default_policy is Participation.DO_NOT_SAVE


def _caps_by_duration(step: RuleStep) -> bool:
    return step.cap_field == DURATION and step.cap_kind in (CapKind.FIELD, CapKind.FIELD_IN_MINUTES)


def _refusal_checks(runners: Sequence[RuleRunner]) -> tuple[tuple[str, bool], ...] | None:
    """The metric checks that clear an event of ever being skipped by these rules (see Selection)."""
    steps = [step for runner in runners for step in runner.steps() if step.may_refuse]
    if not all(step.refuses_only_on_measure for step in steps):
        return None
    # Such a rule skips only an event whose metric is not a (non-negative, for sum) number.
    return tuple(dict.fromkeys((step.metric, step.kind == SUM) for step in steps))


def _compile(rule: Rule, scope: GameObjectScope, order: int) -> tuple[frozenset[str] | None, RuleRunner]:
    root_types, remaining = split_event_type_pin(rule.conditions)
    sub_rules = [sub for sub in rule.sub_rules if sub.enabled]
    # Tracking sub-rules with their own conditions must see their own event types too.
    tracker_types = [
        split_event_type_pin(sub.conditions)[0]
        for sub in sub_rules
        if sub.mode is not RuleMode.BLOCK_ROOT_RULE_IF_EXHAUSTED and not sub.inherits_conditions
    ]
    event_types = None if root_types is None or None in tracker_types else root_types.union(*tracker_types)  # type: ignore[arg-type]
    # Filed only under its own pinned types, the rule need not test the pin again.
    predicate = compile_conditions(remaining if event_types == root_types else rule.conditions)
    runner = RuleRunner(
        RuleStep(rule, reports=True),
        predicate,
        window=(scope.start, scope.end),
        override=rule.user_id_override,
        policy=scope.policy,
        virtual_event_ids=scope.virtual_event_ids,
        sub_rules=tuple(_compile_sub_rule(sub) for sub in sub_rules),
        order=order,
    )
    return event_types, runner


def _compile_sub_rule(sub: Rule) -> SubRuleRunner:
    predicate = None if sub.inherits_conditions else compile_conditions(sub.conditions)
    return SubRuleRunner(
        RuleStep(sub, reports=False), predicate, inherits=sub.inherits_conditions, mode=sub.mode
    )


def evaluate(
    events: Sequence[NormalizedEvent],
    *,
    rule_set: RuleSet,
    buckets: BucketSource,
    profiles: ProfileLookup = NO_PROFILES,
    entry_durations: Mapping[str, float] | None = None,
) -> Evaluation:
    """Apply events in order; a rule that cannot use an event ignores it and lists it in `skipped`.

    `entry_durations` are the kept last seen durations of (at least) the entries of events without one,
    needed only when `rule_set.reads_entry_duration`; the batch's own events update them as they come.
    """
    state = BatchState(buckets, profiles, entry_durations)
    skipped: list[tuple[int, str, str]] = []
    selections, user_groups = rule_set._selections, rule_set._user_groups
    runners_for = rule_set.runners_for
    notes_entries = rule_set.reads_entry_duration
    safe_int = _SAFE_INT
    with collector_paused():
        for index, event in enumerate(events):
            if notes_entries:
                state.note_entry(event.fields)
            selection = selections.get((event.event_type, event.virtual_event_id))
            if selection is None:
                selection = runners_for(event.event_type, event.virtual_event_id)
            appliers = selection.appliers
            if not appliers:
                continue
            user = event.user_id
            user_group = user_groups.get(user)
            if user_group is None:
                if len(user_groups) >= MAX_REMEMBERED_USERS:
                    user_groups.clear()
                user_group = user_groups[user] = (user,)
            state.user_group = user_group
            logged = False
            if selection.may_refuse:
                checks = selection.checks
                if checks is None:
                    logged = True
                else:
                    # Plain floats and ints in range pass; anything else takes the logged path, which
                    # decides exactly whether a rule skips the event.
                    fields = event.fields
                    for metric, non_negative in checks:
                        value = fields.get(metric)
                        if (value.__class__ is not float and value.__class__ is not int) or not (
                            (0 if non_negative else -safe_int) <= value < safe_int
                        ):
                            logged = True
                            break
            if not logged:
                # No rule will skip this event: nothing needs logging for undo.
                state.event_index = index
                state.logging = False
                for apply in appliers:
                    apply(event, state)
                continue
            _apply_logged(event, index, selection, state, skipped)
    return state.result(skipped)


def _apply_logged(
    event: NormalizedEvent,
    index: int,
    selection: Selection,
    state: BatchState,
    skipped: list[tuple[int, str, str]],
) -> None:
    """Apply an event rule by rule, undoing the work of each rule that cannot use it."""
    state.begin(index, True)
    for runner, apply in zip(selection.runners, selection.appliers, strict=True):
        mark = state.mark()
        try:
            apply(event, state)
        except EventSkipped as skip:
            state.roll_back(mark)
            rule_id = runner.step.rule_id
            message = skip.message if skip.rule_id == rule_id else f"{skip.message} (sub-rule {skip.rule_id})"
            skipped.append((index, rule_id, message))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch runs.

    A batch allocates a great many small objects (keys, bucket copies, awards) and creates no reference
    cycles, yet each allocation burst triggers collector passes that re-scan every stored bucket: pausing
    roughly doubles throughput. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
