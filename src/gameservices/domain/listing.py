"""What a list request asks for: filters, order and page, independent of storage."""

from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 30


@dataclass(frozen=True)
class ListQuery:
    """The standard list filters of the API, already validated."""

    id_in: tuple[str, ...] | None = None
    created_after: int | None = None
    created_before: int | None = None
    updated_after: int | None = None
    updated_before: int | None = None
    status: str | None = None
    order_field: str = "createdAt"
    descending: bool = True
    page_size: int = DEFAULT_PAGE_SIZE
    page_index: int = 1
    # Equality filters on further columns (API field name → value).
    equals: dict[str, Any] = field(default_factory=dict)
    # Filters on values kept inside an object's JSON fields, applied after the column filters.
    virtual_event_ids: frozenset[str] | None = None
    # Equality filters on values kept inside an object's JSON fields (API field name → value).
    data_equals: dict[str, Any] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        """Index of the first row of the page."""
        return (self.page_index - 1) * self.page_size


def page_of(items: list[T], query: ListQuery) -> list[T]:
    """Cut one page out of an already ordered list."""
    return items[query.offset : query.offset + query.page_size]
