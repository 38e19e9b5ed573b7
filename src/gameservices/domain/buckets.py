"""Buckets: the accumulated state of one rule for one group of events (usually one user, or user and entry).

A bucket is keyed by (rule id, the event's groupBy values), with `kuserId`/`userId` standing for the user
who receives the points. The engine never mutates a bucket it reads from a BucketSource: it works on copies.
"""

from collections.abc import Callable
from typing import Protocol

BucketKey = tuple[str, tuple[str, ...]]


class Bucket:
    """Progress and awarded points of one bucket.

    `seen` holds the metric values already counted (countUnique rules only); `completed_at` is the time of
    the event that first brought progress to the goal; `user_id` is the user part of the key (None when the
    rule's groupBy does not name the user).
    """

    __slots__ = ("awarded", "completed_at", "progress", "seen", "updated_at", "user_id")

    def __init__(
        self,
        user_id: str | None,
        *,
        progress: float = 0.0,
        awarded: float = 0.0,
        seen: set[str] | None = None,
        completed_at: float | None = None,
        updated_at: float = 0.0,
    ) -> None:
        self.user_id = user_id
        self.progress = progress
        self.awarded = awarded
        self.seen = seen
        self.completed_at = completed_at
        self.updated_at = updated_at

    def copy(self) -> "Bucket":
        """Return an independent copy (the seen set is copied too)."""
        twin = Bucket.__new__(Bucket)
        twin.user_id = self.user_id
        twin.progress = self.progress
        twin.awarded = self.awarded
        twin.seen = None if self.seen is None else set(self.seen)
        twin.completed_at = self.completed_at
        twin.updated_at = self.updated_at
        return twin

    def state(self) -> tuple[str | None, float, float, frozenset[str] | None, float | None, float]:
        """All fields as a comparable tuple."""
        seen = None if self.seen is None else frozenset(self.seen)
        return (self.user_id, self.progress, self.awarded, seen, self.completed_at, self.updated_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and self.state() == other.state()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Bucket(user_id={self.user_id!r}, progress={self.progress!r}, awarded={self.awarded!r}, "
            f"seen={self.seen!r}, completed_at={self.completed_at!r}, updated_at={self.updated_at!r})"
        )


class BucketSource(Protocol):
    """The caller's persisted buckets; the engine only reads them."""

    def get_bucket(self, key: BucketKey) -> Bucket | None:
        """Return the stored bucket for key, or None when there is none."""
        ...


class DictBucketSource:
    """A BucketSource over a plain dict, for tests, benchmarks and callers that keep buckets in memory."""

    def __init__(self, buckets: dict[BucketKey, Bucket] | None = None) -> None:
        self.buckets: dict[BucketKey, Bucket] = {} if buckets is None else buckets

    @property
    def bucket_dict(self) -> dict[BucketKey, Bucket]:
        """The dict `get_bucket` reads (see `stored_lookup`)."""
        return self.buckets

    def get_bucket(self, key: BucketKey) -> Bucket | None:
        """Return the bucket stored under key."""
        return self.buckets.get(key)

    def apply(self, changed: dict[BucketKey, Bucket]) -> None:
        """Store the buckets an evaluation changed."""
        self.buckets.update(changed)


def stored_lookup(source: BucketSource) -> Callable[[BucketKey], Bucket | None]:
    """The function that reads a source's stored buckets.

    A source whose `get_bucket(key)` is exactly `d.get(key)` for a plain dict `d` may say so by offering
    `d` as its `bucket_dict` attribute: the engine then calls the dict's own `get`, which spares a Python
    call for each bucket a batch first touches.
    """
    buckets = getattr(source, "bucket_dict", None)
    if type(buckets) is dict:
        return buckets.get
    return source.get_bucket
