"""Reads of flags through the access policy."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import decide, visible_people
from wraparound.flags.models import Flag
from wraparound.people.models import Person

CATEGORY = DataCategory.PLANS_REFERRALS
MANAGER_ROLES = frozenset({Role.MANAGER, Role.NETWORK_ADMIN})


class FlagNotFound(Http404):
    pass


def flags_for_person(*, actor: Actor, person: Person, include_resolved: bool = False) -> list[Flag]:
    if not decide(actor=actor, person=person, category=CATEGORY):
        return []
    flags = Flag.objects.filter(person=person)
    if not include_resolved:
        flags = flags.filter(resolved_at__isnull=True)
    return list(flags.order_by("-raised_at"))


def open_flag_counts(*, actor: Actor, person_ids: list[int]) -> dict[int, int]:
    """Open flags per person, for a caseload (one query)."""
    rows = (
        Flag.objects.filter(
            person_id__in=person_ids,
            resolved_at__isnull=True,
            person__in=visible_people(actor),
        )
        .values("person_id")
        .annotate(n=Count("id"))
    )
    return {r["person_id"]: r["n"] for r in rows}


def flag_get(*, actor: Actor, flag_id: int) -> Flag:
    flag = Flag.objects.select_related("person", "resolved_by").filter(pk=flag_id).first()
    if flag is None or not decide(actor=actor, person=flag.person, category=CATEGORY):
        raise FlagNotFound("No flag with that id")
    return flag


def network_flags(*, actor: Actor, kind: str = "", show: str = "open") -> QuerySet[Flag]:
    """Managers' list: the network's flags about people they may see."""
    membership = actor.membership
    if membership is None or membership.role not in MANAGER_ROLES:
        return Flag.objects.none()
    flags = Flag.objects.select_related("person").filter(
        network_id=membership.organisation.network_id, person__in=visible_people(actor)
    )
    if kind:
        flags = flags.filter(kind=kind)
    if show == "open":
        flags = flags.filter(resolved_at__isnull=True)
    elif show == "resolved":
        flags = flags.filter(~Q(resolved_at=None))
    return flags.order_by("-raised_at", "-id")
