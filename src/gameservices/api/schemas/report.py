"""Bodies of the ``report`` controller (guide section 12, DESIGN.md section 4)."""

from typing import Literal

from gameservices.api.schemas.common import GameObjectType, Id, RequestModel
from gameservices.api.schemas.user_score import Period

ReportType = Literal[
    "certificate",
    "entryCertificate",
    "userCertificate",
    "entryUserCertificate",
    "badge",
    "userBadge",
    "userScore",
    "userLeadScoring",
]


class ReportGenerate(RequestModel):
    """``report/generate``: one report of a game object, as a file."""

    reportType: ReportType
    gameObjectId: Id
    gameObjectType: GameObjectType | None = None
    format: Literal["csv", "xlsx", "json"] = "csv"
    summary: bool = False
    period: Period | None = None
