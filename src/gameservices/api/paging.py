"""Offset and size of the page a pager asks for."""

from gameservices.api.schemas.common import Pager
from gameservices.domain.listing import DEFAULT_PAGE_SIZE


def page_bounds(pager: Pager | None) -> tuple[int, int]:
    """(offset, size) of the requested page (the first page of 30 by default)."""
    if pager is None:
        return 0, DEFAULT_PAGE_SIZE
    return (pager.pageIndex - 1) * pager.pageSize, pager.pageSize
