"""The periods of recurring leaderboards in a partner's in-memory state: each leaderboard's timeline (built from its
recurrence and the periods closed so far) and the boards of its periods, kept beside the all-time board under
the key "<game object id>#<index>" (docs/periods.md)."""

from gameservices.domain.periods import ClosedPeriod, Timeline, board_key, event_ms, timeline_of
from gameservices.projection.board import Board, UserStanding
from gameservices.storage.game_objects import GameObjectRecord


class PeriodBoards:
    """What `PartnerState` knows of periods (a part of it: it holds these attributes)."""

    _objects: dict[str, GameObjectRecord]
    _boards: dict[str, Board]
    _period_closes: dict[str, list[ClosedPeriod]]
    _timelines: dict[str, Timeline | None]

    def timeline(self, game_object_id: str) -> Timeline | None:
        """The periods of a recurring leaderboard (None for any other game object)."""
        try:
            return self._timelines[game_object_id]
        except KeyError:
            record = self._objects.get(game_object_id)
            found = None
            if record is not None and record.object_type == "leaderboard":
                closes = self._period_closes.get(game_object_id, ())
                found = timeline_of(record.data, record.created_at, closes)
            self._timelines[game_object_id] = found
            return found

    def period_standing_after(
        self, game_object_id: str, user_id: str, delta: float, at: float, hidden: bool
    ) -> tuple[str, UserStanding] | None:
        """A score set by hand at `at` (epoch seconds) on a recurring leaderboard: the board of the period it
        counts in, and the user's standing there moved by `delta` (None when the game object has no periods, or
        when nothing moves for a user not in that period: a set that changes nothing does not enter them). A
        user new to the period is `hidden` there as on the all-time board (both follow the leaderboard's
        policy)."""
        timeline = self.timeline(game_object_id)
        if timeline is None:
            return None
        key = board_key(game_object_id, timeline.assign(event_ms(at)))
        board = self._boards.get(key)
        known = board.standing(user_id) if board is not None else None
        if delta == 0:  # (nothing moves: a user not in the period stays out, one in it keeps their place)
            return None
        if known is None:
            return key, UserStanding(delta, at, hidden)
        return key, UserStanding(known.score + delta, at, known.hidden)

    def forget_period_boards(self, game_object_id: str, user_id: str | None = None) -> None:
        """Drop the period boards of a leaderboard (only one user's standings on them, when given)."""
        prefix = f"{game_object_id}#"
        for key in [key for key in self._boards if key.startswith(prefix)]:
            if user_id is None:
                del self._boards[key]
            else:
                self._boards[key].remove(user_id)

    def forget_timelines(self) -> None:
        """Build timelines again when next asked (game objects or closed periods changed)."""
        self._timelines = {}
