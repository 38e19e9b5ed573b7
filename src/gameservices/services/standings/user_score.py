"""The ``userScore`` controller: scores, ranks, per-rule progress, team standings and clearing, for every
game-object type."""

import time
from collections.abc import Callable
from typing import Any, NamedTuple

from gameservices.domain.awards import MANUAL_RULE_ID
from gameservices.domain.policies import Participation
from gameservices.domain.rules import progress_as_shown
from gameservices.domain.segments import segment_of
from gameservices.domain.timefmt import now_ms
from gameservices.domain.values import shown_number
from gameservices.errors import NotFound, ObjectNotFound, ValidationFailed
from gameservices.feed.changes import Changes
from gameservices.feed.scoring import score_changes
from gameservices.projection import entries as log_entries
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.live import LiveState
from gameservices.projection.state import PartnerState
from gameservices.ranking import RankedEntry
from gameservices.services.catalog.rule_set import policy_of
from gameservices.services.periods import progress as period_progress
from gameservices.services.periods import recurrence as periods
from gameservices.services.profiles import user_profile as profile_service
from gameservices.services.profiles.profiles_lookup import facts_of
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection, Engine
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.scores import UserScoreRow

# Distinct rendered pages kept per partner between two changes of its state.


def number(value: float) -> float | int:
    """Scores as the API shows them: whole numbers without a fraction (within the score limit)."""
    return shown_number(value)


def game_object(
    conn: Connection, *, partner_id: int, game_object_id: str, game_object_type: str | None
) -> GameObjectRecord:
    """The game object a user request is about; its type must match ``gameObjectType`` when given."""
    record = object_repository.get_game_object(conn, partner_id=partner_id, object_id=game_object_id)
    return _checked(record, game_object_id, game_object_type)


def _checked(
    record: GameObjectRecord | None, game_object_id: str, game_object_type: str | None
) -> GameObjectRecord:
    if record is None:
        raise ObjectNotFound(game_object_id, "Game object")
    if game_object_type is not None and game_object_type != record.object_type:
        raise ValidationFailed("gameObjectType", f"the game object is a {record.object_type}")
    return record


def get(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str,
    period: periods.Period = None,
) -> dict[str, Any]:
    """A user's score and rank on a game object (rank null for a user their policy hides), in a period."""
    with live.reading(conn, partner_id) as state:
        board = state.boards.get(_board_key(state, record.id, period))
        standing = board.standing(user_id) if board is not None else None
        if board is None or standing is None:
            raise NotFound(
                f"User [{user_id}] has no score", code="USER_ID_NOT_FOUND", args={"USER_ID": user_id}
            )
        rank = board.index.rank(user_id)
        result = _entry(record.id, user_id, standing.score, rank)
        if standing.hidden:
            result["hidden"] = True
        return result


def list_page(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    offset: int,
    limit: int,
    user_id: str | None = None,
    above: int = 0,
    below: int = 0,
    include_hidden: bool = False,
    period: periods.Period = None,
) -> dict[str, Any]:
    """The ranked users of a game object: a page, or a user's neighbourhood with true ranks."""
    with live.reading(conn, partner_id) as state:
        key = _board_key(state, record.id, period)
        return _ranking(state, record.id, key, offset, limit, user_id, above, below, include_hidden)


class PageQuery(NamedTuple):
    """What a top-of-leaderboard `userScore/list` asks: the game object, the page, or a user's neighbourhood."""

    game_object_id: str
    game_object_type: str | None
    offset: int
    limit: int
    user_id: str | None = None
    above: int = 0
    below: int = 0
    include_hidden: bool = False
    period: periods.Period = None


def ranking(
    live: LiveState,
    engine: Engine,
    *,
    partner_id: int,
    versions: tuple[int, int],
    query: PageQuery,
    render: Callable[[dict[str, Any]], bytes],
) -> bytes:
    """`list_page` of the game object a query names, rendered by `render`; answered from the live state alone
    when it is at least as fresh as the versions read when the request was authenticated (the usual case: no
    database access). A leaderboard polled by thousands of browsers is rendered once per change of the state,
    not once per request."""
    with live.viewing(engine, partner_id, versions) as state:
        record = _checked(
            state.objects.get(query.game_object_id), query.game_object_id, query.game_object_type
        )
        key, lasting = periods.board_of(state.timeline(record.id), record.id, query.period, now_ms())
        # A page of "the current period" is kept under the period it showed, so no reset serves it stale.
        cache_key: tuple[object, ...] = query if lasting else (query, key)
        page = state.page(cache_key)
        if page is None:
            page = render(
                _ranking(
                    state,
                    record.id,
                    key,
                    query.offset,
                    query.limit,
                    query.user_id,
                    query.above,
                    query.below,
                    query.include_hidden,
                )
            )
            state.keep_page(cache_key, page)
        return page


def cached_page(
    live: LiveState, *, partner_id: int, versions: tuple[int, int], query: PageQuery
) -> bytes | None:
    """The page `ranking` would answer, when it is already rendered for a state at least as fresh as `versions`;
    never waits and never reads the database (None otherwise), so it may run on the event loop."""
    return live.cached_page(partner_id, versions, query)


def _ranking(
    state: PartnerState,
    object_id: str,
    key: str,
    offset: int,
    limit: int,
    user_id: str | None,
    above: int,
    below: int,
    include_hidden: bool,
) -> dict[str, Any]:
    board = state.boards.get(key) or Board()
    if include_hidden:
        return _page_with_hidden(object_id, board, offset, limit, user_id, above, below)
    if user_id is not None:
        entries = board.index.around(user_id, above, below)
    else:
        entries = board.index.page(offset, limit)
    return {"totalCount": len(board.index), "objects": [_ranked(object_id, entry) for entry in entries]}


def rule_progress(
    conn: Connection,
    *,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str,
    period: periods.Period = None,
) -> dict[str, Any]:
    """A user's progress on each rule of the game object: all-time, or in a period of a recurring leaderboard."""
    index = periods.index_of(conn, record, period)
    if index is not None:
        objects = period_progress.rule_progress_in_period(
            conn, partner_id=partner_id, record=record, user_id=user_id, index=index
        )
        return {"gameObjectId": record.id, "userId": user_id, "totalCount": len(objects), "objects": objects}
    ledger = score_repository.rule_scores_of_user(conn, partner_id, record.id, user_id)
    buckets = bucket_repository.buckets_of_user(conn, partner_id, user_id)
    objects = []
    for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id):
        own = [bucket for (rule_id, _), bucket in buckets.items() if rule_id == rule.id]
        objects.append(
            {
                "ruleId": rule.id,
                "name": rule.name,
                "progress": number(
                    progress_as_shown(sum(bucket.progress for bucket in own), rule.data.get("reportFormat"))
                ),
                "goal": rule.data.get("goal"),
                "score": number(ledger.get(rule.id, 0.0)),
                "maxPoints": rule.data.get("maxPoints", "unlimited"),
                "completed": any(bucket.completed_at is not None for bucket in own),
            }
        )
    return {"gameObjectId": record.id, "userId": user_id, "totalCount": len(objects), "objects": objects}


def clear(conn: Connection, *, partner_id: int, record: GameObjectRecord) -> dict[str, Any]:
    """Remove every score, bucket and progress of a game object."""
    rule_ids = [
        rule.id for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    ]
    bucket_repository.delete_buckets_of_rules(conn, partner_id, rule_ids)
    score_repository.delete_scores_of_object(conn, partner_id, record.id)
    achievement_repository.delete_achievements_of(conn, partner_id, record.id)
    event_log.record(conn, partner_id, log_entries.SCORES_CLEARED, {"gameObjectId": record.id}, state=True)
    return {"gameObjectId": record.id, "cleared": True}


def set_score(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str,
    score: float,
) -> dict[str, Any]:
    """Set a user's score by hand (API v3 ``update``): the difference goes to the ledger under the rule id
    ``manual``, so the total stays the sum of the user's rule scores."""
    now = time.time()
    changes = Changes()
    with live.reading(conn, partner_id) as state:
        standing = _board(state, record.id).standing(user_id)
        if standing is not None:
            current, hidden = standing.score, standing.hidden
            if score == current:  # nothing moves: the user keeps their place among those tied with them
                now = standing.reached_at
        else:  # a user new to the object takes part as the object's policy decides for their profile
            current, hidden = 0.0, _hidden_by_policy(conn, partner_id, record, user_id)
        score_changes(state, {(record.id, user_id): UserStanding(score, now, hidden)}, changes)
        rows = [UserScoreRow(record.id, user_id, score, now, hidden)]
        # A recurring leaderboard's current period moves by as much (the periods still add up to the total).
        moved = state.period_standing_after(record.id, user_id, score - current, now, hidden)
        if moved is not None:
            rows.append(UserScoreRow(moved[0], user_id, moved[1].score, now, moved[1].hidden))
    score_repository.add_rule_scores(
        conn, partner_id, {(record.id, MANUAL_RULE_ID, user_id): score - current}, now
    )
    score_repository.save_user_scores(conn, partner_id, rows)
    details = {"gameObjectId": record.id, "userId": user_id, "score": score, "at": now, "hidden": hidden}
    event_log.record(conn, partner_id, log_entries.SCORE_SET, details, state=True, changes=changes.encoded())
    return _entry(record.id, user_id, score, None)


def _hidden_by_policy(conn: Connection, partner_id: int, record: GameObjectRecord, user_id: str) -> bool:
    """Whether the object's policy hides the user (ValidationFailed when it collects no data of them at all)."""
    profile = profile_repository.get_profiles(conn, partner_id=partner_id, user_ids=[user_id]).get(user_id)
    facts = None if profile is None else facts_of(profile)
    participation = policy_of(record).decide(facts)
    if participation is Participation.DO_NOT_SAVE:
        raise ValidationFailed(
            "userId", "the game object's participation policy collects no data of this user"
        )
    return participation is Participation.DO_NOT_DISPLAY


def delete_score(
    conn: Connection, *, partner_id: int, record: GameObjectRecord, user_id: str
) -> dict[str, Any]:
    """Remove a user from a game object (API v3 ``delete``): score, ledger and progress on its rules."""
    if not score_repository.delete_user_scores(conn, partner_id, record.id, user_id):
        raise NotFound(f"User [{user_id}] has no score", code="USER_ID_NOT_FOUND", args={"USER_ID": user_id})
    rule_ids = [
        rule.id for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    ]
    bucket_repository.delete_user_buckets(conn, partner_id, rule_ids, user_id)
    details = {"gameObjectId": record.id, "userId": user_id}
    event_log.record(conn, partner_id, log_entries.SCORE_DELETED, details, state=True)
    return {"gameObjectId": record.id, "userId": user_id, "deleted": True}


def sub_game_options(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    sub_game_id: str,
    period: periods.Period = None,
) -> dict[str, Any]:
    """The segments of a sub-leaderboard with how many scored users each has (in a period)."""
    teams = _teams(conn, live, partner_id, record, sub_game_id, period)
    objects = [{"option": option, "userCount": count} for option, (_, count) in sorted(teams.items())]
    return {"totalCount": len(objects), "objects": objects}


def team_standings(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    sub_game_id: str,
    offset: int,
    limit: int,
    period: periods.Period = None,
    field: str = "subGameId",
) -> dict[str, Any]:
    """Segments ranked by the sum of their members' scores (hidden members count); ``field`` names the
    sub-leaderboard id in the request, for the error an unknown one gives."""
    teams = _teams(conn, live, partner_id, record, sub_game_id, period, field)
    ordered = sorted(teams.items(), key=lambda item: (-item[1][0], item[0]))
    objects = [
        {"rank": rank, "option": option, "score": number(score), "userCount": count}
        for rank, (option, (score, count)) in enumerate(ordered, start=1)
    ]
    return {"totalCount": len(objects), "objects": objects[offset : offset + limit]}


def segment_ranking(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    sub_game_id: str,
    option: str,
    offset: int,
    limit: int,
    period: periods.Period = None,
    field: str = "subGameId",
) -> dict[str, Any]:
    """The displayed users of one segment, ranked within it (``field`` as for `team_standings`)."""
    paths = _filter_paths(record, sub_game_id, field)
    with live.reading(conn, partner_id) as state:
        board = state.boards.get(_board_key(state, record.id, period)) or Board()
        ranked = board.index.page(0, len(board.index))
    segments = _segments(conn, partner_id, [entry.user_id for entry in ranked], paths)
    members = [entry for entry in ranked if segments[entry.user_id] == option]
    objects = [
        _entry(record.id, entry.user_id, entry.score, rank) for rank, entry in enumerate(members, start=1)
    ]
    return {"totalCount": len(objects), "objects": objects[offset : offset + limit]}


def _teams(
    conn: Connection,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    sub_game_id: str,
    period: periods.Period = None,
    field: str = "subGameId",
) -> dict[str, tuple[float, int]]:
    paths = _filter_paths(record, sub_game_id, field)
    with live.reading(conn, partner_id) as state:
        users = dict(_board(state, _board_key(state, record.id, period)).standings())
    segments = _segments(conn, partner_id, list(users), paths)
    teams: dict[str, tuple[float, int]] = {}
    for user_id, standing in users.items():
        score, count = teams.get(segments[user_id], (0.0, 0))
        teams[segments[user_id]] = (score + standing.score, count + 1)
    return teams


def _board_key(state: PartnerState, object_id: str, period: periods.Period) -> str:
    return periods.board_of(state.timeline(object_id), object_id, period, now_ms())[0]


def _board(state: PartnerState, object_id: str) -> Board:
    return state.boards.get(object_id) or Board()


def _filter_paths(record: GameObjectRecord, sub_game_id: str, field: str = "subGameId") -> list[str]:
    for sub in record.data.get("subLeaderboards") or ():
        if str(sub.get("id")) == str(sub_game_id):
            return list(sub.get("filterPaths") or ())
    raise ValidationFailed(field, f"the game object has no sub-leaderboard {sub_game_id}")


def _segments(conn: Connection, partner_id: int, user_ids: list[str], paths: list[str]) -> dict[str, str]:
    profiles = profile_repository.get_profiles(conn, partner_id=partner_id, user_ids=user_ids)
    return {
        user_id: segment_of(profile_service.view(profiles[user_id]) if user_id in profiles else None, paths)
        for user_id in user_ids
    }


def _page_with_hidden(
    object_id: str, board: Board, offset: int, limit: int, user_id: str | None, above: int, below: int
) -> dict[str, Any]:
    ordered = sorted(board.standings(), key=lambda item: (-item[1].score, item[1].reached_at, item[0]))
    if user_id is not None:
        # The user's neighbourhood among displayed and hidden users alike.
        position = next((index for index, (user, _) in enumerate(ordered) if user == user_id), None)
        if position is None:
            return {"totalCount": len(ordered), "objects": []}
        offset = max(0, position - above)
        limit = position + below + 1 - offset
    objects = []
    for user_id, standing in ordered[offset : offset + limit]:
        # A displayed user's rank among the displayed (hidden users are in no one's rank); a hidden one has none.
        rank = None if standing.hidden else board.index.rank(user_id)
        entry = _entry(object_id, user_id, standing.score, rank)
        entry["hidden"] = standing.hidden
        objects.append(entry)
    return {"totalCount": len(ordered), "objects": objects}


def _ranked(object_id: str, entry: RankedEntry) -> dict[str, Any]:
    return _entry(object_id, entry.user_id, entry.score, entry.rank)


def _entry(object_id: str, user_id: str, score: float, rank: int | None) -> dict[str, Any]:
    return {
        "objectType": "UserScore",
        "gameObjectId": object_id,
        "userId": user_id,
        "score": number(score),
        "rank": rank,
    }
