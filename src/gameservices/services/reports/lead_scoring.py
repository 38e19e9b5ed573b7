"""The userLeadScoring report (guide 9.5): the detailed report, one row per lead, and the summary per
percentage group.

Ranks, percentiles and groups are the ones userLeadScoring/list gives. Leads that their policy hides have no
rank, so no percentile and no percentage group: they follow the ranked leads in the detailed report and are
left out of the summary.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from gameservices.domain.engine import collector_paused
from gameservices.domain.groups import group_of
from gameservices.projection.live import LiveState
from gameservices.services.reports.formats import Cell, Rows, Table
from gameservices.services.reports.rows import (
    CHUNK_ROWS,
    Person,
    people_of_object,
    person,
    rule_columns,
    rule_scores_by_user,
    standings,
)
from gameservices.services.standings.user_lead_scoring import groups_of, is_profile_rule, percentile
from gameservices.services.standings.user_score import number
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

DETAIL_COLUMNS = [
    "Absolute Rank",
    "Total Lead Score",
    "User ID",
    "User Name",
    "Email",
    "S-Group",
    "Rank within S-Group",
    "P-Group",
    "Rank within P-Group",
    "Percentile",
    "Engagement Score",
    "User Profile Score",
]
SUMMARY_COLUMNS = [
    "Percentage Group Name",
    "Range",
    "Number of Users",
    "Average Score",
    "Average Engagement Score",
    "Average User Profile Score",
]


@dataclass(slots=True)
class Lead:
    """One lead's line of the detailed report, before the name and e-mail are looked up."""

    rank: int | None
    user_id: str
    score: float
    score_group: str | None
    score_group_rank: int | None
    percentage_group: str | None
    percentage_group_rank: int | None
    percentile: float | None
    profile_score: float
    rule_scores: list[float]


def detailed(conn: Connection, *, live: LiveState, partner_id: int, record: GameObjectRecord) -> Table:
    """Absolute rank, score, user, S-Group and P-Group with the rank within each, the engagement / profile
    split, and each rule's score."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    leads = _leads(conn, live, partner_id, record, rules)
    named = people_of_object(conn, partner_id, record.id)

    def chunks() -> Iterator[Rows]:
        for start in range(0, len(leads), CHUNK_ROWS):
            with collector_paused():
                part = leads[start : start + CHUNK_ROWS]
                rows = [_detail_row(lead, person(named.get(lead.user_id))) for lead in part]
            yield rows

    # User ID, User Name, Email, S-Group and P-Group are the only text.
    return Table(
        [*DETAIL_COLUMNS, *rule_columns(rules, DETAIL_COLUMNS)], chunks(), text_columns=(2, 3, 4, 5, 7)
    )


def summary(conn: Connection, *, live: LiveState, partner_id: int, record: GameObjectRecord) -> Table:
    """One row per percentage group: its range, how many ranked leads it holds and their average scores."""
    _, percentage_groups = groups_of(record)
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    leads = _leads(conn, live, partner_id, record, rules)
    rows: Rows = []
    for group in percentage_groups:
        members = [lead for lead in leads if lead.rank is not None and lead.percentage_group == group.name]
        count = len(members)
        averages: list[Cell] = [None, None, None]
        if count:
            total = sum(lead.score for lead in members)
            profile = sum(lead.profile_score for lead in members)
            averages = [_average(total, count), _average(total - profile, count), _average(profile, count)]
        rows.append([group.name, f"{number(group.low)}-{number(group.high)}", count, *averages])
    return Table(SUMMARY_COLUMNS, [rows])


def _leads(
    conn: Connection, live: LiveState, partner_id: int, record: GameObjectRecord, rules: list[RuleRecord]
) -> list[Lead]:
    profile_positions = [index for index, rule in enumerate(rules) if is_profile_rule(rule)]
    ledger = rule_scores_by_user(conn, partner_id, record.id, rules)
    ordered = standings(conn, live, partner_id, record.id)
    total = sum(1 for rank, _, _ in ordered if rank is not None)
    score_groups, percentage_groups = groups_of(record)
    zeros = [0.0] * len(rules)
    in_group: dict[tuple[str, str], int] = {}

    def lead(rank: int | None, user_id: str, score: float) -> Lead:
        scores = ledger.get(user_id, zeros)
        share = None if rank is None else percentile(rank, total)
        score_group = group_of(score_groups, score)
        percentage_group = None if share is None else group_of(percentage_groups, share)
        return Lead(
            rank,
            user_id,
            score,
            score_group,
            None if rank is None else _next_in(in_group, "S", score_group),
            percentage_group,
            None if rank is None else _next_in(in_group, "P", percentage_group),
            share,
            sum(scores[index] for index in profile_positions),
            scores,
        )

    with collector_paused():
        return [lead(rank, user_id, score) for rank, user_id, score in ordered]


def _next_in(counts: dict[tuple[str, str], int], kind: str, group: str | None) -> int | None:
    """The next rank within a group (None for a lead outside every group)."""
    if group is None:
        return None
    counts[kind, group] = counts.get((kind, group), 0) + 1
    return counts[kind, group]


def _detail_row(lead: Lead, named: Person) -> list[Cell]:
    return [
        lead.rank,
        number(lead.score),
        lead.user_id,
        *named,
        lead.score_group,
        lead.score_group_rank,
        lead.percentage_group,
        lead.percentage_group_rank,
        None if lead.percentile is None else number(round(lead.percentile, 2)),
        number(lead.score - lead.profile_score),
        number(lead.profile_score),
        *(number(value) for value in lead.rule_scores),
    ]


def _average(total: float, count: int) -> float | int:
    return number(round(total / count, 2))
