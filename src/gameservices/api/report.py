"""The ``report`` controller: report files, streamed as they are written."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from gameservices.api.deps import ReadApi
from gameservices.api.responses import ErrorStatuses
from gameservices.api.schemas.report import ReportGenerate
from gameservices.services import report as service
from gameservices.services.report_formats import MEDIA_TYPES
from gameservices.services.user_score import game_object

router = APIRouter(prefix="/report", tags=["report"], responses=ErrorStatuses)

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report file (Content-Disposition: attachment)",
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
    }
}


@router.post("/generate", response_class=StreamingResponse, responses=FILE_RESPONSE)
def generate(body: ReportGenerate, api: ReadApi) -> StreamingResponse:
    """A report of the game object as a CSV (default), XLSX or JSON file."""
    with api.read() as conn:
        record = game_object(
            conn,
            partner_id=api.partner_id,
            game_object_id=body.gameObjectId,
            game_object_type=body.gameObjectType,
        )
    report = service.plan(
        partner_id=api.partner_id,
        record=record,
        report_type=body.reportType,
        file_format=body.format,
        summary=body.summary,
        day=datetime.now(UTC).date(),
    )

    def content() -> Iterator[bytes]:
        # The file is read in its own transaction, which stays open while the response is sent.
        with api.read() as conn:
            yield from service.render(conn, live=api.live, report=report)

    return StreamingResponse(
        content(),
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.file_name}"'},
    )
