"""The ``event`` controller's upload actions: external events from a CSV file (multipart/form-data); the
upload and refusal helpers every CSV upload action shares."""

import time
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from gameservices.api.deps import WriteApi
from gameservices.api.errors import ErrorBody, status_of
from gameservices.api.json import JsonResponse
from gameservices.api.responses import ErrorStatuses
from gameservices.errors import MissingParameter
from gameservices.services.scoring import csv_import as service

router = APIRouter(prefix="/event", tags=["event"], responses=ErrorStatuses)


class CsvSkipBody(BaseModel):
    """A rule that could not use the event of a line (the other rules saw it; the file was applied)."""

    line: int
    ruleId: str
    message: str


class CsvImportResult(BaseModel):
    """A file applied (or, with ``dryRun``, found valid: no rule runs then, so there is no ``skipped``)."""

    rows: int
    events: int
    skipped: list[CsvSkipBody] = Field(default_factory=list)  # the first 100; absent on dry runs


class CsvProblemBody(BaseModel):
    """A cell (or a whole line when ``column`` is null) that cannot be imported."""

    line: int
    column: str | None
    message: str


class InvalidCsvBody(ErrorBody):
    """A 400 of this action; ``INVALID_CSV`` also lists the file's first problems (nothing of it was applied)."""

    errors: list[CsvProblemBody] = Field(default_factory=list)  # present on INVALID_CSV only


UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": CsvImportResult},
    400: {"model": InvalidCsvBody, "description": "Bad input, or a CSV file with bad rows (INVALID_CSV)"},
}


@router.post("/sendExternalEventsFromCSV", response_model=None, responses=UPLOAD_RESPONSES)
@router.post("/sendExternalEventsFromCsv", response_model=None, include_in_schema=False)
def send_external_events_from_csv(
    api: WriteApi,
    event_action: Annotated[str | None, Form(alias="eventAction", description="delta or upsert")] = None,
    score_action: Annotated[str | None, Form(alias="scoreAction", description="Same as eventAction")] = None,
    csv_file: Annotated[UploadFile | None, File(alias="csvFile", description="The CSV file")] = None,
    file: Annotated[UploadFile | None, File(description="Same as csvFile")] = None,
    csv: Annotated[UploadFile | None, File(description="Same as csvFile")] = None,
    dry_run: Annotated[bool, Form(alias="dryRun", description="Only validate the file")] = False,
) -> JsonResponse:
    """Apply external events from a CSV file: the whole file, or nothing when any row is bad."""
    upload = uploaded(csv_file, file, csv)
    received_at = time.time()
    try:
        events = service.read(upload.file.read(), score_action=event_action or score_action)
        if dry_run:
            return JsonResponse(events.summary())
        with api.write() as conn:
            result = service.apply(
                conn,
                state=api.live.partner(api.partner_id),
                partner_id=api.partner_id,
                upload=events,
                received_at=received_at,
            )
    except service.InvalidCsv as error:
        return invalid_csv_response(error)
    return JsonResponse(result)


def uploaded(*files: UploadFile | None) -> UploadFile:
    """The file of an upload, sent as ``csvFile`` (or ``file``, or ``csv``)."""
    for upload in files:
        if upload is not None:
            return upload
    raise MissingParameter("csvFile")


def invalid_csv_response(error: service.InvalidCsv) -> JsonResponse:
    """The 400 of a refused file: the API error body plus ``errors``, its first problems."""
    body = {
        "code": error.code,
        "message": error.message,
        "objectType": "KalturaAPIException",
        "args": error.arguments,
        "errors": error.problem_list(),
    }
    return JsonResponse(body, status_code=status_of(error))
