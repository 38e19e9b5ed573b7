"""The ``userBadge`` controller: each user's progress on a badge's rules, and whether they achieved it."""

from typing import Any

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.rules import progress_as_shown
from gameservices.domain.timefmt import format_ms
from gameservices.services.scoring.achievements import completion_times
from gameservices.services.standings.user_score import number
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

ACHIEVED = "ACHIEVED"
IN_PROGRESS = "IN_PROGRESS"


def list_page(
    conn: Connection,
    *,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str | None,
    status: str | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """The users with progress on the badge (or who achieved it), by user id. Only the page's users' buckets are
    read: the ids alone decide the page and the count."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    rule_ids = [rule.id for rule in rules]
    achieved = achievement_repository.achieved_badges(conn, partner_id, record.id)
    if user_id is not None:
        achieved = {user: at for user, at in achieved.items() if user == user_id}
    with_progress = (
        set()
        if status == ACHIEVED
        else bucket_repository.users_of_rules(conn, partner_id, rule_ids, user_id=user_id)
    )
    if status == ACHIEVED:
        users = sorted(achieved)
    elif status == IN_PROGRESS:
        users = sorted(with_progress - set(achieved))
    else:
        users = sorted(with_progress | set(achieved))
    page = users[offset : offset + limit]
    by_user: dict[str, dict[BucketKey, Bucket]] = {user: {} for user in page}
    for key, bucket in bucket_repository.buckets_of_rules_and_users(conn, partner_id, rule_ids, page).items():
        if bucket.user_id is not None:
            by_user[bucket.user_id][key] = bucket
    rows = [_row(user, rules, by_user[user], achieved.get(user)) for user in page]
    return {"totalCount": len(users), "objects": rows}


def _row(
    user_id: str, rules: list[RuleRecord], buckets: dict[BucketKey, Bucket], achieved_at: float | None
) -> dict[str, Any]:
    completed = completion_times(buckets, [rule.id for rule in rules])
    rules_data = [
        {
            "id": rule.id,
            "progress": number(
                progress_as_shown(
                    sum(bucket.progress for (rule_id, _), bucket in buckets.items() if rule_id == rule.id),
                    rule.data.get("reportFormat"),
                )
            ),
            "completed": rule.id in completed,
        }
        for rule in rules
    ]
    return {
        "objectType": "UserBadge",
        "userId": user_id,
        "rulesData": rules_data,
        "status": ACHIEVED if achieved_at is not None else IN_PROGRESS,
        "achievedTimestamp": None if achieved_at is None else format_ms(round(achieved_at * 1000)),
    }
