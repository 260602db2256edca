"""Reads of the service directory. Organisations are not personal data: any member of a
network may list the organisations of that network."""

from __future__ import annotations

from django.db.models import QuerySet

from wraparound.accounts.actor import Actor
from wraparound.directory.models import Organisation


def organisations_list(*, actor: Actor) -> QuerySet[Organisation]:
    """The organisations of the actor's network, by name; none for an actor without one."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(network_id=membership.organisation.network_id).order_by(
        "name", "id"
    )
