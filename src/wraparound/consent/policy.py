"""The access policy: the one place that decides who may see or change a person's record.

Deny by default. A decision carries its reason, so it can be shown and audited.

Foundation rule (ADR 0004): a member of staff may see a person of their own network when
their organisation leads one of the person's cases, registered the person, or they are
the person's key worker. Changing the record also needs a casework role. The trust layer
adds consents, legal bases and break-glass here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.cases.models import Case
from wraparound.people.models import Person


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


DENY_NO_MEMBERSHIP = AccessDecision(False, "not a member of any organisation")
DENY_NO_RELATIONSHIP = AccessDecision(
    False, "your organisation holds no case for this person and did not register them"
)


def _relationship_filter(actor: Actor) -> Q:
    membership = actor.membership
    assert membership is not None
    cases = Case.objects.filter(person=OuterRef("pk"))
    return (
        Q(registered_by_id=membership.organisation_id)
        | Exists(cases.filter(lead_organisation_id=membership.organisation_id))
        | Exists(cases.filter(key_worker_id=membership.user_id))
    )


def visible_people(actor: Actor) -> QuerySet[Person]:
    """Every person the actor may see. Selectors start from this and nothing else."""
    membership = actor.membership
    if membership is None or not membership.is_active:
        return Person.objects.none()
    return Person.objects.filter(
        Q(network_id=membership.organisation.network_id) & _relationship_filter(actor)
    )


def decide(*, actor: Actor, person: Person, action: Action = Action.VIEW) -> AccessDecision:
    membership = actor.membership
    if membership is None or not membership.is_active:
        return DENY_NO_MEMBERSHIP
    if person.network_id != membership.organisation.network_id:
        return AccessDecision(False, "the person belongs to another network")
    if action is Action.EDIT and membership.role not in CASEWORK_ROLES:
        return AccessDecision(
            False, f"the {membership.get_role_display()} role cannot edit records"
        )
    org_id = membership.organisation_id
    if person.registered_by_id == org_id:
        return AccessDecision(True, "your organisation registered this person")
    case_relationship = (
        Case.objects.filter(person=person)
        .filter(Q(lead_organisation_id=org_id) | Q(key_worker_id=membership.user_id))
        .order_by("-last_activity_at")
        .values_list("lead_organisation_id", "key_worker_id")
        .first()
    )
    if case_relationship is None:
        return DENY_NO_RELATIONSHIP
    if case_relationship[1] == membership.user_id:
        return AccessDecision(True, "you are this person's key worker")
    return AccessDecision(True, "your organisation leads a case for this person")


def require(decision: AccessDecision) -> None:
    """Raise PermissionDenied with the policy's reason unless the decision allows."""
    if not decision.allowed:
        raise PermissionDenied(decision.reason)


def may_register_people(actor: Actor) -> AccessDecision:
    membership = actor.membership
    if membership is None or not membership.is_active:
        return DENY_NO_MEMBERSHIP
    if membership.role not in CASEWORK_ROLES:
        return AccessDecision(
            False, f"the {membership.get_role_display()} role cannot register people"
        )
    return AccessDecision(True, "casework role")
