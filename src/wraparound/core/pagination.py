from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

# Broad searches are told "more than 1,000" rather than counted: counting every person a
# worker may see costs far more than the page itself, and nobody pages through 1,000 rows.
COUNT_CAP = 1000


def capped_count(items: Any, cap: int | None = None) -> int:
    """How many items there are, counting no further than ``cap + 1``."""
    cap = COUNT_CAP if cap is None else cap
    if isinstance(items, QuerySet):
        return items[: cap + 1].count()
    return min(len(items), cap + 1)


class CappedPaginator(Paginator):
    """A paginator whose total stops at COUNT_CAP + 1; ``count`` may be given when the caller
    can count more cheaply than the list itself (``people.selectors.person_search_count``)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return min(self._known_count, COUNT_CAP + 1)
        return capped_count(self.object_list)

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def is_capped(self) -> bool:
        return self.count > COUNT_CAP


def paginate(
    request: HttpRequest,
    items: Any,
    *,
    per_page: int | None = None,
    capped: bool = False,
    count: int | None = None,
) -> Page:
    """The requested page of ``items``; an out-of-range or malformed page gives the nearest.
    With ``capped``, the total is counted only up to COUNT_CAP (see CappedPaginator), or
    taken from ``count``."""
    per_page = per_page or settings.WRAPAROUND_PAGE_SIZE
    paginator = (
        CappedPaginator(items, per_page, count=count) if capped else Paginator(items, per_page)
    )
    return paginator.get_page(request.GET.get("page"))


def page_query(request: HttpRequest, page_number: int) -> str:
    """The current query string with ``page`` replaced, for pagination links."""
    params = request.GET.copy()
    params["page"] = str(page_number)
    return params.urlencode()
