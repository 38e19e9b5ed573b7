"""Working state of one evaluation: copy-on-write buckets, the per-event undo log, cached policy decisions.

Each event is applied all or nothing: before a bucket changes, its prior state goes to the undo log, and a
refused event rolls the log back, removes the buckets it brought in and drops its awards and completions.
"""

from typing import Protocol

from gameservices.domain.awards import Award, Completion, Evaluation
from gameservices.domain.buckets import Bucket, BucketKey, BucketSource, stored_lookup
from gameservices.domain.policies import Participation, ParticipationPolicy, UserFacts

# (bucket, progress, awarded, completed_at, updated_at, metric value added to `seen` or None)
UndoEntry = tuple[Bucket, float, float, float | None, float, str | None]


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

    def __init__(self, source: BucketSource, profiles: ProfileLookup) -> None:
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

    def roll_back(self, awards_mark: int, completions_mark: int) -> None:
        """Undo everything the current event did."""
        for bucket, progress, awarded, completed_at, updated_at, added in reversed(self.undo):
            bucket.progress = progress
            bucket.awarded = awarded
            bucket.completed_at = completed_at
            bucket.updated_at = updated_at
            if added is not None and bucket.seen is not None:
                bucket.seen.discard(added)
        for key in self.fresh:
            del self.work[key]
        del self.awards[awards_mark:]
        del self.completions[completions_mark:]

    def result(self, rejected: list[tuple[int, str, str]]) -> Evaluation:
        """Package the outcome of the batch."""
        return Evaluation(self.work, self.awards, self.completions, rejected)
