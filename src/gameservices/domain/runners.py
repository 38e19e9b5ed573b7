"""Running one root rule (and its sub-rules) against one event: gating, recipient, policy, sub-rule gates.

Sub-rules run before their root and never award. Tracking sub-rules (distribute/dont_distribute and
block_root_rule_while_in_progress) accumulate every event their conditions match, even ones the root
ignores, so a prerequisite can count events of another type; a while_in_progress sub-rule holds the root
back until its bucket for this event has reached its goal. A block_root_rule_if_exhausted sub-rule caps the
root: when its bucket for an event it matches has already awarded its maxPoints, the root ignores the event;
otherwise it counts the event together with the root.
"""

import math

from gameservices.domain.accumulation import Applier, RuleStep
from gameservices.domain.batch import BatchState
from gameservices.domain.buckets import BucketKey
from gameservices.domain.conditions import Predicate
from gameservices.domain.events import MAX_USER_ID_CHARS, NormalizedEvent
from gameservices.domain.policies import Participation, ParticipationPolicy
from gameservices.domain.rules import RuleMode


class SubRuleRunner:
    """A compiled sub-rule; `predicate` is unused when it inherits its root's conditions."""

    __slots__ = ("caps", "gates", "inherits", "predicate", "step")

    def __init__(
        self, step: RuleStep, predicate: Predicate | None, *, inherits: bool, mode: RuleMode
    ) -> None:
        self.step = step
        self.predicate = predicate
        self.inherits = inherits
        self.gates = mode is RuleMode.BLOCK_ROOT_RULE_WHILE_IN_PROGRESS
        self.caps = mode is RuleMode.BLOCK_ROOT_RULE_IF_EXHAUSTED

    def matches(self, event: NormalizedEvent, root_matched: bool) -> bool:
        """Whether the sub-rule's conditions match the event."""
        if self.inherits:
            return root_matched
        return self.predicate is None or self.predicate(event.fields)


class RuleRunner:
    """A compiled root rule with everything needed to decide whether it sees an event."""

    __slots__ = (
        "apply",
        "caps",
        "end",
        "hidden",
        "may_refuse",
        "object_id",
        "order",
        "override",
        "policy",
        "predicate",
        "start",
        "step",
        "trackers",
        "virtual_event_ids",
    )

    def __init__(
        self,
        step: RuleStep,
        predicate: Predicate | None,
        *,
        window: tuple[float | None, float | None],
        override: str | None,
        policy: ParticipationPolicy,
        virtual_event_ids: frozenset[str],
        sub_rules: tuple[SubRuleRunner, ...],
        order: int,
    ) -> None:
        self.step = step
        self.object_id = step.object_id
        self.predicate = predicate
        # Open ends become infinities so the time test is one chained comparison.
        self.start = -math.inf if window[0] is None else window[0]
        self.end = math.inf if window[1] is None else window[1]
        self.override = override
        # A policy without entries decides the same for everyone: no profile needs reading.
        self.policy = None if policy.is_uniform else policy
        self.hidden = policy.user_default_policy is Participation.DO_NOT_DISPLAY
        self.virtual_event_ids = virtual_event_ids
        self.trackers = tuple(sub for sub in sub_rules if not sub.caps)
        self.caps = tuple(sub for sub in sub_rules if sub.caps)
        self.order = order
        self.may_refuse = step.may_refuse or any(sub.step.may_refuse for sub in sub_rules)
        # What the engine calls per event: `run`, or one specialised function when the rule's shape allows.
        self.apply: Applier = self._applier()

    def _applier(self) -> Applier:
        if not self.trackers and not self.caps and self.override is None and self.policy is None:
            plain = self.step.plain_applier(self.predicate, self.start, self.end, self.hidden)
            if plain is not None:
                return plain
        return self.run

    def steps(self) -> list[RuleStep]:
        """The root's step and its sub-rules' steps."""
        return [self.step, *(sub.step for sub in self.trackers), *(sub.step for sub in self.caps)]

    def run(self, event: NormalizedEvent, state: BatchState) -> None:
        """Apply the event to this rule's buckets if the rule sees it."""
        if not self.start <= event.event_time <= self.end:
            return
        predicate = self.predicate
        matched = predicate is None or predicate(event.fields)
        if not matched and not self.trackers:
            return
        recipient = event.user_id if self.override is None else self._recipient(event)
        if recipient is None:
            return
        hidden = self.hidden
        if self.policy is not None:
            decision = state.participation(self.object_id, self.policy, recipient)
            if decision is Participation.DO_NOT_SAVE:
                return
            hidden = decision is Participation.DO_NOT_DISPLAY
        if self.trackers or self.caps:
            if not self._sub_rules_allow(event, recipient, matched, state):
                return
        elif not matched:
            return
        self.step.apply(event, recipient, hidden, state)

    def bucket_keys(self, event: NormalizedEvent) -> list[BucketKey]:
        """Keys of the buckets this rule may read for the event (ignoring policies and sub-rule gates)."""
        if not self.start <= event.event_time <= self.end:
            return []
        recipient = self._recipient(event)
        if recipient is None:
            return []
        if (
            not self.trackers
            and not self.caps
            and self.predicate is not None
            and not self.predicate(event.fields)
        ):
            return []
        return [step.key(recipient, event.fields) for step in self.steps()]

    def _recipient(self, event: NormalizedEvent) -> str | None:
        if self.override is None:
            return event.user_id
        value = event.fields.get(self.override)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_USER_ID_CHARS:
            return value
        # Without the user to credit (e.g. an upvote that does not name the comment's author, or names one by a
        # text no user id can be: the tables could not hold their scores) nobody scores.
        return None

    def _sub_rules_allow(
        self, event: NormalizedEvent, recipient: str, matched: bool, state: BatchState
    ) -> bool:
        held_back = False
        for sub in self.trackers:
            if sub.matches(event, matched):
                sub.step.apply(event, recipient, False, state)
            if matched and sub.gates and not held_back:
                bucket = state.peek(sub.step.key(recipient, event.fields))
                held_back = bucket is None or bucket.completed_at is None
        if not matched or held_back:
            return False
        counting = [sub for sub in self.caps if sub.matches(event, matched)]
        for sub in counting:
            cap = sub.step.cap(event.fields, state)
            if cap is not None:
                bucket = state.peek(sub.step.key(recipient, event.fields))
                if (0.0 if bucket is None else bucket.awarded) >= cap:
                    return False
        for sub in counting:
            sub.step.apply(event, recipient, False, state)
        return True
