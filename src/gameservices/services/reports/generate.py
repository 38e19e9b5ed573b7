"""The ``report`` controller: the eight report types of a game object, as a CSV, XLSX or JSON file.

A request is checked first (`plan`): the report type must suit the game object, so errors are answered before
the file starts. The file is then written as it is read (`render`), a chunk of rows at a time.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from gameservices.errors import ValidationFailed
from gameservices.projection.live import LiveState
from gameservices.services.periods.recurrence import Period
from gameservices.services.reports import certificates as report_certificate
from gameservices.services.reports import lead_scoring as report_lead_scoring
from gameservices.services.reports import rows as report_rows
from gameservices.services.reports.formats import MEDIA_TYPES, Table, encode
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord

# The game-object type each report is about (None: any type, as userScore/list serves every type).
SUBJECTS: dict[str, str | None] = {
    "certificate": "certificate",
    "entryCertificate": "certificate",
    "userCertificate": "certificate",
    "entryUserCertificate": "certificate",
    "badge": "badge",
    "userBadge": "badge",
    "userScore": None,
    "userLeadScoring": "leadScoring",
}
REPORT_TYPES = tuple(SUBJECTS)
FORMATS = tuple(MEDIA_TYPES)


@dataclass(frozen=True)
class Report:
    """A checked report request."""

    report_type: str
    partner_id: int
    record: GameObjectRecord
    file_format: str
    summary: bool
    day: date
    # Which period of a recurring leaderboard a userScore report shows (docs/periods.md).
    period: Period = None

    @property
    def file_name(self) -> str:
        """``<reportType>_<partnerId>_<gameObjectId>_<YYYYMMDD>.<format>``."""
        stamp = self.day.strftime("%Y%m%d")
        return f"{self.report_type}_{self.partner_id}_{self.record.id}_{stamp}.{self.file_format}"

    @property
    def media_type(self) -> str:
        """The file's content type."""
        return MEDIA_TYPES[self.file_format]


def plan(
    *,
    partner_id: int,
    record: GameObjectRecord,
    report_type: str,
    file_format: str,
    summary: bool,
    day: date,
    period: Period = None,
) -> Report:
    """Check that the report suits the game object (its type; a summary only where there is one)."""
    subject = SUBJECTS[report_type]
    if subject is not None and record.object_type != subject:
        raise ValidationFailed(
            "reportType",
            f"a {report_type} report is about a {subject}; the game object is a {record.object_type}",
        )
    if summary and report_type != "userLeadScoring":
        raise ValidationFailed("summary", "only the userLeadScoring report has a summary")
    if period is not None and report_type != "userScore":
        raise ValidationFailed("period", "only the userScore report is per period")
    return Report(report_type, partner_id, record, file_format, summary, day, period)


def render(conn: Connection, *, live: LiveState, report: Report) -> Iterator[bytes]:
    """The report file, piece by piece, read in the caller's (read) transaction."""
    table = _table(conn, live, report)
    about = {
        "reportType": report.report_type,
        "partnerId": report.partner_id,
        "gameObjectId": report.record.id,
        "gameObjectType": report.record.object_type,
        "summary": report.summary,
    }
    yield from encode(table, report.file_format, title=report.report_type, about=about)


def _table(conn: Connection, live: LiveState, report: Report) -> Table:
    kind, partner_id, record = report.report_type, report.partner_id, report.record
    if kind == "userScore":
        return report_rows.user_score(
            conn, live=live, partner_id=partner_id, record=record, period=report.period
        )
    if kind == "userLeadScoring":
        build = report_lead_scoring.summary if report.summary else report_lead_scoring.detailed
        return build(conn, live=live, partner_id=partner_id, record=record)
    if kind in ("badge", "userBadge"):
        return report_rows.badge(conn, partner_id=partner_id, record=record, per_rule=kind == "userBadge")
    return report_certificate.certificate(conn, partner_id=partner_id, record=record, report_type=kind)
