"""``leaderboard|badge|certificate|leadScoring/rebuild``: recompute a game object from the retained log under its
current rules (`projection.rebuild`), write its derived tables and append one `gameObject.rebuild` entry, in the
caller's write transaction and writer turn. Other processes and `db replay` apply the entry, so they agree."""

from typing import Any

from gameservices.domain.periods import board_key
from gameservices.errors import InvalidInput
from gameservices.projection import certificates
from gameservices.projection import entries as log_entries
from gameservices.projection.board import Board
from gameservices.projection.live import LiveState
from gameservices.projection.rebuild import Recomputation, entry_details, period_standings
from gameservices.projection.simulate import TooLarge
from gameservices.services.replay.simulation import summary
from gameservices.services.scoring import achievements
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import event_log
from gameservices.storage import partners as partner_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.scores import UserScoreRow


def rebuild(
    conn: Connection,
    *,
    live: LiveState,
    partner_id: int,
    record: GameObjectRecord,
    revoke_unearned: bool = False,
) -> dict[str, Any]:
    """Recompute the object and store the result as one logged change; the same summary as `rule/simulate`.

    The caller holds the partner's writer turn and write transaction; the partner row is locked first, so no
    other process appends while the log is read.
    """
    partner_repository.lock_versions(conn, partner_id)
    with live.reading(conn, partner_id) as state:
        rules = {rule.id: rule for rule in state.rules.values() if rule.game_object_id == record.id}
        before = Board()
        for user_id, standing in state.board(record.id).standings():
            before.put(user_id, standing)
    recomputed = Recomputation(record.id, rules=rules)
    try:
        replayed = recomputed.run(conn, partner_id)
    except TooLarge as error:
        raise InvalidInput(f"The rebuild is too large: {error}", code="REBUILD_TOO_LARGE") from error
    if not recomputed.complete:
        raise InvalidInput(
            "The event log of this partner no longer starts at its first entry: a rebuild would lose the "
            "older history",
            code="LOG_NOT_COMPLETE",
        )
    after = replayed.boards.get(record.id) or Board()
    _write(conn, partner_id, record, recomputed, after, revoke_unearned)
    details = entry_details(replayed, record.id)
    # The ledger it wrote (`projection.ledger`: a replay cannot recompute it from the entry alone).
    details["ledger"] = [
        [rule_id, user_id, points] for (_, rule_id, user_id), points in sorted(recomputed.ledger.items())
    ]
    if record.object_type == "certificate":
        # What a replay cannot recompute from the entry alone (`projection.certificates`).
        written = achievement_repository.certificates_of(conn, partner_id, record.id)
        details.update(certificates.rebuild_details(recomputed.ledger, written))
    if revoke_unearned:
        # A replay then drops the object's achievements before deciding them again, as `_write` did.
        details["revokeUnearned"] = True
    event_log.record(conn, partner_id, log_entries.GAME_OBJECT_REBUILD, details, state=True)
    return summary(recomputed.events, before, after, 25)


def _write(
    conn: Connection,
    partner_id: int,
    record: GameObjectRecord,
    recomputed: Recomputation,
    after: Board,
    revoke_unearned: bool,
) -> None:
    state = recomputed.state
    bucket_repository.delete_buckets_of_rules(conn, partner_id, list(state.rules))
    score_repository.delete_scores_of_object(conn, partner_id, record.id)
    bucket_repository.save_buckets(conn, partner_id, state.buckets, {})
    times = [standing.reached_at for _, standing in after.standings()]
    score_repository.add_rule_scores(conn, partner_id, recomputed.ledger, max(times, default=0.0))
    score_repository.save_user_scores(
        conn,
        partner_id,
        [
            UserScoreRow(record.id, user_id, s.score, s.reached_at, s.hidden)
            for user_id, s in after.standings()
        ]
        + [
            UserScoreRow(board_key(record.id, index), user_id, score, reached_at, hidden)
            for index, user_id, score, reached_at, hidden in period_standings(state, record.id)
        ],
    )
    if record.object_type not in ("badge", "certificate"):
        return
    dropped: dict[tuple[str, str], str] = {}
    if revoke_unearned:
        dropped = {
            (row.user_id, row.entry_id): row.id
            for row in achievement_repository.certificates_of(conn, partner_id, record.id)
        }
        achievement_repository.delete_achievements_of(conn, partner_id, record.id)
    if record.object_type == "badge":
        achievements.reevaluate_badge(conn, partner_id=partner_id, badge_id=record.id)
    else:
        achievements.record_recomputed_certificates(
            conn,
            state=state,
            partner_id=partner_id,
            certificate=record,
            awards=recomputed.awards_by_user,
            ids=dropped,
        )
