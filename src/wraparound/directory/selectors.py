"""Reads of the service directory. Organisations are not personal data: any member of a
network may list the organisations of that network."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.core.models import Area
from wraparound.directory.models import (
    Attribute,
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)


def organisations_list(*, actor: Actor) -> QuerySet[Organisation]:
    """The organisations of the actor's network, by name; none for an actor without one."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(network_id=membership.organisation.network_id).order_by(
        "name", "id"
    )


# --- the public HSDS directory ------------------------------------------------------------


@dataclass(frozen=True)
class HsdsFilters:
    """The HSDS API profile's filters, already checked (ids are UUIDs)."""

    search: str = ""
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None


def _attribute_links(filters: HsdsFilters) -> QuerySet[Attribute] | None:
    """HSDS ids of records tagged with the filter's term or taxonomy (None: no such filter)."""
    links: QuerySet[Attribute] | None = None
    if filters.taxonomy_term_id is not None:
        links = Attribute.objects.filter(taxonomy_term__hsds_id=filters.taxonomy_term_id)
    if filters.taxonomy_id is not None:
        by_taxonomy = Attribute.objects.filter(taxonomy_term__taxonomy_hsds_id=filters.taxonomy_id)
        links = by_taxonomy if links is None else links.filter(pk__in=by_taxonomy.values("pk"))
    return links


def hsds_services(filters: HsdsFilters, *, prefix: str = "") -> Q:
    """A condition on services (or, with ``prefix``, on rows pointing at one) combining
    every given filter."""
    condition = Q()
    if filters.search:
        text = Q()
        for word in filters.search.split():
            text &= (
                Q(**{f"{prefix}name__icontains": word})
                | Q(**{f"{prefix}alternate_name__icontains": word})
                | Q(**{f"{prefix}description__icontains": word})
                | Q(**{f"{prefix}organisation__name__icontains": word})
            )
        condition &= text
    links = _attribute_links(filters)
    if links is not None:
        condition &= Q(**{f"{prefix}hsds_id__in": links.values("link_id")})
    if filters.organization_id is not None:
        condition &= Q(**{f"{prefix}organisation__hsds_id": filters.organization_id})
    if filters.modified_after is not None:
        condition &= Q(**{f"{prefix}last_modified__gte": filters.modified_after})
    return condition


def hsds_service_list(filters: HsdsFilters) -> QuerySet[Service]:
    return Service.objects.filter(hsds_services(filters)).order_by("name", "pk")


def hsds_service_at_location_list(filters: HsdsFilters) -> QuerySet[ServiceAtLocation]:
    condition = hsds_services(replace(filters, search=""), prefix="service__")
    qs = ServiceAtLocation.objects.filter(condition)
    for word in filters.search.split():
        qs = qs.filter(
            Q(service__name__icontains=word)
            | Q(service__description__icontains=word)
            | Q(location__name__icontains=word)
            | Q(description__icontains=word)
        )
    return qs.order_by("pk")


def hsds_organisation_list(search: str) -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    for word in search.split():
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(alternate_name__icontains=word)
            | Q(description__icontains=word)
        )
    return qs.order_by("name", "pk")


def hsds_taxonomy_list(search: str) -> QuerySet[Taxonomy]:
    qs = Taxonomy.objects.all()
    for word in search.split():
        qs = qs.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return qs.order_by("name", "pk")


def hsds_taxonomy_term_list(
    search: str,
    *,
    taxonomy_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    top_only: bool = False,
) -> QuerySet[TaxonomyTerm]:
    qs = TaxonomyTerm.objects.all()
    for word in search.split():
        qs = qs.filter(
            Q(name__icontains=word) | Q(description__icontains=word) | Q(code__icontains=word)
        )
    if taxonomy_id is not None:
        qs = qs.filter(taxonomy_hsds_id=taxonomy_id)
    if parent_id is not None:
        qs = qs.filter(parent_hsds_id=parent_id)
    if top_only:
        qs = qs.filter(parent_hsds_id__isnull=True)
    return qs.order_by("name", "pk")


# --- the staff directory ------------------------------------------------------------------


def network_services(*, actor: Actor) -> QuerySet[Service]:
    """The services of the actor's network (none without a network)."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Service.objects.none()
    return Service.objects.filter(organisation__network_id=membership.organisation.network_id)


def open_service_ids(services: QuerySet[Service], at: datetime) -> set[int]:
    """Which of ``services`` are open at ``at`` (their own, location or
    service-at-location schedules)."""
    from wraparound.directory.opening import is_open

    ids = list(services.values_list("pk", flat=True))
    schedules = Schedule.objects.filter(
        Q(service_id__in=ids)
        | Q(service_at_location__service_id__in=ids)
        | Q(location__service_at_locations__service_id__in=ids),
        opens_at__isnull=False,
        closes_at__isnull=False,
    ).select_related("service_at_location", "location")
    open_ids: set[int] = set()
    location_services: dict[int, set[int]] = {}
    for link in ServiceAtLocation.objects.filter(service_id__in=ids).values_list(
        "location_id", "service_id"
    ):
        location_services.setdefault(link[0], set()).add(link[1])
    for schedule in schedules.distinct():
        if not is_open(schedule, at):
            continue
        if schedule.service_id:
            open_ids.add(schedule.service_id)
        if schedule.service_at_location_id and schedule.service_at_location:
            open_ids.add(schedule.service_at_location.service_id)
        if schedule.location_id:
            open_ids |= location_services.get(schedule.location_id, set())
    return open_ids


def directory_search(
    *,
    actor: Actor,
    need: str = "",
    text: str = "",
    area: Area | None = None,
    open_at: datetime | None = None,
    only_ids: set[int] | None = None,
    include_closed: bool = False,
) -> QuerySet[Service]:
    """Services of the actor's network matching every criterion given, by name.

    ``area``: services covering it (a service area of it or of an area containing it) or
    covering the whole network (no service area). ``open_at``: open then. ``only_ids``:
    restricted to these (e.g. the services a person is eligible for).
    """
    qs = network_services(actor=actor)
    if not include_closed:
        qs = qs.filter(status=ServiceStatus.ACTIVE)
    if need:
        qs = qs.filter(needs__need=need)
    for word in text.split():
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(alternate_name__icontains=word)
            | Q(description__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    if area is not None:
        covering = [a.pk for a in area.lineage()]
        qs = qs.filter(Q(service_areas__area_id__in=covering) | Q(service_areas__isnull=True))
    if only_ids is not None:
        qs = qs.filter(pk__in=only_ids)
    if open_at is not None:
        qs = qs.filter(pk__in=open_service_ids(qs, open_at))
    return (
        qs.distinct()
        .select_related("organisation")
        .prefetch_related("needs")
        .order_by("name", "pk")
    )


def service_for_page(*, actor: Actor, service_id: int) -> Service:
    """Everything the service page shows, for a service of the actor's network."""
    try:
        return (
            network_services(actor=actor)
            .select_related("organisation", "program")
            .prefetch_related(
                "needs",
                "phones",
                "schedules",
                "languages",
                "required_documents",
                "cost_options",
                "contacts__phones",
                "service_areas__area",
                "urls",
                Prefetch(
                    "service_at_locations",
                    queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                        "schedules",
                        "phones",
                        "location__addresses",
                        "location__schedules",
                        "location__phones",
                        "location__languages",
                        "location__accessibility",
                    ),
                ),
            )
            .get(pk=service_id)
        )
    except Service.DoesNotExist:
        raise Http404("No such service in your network") from None


def network_areas(*, actor: Actor) -> QuerySet[Area]:
    membership = actor.membership
    if membership is None:
        return Area.objects.none()
    return Area.objects.filter(network_id=membership.organisation.network_id).order_by(
        "level", "name"
    )
