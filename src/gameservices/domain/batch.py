"""Working state of one evaluation: copy-on-write buckets, the per-event undo log, cached policy decisions,
the entries' last seen durations.

Each rule applies an event all or nothing: before a bucket changes, its prior state goes to the undo log, and
a rule that cannot use the event rolls the log back to where the rule began, removes the buckets it brought
in and drops its awards and completions; the other rules' work on the event stays.
"""

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from gameservices.domain.awards import Award, Completion, Evaluation
from gameservices.domain.buckets import Bucket, BucketKey, BucketSource, stored_lookup
from gameservices.domain.entries import entry_key, seen_duration
from gameservices.domain.events import FieldValue
from gameservices.domain.policies import Participation, ParticipationPolicy, UserFacts

# (bucket, progress, awarded, completed_at, updated_at, metric value added to `seen` or None)
UndoEntry = tuple[Bucket, float, float, float | None, float, str | None]


class Mark(NamedTuple):
    """Lengths of the undo log, the fresh keys, the awards and the completions when a rule began."""

    undo: int
    fresh: int
    awards: int
    completions: int


class ProfileLookup(Protocol):
    """Reads the profile facts participation policies need."""

    def facts(self, user_id: str) -> UserFacts | None:
        """Return the user's profile facts, or None when the user has no profile."""
        ...


class NoProfiles:
    """A ProfileLookup for callers without profiles: every user gets the default policy."""

    def facts(self, user_id: str) -> UserFacts | None:
        """Return None: no user has a profile."""
        return None


class BatchState:
    """Mutable state shared by the rules while one batch is evaluated."""

    __slots__ = (
        "awards",
        "completions",
        "decisions",
        "entry_durations",
        "event_index",
        "fresh",
        "logging",
        "profile_facts",
        "profiles",
        "source",
        "stored",
        "undo",
        "user_group",
        "work",
    )

    def __init__(
        self,
        source: BucketSource,
        profiles: ProfileLookup,
        entry_durations: Mapping[str, float] | None = None,
    ) -> None:
        self.source = source
        self.stored = stored_lookup(source)
        self.profiles = profiles
        self.work: dict[BucketKey, Bucket] = {}
        self.awards: list[Award] = []
        self.completions: list[Completion] = []
        self.undo: list[UndoEntry] = []
        self.fresh: list[BucketKey] = []
        self.decisions: dict[tuple[str, str], Participation] = {}
        self.profile_facts: dict[str, UserFacts | None] = {}
        self.event_index = 0
        # (userId,) of the current event: the group values of its per-user buckets, shared by their keys.
        self.user_group: tuple[str, ...] = ()
        # Off while no rule that could refuse the current event is involved: nothing would need undoing.
        self.logging = True
        # The last seen duration of each entry, as of the current event (kept ones, then this batch's).
        self.entry_durations: dict[str, float] = dict(entry_durations or {})

    def adopt(self, key: BucketKey, user_id: str | None, unique: bool) -> Bucket:
        """Bring a bucket into the working set: a copy of the stored one, or a new empty one."""
        stored = self.stored(key)
        bucket = stored.copy() if stored is not None else Bucket(user_id, seen=set() if unique else None)
        self.work[key] = bucket
        if self.logging:
            self.fresh.append(key)
        return bucket

    def peek(self, key: BucketKey) -> Bucket | None:
        """Return the current state of a bucket without taking a copy."""
        bucket = self.work.get(key)
        return bucket if bucket is not None else self.stored(key)

    def participation(self, object_id: str, policy: ParticipationPolicy, user_id: str) -> Participation:
        """Return (and remember for the batch) a user's participation in a game object."""
        decision = self.decisions.get((object_id, user_id))
        if decision is None:
            if user_id in self.profile_facts:
                facts = self.profile_facts[user_id]
            else:
                facts = self.profile_facts[user_id] = self.profiles.facts(user_id)
            decision = self.decisions[(object_id, user_id)] = policy.decide(facts)
        return decision

    def begin(self, event_index: int, logging: bool) -> None:
        """Start applying the event at event_index, keeping an undo log when it could be refused."""
        self.event_index = event_index
        self.logging = logging
        if logging:
            self.undo.clear()
            self.fresh.clear()

    def mark(self) -> Mark:
        """Where the current rule begins, for `roll_back`."""
        return Mark(len(self.undo), len(self.fresh), len(self.awards), len(self.completions))

    def roll_back(self, mark: Mark) -> None:
        """Undo everything done since the mark (one rule's work on the current event)."""
        undo, fresh = self.undo, self.fresh
        for bucket, progress, awarded, completed_at, updated_at, added in reversed(undo[mark.undo :]):
            bucket.progress = progress
            bucket.awarded = awarded
            bucket.completed_at = completed_at
            bucket.updated_at = updated_at
            if added is not None and bucket.seen is not None:
                bucket.seen.discard(added)
        for key in fresh[mark.fresh :]:
            del self.work[key]
        del undo[mark.undo :]
        del fresh[mark.fresh :]
        del self.awards[mark.awards :]
        del self.completions[mark.completions :]

    def note_entry(self, fields: Mapping[str, FieldValue]) -> None:
        """Remember the duration an event records for its entry (read by later events without one)."""
        duration = seen_duration(fields)
        if duration is not None:
            key = entry_key(fields)
            if key is not None:
                self.entry_durations[key] = duration

    def entry_duration(self, fields: Mapping[str, FieldValue]) -> float | None:
        """The last seen duration of the event's entry, or None when none is known."""
        key = entry_key(fields)
        return None if key is None else self.entry_durations.get(key)

    def result(self, skipped: list[tuple[int, str, str]]) -> Evaluation:
        """Package the outcome of the batch."""
        return Evaluation(self.work, self.awards, self.completions, skipped)
