"""One game object's standings in memory: the rank index of its displayed users and the few hidden ones."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from gameservices.ranking import MemoryRankIndex, RankIndex


@dataclass(slots=True)
class UserStanding:
    """A user's total on a game object, when they reached it, and whether their policy hides them."""

    score: float
    reached_at: float
    hidden: bool


@dataclass(slots=True)
class Board:
    """One game object's scores: the rank index holds every displayed user (their score and reached-at time are
    in its key), and a dict the few users their policy hides. One record per user keeps a large leaderboard
    small; a standing is rebuilt from the index when asked for."""

    index: RankIndex = field(default_factory=MemoryRankIndex)
    hidden: dict[str, UserStanding] = field(default_factory=dict)

    def put(self, user_id: str, standing: UserStanding) -> None:
        """Record a user's standing and keep the index to the displayed users."""
        if standing.hidden:
            self.index.remove(user_id)
            self.hidden[user_id] = standing
        else:
            self.index.set(user_id, standing.score, standing.reached_at)
            if self.hidden:
                self.hidden.pop(user_id, None)

    def remove(self, user_id: str) -> None:
        """Forget a user (their score was deleted)."""
        self.index.remove(user_id)
        self.hidden.pop(user_id, None)

    def standing(self, user_id: str) -> UserStanding | None:
        """A user's standing (hidden users included), or None when they never scored."""
        if self.hidden:
            found = self.hidden.get(user_id)
            if found is not None:
                return found
        displayed = self.index.standing(user_id)
        return None if displayed is None else UserStanding(displayed[0], displayed[1], False)

    def standings(self) -> Iterator[tuple[str, UserStanding]]:
        """Every scored user with their standing, hidden users included, in no particular order."""
        yield from self.hidden.items()
        for user_id, score, reached_at in self.index.entries():
            yield user_id, UserStanding(score, reached_at, False)

    def ordered(self) -> tuple[list[str], list[float], int]:
        """Every scored user's id and score, as two lists in leaderboard order, and how many are displayed: the
        displayed users come first, in rank order (position i holds rank i + 1), then the hidden ones in the same
        order (score descending, then who reached it first, then userId)."""
        user_ids, scores = self.index.ranked_columns()
        displayed = len(user_ids)
        if self.hidden:
            hidden = sorted(
                self.hidden.items(), key=lambda item: (-item[1].score, item[1].reached_at, item[0])
            )
            user_ids += [user_id for user_id, _ in hidden]
            scores += [standing.score for _, standing in hidden]
        return user_ids, scores, displayed

    def __len__(self) -> int:
        """The number of scored users, hidden ones included."""
        return len(self.index) + len(self.hidden)
