"""Reads of people, households and identifiers. Every one starts from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import Prefetch, Q, QuerySet, When
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.policy import Action, decide, visible_people
from wraparound.people.choices import Relationship
from wraparound.people.models import (
    Household,
    HouseholdMember,
    Identifier,
    Person,
    PersonNameToken,
)
from wraparound.people.validation import query_tokens


class PersonNotFound(Http404):
    """Raised alike for a person who does not exist and one the actor may not see."""


def _token_prefix(prefix: str) -> Q:
    # PostgreSQL serves LIKE 'x%' from the varchar_pattern_ops index Django adds for
    # db_index=True; SQLite only uses an index for a range. Tokens are ASCII, so "\x7f"
    # sorts after every character they can hold.
    if connection.vendor == "postgresql":
        return Q(token__startswith=prefix)
    return Q(token__gte=prefix, token__lt=prefix + "\x7f")


def person_search(
    *,
    actor: Actor,
    name: str = "",
    date_of_birth: date | None = None,
    identifier: str = "",
    caseload_only: bool = False,
) -> QuerySet[Person]:
    """People the actor may see, matching every given criterion, in name order.

    Names match by word prefix, ignoring case and accents, across given, family, preferred
    and previous names: "sian ev" finds "Siân Evans-Hughes".
    """
    people = visible_people(actor)
    for token in query_tokens(name):
        people = people.filter(
            pk__in=PersonNameToken.objects.filter(_token_prefix(token)).values("person_id")
        )
    if date_of_birth is not None:
        people = people.filter(date_of_birth=date_of_birth)
    if identifier.strip():
        value = "".join(identifier.split()).upper().replace("-", "")
        people = people.filter(pk__in=Identifier.objects.filter(value=value).values("person_id"))
    if caseload_only and actor.user is not None:
        people = people.filter(
            pk__in=Case.objects.filter(key_worker=actor.user)
            .exclude(status=CaseStatus.CLOSED)
            .values("person_id")
        )
    return people.order_by("sort_name", "id")


def person_get(*, actor: Actor, person_id: int, action: Action = Action.VIEW) -> Person:
    person = (
        Person.objects.select_related("area", "registered_by")
        .prefetch_related("population_groups")
        .filter(pk=person_id)
        .first()
    )
    if person is None or not decide(actor=actor, person=person, action=action):
        raise PersonNotFound("No person with that id")
    return person


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    members: list[HouseholdMember]
    hidden_members: int


def household_for_person(*, actor: Actor, person: Person) -> HouseholdView | None:
    """The person's household; members the actor may not see are counted, not shown."""
    link = HouseholdMember.objects.select_related("household").filter(person=person).first()
    if link is None:
        return None
    head_first = SqlCase(When(relationship=Relationship.HEAD, then=0), default=1)
    members = list(
        HouseholdMember.objects.filter(household=link.household)
        .select_related("person")
        .order_by(head_first, "id")
    )
    visible_ids = set(
        visible_people(actor)
        .filter(pk__in=[m.person_id for m in members])
        .values_list("pk", flat=True)
    )
    shown = [m for m in members if m.person_id in visible_ids]
    return HouseholdView(link.household, shown, len(members) - len(shown))


def household_get(*, actor: Actor, household_id: int) -> HouseholdView:
    """A household the actor may see at least one member of."""
    member = (
        HouseholdMember.objects.filter(household_id=household_id)
        .filter(person__in=visible_people(actor))
        .select_related("person")
        .first()
    )
    if member is None:
        raise Http404("No household with that id")
    view = household_for_person(actor=actor, person=member.person)
    assert view is not None
    return view


def identifiers_for_person(*, actor: Actor, person: Person) -> list[Identifier]:
    decide_or_404(actor=actor, person=person)
    return list(person.identifiers.order_by("type", "value"))


def decide_or_404(*, actor: Actor, person: Person, action: Action = Action.VIEW) -> None:
    if not decide(actor=actor, person=person, action=action):
        raise PersonNotFound("No person with that id")


def person_timeline(*, actor: Actor, person: Person) -> QuerySet[AuditEvent]:
    """What has happened on the record, newest first: the writes recorded by the audit."""
    decide_or_404(actor=actor, person=person)
    return AuditEvent.objects.filter(person_id=person.pk, kind=AuditKind.WRITE).order_by(
        "-occurred_at", "-id"
    )


def people_for_lists(people: QuerySet[Person]) -> QuerySet[Person]:
    """Add what list pages show beside each person, in a fixed number of queries."""
    return people.select_related("area").prefetch_related(
        Prefetch(
            "cases",
            queryset=Case.objects.exclude(status=CaseStatus.CLOSED).select_related(
                "lead_organisation", "key_worker"
            ),
            to_attr="active_cases",
        )
    )
