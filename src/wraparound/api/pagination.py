"""Page-number pagination for API lists: ``?page=&page_size=``, answered with the total."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import Field

from wraparound.core.pagination import capped_count

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="1 for the first page.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def page_of(
    items: QuerySet[M], params: PageParams, *, capped: bool = False, count: int | None = None
) -> tuple[int, list[M]]:
    """The total number of items (with ``capped``, counted only up to COUNT_CAP + 1, or taken
    from ``count``) and the requested page of them (empty past the end)."""
    if count is None:
        count = capped_count(items) if capped else items.count()
    start = (params.page - 1) * params.page_size
    if start >= count:
        return count, []
    return count, list(items[start : start + params.page_size])
