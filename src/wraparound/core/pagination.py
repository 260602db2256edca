from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, *, per_page: int | None = None) -> Page:
    """The requested page of ``items``; an out-of-range or malformed page gives the nearest."""
    paginator = Paginator(items, per_page or settings.WRAPAROUND_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def page_query(request: HttpRequest, page_number: int) -> str:
    """The current query string with ``page`` replaced, for pagination links."""
    params = request.GET.copy()
    params["page"] = str(page_number)
    return params.urlencode()
