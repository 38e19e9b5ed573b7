"""The ``entry`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import list_response
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import given_fields
from gameservices.api.schemas.entry import EntryIdRequest, EntryList, EntryListFilter, EntryUpsert
from gameservices.services.catalog import entry as service
from gameservices.storage.entries import EntryFilter

router = APIRouter(prefix="/entry", tags=["entry"], responses=ErrorStatuses)


@router.post("/upsert", response_model=None, responses={200: {"model": ObjectResult}})
def upsert(body: EntryUpsert, api: WriteApi) -> dict[str, Any]:
    """Create an entry or change the fields given: name, duration, categories, virtual event."""
    with api.write() as conn:
        return service.view(service.upsert(conn, partner_id=api.partner_id, fields=given_fields(body)))


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: EntryIdRequest, api: ReadApi) -> dict[str, Any]:
    """One entry."""
    with api.read() as conn:
        return service.view(service.get(conn, partner_id=api.partner_id, entry_id=body.entryId))


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: EntryIdRequest, api: WriteApi) -> dict[str, Any]:
    """Forget an entry."""
    with api.write() as conn:
        return service.delete(conn, partner_id=api.partner_id, entry_id=body.entryId)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: EntryList, api: ReadApi) -> dict[str, Any]:
    """The entries matching the filters."""
    with api.read() as conn:
        total, records = service.list_page(conn, partner_id=api.partner_id, query=entry_filter(body))
        return list_response(total, [service.view(record) for record in records])


def entry_filter(body: EntryList) -> EntryFilter:
    """The filters given at the top level or under ``filter`` (top level wins), and the page."""
    merged: dict[str, Any] = {}
    if body.filter is not None:
        merged.update(body.filter.model_dump(exclude_none=True))
    merged.update(body.model_dump(include=set(EntryListFilter.model_fields), exclude_none=True))
    entry_ids = merged.get("entryIdIn")
    order = merged.get("orderBy") or "-createdAt"
    size = body.pager.pageSize if body.pager else 30
    index = body.pager.pageIndex if body.pager else 1

    def seconds(name: str) -> float | None:
        value = merged.get(name)
        return None if value is None else value / 1000

    return EntryFilter(
        entry_ids=None if entry_ids is None else tuple(entry_ids),
        virtual_event_id=merged.get("virtualEventIdEqual"),
        created_after=seconds("createdAtGreaterThan"),
        created_before=seconds("createdAtLessThan"),
        updated_after=seconds("updatedAtGreaterThan"),
        updated_before=seconds("updatedAtLessThan"),
        order_field=order.lstrip("+-"),
        descending=order.startswith("-"),
        offset=(index - 1) * size,
        limit=size,
    )
