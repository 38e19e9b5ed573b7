"""Badges achieved, decided from a projection as its log is replayed: the decisions the writer records in
`user_badges` (`services.achievements`), taken at the same points of the log, so that a replay (`db replay
--verify`) recomputes and compares them too.

A user achieves a badge when a bucket of each of its enabled rules has reached its goal, at the latest of those
completion times; an achievement is kept whatever happens to the rules later. The writer decides for the users an
`events` entry's awards or completions touch on the badge, and for every user after a change of one of the badge's
rules (the last of a badge's rules written together: the others' entries say `"decide": false`) or a rebuild of the
badge; clearing the badge's scores or deleting it drops its achievements (a rebuild
asked to revoke unearned ones too)."""

from collections.abc import Iterable, Mapping
from typing import Any

from gameservices.domain.awards import Evaluation
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.events import NormalizedEvent
from gameservices.projection import entries
from gameservices.projection.state import PartnerState
from gameservices.services.scoring.achievements import completion_times

# (badge id, user id) -> when the user achieved it (epoch seconds)
Achieved = dict[tuple[str, str], float]


class ReplayedBadges:
    """Follows one replayed state: call `before` and `after` around every non-`events` entry, and `observe` with
    every `events` entry's evaluation once applied (`Applier.observe`)."""

    def __init__(self, state: PartnerState) -> None:
        self._state = state
        self.achieved: Achieved = {}

    def observe(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        """An `events` entry applied: decide for the users it touched on each badge."""
        touched: dict[str, set[str]] = {}
        for award in evaluation.awards:
            touched.setdefault(award.game_object_id, set()).add(award.user_id)
        for completion in evaluation.completions:
            touched.setdefault(completion.game_object_id, set()).add(completion.user_id)
        for object_id, users in touched.items():
            if self._is_badge(object_id):
                self._decide(object_id, users)

    def before(self, kind: str, details: Mapping[str, Any]) -> str | None:
        """The badge an entry about to be applied concerns (a deleted rule's badge is known only before)."""
        if kind == entries.RULE_CHANGE:
            rule = details.get("rule")
            if rule is not None:
                object_id = str(rule["game_object_id"])
            else:
                found = self._state.rules.get(details["ruleId"])
                object_id = found.game_object_id if found is not None else ""
        elif kind in (entries.SCORES_CLEARED, entries.GAME_OBJECT_DELETE, entries.GAME_OBJECT_REBUILD):
            object_id = str(details["gameObjectId"])
        else:
            return None
        return object_id if self._is_badge(object_id) else None

    def after(self, kind: str, details: Mapping[str, Any], badge_id: str | None) -> None:
        """The entry `before` was asked about is applied."""
        if badge_id is None:
            return
        if kind in (entries.SCORES_CLEARED, entries.GAME_OBJECT_DELETE) or (
            kind == entries.GAME_OBJECT_REBUILD and details.get("revokeUnearned")
        ):
            self.achieved = {key: at for key, at in self.achieved.items() if key[0] != badge_id}
        if kind == entries.GAME_OBJECT_REBUILD or (
            kind == entries.RULE_CHANGE and details.get("decide", True)
        ):
            self._decide(badge_id, self._users_with_buckets(badge_id))

    def _is_badge(self, object_id: str) -> bool:
        found = self._state.objects.get(object_id)
        return found is not None and found.object_type == "badge"

    def _rule_ids(self, badge_id: str) -> list[str]:
        return [
            rule.id
            for rule in self._state.rules.values()
            if rule.game_object_id == badge_id and rule.status == "enabled"
        ]

    def _users_with_buckets(self, badge_id: str) -> set[str]:
        rule_ids = set(self._rule_ids(badge_id))
        return {
            bucket.user_id
            for (rule_id, _), bucket in self._state.buckets.items()
            if rule_id in rule_ids and bucket.user_id is not None
        }

    def _decide(self, badge_id: str, users: Iterable[str]) -> None:
        rule_ids = self._rule_ids(badge_id)
        if not rule_ids:
            return
        wanted = set(rule_ids)
        buckets, by_user = self._state.buckets, self._state.user_buckets
        for user_id in users:
            if (badge_id, user_id) in self.achieved:
                continue
            own: dict[BucketKey, Bucket] = {
                key: buckets[key] for key in by_user.get(user_id, ()) if key[0] in wanted and key in buckets
            }
            times = completion_times(own, wanted)
            if len(times) == len(wanted):
                self.achieved[(badge_id, user_id)] = max(times.values())
