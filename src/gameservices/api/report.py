"""The ``report`` controller: report files, written whole, then streamed."""

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from gameservices.api.deps import ReadApi
from gameservices.api.responses import ErrorStatuses
from gameservices.api.schemas.report import ReportGenerate
from gameservices.services.reports import generate as service
from gameservices.services.reports.formats import MEDIA_TYPES
from gameservices.services.standings.user_score import game_object

router = APIRouter(prefix="/report", tags=["report"], responses=ErrorStatuses)
SPOOL_IN_MEMORY_BYTES = 16 * 1024 * 1024
PIECE_BYTES = 256 * 1024

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report file (Content-Disposition: attachment)",
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
    }
}


@router.post("/generate", response_class=StreamingResponse, responses=FILE_RESPONSE)
def generate(body: ReportGenerate, api: ReadApi) -> StreamingResponse:
    """A report of the game object as a CSV (default), XLSX or JSON file."""
    # The whole file is written before the answer starts: an error while writing it is answered as an error,
    # never as a 200 whose file stops short. The file then goes out with its length, so a client can tell a
    # connection lost midway from a complete file.
    with api.read_tables() as conn:
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
            period=body.period,
        )
        return file_response(report, service.render(conn, live=api.live, report=report))


def file_response(
    report: service.Report, pieces: Iterator[bytes], headers: dict[str, str] | None = None
) -> StreamingResponse:
    """The report's file, written whole from `pieces` first (call it while their transaction is open), then
    streamed with its length: an error while writing is answered as an error, never as a short file."""
    file, size = _spooled(pieces)
    return StreamingResponse(
        _pieces(file),
        media_type=report.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{report.file_name}"',
            "Content-Length": str(size),
            **(headers or {}),
        },
    )


def _spooled(pieces: Iterator[bytes]) -> tuple[IO[bytes], int]:
    """The pieces written to a file held in memory up to SPOOL_IN_MEMORY_BYTES, on disk beyond; and its size."""
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    try:
        for piece in pieces:
            file.write(piece)
    except BaseException:
        file.close()
        raise
    size = file.tell()
    file.seek(0)
    return file, size


def _pieces(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while piece := file.read(PIECE_BYTES):
            yield piece
