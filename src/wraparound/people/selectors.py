"""Reads of people, households and identifiers. Every one starts from the access policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Concat
from django.http import Http404

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.audit.services import PersonRead, audit_denied, audit_reads
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory, category_label
from wraparound.consent.models import Purpose
from wraparound.consent.policy import (
    AccessDecision,
    Action,
    address_decision,
    decide,
    visible_people,
    visible_people_count,
    visible_people_named,
    withheld_categories,
)
from wraparound.core.pagination import COUNT_CAP, capped_count
from wraparound.people.choices import POPULATION_GROUP_CATEGORY, Relationship
from wraparound.people.models import (
    Household,
    HouseholdMember,
    Identifier,
    Person,
    PersonNameToken,
    PersonPopulationGroup,
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


class SearchCriteria(TypedDict, total=False):
    """``person_search``'s criteria, for callers that pass them on to the count as well."""

    name: str
    date_of_birth: date | None
    identifier: str
    caseload_only: bool


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
    # A record merged into another is history: the survivor is found instead.
    tokens = query_tokens(name)  # longest first: the most selective drives the search
    people = (
        visible_people_named(actor, _token_prefix(tokens[0])) if tokens else visible_people(actor)
    ).filter(merged_into__isnull=True)
    for token in tokens[1:]:
        # Checked per candidate through the (person, token) index, instead of listing every
        # person with a name starting "j" as the first word would.
        people = people.filter(
            Exists(PersonNameToken.objects.filter(_token_prefix(token), person=OuterRef("pk")))
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
    if tokens:
        # A name search's matches are found from the token side and sorted: ordering on an
        # expression keeps PostgreSQL from walking the whole name index in order and probing
        # every person for a match (a plan it picks for broad prefixes, tens of ms).
        return people.order_by(Concat("sort_name", Value("")), "id")
    return people.order_by("sort_name", "id")


def person_search_count(
    *,
    actor: Actor,
    found: QuerySet[Person],
    name: str = "",
    date_of_birth: date | None = None,
    identifier: str = "",
    caseload_only: bool = False,
) -> int:
    """How many people ``found`` (``person_search`` with these criteria) holds, counting no
    further than COUNT_CAP + 1. With no criteria that is everyone the actor may see, counted
    from the access grants: cheap however few of the network's people they are, where the
    list itself would probe the whole name index. A search is counted on its matches."""
    if not (query_tokens(name) or date_of_birth or identifier.strip() or caseload_only):
        return visible_people_count(actor, cap=COUNT_CAP)
    return capped_count(found)


def _fetch(person_id: int) -> Person | None:
    return (
        Person.objects.select_related("area", "registered_by")
        .prefetch_related("population_groups")
        .filter(pk=person_id)
        .first()
    )


def person_get(
    *,
    actor: Actor,
    person_id: int,
    action: Action = Action.VIEW,
    purpose: str = Purpose.CARE_COORDINATION,
    audit_as: str | None = "person.view",
    denied_as: str = "person.view",
) -> Person:
    """The person, if the actor may see (or, with ``action=EDIT``, change) them.

    Allowed reads of their identity are audited as ``audit_as``; refusals are audited too
    (for the privacy officer) and raise PersonNotFound, exactly as for a missing person.
    """
    person = _fetch(person_id)
    if person is None:
        raise PersonNotFound("No person with that id")
    decision = decide(actor=actor, person=person, action=action, purpose=purpose)
    if not decision:
        audit_denied(
            actor=actor,
            action=audit_as or denied_as,
            person_id=person.pk,
            categories=[DataCategory.IDENTITY],
            purpose=purpose,
            reason=decision.reason,
        )
        raise PersonNotFound("No person with that id")
    if audit_as:
        audit_reads(
            actor=actor,
            action=audit_as,
            purpose=purpose,
            summary="Opened the record",
            reads=[
                PersonRead(
                    person.pk, [DataCategory.IDENTITY], decision.reason, decision.break_glass
                )
            ],
        )
    return person


@dataclass(frozen=True)
class PersonRecord:
    """A person as one actor may see them: what is shown, and what is withheld and why."""

    person: Person
    access: AccessDecision
    withheld: dict[str, str]
    address_shown: bool
    address_reason: str
    population_groups: list[PersonPopulationGroup]

    @property
    def break_glass(self) -> bool:
        return self.access.break_glass

    def shows(self, category: str) -> bool:
        return category not in self.withheld

    @property
    def withheld_labels(self) -> list[tuple[str, str]]:
        return [(category_label(c), reason) for c, reason in self.withheld.items()]


def person_record(
    *,
    actor: Actor,
    person_id: int,
    purpose: str = Purpose.CARE_COORDINATION,
    audit_as: str = "person.view",
) -> PersonRecord:
    """The record page's (and the API's) view of a person, audited as one read listing the
    categories shown and those withheld."""
    person = person_get(
        actor=actor, person_id=person_id, purpose=purpose, audit_as=None, denied_as=audit_as
    )
    decisions = {
        category: decide(actor=actor, person=person, category=category, purpose=purpose)
        for category in DataCategory
    }
    withheld: dict[str, str] = {str(c): d.reason for c, d in decisions.items() if not d}
    # Flagged when break-glass was needed for anything shown, not only for identity.
    used_break_glass = any(d.break_glass for d in decisions.values() if d)
    access = dataclasses.replace(decisions[DataCategory.IDENTITY], break_glass=used_break_glass)
    address = address_decision(actor=actor, person=person)
    groups = [
        g
        for g in person.population_groups.all()
        if POPULATION_GROUP_CATEGORY.get(g.group, DataCategory.IDENTITY) not in withheld
    ]
    shown = [c for c in DataCategory if c not in withheld]
    audit_reads(
        actor=actor,
        action=audit_as,
        purpose=purpose,
        summary="Viewed the record",
        reads=[PersonRead(person.pk, shown, access.reason, access.break_glass, list(withheld))],
    )
    return PersonRecord(person, access, withheld, bool(address), address.reason, groups)


def audit_list_reads(*, actor: Actor, people: Iterable[Person], action: str) -> None:
    """Record that each listed person's identity was shown (list pages, API lists)."""
    audit_reads(
        actor=actor,
        action=action,
        purpose=Purpose.CARE_COORDINATION,
        summary="Shown in a list",
        reads=[PersonRead(p.pk, [DataCategory.IDENTITY], "listed") for p in people],
    )


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    members: list[HouseholdMember]
    hidden_members: int


def household_for_person(*, actor: Actor, person: Person) -> HouseholdView | None:
    """The person's household; members the actor may not see are counted, not shown.
    None when there is none or the household category is withheld."""
    if not decide(actor=actor, person=person, category=DataCategory.HOUSEHOLD):
        return None
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
    """What has happened on the record, newest first: the writes recorded by the audit,
    leaving out events about categories the actor may not see."""
    decide_or_404(actor=actor, person=person)
    events = AuditEvent.objects.filter(person_id=person.pk, kind=AuditKind.WRITE)
    hidden = list(withheld_categories(actor=actor, person=person))
    for category in hidden:
        # categories is a JSON list; a text match on the quoted code works on both databases.
        events = events.exclude(categories__icontains=f'"{category}"')
    return events.order_by("-occurred_at", "-id")


# What a list row shows of a person and of their active cases (the search page and the API
# list); nothing more is read, so no one's full record (nor a worker's password hash) is
# loaded to draw a line of a table.
LIST_PERSON_FIELDS = (
    "network_id",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "date_of_birth_is_approximate",
    "address_withheld",
    "postcode",
    "sort_name",
)
LIST_CASE_FIELDS = (
    "person_id",
    "status",
    "opened_on",
    "lead_organisation__slug",
    "lead_organisation__name",
    "key_worker__username",
    "key_worker__display_name",
    "key_worker__first_name",
    "key_worker__last_name",
)


def people_for_lists(people: QuerySet[Person]) -> QuerySet[Person]:
    """Add what list pages show beside each person, in a fixed number of queries."""
    return people.only(*LIST_PERSON_FIELDS).prefetch_related(
        Prefetch(
            "cases",
            queryset=Case.objects.exclude(status=CaseStatus.CLOSED)
            .select_related("lead_organisation", "key_worker")
            .only(*LIST_CASE_FIELDS),
            to_attr="active_cases",
        )
    )
