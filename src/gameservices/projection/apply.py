"""What each kind of log entry does to a partner's in-memory state: the one place both a live state catching up
and a private replay apply entries through, so that every process and every replay computes the same thing.

Entries carry what the projection needs: `events` the normalized events (run through the rules engine),
rule and game object changes the records as stored, profile changes the profile as stored, manual score
changes their values. The rule set is compiled lazily, before the next events need it.
"""

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from gameservices.domain.awards import Award, Evaluation
from gameservices.domain.batch import ProfileLookup
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.engine import evaluate
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.periods import ClosedPeriod, board_key
from gameservices.domain.rules import sub_rule_ids
from gameservices.projection import entries
from gameservices.projection.board import UserStanding
from gameservices.projection.pending import RuleScoreKey, ledger_of
from gameservices.storage import event_log
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord
from gameservices.storage.user_profiles import ProfileRecord

if TYPE_CHECKING:
    from gameservices.projection.state import PartnerState


class ProfileSource(Protocol):
    """Where the engine reads profiles while entries are applied, and where profile changes go."""

    def lookup(self, events: Sequence[NormalizedEvent]) -> ProfileLookup:
        """The profiles of these events' users (and any other user the engine asks for)."""
        ...

    def changed(self, user_id: str, record: ProfileRecord | None) -> None:
        """A profile entry: the user's profile is now `record` (None: deleted)."""
        ...


class Applier:
    """Applies entries, in order, to one partner state."""

    def __init__(self, state: "PartnerState", profiles: ProfileSource) -> None:
        self._state = state
        self._profiles = profiles
        self._rules_changed = False
        # Called with each events entry's events and their evaluation, once applied (simulations read awards).
        self.observe: Callable[[list[NormalizedEvent], Evaluation], None] | None = None
        # Whether rule changes written when sub-rules' buckets were keyed by position move them as they then
        # stayed (off for a replay under rules of its own, which the log's rule changes do not reach).
        self.positional_sub_rules = True

    def apply(self, kind: str, body: bytes) -> None:
        """Apply one entry; ValueError for a kind this code does not know."""
        if kind == entries.EVENTS:
            self.apply_events(entries.decode_events(body))
            return
        self.apply_details(kind, event_log.decode_body(body))

    def apply_details(self, kind: str, details: dict[str, Any]) -> None:
        """Apply one entry other than `events`, its body already decoded; ValueError for an unknown kind."""
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise ValueError(f"unknown log entry kind {kind!r}")
        handler(self, details)

    def apply_events(
        self,
        events: list[NormalizedEvent],
        *,
        entries: Sequence[tuple[int, int]] = (),
        together: bool = False,
    ) -> None:
        """Run events through the rules engine and take in what changed. `entries`: the `events` entries they
        come from, as (seq, index of the entry's first event) in order, when what they change is kept for the
        derived tables' checkpoint; several entries' events are evaluated together exactly as one after another
        (as the writer's group commit does). `together`: their ledger deltas are kept as one (a load's), else
        entry by entry."""
        self.finish()
        state = self._state
        assert state.rule_set is not None
        evaluation = evaluate(
            events,
            rule_set=state.rule_set,
            buckets=state,
            profiles=self._profiles.lookup(events),
            entry_durations=state.kept_durations(events),
        )
        standings = state.standings_after(evaluation.awards)
        if not entries:
            state.apply_scored(evaluation.changed, standings)
        else:
            at = max((event.event_time for event in events), default=0.0)
            if together:
                ledgers = [((entries[0][0], entries[-1][0]), ledger_of(evaluation.awards))]
            else:
                ledgers = _ledgers_by_entry(evaluation.awards, entries)
            state.apply_scored(evaluation.changed, standings, entry=entries[-1][0], ledgers=ledgers, at=at)
        state.note_durations(events)
        if self.observe is not None:
            self.observe(events, evaluation)

    def finish(self) -> None:
        """Compile the rule set if rules or game objects changed since it was compiled."""
        if self._rules_changed or self._state.rule_set is None:
            self._state.recompile()
            self._rules_changed = False

    def _rule(self, details: dict[str, Any]) -> None:
        rule = details["rule"]
        if rule is None:
            self._state.drop_rule(details["ruleId"])
        else:
            record = RuleRecord(**rule)
            before = self._state.rules.get(record.id)
            if before is not None and self.positional_sub_rules and details.get(SUB_RULE_BUCKETS) != BY_ID:
                self._state.rename_buckets(positional_moves(before, record))
            self._state.put_rule(record)
        self._rules_changed = True

    def _game_object(self, details: dict[str, Any]) -> None:
        # Its recurrence may have changed: timelines, read by entries before the recompile, are built again.
        self._state.put_object(GameObjectRecord(**details["object"]))
        for rule in details.get("rules") or ():
            self._state.put_rule(RuleRecord(**rule))
        self._rules_changed = True

    def _delete_game_object(self, details: dict[str, Any]) -> None:
        object_id = details["gameObjectId"]
        self._clear(details)
        self._state.drop_object(object_id)
        self._reset_periods(details)
        self._rules_changed = True

    def _clear(self, details: dict[str, Any]) -> None:
        object_id = details["gameObjectId"]
        self._state.forget_buckets(self._state.rule_ids_of(object_id))
        self._state.drop_board(object_id)
        self._state.forget_period_boards(object_id)

    def _set_score(self, details: dict[str, Any]) -> None:
        object_id, user_id = details["gameObjectId"], details["userId"]
        board = self._state.board(object_id)
        known = board.standing(user_id)
        # (A user new to the object: as its policy decided then; entries written before that was logged: shown.)
        hidden = known.hidden if known is not None else bool(details.get("hidden", False))
        delta = details["score"] - (known.score if known is not None else 0.0)
        moved = self._state.period_standing_after(object_id, user_id, delta, details["at"], hidden)
        board.put(user_id, UserStanding(details["score"], details["at"], hidden))
        if moved is not None:
            self._state.board(moved[0]).put(user_id, moved[1])

    def _delete_score(self, details: dict[str, Any]) -> None:
        object_id, user_id = details["gameObjectId"], details["userId"]
        self._state.board(object_id).remove(user_id)
        self._state.forget_period_boards(object_id, user_id)
        self._state.forget_buckets(self._state.rule_ids_of(object_id), user_id)

    def _profile(self, details: dict[str, Any]) -> None:
        for user_id, profile in details["profiles"]:
            self._profiles.changed(user_id, None if profile is None else ProfileRecord(**profile))

    def _visibility(self, details: dict[str, Any]) -> None:
        # As the writer applied it: the user's standing stays, only whether it is displayed changes. A user with no
        # standing here has none to show or hide (a replay of one object's rules or of a time window, whose
        # scores differ from the writer's: the row's score is not this replay's).
        for object_id, user_id, _score, _reached_at, hidden in details["rows"]:
            board = self._state.board(object_id)
            known = board.standing(user_id)
            if known is None:
                continue
            board.put(user_id, UserStanding(known.score, known.reached_at, hidden))

    def _entry(self, details: dict[str, Any]) -> None:
        self._state.set_entry_duration(details["entryId"], details["duration"])

    def _rebuild(self, details: dict[str, Any]) -> None:
        # The object's buckets and standings as the writer recomputed them (`projection.rebuild`).
        self._clear(details)
        self._state.store_buckets(rebuilt_buckets(details["buckets"], self._state.rules))
        object_id = details["gameObjectId"]
        board = self._state.board(object_id)
        for user_id, score, reached_at, hidden in details["standings"]:
            board.put(user_id, UserStanding(score, reached_at, hidden))
        # A recurring leaderboard's periods (entries written before they were carried dropped them).
        for index, user_id, score, reached_at, hidden in details.get("periods") or ():
            self._state.board(board_key(object_id, index)).put(
                user_id, UserStanding(score, reached_at, hidden)
            )

    def _close_period(self, details: dict[str, Any]) -> None:
        # The periods are closed first: the leaderboardPeriodEnd events then count as any later event does.
        state = self._state
        for item in details["periods"]:
            object_id = item["gameObjectId"]
            period = ClosedPeriod(item["periodIndex"], item["startsAt"], item["endsAt"], item["closedAt"])
            state.add_closed_period(object_id, period)
        events = entries.events_of(details["events"])
        if events:
            self.apply_events(events)

    def _reset_periods(self, details: dict[str, Any]) -> None:
        object_id = details["gameObjectId"]
        self._state.forget_period_boards(object_id)
        self._state.drop_closed_periods(object_id)


_HANDLERS = {
    entries.RULE_CHANGE: Applier._rule,
    entries.GAME_OBJECT_CHANGE: Applier._game_object,
    entries.GAME_OBJECT_DELETE: Applier._delete_game_object,
    entries.SCORES_CLEARED: Applier._clear,
    entries.SCORE_SET: Applier._set_score,
    entries.SCORE_DELETED: Applier._delete_score,
    entries.PROFILE_CHANGE: Applier._profile,
    entries.VISIBILITY_CHANGE: Applier._visibility,
    entries.ENTRY_CHANGE: Applier._entry,
    entries.GAME_OBJECT_REBUILD: Applier._rebuild,
    entries.PERIOD_CLOSE: Applier._close_period,
    entries.PERIODS_RESET: Applier._reset_periods,
}


def _ledgers_by_entry(
    awards: Sequence[Award], entries: Sequence[tuple[int, int]]
) -> list[tuple[tuple[int, int], dict[RuleScoreKey, float]]]:
    """Each entry's ledger deltas (the awards of its events: they are added to the ledger exactly once each)."""
    firsts = [first for _, first in entries]
    grouped: list[list[Award]] = [[] for _ in entries]
    for award in awards:
        grouped[bisect_right(firsts, award.event_index) - 1].append(award)
    return [((seq, seq), ledger_of(own)) for (seq, _), own in zip(entries, grouped, strict=True)]


def rebuilt_buckets(rows: list[list[Any]], rules: Mapping[str, RuleRecord]) -> dict[BucketKey, Bucket]:
    """The buckets of a `gameObject.rebuild` entry: [ruleId, key values, userId, progress, awarded, seen,
    completedAt, updatedAt] rows; `rules`: the rules as they were when it was written (the state's)."""
    found: dict[BucketKey, Bucket] = {}
    for rule_id, values, user_id, progress, awarded, seen, completed_at, updated_at in rows:
        found[(_sub_rule_by_id(rule_id, rules), tuple(values))] = Bucket(
            user_id,
            progress=progress,
            awarded=awarded,
            seen=None if seen is None else set(seen),
            completed_at=completed_at,
            updated_at=updated_at,
        )
    return found


def _sub_rule_by_id(rule_id: str, rules: Mapping[str, RuleRecord]) -> str:
    """A bucket's rule id as the engine names it now. Entries written before sub-rules were keyed by their stored
    id (revision 0020) name them `<root id>/<position>`: the sub-rule at that position then, which the rules
    applied up to the entry hold. Ids are 24 hex digits, never a position's one or two digits."""
    root_id, sep, position = rule_id.partition("/")
    if not sep or not position.isdigit() or len(position) > 2:
        return rule_id
    record = rules.get(root_id)
    sub_rules = None if record is None else record.data.get("subRules")
    if not isinstance(sub_rules, list) or int(position) >= len(sub_rules):
        return rule_id
    return sub_rule_ids(root_id, sub_rules)[int(position)]


# A rule change entry's mark that its writer keyed sub-rules' buckets by the sub-rule's id (revision 0020).
SUB_RULE_BUCKETS = "subRuleBuckets"
BY_ID = "byId"


def positional_moves(before: RuleRecord, after: RuleRecord) -> dict[str, str]:
    """Where a rule change written without the `SUB_RULE_BUCKETS` mark moves its sub-rules' buckets, under the
    names the engine gives them now: such a change left each position's buckets in place, to the sub-rule that
    took the position (none: kept under `<root id>/<position>`), which is what revision 0020 found and renamed."""
    old_ids = _sub_rule_ids_of(before)
    new_ids = _sub_rule_ids_of(after)
    moves: dict[str, str] = {}
    for index in range(max(len(old_ids), len(new_ids))):
        source = old_ids[index] if index < len(old_ids) else f"{before.id}/{index}"
        target = new_ids[index] if index < len(new_ids) else f"{after.id}/{index}"
        if source != target:
            moves[source] = target
    return moves


def _sub_rule_ids_of(record: RuleRecord) -> tuple[str, ...]:
    sub_rules = record.data.get("subRules")
    return sub_rule_ids(record.id, sub_rules) if isinstance(sub_rules, list) else ()
