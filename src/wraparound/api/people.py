"""People: search, read, register, edit, household. Every read goes through
``people/selectors.py`` (and so the access policy), every write through ``people/services.py``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, model_validator

from wraparound.accounts.actor import Actor
from wraparound.api.auth import request_actor
from wraparound.api.pagination import PageParams, page_of
from wraparound.api.schemas import (
    MAX_ID,
    CaseSummaryOut,
    HouseholdMemberOut,
    HouseholdOut,
    HouseholdSummaryOut,
    IdentifierOut,
    IsoDate,
    PageOut,
    PersonCreateIn,
    PersonOut,
    PersonPatchIn,
    PersonSummaryOut,
    Text,
    WithheldOut,
    with_errors,
)
from wraparound.cases.models import Case
from wraparound.cases.selectors import cases_for_person
from wraparound.consent.categories import DataCategory
from wraparound.core.pagination import COUNT_CAP
from wraparound.people.matching import (
    Candidate,
    MatchInput,
    match_candidates,
    registration_candidates,
)
from wraparound.people.models import Person
from wraparound.people.selectors import (
    PersonRecord,
    SearchCriteria,
    audit_list_reads,
    household_for_person,
    identifiers_for_person,
    people_for_lists,
    person_get,
    person_record,
    person_search,
    person_search_count,
)
from wraparound.people.services import PersonDetails, person_create, person_update

router = Router(tags=["people"])

PersonId = Path(..., ge=1, le=MAX_ID)

_SEARCH_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _as_date(word: str) -> date | None:
    for fmt in _SEARCH_DATE_FORMATS:
        try:
            return datetime.strptime(word, fmt).date()
        except ValueError:
            continue
    return None


def split_search_text(text: str) -> tuple[str, date | None]:
    """Separate a date of birth typed among the name words: "evans 03/04/1980" ->
    ("evans", 1980-04-03). Only the first date is taken; the rest stay words."""
    words: list[str] = []
    found: date | None = None
    for word in text.split():
        parsed = _as_date(word) if found is None else None
        if parsed is None:
            words.append(word)
        else:
            found = parsed
    return " ".join(words), found


class PeopleFilters(PageParams):
    q: Text = Field(
        "",
        max_length=200,
        description="Name words, matched by prefix; a date in it (YYYY-MM-DD or DD/MM/YYYY) "
        "is used as the date of birth.",
    )
    dob: IsoDate | None = Field(None, description="Date of birth; wins over a date in q.")
    identifier: Text = Field("", max_length=60, description="Any identifier, exactly.")
    caseload: Literal["mine"] | None = Field(
        None, description="mine: only people you are the key worker for on an active case."
    )


def _case_out(case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.pk,
        reference=case.reference,
        status=case.status,
        lead_organisation=case.lead_organisation.slug,
        key_worker=case.key_worker.username if case.key_worker else None,
        opened_on=case.opened_on,
    )


def _summary_out(person: Person) -> PersonSummaryOut:
    return PersonSummaryOut(
        id=person.pk,
        reference=person.reference,
        given_name=person.given_name,
        family_name=person.family_name,
        preferred_name=person.preferred_name,
        date_of_birth=person.date_of_birth,
        date_of_birth_is_approximate=person.date_of_birth_is_approximate,
        # A withheld address is shown only on the record, to the workers named for it.
        postcode="" if person.address_withheld else person.postcode,
        # Prefetched by people_for_lists: no query per person.
        active_cases=[_case_out(case) for case in person.active_cases],  # type: ignore[attr-defined]
    )


ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "area_id")


def _withheld_out(record: PersonRecord) -> list[WithheldOut]:
    withheld = {
        category: WithheldOut(category=category, reason=reason)
        for category, reason in record.withheld.items()
    }
    if not record.address_shown:
        entry = withheld.setdefault(
            DataCategory.SAFETY,
            WithheldOut(category=DataCategory.SAFETY, reason=record.address_reason),
        )
        entry.fields = list(ADDRESS_FIELDS)
    return list(withheld.values())


def _person_out(actor: Actor, record: PersonRecord) -> PersonOut:
    person = record.person
    values = dataclasses.asdict(PersonDetails.from_person(person))
    values["population_groups"] = sorted(g.group for g in record.population_groups)
    if not record.address_shown:
        values.update(dict.fromkeys(ADDRESS_FIELDS, "") | {"area_id": None})
    household = household_for_person(actor=actor, person=person)
    return PersonOut(
        id=person.pk,
        reference=person.reference,
        **values,
        withheld=_withheld_out(record),
        break_glass=record.break_glass,
        identifiers=[
            IdentifierOut(type=i.type, value=i.value, issuer=i.issuer)
            for i in identifiers_for_person(actor=actor, person=person)
        ],
        household=(
            HouseholdSummaryOut(id=household.household.pk, name=household.household.name)
            if household
            else None
        ),
        cases=[_case_out(case) for case in cases_for_person(actor=actor, person=person)],
    )


def _record(actor: Actor, person_id: int) -> PersonRecord:
    return person_record(actor=actor, person_id=person_id, audit_as="api.person.view")


@router.get(
    "",
    response=with_errors({200: PageOut[PersonSummaryOut]}, 422),
    summary="Search the people you may see",
)
def list_people(request: HttpRequest, filters: Query[PeopleFilters]) -> PageOut[PersonSummaryOut]:
    actor = request_actor(request)
    name, date_in_text = split_search_text(filters.q)
    criteria: SearchCriteria = {
        "name": name,
        "date_of_birth": filters.dob or date_in_text,
        "identifier": filters.identifier,
        "caseload_only": filters.caseload == "mine",
    }
    people = person_search(actor=actor, **criteria)
    count, page = page_of(
        people_for_lists(people),
        filters,
        capped=True,
        count=person_search_count(actor=actor, found=people, **criteria),
    )
    audit_list_reads(actor=actor, people=page, action="api.person.list")
    return PageOut[PersonSummaryOut](
        count=count,
        count_capped=count > COUNT_CAP,
        page=filters.page,
        page_size=filters.page_size,
        results=[_summary_out(person) for person in page],
    )


# --- Online matching ----------------------------------------------------------------------


class MatchFieldOut(Schema):
    field: str = Field(description="The compared field, e.g. date_of_birth.")
    label: str = Field(description='In words, e.g. "date of birth day/month swapped".')
    weight: float = Field(description="Its evidence for a match (log2 Bayes factor).")


class MatchCandidateOut(Schema):
    """A person who may be the one described. Someone your organisation does not work with
    is shown with the identity minimum: no date of birth (only the year), the postcode
    district, and who holds the record, so that you can ask them."""

    person_id: int
    reference: str
    name: str
    probability: float = Field(description="Match probability from the linkage model, 0..1.")
    explanation: str = Field(
        description='Per field, e.g. "family name exact, date of birth day/month swapped".'
    )
    fields: list[MatchFieldOut]
    full_access: bool = Field(description="Whether you may open this person's record.")
    date_of_birth: date | None
    year_of_birth: int | None
    postcode: str
    held_by: str = Field(description="The organisation that registered the person.")


class MatchOut(Schema):
    candidates: list[MatchCandidateOut]


class PossibleDuplicateOut(Schema):
    detail: str
    candidates: list[MatchCandidateOut]


def _candidate_out(candidate: Candidate) -> MatchCandidateOut:
    return MatchCandidateOut(
        person_id=candidate.person_id,
        reference=candidate.reference,
        name=candidate.full_name,
        probability=round(candidate.probability, 4),
        explanation=candidate.explanation,
        fields=[
            MatchFieldOut(field=x.field, label=x.label, weight=x.weight) for x in candidate.fields
        ],
        full_access=candidate.full_access,
        date_of_birth=candidate.date_of_birth,
        year_of_birth=candidate.year_of_birth,
        postcode=candidate.postcode,
        held_by=candidate.held_by,
    )


class MatchFilters(Schema):
    given_name: Text = Field("", max_length=100)
    family_name: Text = Field("", max_length=100)
    date_of_birth: IsoDate | None = None
    sex: Text = Field("", max_length=20)
    address: Text = Field("", max_length=300)
    postcode: Text = Field("", max_length=12)
    phone: Text = Field("", max_length=30)
    email: Text = Field("", max_length=254)

    @model_validator(mode="after")
    def _a_name(self) -> MatchFilters:
        if not (self.given_name.strip() or self.family_name.strip()):
            raise ValueError("Give a given name or a family name to match on")
        return self


@router.get(
    "/match",
    response=with_errors({200: MatchOut}, 403, 422),
    summary="Likely existing people for a record (one agency record at a time)",
)
def match_people(request: HttpRequest, filters: Query[MatchFilters]) -> MatchOut:
    """The people of your network who may be the person described, most likely first, each
    with the match explained per field. Scored with the network's trained linkage model;
    those below its lower threshold are left out. The lookup is audited, and so is every
    candidate returned."""
    actor = request_actor(request)
    candidates = match_candidates(
        actor=actor,
        record=MatchInput(**filters.model_dump()),
        audit_as="api.person.match",
    )
    return MatchOut(candidates=[_candidate_out(c) for c in candidates])


ConfirmNew = Query(
    False,
    description="Register even though likely existing people were found (after checking "
    "the candidates a 409 listed). Without it, likely existing people answer 409.",
)


@router.post(
    "",
    response=with_errors({201: PersonOut, 409: PossibleDuplicateOut}, 400, 403, 422),
    summary="Register a person",
)
def create_person(
    request: HttpRequest, payload: PersonCreateIn, confirm_new: bool = ConfirmNew
) -> Status[PersonOut] | Status[PossibleDuplicateOut]:
    """Registers the person, unless people who are likely the same already exist in the
    network: then nothing is written and the answer is 409 with the candidates, each
    explained per field. Use one of them, or send again with `?confirm_new=true`."""
    actor = request_actor(request)
    details = PersonDetails(**payload.model_dump(exclude_unset=True, exclude={"identifiers"}))
    if not confirm_new:
        candidates = registration_candidates(actor=actor, details=details)
        if candidates:
            return Status(
                409,
                PossibleDuplicateOut(
                    detail=f"{len(candidates)} people like this are already registered: "
                    "use one of them, or send again with ?confirm_new=true",
                    candidates=[_candidate_out(c) for c in candidates],
                ),
            )
    person = person_create(
        actor=actor,
        details=details,
        identifiers=[(i.type, i.value, i.issuer) for i in payload.identifiers],
    )
    return Status(201, _person_out(actor, _record(actor, person.pk)))


@router.get(
    "/{person_id}", response=with_errors({200: PersonOut}, 404, 422), summary="A person's record"
)
def get_person(request: HttpRequest, person_id: int = PersonId) -> PersonOut:
    actor = request_actor(request)
    return _person_out(actor, _record(actor, person_id))


@router.patch(
    "/{person_id}",
    response=with_errors({200: PersonOut}, 400, 403, 404, 422),
    summary="Change some of a person's details",
)
def update_person(
    request: HttpRequest, payload: PersonPatchIn, person_id: int = PersonId
) -> PersonOut:
    actor = request_actor(request)
    # Found with VIEW so that someone who may see but not edit hears 403 with the
    # reason, while someone who may not even see hears the same 404 as for no one.
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    details = dataclasses.replace(
        PersonDetails.from_person(person), **payload.model_dump(exclude_unset=True)
    )
    person_update(actor=actor, person=person, details=details)
    return _person_out(actor, _record(actor, person_id))


@router.get(
    "/{person_id}/household",
    response=with_errors({200: HouseholdOut}, 404, 422),
    summary="A person's household",
)
def get_household(request: HttpRequest, person_id: int = PersonId) -> HouseholdOut:
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="api.household.view")
    view = household_for_person(actor=actor, person=person)
    if view is None:
        raise Http404("This person belongs to no household")
    return HouseholdOut(
        id=view.household.pk,
        name=view.household.name,
        members=[
            HouseholdMemberOut(
                person_id=member.person_id,
                name=member.person.full_name,
                relationship=member.relationship,
            )
            for member in view.members
        ],
        hidden_members=view.hidden_members,
    )
