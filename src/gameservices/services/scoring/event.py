"""The ``event`` controller: analytics events in, buckets, the score ledger and ranks out, in one transaction."""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gameservices.domain.awards import Evaluation
from gameservices.domain.engine import evaluate
from gameservices.domain.events import NormalizedBatch, NormalizedEvent, normalize_events
from gameservices.domain.periods import Timeline
from gameservices.errors import Unavailable, ValidationFailed
from gameservices.feed.changes import Changes
from gameservices.feed.scoring import score_changes
from gameservices.projection import checkpoint
from gameservices.projection import entries as log_entries
from gameservices.projection.board import UserStanding
from gameservices.projection.loading import refresh
from gameservices.projection.pending import ledger_of
from gameservices.projection.state import PartnerState
from gameservices.services.profiles.profiles_lookup import DatabaseProfiles
from gameservices.services.scoring import achievements
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import checkpoints, event_log
from gameservices.storage import entries as entry_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage import processed_events as processed_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection, after_commit
from gameservices.storage.scores import UserScoreRow

MAX_EVENTS_PER_CALL = 10_000
# Rules' skips listed in a call's answer (the events themselves are accepted).
MAX_REPORTED_SKIPS = 100


@dataclass
class SendResult:
    """What happened to a batch: accepted, ignored as already seen, or refused (with the reason); and the
    first rules that could not use an accepted event (`skipped`: index, ruleId, message).
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The API form."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


@dataclass
class _Outcome:
    """Refusals, duplicates and rules' skips of a merged sequence, by position in it."""

    duplicates: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)


def send(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    raw_events: Sequence[object],
    received_at: float,
) -> SendResult:
    """Apply a batch of events; its effects become visible to every read when the transaction commits.

    The caller holds the partner's writer turn around the transaction.
    """
    return send_calls(conn, state=state, partner_id=partner_id, calls=[(raw_events, received_at)])[0]


def send_calls(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    calls: Sequence[tuple[Sequence[object], float]],
) -> list[SendResult]:
    """Apply several calls' batches (raw events, received at) in one transaction, exactly as if they had been
    sent one after another; return one result per call.

    Lets a server commit concurrent calls together (one durable commit for many calls); the caller holds the
    partner's writer turn around the transaction and answers no call before it commits.
    """
    if not calls:
        return []
    if any(len(raw_events) > MAX_EVENTS_PER_CALL for raw_events, _ in calls):
        raise ValidationFailed("events", f"at most {MAX_EVENTS_PER_CALL} events per call")
    refresh(conn, state, partner_id, partner_repository.lock_versions(conn, partner_id))
    # The calls' events as one sequence; `starts` maps a position in it back to its call.
    starts: list[int] = []
    merged = NormalizedBatch([], [], [])
    offset = 0
    for raw_events, received_at in calls:
        starts.append(offset)
        batch = normalize_events(raw_events, received_at=received_at)
        merged.events.extend(batch.events)
        merged.positions.extend(offset + position for position in batch.positions)
        merged.rejected.extend((offset + position, code, text) for position, code, text in batch.rejected)
        offset += len(raw_events)
    result = _apply(conn, state, partner_id, merged, max(at for _, at in calls))
    return _split(result, starts, [len(raw_events) for raw_events, _ in calls])


def _apply(
    conn: Connection, state: PartnerState, partner_id: int, batch: NormalizedBatch, received_at: float
) -> _Outcome:
    outcome = _Outcome(rejected=[_refusal(*item) for item in batch.rejected])
    events, positions = _without_duplicates(conn, partner_id, batch.events, batch.positions, outcome)
    if not events:
        return outcome
    profiles = DatabaseProfiles(conn, partner_id, sorted({event.user_id for event in events}))
    evaluation, standings = evaluate_whole(conn, state, partner_id, events, profiles)
    outcome.skipped = [(positions[index], rule_id, text) for index, rule_id, text in evaluation.skipped]
    _persist(conn, state, partner_id, events, evaluation, standings, received_at)
    return outcome


# Times a writer scores its events again when its state was forgotten or loaded again while it read it.
SCORE_TRIES = 5


def evaluate_whole(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    events: list[NormalizedEvent],
    profiles: DatabaseProfiles,
    timelines: dict[str, Timeline] | None = None,
) -> tuple[Evaluation, dict[tuple[str, str], UserStanding]]:
    """Evaluate events against the state, and the standings their awards move, read from one whole state.

    The caller holds the partner's writer turn and row lock and brought the state up to the log: it reads the
    state without its lock. Another thread of the process may still forget the state and load it again
    meanwhile (a read that finds it forgotten after a failed catch-up or a rolled-back write): what was read then
    may be half a load, so the state is brought up again and the events scored again. A load under way when the
    writer begins is waited out. `Unavailable` after SCORE_TRIES tries."""
    for _ in range(SCORE_TRIES):
        with state.lock.shared():  # (a load holds the state exclusively until it is whole: waited out)
            generation, rule_set = state.generation, state.rule_set
        if rule_set is not None:
            evaluation = evaluate(
                events,
                rule_set=rule_set,
                buckets=state,
                profiles=profiles,
                entry_durations=state.kept_durations(events),
            )
            standings = state.standings_after(evaluation.awards, timelines)
            if state.generation == generation:
                return evaluation, standings
        refresh(conn, state, partner_id, partner_repository.read_versions(conn, partner_id))
    raise Unavailable("The partner's scores are being loaded; try again in a moment", args={"RETRY_AFTER": 1})


def _split(outcome: _Outcome, starts: list[int], sizes: list[int]) -> list[SendResult]:
    results = [SendResult() for _ in starts]
    for position in outcome.duplicates:
        results[bisect_right(starts, position) - 1].duplicates += 1
    for refusal in outcome.rejected:
        call = bisect_right(starts, int(refusal["index"])) - 1
        results[call].rejected.append({**refusal, "index": int(refusal["index"]) - starts[call]})
    for position, rule_id, message in outcome.skipped:
        call = bisect_right(starts, position) - 1
        if len(results[call].skipped) < MAX_REPORTED_SKIPS:
            results[call].skipped.append(
                {"index": position - starts[call], "ruleId": rule_id, "message": message}
            )
    for result, size in zip(results, sizes, strict=True):
        result.accepted = size - result.duplicates - len(result.rejected)
    return results


def _without_duplicates(
    conn: Connection, partner_id: int, events: list[NormalizedEvent], positions: list[int], outcome: _Outcome
) -> tuple[list[NormalizedEvent], list[int]]:
    ids = [event.event_id for event in events if event.event_id is not None]
    known = processed_repository.known_event_ids(conn, partner_id, ids) if ids else set()
    kept: list[NormalizedEvent] = []
    kept_positions: list[int] = []
    for event, position in zip(events, positions, strict=True):
        if event.event_id is not None:
            if event.event_id in known:
                outcome.duplicates.append(position)
                continue
            known.add(event.event_id)
        kept.append(event)
        kept_positions.append(position)
    return kept, kept_positions


def _persist(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    accepted: list[NormalizedEvent],
    evaluation: Evaluation,
    standings: dict[tuple[str, str], UserStanding],
    now: float,
) -> None:
    changes = Changes()
    # A live state's events leave the buckets, the ledger and the totals to the checkpoint (their log entry makes
    # them durable). Written at once: events within a write that brought the tables up to the log (an import, a
    # period close: its later entries write the tables too), events awarding a certificate (its progress reads the
    # ledger from its table), and events changing an entry's duration that a cap reads (the entries table holds
    # the newest duration; a load applying the log after the checkpoint would give earlier events that one).
    deferred = (
        state.defers_tables
        and checkpoints.tables_at(conn, partner_id) is None
        and not _awards_certificates(state, evaluation)
        and not state.moves_durations(accepted)
    )
    if not deferred:
        checkpoint.flush(conn, state, partner_id)
    write_scored(conn, state, partner_id, accepted, evaluation, standings, now, changes, tables=not deferred)
    appended = event_log.append(
        conn,
        partner_id,
        log_entries.EVENTS,
        log_entries.encode_events(accepted),
        now_ms=int(now * 1000),
        changes=changes.encoded(),
        deferred=deferred,
    )
    ledgers = [((appended.seq, appended.seq), ledger_of(evaluation.awards))] if deferred else []

    def apply() -> None:
        # One hold of the state's lock: a catch-up (a request, or the wake-up listener) sees the state either
        # before this entry or after it, never with its effects but without its seq (it would apply it twice).
        with state.lock.exclusive():
            if state.log_seq != appended.seq - 1:
                # A catch-up woken by the commit applied this entry first (and maybe later ones of other
                # processes: these changes would set their keys back), or the state was dropped meanwhile.
                return
            state.apply_scored(
                evaluation.changed,
                standings,
                entry=appended.seq if deferred else None,
                ledgers=ledgers,
                at=now,
            )
            state.note_durations(accepted)
            state.advance(appended.seq, appended.state_version)

    if state.private:
        apply()  # nobody else reads a private state: the next batch of this transaction builds on it directly
    else:
        after_commit(conn, apply)


def _awards_certificates(state: PartnerState, evaluation: Evaluation) -> bool:
    objects = state.objects
    for award in evaluation.awards:
        found = objects.get(award.game_object_id)
        if found is not None and found.object_type == "certificate":
            return True
    return False


def write_scored(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    accepted: list[NormalizedEvent],
    evaluation: Evaluation,
    standings: dict[tuple[str, str], UserStanding],
    now: float,
    changes: Changes,
    *,
    tables: bool = True,
) -> None:
    """Write what evaluated events changed to the tables: their ids, buckets, the ledger, the standings,
    achievements and the entries they name, noting the changes (the caller appends the log entry).
    `tables=False`: the buckets, the ledger and the standings are left to the checkpoint."""
    processed_repository.record_event_ids(
        conn, partner_id, [e.event_id for e in accepted if e.event_id is not None]
    )
    score_changes(state, standings, changes)
    if tables:
        bucket_repository.save_buckets(conn, partner_id, evaluation.changed, state.buckets)
        score_repository.add_rule_scores(conn, partner_id, ledger_of(evaluation.awards), now)
    achievements.record(conn, state=state, partner_id=partner_id, evaluation=evaluation, changes=changes)
    if tables:
        score_repository.save_user_scores(
            conn,
            partner_id,
            [
                UserScoreRow(object_id, user_id, s.score, s.reached_at, s.hidden)
                for (object_id, user_id), s in standings.items()
            ],
        )
    entry_repository.save_entries(conn, partner_id, _entries_seen(accepted))


def _entries_seen(events: list[NormalizedEvent]) -> dict[str, tuple[str | None, float | None, float]]:
    seen: dict[str, tuple[str | None, float | None, float]] = {}
    for event in events:
        entry_id = event.fields.get("entryId")
        name, duration = event.fields.get("entryName"), event.fields.get("duration")
        if entry_id is None or (name is None and duration is None):
            continue
        previous = seen.get(str(entry_id), (None, None, 0.0))
        seen[str(entry_id)] = (
            str(name) if name is not None else previous[0],
            float(duration)
            if isinstance(duration, int | float) and not isinstance(duration, bool)
            else previous[1],
            event.event_time,
        )
    return seen


def _refusal(index: int, code: str, message: str) -> dict[str, Any]:
    return {"index": index, "code": code, "message": message}
