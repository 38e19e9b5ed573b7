"""Accumulation: how one rule moves one bucket for one event, and what it awards.

Counting types (sum, count, countUnique, countBoolean) award `points` each time progress crosses another
multiple of `goal`, never letting the bucket's `awarded` pass the cap. External and override buckets
contribute their capped progress, so their award is the change of that contribution and may be negative.
A sum, external or override rule cannot use an event whose metric is not a number (sum: not a non-negative
number); a points or cap field is read only when an award is due, and the rule cannot use the event when it is
not a non-negative number then. Such a rule raises EventSkipped: it ignores that event, the other rules still
see it. A cap read from `duration` falls back to the entry's last seen duration when the event has none.
countUnique and countBoolean simply pass over events without their metric.
"""

import hashlib
import math
from collections.abc import Callable

from gameservices.domain.awards import Award, Completion
from gameservices.domain.batch import BatchState
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.conditions import Predicate
from gameservices.domain.entries import DURATION
from gameservices.domain.errors import EventSkipped
from gameservices.domain.events import FieldValue, NormalizedEvent
from gameservices.domain.rule_values import CapKind
from gameservices.domain.rules import Rule, RuleMode, RuleType
from gameservices.domain.values import id_string, parse_number

Fields = dict[str, FieldValue]
# Applies one event to one rule's buckets within a batch.
Applier = Callable[[NormalizedEvent, BatchState], None]

# Small integers make the per-event type dispatch a few cheap comparisons.
SUM, COUNT, COUNT_UNIQUE, COUNT_BOOLEAN, EXTERNAL, OVERRIDE = range(6)
_KINDS = {
    RuleType.SUM: SUM,
    RuleType.COUNT: COUNT,
    RuleType.COUNT_UNIQUE: COUNT_UNIQUE,
    RuleType.COUNT_BOOLEAN: COUNT_BOOLEAN,
    RuleType.EXTERNAL: EXTERNAL,
    RuleType.OVERRIDE: OVERRIDE,
}
USER_FIELDS = frozenset({"kuserId", "userId"})
_TRUE_TEXTS = frozenset({"true", "1"})
_SAFE_INT = 2**53
# Builds an Award or Completion from one argument tuple, without the Python-level NamedTuple constructor.
_new_tuple = tuple.__new__


def _beyond_the_limit(field: str | None, rule_id: str) -> str:
    return f"{field} must lie within ±2^53 (the score limit) for rule {rule_id}"


def is_truthy(value: FieldValue) -> bool:
    """countBoolean's test: true, a non-zero number, or the text "true" or "1" (any case)."""
    if value is True:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUE_TEXTS


# The longest grouping or unique value kept as it is in a bucket's key (an id's length). Keys are keys of the
# buckets' tables, and PostgreSQL refuses an index row past a few KB: a longer value stands in the key as its
# first characters and a SHA-256 digest, which groups and tells apart exactly as the value does.
MAX_KEY_TEXT = 256


def key_text(text: str) -> str:
    """A grouping or unique value as a bucket's key holds it."""
    if len(text) <= MAX_KEY_TEXT:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[:64]}#sha256:{digest}"


def _key_text(value: FieldValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return key_text(value)
    if isinstance(value, tuple):
        return key_text(",".join(id_string(item) for item in value))
    return key_text(id_string(value))


class RuleStep:
    """One compiled rule's accumulation; `reports` is False for sub-rules, which never award."""

    __slots__ = (
        "cap_amount",
        "cap_field",
        "cap_kind",
        "distributed",
        "goal",
        "group_by",
        "group_shape",
        "kind",
        "metric",
        "object_id",
        "points_amount",
        "points_field",
        "reports",
        "rule_id",
        "second_field",
        "user_keyed",
    )

    def __init__(self, rule: Rule, *, reports: bool) -> None:
        self.rule_id = rule.id
        self.object_id = rule.game_object_id
        self.kind = _KINDS[rule.type]
        self.metric = rule.metric
        self.goal = rule.goal
        self.points_amount = rule.points.amount
        self.points_field = rule.points.field
        self.cap_kind = rule.max_points.kind
        self.cap_amount = rule.max_points.amount
        self.cap_field = rule.max_points.field
        self.reports = reports
        self.distributed = rule.mode is RuleMode.DISTRIBUTE_POINTS
        self.group_by = rule.group_by
        self.user_keyed = any(name in USER_FIELDS for name in rule.group_by)
        # 0: one bucket, 1: per user, 2: per user and one more field, 3: any other shape.
        self.group_shape = _group_shape(rule.group_by)
        self.second_field = rule.group_by[1] if self.group_shape == 2 else ""

    def key(self, recipient: str, fields: Fields) -> BucketKey:
        """The bucket an event belongs to, `kuserId`/`userId` standing for the recipient."""
        shape = self.group_shape
        if shape == 1:
            return (self.rule_id, (recipient,))
        if shape == 2:
            value = fields.get(self.second_field)
            text = value if value.__class__ is str and len(value) <= MAX_KEY_TEXT else _key_text(value)
            return (self.rule_id, (recipient, text))
        if shape == 0:
            return (self.rule_id, ())
        return (
            self.rule_id,
            tuple(
                recipient if name in USER_FIELDS else _key_text(fields.get(name)) for name in self.group_by
            ),
        )

    @property
    def may_refuse(self) -> bool:
        """Whether this rule could skip some event (a value it needs could be missing)."""
        return (
            self.kind in (SUM, EXTERNAL, OVERRIDE)
            or self.points_field is not None
            or self.cap_kind in (CapKind.FIELD, CapKind.FIELD_IN_MINUTES)
        )

    def apply(self, event: NormalizedEvent, recipient: str, hidden: bool, state: BatchState) -> None:
        """Accumulate the event into its bucket, recording awards and completions when reporting."""
        # One flat function on purpose: it runs for every (event, rule) pair and Python calls are costly.
        fields = event.fields
        kind = self.kind
        unique: str | None = None
        if kind == COUNT:
            amount = 1.0
        elif kind == COUNT_UNIQUE:
            value = fields.get(self.metric)
            if value is None:
                return
            unique = value if value.__class__ is str and len(value) <= MAX_KEY_TEXT else _key_text(value)
            amount = 1.0
        elif kind == COUNT_BOOLEAN:
            if not is_truthy(fields.get(self.metric)):
                return
            amount = 1.0
        else:
            amount = self.measure(fields)
        key = (self.rule_id, (recipient,)) if self.group_shape == 1 else self.key(recipient, fields)
        bucket = state.work.get(key)
        if bucket is None:
            bucket = state.adopt(key, recipient if self.user_keyed else None, kind == COUNT_UNIQUE)
        if unique is not None and unique in bucket.seen:  # type: ignore[operator]
            return
        progress, awarded, completed_at = bucket.progress, bucket.awarded, bucket.completed_at
        if kind < EXTERNAL:
            new_progress = progress + amount
            crossed = new_progress // self.goal - progress // self.goal
            new_awarded = awarded if crossed <= 0 else self._crossing_award(crossed, awarded, fields, state)
        else:
            upsert = kind == OVERRIDE or fields.get("scoreAction") == "upsert"
            new_progress = amount if upsert else progress + amount
            new_awarded = self._contribution(new_progress, fields, state)
        if state.logging:
            state.undo.append((bucket, progress, awarded, completed_at, bucket.updated_at, unique))
        if unique is not None:
            bucket.seen.add(unique)  # type: ignore[union-attr]
        time = event.event_time
        bucket.progress = new_progress
        bucket.awarded = new_awarded
        bucket.updated_at = time
        completes = completed_at is None and new_progress >= self.goal
        if completes:
            bucket.completed_at = time
        if self.reports and (completes or new_awarded != awarded):
            self._report(key, recipient, new_awarded - awarded, completes, time, hidden, state)

    def measure(self, fields: Fields) -> float:
        """The number a sum, external or override rule reads from the event; skips a non-number."""
        value = fields.get(self.metric)
        # Plain floats and ints in range (not bools, whose class is bool) skip the general parser.
        if (value.__class__ is float or value.__class__ is int) and -_SAFE_INT < value < _SAFE_INT:
            number: float | None = float(value)
        else:
            number = parse_number(value)
            if number is not None and not -_SAFE_INT < number < _SAFE_INT:
                raise EventSkipped(self.rule_id, _beyond_the_limit(self.metric, self.rule_id))
        if number is None or (number < 0 and self.kind == SUM):
            what = "a non-negative number" if self.kind == SUM else "a number"
            raise EventSkipped(self.rule_id, f"{self.metric} must be {what}")
        return number

    def _crossing_award(self, crossed: float, awarded: float, fields: Fields, state: BatchState) -> float:
        award = crossed * self.points(fields)
        cap = self.cap(fields, state)
        if cap is not None and award > cap - awarded:
            award = max(cap - awarded, 0.0)
        return awarded + award

    def _contribution(self, progress: float, fields: Fields, state: BatchState) -> float:
        cap = self.cap(fields, state)
        return progress if cap is None or progress <= cap else cap

    def points(self, fields: Fields) -> float:
        """The points per multiple of goal for this event."""
        if self.points_amount is not None:
            return self.points_amount
        number = parse_number(fields.get(self.points_field))  # type: ignore[arg-type]
        if number is None or number < 0:
            raise EventSkipped(self.rule_id, f"{self.points_field} must be a non-negative number")
        if number >= _SAFE_INT:
            raise EventSkipped(self.rule_id, _beyond_the_limit(self.points_field, self.rule_id))
        return number

    def cap(self, fields: Fields, state: BatchState) -> float | None:
        """The cap on the bucket's awarded points for this event; None when unlimited.

        A cap read from `duration` takes the entry's last seen duration when the event carries none.
        """
        kind = self.cap_kind
        if kind is CapKind.UNLIMITED:
            return None
        if kind is CapKind.FIXED:
            return self.cap_amount
        value = fields.get(self.cap_field)  # type: ignore[arg-type]
        if value is None and self.cap_field == DURATION:
            value = state.entry_duration(fields)
            if value is None:
                raise EventSkipped(
                    self.rule_id, "duration is missing from the event and unknown for its entry"
                )
        number = parse_number(value)
        if number is None or number < 0:
            raise EventSkipped(self.rule_id, f"{self.cap_field} must be a non-negative number")
        if number >= _SAFE_INT:
            raise EventSkipped(self.rule_id, _beyond_the_limit(self.cap_field, self.rule_id))
        if kind is CapKind.FIELD_IN_MINUTES:
            return math.floor(number / 60) * self.points(fields)
        return number

    def _report(
        self,
        key: BucketKey,
        recipient: str,
        points: float,
        completes: bool,
        time: float,
        hidden: bool,
        state: BatchState,
    ) -> None:
        if points:
            state.awards.append(
                _new_tuple(
                    Award,
                    (
                        self.object_id,
                        self.rule_id,
                        recipient,
                        points,
                        time,
                        key,
                        self.distributed,
                        hidden,
                        state.event_index,
                    ),
                )
            )
        if completes:
            state.completions.append(
                _new_tuple(
                    Completion, (self.object_id, self.rule_id, recipient, key, time, state.event_index)
                )
            )

    @property
    def refuses_only_on_measure(self) -> bool:
        """Whether reading the metric (`measure`) is the only way this rule can skip an event."""
        return self.points_field is None and self.cap_kind in (CapKind.UNLIMITED, CapKind.FIXED)

    def plain_applier(
        self, predicate: Predicate | None, start: float, end: float, hidden: bool
    ) -> Applier | None:
        """One function doing what RuleRunner.run and apply do together, for the common shape of rule.

        That shape: a counting rule (sum, count, countUnique, countBoolean) with fixed points and a fixed or no
        cap, grouped by nothing, the user, or the user and one other field, whose root has no sub-rules, no
        recipient override and a policy that treats every user alike (the caller checks the last three).
        Everything about the rule is bound once here and the bucket is brought into the batch inline, so
        an event costs one Python call per rule. Returns None for other shapes.
        """
        kind = self.kind
        if (
            kind >= EXTERNAL
            or self.points_amount is None
            or not self.refuses_only_on_measure
            or self.group_shape == 3
            or not self.reports
        ):
            return None
        measure = self.measure
        metric, goal, points = self.metric, self.goal, self.points_amount
        cap = self.cap_amount if self.cap_kind is CapKind.FIXED else None
        rule_id, object_id, distributed = self.rule_id, self.object_id, self.distributed
        shape, second_field, user_keyed = self.group_shape, self.second_field, self.user_keyed
        timed = start != -math.inf or end != math.inf
        counts_unique = kind == COUNT_UNIQUE
        new_tuple = _new_tuple
        new_bucket = Bucket.__new__
        safe_int = _SAFE_INT
        no_group: tuple[str, ...] = ()

        def apply(event: NormalizedEvent, state: BatchState) -> None:
            if timed and not start <= event.event_time <= end:
                return
            fields = event.fields
            if predicate is not None and not predicate(fields):
                return
            unique: str | None = None
            if kind == SUM:
                value = fields.get(metric)
                if value.__class__ is float and 0 <= value < safe_int:
                    amount: float = value
                elif value.__class__ is int and 0 <= value < safe_int:
                    amount = float(value)
                else:
                    amount = measure(fields)
            elif kind == COUNT:
                amount = 1.0
            elif kind == COUNT_UNIQUE:
                value = fields.get(metric)
                if value is None:
                    return
                unique = value if value.__class__ is str and len(value) <= MAX_KEY_TEXT else _key_text(value)
                amount = 1.0
            else:
                value = fields.get(metric)
                if value is not True and not is_truthy(value):
                    return
                amount = 1.0
            user = event.user_id
            if shape == 1:
                key: BucketKey = (rule_id, state.user_group)
            elif shape == 2:
                value = fields.get(second_field)
                text = value if value.__class__ is str and len(value) <= MAX_KEY_TEXT else _key_text(value)
                key = (rule_id, (user, text))
            else:
                key = (rule_id, no_group)
            work = state.work
            bucket = work.get(key)
            if bucket is None:
                # First touch in this batch: a copy of the stored bucket, or a new one (as BatchState.adopt).
                stored = state.stored(key)
                if stored is None:
                    bucket = new_bucket(Bucket)
                    bucket.user_id = user if user_keyed else None
                    bucket.progress = bucket.awarded = bucket.updated_at = 0.0
                    bucket.seen = set() if counts_unique else None
                    bucket.completed_at = None
                else:
                    bucket = stored.copy()
                work[key] = bucket
                if state.logging:
                    state.fresh.append(key)
            if unique is not None and unique in bucket.seen:  # type: ignore[operator]
                return
            progress, awarded, completed_at = bucket.progress, bucket.awarded, bucket.completed_at
            new_progress = progress + amount
            crossed = new_progress // goal - progress // goal
            if crossed <= 0:
                new_awarded = awarded
            else:
                award = crossed * points
                if cap is not None and award > cap - awarded:
                    award = max(cap - awarded, 0.0)
                new_awarded = awarded + award
            if state.logging:
                state.undo.append((bucket, progress, awarded, completed_at, bucket.updated_at, unique))
            if unique is not None:
                bucket.seen.add(unique)  # type: ignore[union-attr]
            time = event.event_time
            bucket.progress = new_progress
            bucket.awarded = new_awarded
            bucket.updated_at = time
            completes = completed_at is None and new_progress >= goal
            if completes:
                bucket.completed_at = time
            if completes or new_awarded != awarded:
                gained = new_awarded - awarded
                if gained:
                    state.awards.append(
                        new_tuple(
                            Award,
                            (
                                object_id,
                                rule_id,
                                user,
                                gained,
                                time,
                                key,
                                distributed,
                                hidden,
                                state.event_index,
                            ),
                        )
                    )
                if completes:
                    state.completions.append(
                        new_tuple(Completion, (object_id, rule_id, user, key, time, state.event_index))
                    )

        return apply


def _group_shape(group_by: tuple[str, ...]) -> int:
    if not group_by:
        return 0
    if len(group_by) == 1 and group_by[0] in USER_FIELDS:
        return 1
    if len(group_by) == 2 and group_by[0] in USER_FIELDS and group_by[1] not in USER_FIELDS:
        return 2
    return 3
