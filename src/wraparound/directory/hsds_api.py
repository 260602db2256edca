"""The public, read-only HSDS 3.0 API profile under /hsds/ (the directory is not personal
data). Paging, filters and documents follow the Open Referral profile: every list answers
with ``total_items, total_pages, page_number, size, first_page, last_page, empty,
contents``; filters combine cumulatively; a bad parameter is a 422 naming it, an unknown id
a 404. A page costs the same number of queries whatever its size (everything nested is
loaded by the serialiser, see ``hsds/codec.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import NinjaAPI, Router
from ninja.errors import ValidationError, ValidationErrorContext

from wraparound.api.errors import api_error, install_error_handlers, schema_errors
from wraparound.directory.hsds.codec import JsonObject, Serialiser, queryset_for, row
from wraparound.directory.hsds.exporter import HSDS_VERSION, list_service, list_services, page
from wraparound.directory.hsds.tables import TABLES
from wraparound.directory.selectors import (
    HsdsFilters,
    hsds_organisation_list,
    hsds_service_at_location_list,
    hsds_service_list,
    hsds_taxonomy_list,
    hsds_taxonomy_term_list,
)

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 50
PROFILE_URL = "https://docs.openreferral.org/en/latest/hsds/api_reference.html"


class HsdsApi(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        return ValidationError(schema_errors(error_contexts))


hsds_api = HsdsApi(
    title="Wraparound service directory (HSDS 3.0)",
    version=HSDS_VERSION,
    description=(
        "The network's service directory in the Open Referral Human Services Data "
        "Specification 3.0 API profile. Public and read-only."
    ),
    auth=None,
    urls_namespace="hsds",
)
install_error_handlers(hsds_api)


def _bad(param: str, message: str, kind: str = "value_error") -> NoReturn:
    raise ValidationError([api_error(["query", param], message, kind)])


def _uuid(param: str, value: str | None) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        _bad(param, f"{value!r} is not an id (a UUID)", "uuid_parsing")


def _datetime(param: str, value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        _bad(param, f"{value!r} is not a date-time (ISO 8601, e.g. 2025-01-31T09:00:00Z)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _paging(page_number: int, per_page: int) -> None:
    if page_number < 1:
        _bad("page", "must be 1 or more", "greater_than_equal")
    if not 1 <= per_page <= MAX_PER_PAGE:
        _bad("per_page", f"must be between 1 and {MAX_PER_PAGE}", "out_of_range")


def _page(
    qs: QuerySet[Any],
    page_number: int,
    per_page: int,
    render: Callable[[list[Any]], list[JsonObject]],
) -> JsonObject:
    _paging(page_number, per_page)
    total = qs.count()
    start = (page_number - 1) * per_page
    ids = list(qs.values_list("pk", flat=True)[start : start + per_page]) if total else []
    contents = render(ids)
    return page(contents, total=total, page_number=page_number, size=per_page)


def _full(table_name: str, ids: list[int], *, top: bool = True) -> list[JsonObject]:
    table = TABLES[table_name]
    objs = queryset_for(table).filter(pk__in=ids)
    by_pk = {obj.pk: obj for obj in objs}
    ordered = [by_pk[pk] for pk in ids if pk in by_pk]
    serialiser = Serialiser()
    serialiser.load(table, ordered, top=top)
    return [serialiser.document(table, obj, top=top) for obj in ordered]


def _one(table_name: str, id_: str) -> Any:
    try:
        hsds_id = uuid.UUID(id_)
    except ValueError:
        raise Http404(id_) from None
    pks = list(
        queryset_for(TABLES[table_name]).filter(hsds_id=hsds_id).values_list("pk", flat=True)
    )
    if not pks:
        raise Http404(id_)
    return pks


router = Router(tags=["HSDS"])


@router.get("/", summary="About this API")
def about(request: HttpRequest) -> JsonObject:
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("hsds:openapi-json")),
    }


@router.get("/services", summary="Services (paged)")
def services(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: str | None = None,
    minimal: bool = False,
    full: bool = False,
) -> JsonObject:
    filters = HsdsFilters(
        search=search.strip(),
        taxonomy_term_id=_uuid("taxonomy_term_id", taxonomy_term_id),
        taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
        organization_id=_uuid("organization_id", organization_id),
        modified_after=_datetime("modified_after", modified_after),
    )
    if minimal and full:
        _bad("minimal", "minimal and full cannot be combined")
    qs = hsds_service_list(filters)

    def render(ids: list[int]) -> list[JsonObject]:
        if full:
            return _full("service", ids)
        if minimal:
            rows = (
                queryset_for(TABLES["service"])
                .filter(pk__in=ids)
                .only("pk", "hsds_id", "name", "status", "last_modified")
            )
            by_pk = {s.pk: s for s in rows}
            return [_minimal(by_pk[pk]) for pk in ids if pk in by_pk]
        by_pk = {s.pk: s for s in list_services(queryset_for(TABLES["service"]).filter(pk__in=ids))}
        return [list_service(by_pk[pk]) for pk in ids if pk in by_pk]

    return _page(qs, page, per_page, render)


def _minimal(service: Any) -> JsonObject:
    full_row = row(TABLES["service"], service)
    return {k: full_row[k] for k in ("id", "name", "status", "last_modified") if k in full_row}


@router.get("/services/{id}", summary="One service, fully nested")
def service(request: HttpRequest, id: str) -> JsonObject:
    return _full("service", _one("service", id))[0]


@router.get("/organizations", summary="Organisations (paged)")
def organizations(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    full: bool = False,
    full_service: bool = False,
) -> JsonObject:
    def render(ids: list[int]) -> list[JsonObject]:
        if full:
            return _organisation_documents(ids, full_service=full_service)
        table = TABLES["organization"]
        by_pk = {o.pk: o for o in queryset_for(table).filter(pk__in=ids)}
        return [row(table, by_pk[pk]) for pk in ids if pk in by_pk]

    return _page(hsds_organisation_list(search.strip()), page, per_page, render)


def _organisation_documents(ids: list[int], *, full_service: bool) -> list[JsonObject]:
    """Full organisations; their services in list form, or full with ``full_service``."""
    docs = _full("organization", ids, top=False)
    services: dict[str, list[JsonObject]] = {d["id"]: [] for d in docs}
    qs = list_services(queryset_for(TABLES["service"]).filter(organisation_id__in=ids))
    ordered = list(qs.order_by("name", "pk"))
    if full_service:
        for svc_doc in _full("service", [s.pk for s in ordered]):
            services[svc_doc["organization_id"]].append(svc_doc)
    else:
        for svc in ordered:
            services[str(svc.organisation.hsds_id)].append(list_service(svc))
    for doc in docs:
        doc["services"] = services[doc["id"]]
    return docs


@router.get("/organizations/{id}", summary="One organisation, fully nested")
def organization(request: HttpRequest, id: str, full_service: bool = False) -> JsonObject:
    return _organisation_documents(_one("organization", id), full_service=full_service)[0]


@router.get("/service_at_locations", summary="Services at locations (paged)")
def service_at_locations(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: str | None = None,
    full: bool = False,
) -> JsonObject:
    filters = HsdsFilters(
        search=search.strip(),
        taxonomy_term_id=_uuid("taxonomy_term_id", taxonomy_term_id),
        taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
        organization_id=_uuid("organization_id", organization_id),
        modified_after=_datetime("modified_after", modified_after),
    )

    def render(ids: list[int]) -> list[JsonObject]:
        if full:
            return _full("service_at_location", ids)
        table = TABLES["service_at_location"]
        qs = queryset_for(table).filter(pk__in=ids).select_related("location")
        by_pk = {x.pk: x for x in qs}
        service_pks = {x.service_id for x in by_pk.values()}
        services = {
            s.pk: s
            for s in list_services(queryset_for(TABLES["service"]).filter(pk__in=service_pks))
        }
        out = []
        for pk in ids:
            if pk not in by_pk:
                continue
            sal = by_pk[pk]
            doc = row(table, sal)
            doc["location"] = row(TABLES["location"], sal.location)
            doc["service"] = list_service(services[sal.service_id])
            out.append(doc)
        return out

    return _page(hsds_service_at_location_list(filters), page, per_page, render)


@router.get("/service_at_locations/{id}", summary="One service at a location, fully nested")
def service_at_location(request: HttpRequest, id: str) -> JsonObject:
    return _full("service_at_location", _one("service_at_location", id))[0]


@router.get("/taxonomies", summary="Taxonomies (paged)")
def taxonomies(
    request: HttpRequest, search: str = "", page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> JsonObject:
    return _page(
        hsds_taxonomy_list(search.strip()),
        page,
        per_page,
        lambda ids: _full("taxonomy", ids),
    )


@router.get("/taxonomies/{id}", summary="One taxonomy")
def taxonomy(request: HttpRequest, id: str) -> JsonObject:
    return _full("taxonomy", _one("taxonomy", id))[0]


@router.get("/taxonomy_terms", summary="Taxonomy terms (paged)")
def taxonomy_terms(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    taxonomy_id: str | None = None,
    parent_id: str | None = None,
    top_only: bool = False,
) -> JsonObject:
    qs = hsds_taxonomy_term_list(
        search.strip(),
        taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
        parent_id=_uuid("parent_id", parent_id),
        top_only=top_only,
    )
    return _page(qs, page, per_page, lambda ids: _full("taxonomy_term", ids))


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term")
def taxonomy_term(request: HttpRequest, id: str) -> JsonObject:
    return _full("taxonomy_term", _one("taxonomy_term", id))[0]


hsds_api.add_router("", router)

unknown_paths = Router()


@unknown_paths.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> NoReturn:
    raise Http404(rest)


hsds_api.add_router("", unknown_paths)
