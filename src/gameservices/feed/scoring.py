"""The score changes of an events entry: computed by the writer from the state before the entry (the live state,
current under the writer's turn) and the standings after it, before either is applied."""

from bisect import bisect_left
from collections.abc import Iterable

from gameservices.domain.groups import group_of, percentile, profile_groups
from gameservices.domain.values import shown_number as number
from gameservices.feed.changes import LEAD_GROUP_CHANGED, SCORE_CHANGED, Changes
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.state import PartnerState
from gameservices.ranking import rank_key
from gameservices.storage.game_objects import GameObjectRecord

# Game objects whose users are ranked: their score changes carry the rank before and after.
_RANKED = frozenset({"leaderboard", "leadScoring"})


def score_changes(
    state: PartnerState, standings: dict[tuple[str, str], UserStanding], changes: Changes
) -> None:
    """Add a `score.changed` for every (game object, user) whose score or rank the standings move, and a
    `leadScoring.groupChanged` for every lead whose group moves with it."""
    by_object: dict[str, dict[str, UserStanding]] = {}
    for (object_id, user_id), standing in standings.items():
        by_object.setdefault(object_id, {})[user_id] = standing
    for object_id, after in by_object.items():
        record = state.objects.get(object_id)
        if record is None:
            continue
        board = state.boards.get(object_id) or Board()
        ranked = record.object_type in _RANKED
        ranks = _ranks(board, after) if ranked else None
        for user_id in sorted(after):
            _user_changes(record, board, user_id, after[user_id], ranks, changes)


def _user_changes(
    record: GameObjectRecord,
    board: Board,
    user_id: str,
    standing: UserStanding,
    ranks: "_Ranks | None",
    changes: Changes,
) -> None:
    before = board.standing(user_id)
    previous_score = before.score if before is not None else None
    rank = previous_rank = None
    if ranks is not None:
        previous_rank, rank = board.index.rank(user_id), ranks.after.get(user_id)
    if previous_score == standing.score and previous_rank == rank:
        return
    changes.add(
        SCORE_CHANGED,
        {
            "gameObjectId": record.id,
            "gameObjectType": record.object_type,
            "userId": user_id,
            "score": number(standing.score),
            "previousScore": None if previous_score is None else number(previous_score),
            "rank": rank,
            "previousRank": previous_rank,
        },
    )
    if record.object_type == "leadScoring" and ranks is not None:
        score_groups, percentage_groups = profile_groups(record.data)
        groups = (
            group_of(score_groups, standing.score),
            None if rank is None else group_of(percentage_groups, percentile(rank, ranks.total_after)),
        )
        previous = (
            None if previous_score is None else group_of(score_groups, previous_score),
            None
            if previous_rank is None
            else group_of(percentage_groups, percentile(previous_rank, ranks.total_before)),
        )
        if groups != previous:
            changes.add(
                LEAD_GROUP_CHANGED,
                {
                    "gameObjectId": record.id,
                    "userId": user_id,
                    "scoreGroup": groups[0],
                    "percentageGroup": groups[1],
                    "previousScoreGroup": previous[0],
                    "previousPercentageGroup": previous[1],
                },
            )


class _Ranks:
    """The displayed ranks of the moved users once every move of the entry is applied, and the displayed
    counts before and after."""

    def __init__(self, after: dict[str, int], total_before: int, total_after: int) -> None:
        self.after = after
        self.total_before = total_before
        self.total_after = total_after


def _ranks(board: Board, after: dict[str, UserStanding]) -> _Ranks:
    """A moved user's rank after = the unmoved users ranking above their new key (those above it in the index
    today, less the moved users' old keys among them) + the moved users whose new key ranks above it + 1."""
    index = board.index
    old_keys = sorted(_present(index.key_of(user_id) for user_id in after))
    new_keys = {
        user_id: rank_key(user_id, standing.score, standing.reached_at)
        for user_id, standing in after.items()
        if not standing.hidden
    }
    ordered_new = sorted(new_keys.values())
    ranks = {
        user_id: index.count_below(key) - bisect_left(old_keys, key) + bisect_left(ordered_new, key) + 1
        for user_id, key in new_keys.items()
    }
    total_before = len(index)
    return _Ranks(ranks, total_before, total_before - len(old_keys) + len(new_keys))


def _present(keys: Iterable[bytes | None]) -> list[bytes]:
    return [key for key in keys if key is not None]
