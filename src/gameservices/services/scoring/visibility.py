"""Keeping who is hidden right: a user's participation on a game object follows its policy and their profile,
both of which can change after the user scored."""

from collections.abc import Collection, Mapping
from dataclasses import replace

from gameservices.domain.periods import split_board_key
from gameservices.domain.policies import Participation
from gameservices.projection import checkpoint
from gameservices.projection.board import UserStanding
from gameservices.projection.entries import VISIBILITY_CHANGE
from gameservices.projection.state import PartnerState
from gameservices.services.catalog.rule_set import policy_of
from gameservices.services.profiles.profiles_lookup import facts_of
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection, after_commit
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.scores import UserScoreRow
from gameservices.storage.user_profiles import ProfileRecord


def refresh_user(conn: Connection, *, state: PartnerState, partner_id: int, user_id: str) -> None:
    """After a profile change: recompute whether the user is hidden on every game object they scored on.

    The caller holds the partner's writer turn."""
    refresh_users(conn, state=state, partner_id=partner_id, user_ids=[user_id])


def refresh_users(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    user_ids: Collection[str],
    profiles: Mapping[str, ProfileRecord] | None = None,
) -> None:
    """`refresh_user` for many users at once (a profile import): each game object and policy is read once.
    ``profiles``: the users' current profiles when the caller has them (else they are read).

    The caller holds the partner's writer turn."""
    checkpoint.prepare_write(conn, state, partner_id)
    wanted = sorted(set(user_ids))
    if profiles is None:
        profiles = profile_repository.get_profiles(conn, partner_id=partner_id, user_ids=wanted)
    facts = {user_id: facts_of(record) for user_id, record in profiles.items()}
    changed: list[UserScoreRow] = []
    for object_id, board in state.boards.items():
        # A period's board ("<id>#<index>") follows its leaderboard's policy.
        game_object = object_repository.get_game_object(
            conn, partner_id=partner_id, object_id=split_board_key(object_id)[0]
        )
        if game_object is None:
            continue
        policy = policy_of(game_object)
        for user_id in wanted:
            standing = board.standing(user_id)
            if standing is None:
                continue
            hidden = policy.decide(facts.get(user_id)) is Participation.DO_NOT_DISPLAY
            if hidden != standing.hidden:
                changed.append(UserScoreRow(object_id, user_id, standing.score, standing.reached_at, hidden))
    _save(conn, state, partner_id, changed)


def refresh_object(conn: Connection, *, partner_id: int, record: GameObjectRecord) -> None:
    """After a policy change: recompute who is hidden among the game object's scored users (processes reload
    their state from the database afterwards)."""
    rows = score_repository.scores_of_object(conn, partner_id, record.id)
    if not rows:
        return
    policy = policy_of(record)
    profiles = profile_repository.get_profiles(
        conn, partner_id=partner_id, user_ids=[row.user_id for row in rows]
    )
    changed = []
    for row in rows:
        profile = profiles.get(row.user_id)
        hidden = policy.decide(None if profile is None else facts_of(profile)) is Participation.DO_NOT_DISPLAY
        if hidden != row.hidden:
            changed.append(replace(row, hidden=hidden))
    if changed:
        score_repository.save_user_scores(conn, partner_id, changed)
        _log(conn, partner_id, changed)


def _save(conn: Connection, state: PartnerState, partner_id: int, changed: list[UserScoreRow]) -> None:
    if not changed:
        return
    score_repository.save_user_scores(conn, partner_id, changed)
    appended = _log(conn, partner_id, changed)

    def apply() -> None:
        with state.lock.exclusive():
            if state.log_seq != appended.seq - 1:
                # A catch-up woken by the commit applied this entry first (and maybe later ones that these flags
                # would set back), or the state was dropped meanwhile: see services/scoring/event.py.
                return
            state.set_hidden(
                (row.game_object_id, row.user_id, UserStanding(row.score, row.reached_at, row.hidden))
                for row in changed
            )
            # In the same hold of the lock: see services/scoring/event.py.
            state.advance(appended.seq, appended.state_version)

    after_commit(conn, apply)


def _log(conn: Connection, partner_id: int, changed: list[UserScoreRow]) -> event_log.Appended:
    # Other processes apply the same change to their boards (projection.catch_up).
    rows = [[r.game_object_id, r.user_id, r.score, r.reached_at, r.hidden] for r in changed]
    return event_log.record(conn, partner_id, VISIBILITY_CHANGE, {"rows": rows}, state=True)
