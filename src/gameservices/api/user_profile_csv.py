"""The ``userProfile`` controller's upload action: profiles from a CSV file (multipart/form-data)."""

import time
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from gameservices.api.deps import WriteApi
from gameservices.api.event_csv import InvalidCsvBody, invalid_csv_response, uploaded
from gameservices.api.json import JsonResponse
from gameservices.api.responses import ErrorStatuses
from gameservices.services.profiles import user_profile_csv as service
from gameservices.services.scoring import csv_import

router = APIRouter(prefix="/userProfile", tags=["userProfile"], responses=ErrorStatuses)


class ProfileImportResult(BaseModel):
    """A file applied (or, with ``dryRun``, found valid)."""

    rows: int


UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": ProfileImportResult},
    400: {"model": InvalidCsvBody, "description": "Bad input, or a CSV file with bad rows (INVALID_CSV)"},
}


@router.post("/importFromCSV", response_model=None, responses=UPLOAD_RESPONSES)
@router.post("/importFromCsv", response_model=None, include_in_schema=False)
def import_from_csv(
    api: WriteApi,
    csv_file: Annotated[UploadFile | None, File(alias="csvFile", description="The CSV file")] = None,
    file: Annotated[UploadFile | None, File(description="Same as csvFile")] = None,
    csv: Annotated[UploadFile | None, File(description="Same as csvFile")] = None,
    dry_run: Annotated[bool, Form(alias="dryRun", description="Only validate the file")] = False,
) -> JsonResponse:
    """Create or update user profiles from a CSV file: the whole file, or nothing when any row is bad."""
    upload = uploaded(csv_file, file, csv)
    received_at = time.time()
    try:
        profiles = service.read(upload.file.read())
        if dry_run:
            return JsonResponse(profiles.summary())
        with api.write() as conn:
            result = service.apply(
                conn,
                state=api.live.partner(api.partner_id),
                partner_id=api.partner_id,
                upload=profiles,
                received_at=received_at,
            )
    except csv_import.InvalidCsv as error:
        return invalid_csv_response(error)
    return JsonResponse(result)
