"""From a list request body to a ListQuery, and the list response shape."""

from typing import Any

from gameservices.api.schemas.common import ListFilter, ListRequest
from gameservices.domain.listing import DEFAULT_PAGE_SIZE, ListQuery
from gameservices.errors import ValidationFailed

STANDARD_ORDER_FIELDS = frozenset({"createdAt", "updatedAt", "name", "status", "id"})


def list_query(
    body: ListRequest,
    *,
    order_fields: frozenset[str] = STANDARD_ORDER_FIELDS,
    equals: dict[str, Any] | None = None,
    virtual_event_ids: frozenset[str] | None = None,
    has_status: bool = True,
) -> ListQuery:
    """Merge the filters given at the top level and under ``filter`` (top level wins) into a ListQuery."""
    merged: dict[str, Any] = {}
    if body.filter is not None:
        merged.update(body.filter.model_dump(exclude_none=True))
    merged.update(body.model_dump(include=set(ListFilter.model_fields), exclude_none=True))
    if not has_status and merged.get("statusEqual") is not None:
        raise ValidationFailed("statusEqual", "this list has no status to filter on")
    field, descending = _order(merged.get("orderBy"), order_fields)
    id_in = merged.get("idIn")
    if isinstance(id_in, str):
        id_in = [part.strip() for part in id_in.split(",") if part.strip()]
    pager = body.pager
    return ListQuery(
        id_in=None if id_in is None else tuple(id_in),
        created_after=merged.get("createdAtGreaterThan"),
        created_before=merged.get("createdAtLessThan"),
        updated_after=merged.get("updatedAtGreaterThan"),
        updated_before=merged.get("updatedAtLessThan"),
        status=merged.get("statusEqual"),
        order_field=field,
        descending=descending,
        page_size=pager.pageSize if pager else DEFAULT_PAGE_SIZE,
        page_index=pager.pageIndex if pager else 1,
        equals={key: value for key, value in (equals or {}).items() if value is not None},
        virtual_event_ids=virtual_event_ids,
    )


def given_filter(body: ListRequest, name: str) -> Any:
    """A list's own filter (beyond the standard ones): at the top level, else under ``filter``."""
    value = getattr(body, name)
    return value if value is not None or body.filter is None else getattr(body.filter, name, None)


def list_response(total: int, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The list shape of every list action."""
    return {"totalCount": total, "objects": objects}


def _order(order_by: str | None, allowed: frozenset[str]) -> tuple[str, bool]:
    if not order_by:
        return "createdAt", True
    descending = order_by.startswith("-")
    field = order_by.lstrip("+-")
    if field not in allowed:
        raise ValidationFailed("orderBy", f"can order by {', '.join(sorted(allowed))}")
    return field, descending
