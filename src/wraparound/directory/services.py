"""Writes to the service directory (HSDS import lives in ``hsds/importer.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.audit.services import audit_record
from wraparound.directory.models import (
    SERVICE_STATUS_TRANSITIONS,
    Attribute,
    Service,
    ServiceNeed,
    Taxonomy,
    TaxonomyTerm,
)
from wraparound.directory.needs import NEEDS_TAXONOMY_ID, NeedCategory, need_term_id


@transaction.atomic
def service_set_status(*, actor: Actor, service: Service, status: str) -> Service:
    """Move a service to another status along the allowed transitions."""
    if status not in SERVICE_STATUS_TRANSITIONS.get(service.status, frozenset()):
        raise ValidationError(
            {
                "status": f"A {service.get_status_display().lower()} service "
                f"cannot become {status!r}."
            }
        )
    before = service.status
    service.status = status
    service.last_modified = timezone.now()
    service.save(update_fields=["status", "last_modified", "updated_at"])
    audit_record(
        actor=actor,
        action="directory.service_status",
        target=service,
        summary=f"{service.name}: {before} -> {status}",
        changes={"status": [before, status]},
    )
    return service


@transaction.atomic
def service_set_capacity(
    *, actor: Actor, service: Service, total: int | None, available: int | None
) -> Service:
    """Record a service's places: total (None: no cap) and free now (None: not tracked)."""
    errors = {}
    if total is not None and total < 0:
        errors["capacity_total"] = "The number of places cannot be negative."
    if available is not None and available < 0:
        errors["capacity_available"] = "Free places cannot be negative."
    if total is not None and available is not None and available > total:
        errors["capacity_available"] = f"Free places ({available}) exceed the total ({total})."
    if errors:
        raise ValidationError(errors)
    before = [service.capacity_total, service.capacity_available]
    service.capacity_total, service.capacity_available = total, available
    service.last_modified = timezone.now()
    service.save(
        update_fields=["capacity_total", "capacity_available", "last_modified", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="directory.service_capacity",
        target=service,
        summary=f"{service.name}: {available} of {total} places free",
        changes={"capacity": [before, [total, available]]},
    )
    return service


@transaction.atomic
def service_set_needs(*, actor: Actor, service: Service, needs: Iterable[str]) -> Service:
    """Replace the need categories a service serves."""
    wanted = sorted(set(needs))
    unknown = [n for n in wanted if n not in NeedCategory.values]
    if unknown:
        raise ValidationError({"needs": f"Unknown need categories: {', '.join(unknown)}."})
    before = sorted(service.needs.values_list("need", flat=True))
    sync_needs(service=service, needs=wanted)
    audit_record(
        actor=actor,
        action="directory.service_needs",
        target=service,
        summary=f"{service.name}: needs {', '.join(wanted) or 'none'}",
        changes={"needs": [before, wanted]},
    )
    return service


def needs_taxonomy() -> dict[str, TaxonomyTerm]:
    """The "Wraparound needs" HSDS taxonomy, one term per need category, with fixed ids
    (the same in every deployment), created on first use. Term by need code."""
    taxonomy, _created = Taxonomy.objects.get_or_create(
        hsds_id=NEEDS_TAXONOMY_ID,
        defaults={
            "name": "Wraparound needs",
            "description": "Need categories (social determinants of health) used by Wraparound.",
            "version": "1",
        },
    )
    existing = {t.code: t for t in TaxonomyTerm.objects.filter(taxonomy_hsds_id=taxonomy.hsds_id)}
    missing = [
        TaxonomyTerm(
            hsds_id=need_term_id(need),
            taxonomy_hsds_id=taxonomy.hsds_id,
            code=need.value,
            name=str(need.label),
            description=f"Services addressing {need.label.lower()}.",
            taxonomy="Wraparound needs",
            language="en",
        )
        for need in NeedCategory
        if need.value not in existing
    ]
    for term in TaxonomyTerm.objects.bulk_create(missing):
        existing[term.code] = term
    return existing


def sync_needs(*, service: Service, needs: Iterable[str]) -> None:
    """Set a service's needs, and the HSDS attributes that publish them (the caller holds a
    transaction and audits)."""
    wanted = set(needs)
    terms = needs_taxonomy()
    service.needs.exclude(need__in=wanted).delete()
    have = set(service.needs.values_list("need", flat=True))
    ServiceNeed.objects.bulk_create(
        [ServiceNeed(service=service, need=n) for n in sorted(wanted - have)]
    )
    need_attributes = Attribute.objects.filter(
        link_id=service.hsds_id, taxonomy_term__taxonomy_hsds_id=NEEDS_TAXONOMY_ID
    )
    need_attributes.exclude(taxonomy_term__code__in=wanted).delete()
    tagged = set(need_attributes.values_list("taxonomy_term__code", flat=True))
    Attribute.objects.bulk_create(
        [
            Attribute(
                link_id=service.hsds_id,
                link_entity="service",
                link_type="need",
                taxonomy_term=terms[n],
            )
            for n in sorted(wanted - tagged)
        ]
    )
