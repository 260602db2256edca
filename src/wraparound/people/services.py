"""Writes to people, households and identifiers. Keyword-only, typed, atomic and audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Membership, User
from wraparound.audit.services import audit_record, diff_fields
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.consent.grants import sync_access_grants, sync_granted_tokens
from wraparound.consent.policy import (
    Action,
    address_decision,
    decide,
    may_register_people,
    require,
)
from wraparound.core.models import Area
from wraparound.people.choices import (
    LANGUAGE_NAMES,
    Gender,
    IdentifierType,
    PopulationGroup,
    Relationship,
    Sex,
)
from wraparound.people.matching import refresh_match_keys
from wraparound.people.models import (
    Household,
    HouseholdMember,
    Identifier,
    Person,
    PersonNameToken,
    PersonPopulationGroup,
)
from wraparound.people.validation import (
    name_tokens,
    normalise_identifier,
    normalise_phone,
    sort_name,
    validate_birth_date,
)


@dataclass
class PersonDetails:
    """Everything a worker may type about a person. Shared by the form, the API and the seed."""

    given_name: str
    family_name: str
    preferred_name: str = ""
    previous_names: list[str] = field(default_factory=list)
    date_of_birth: date | None = None
    date_of_birth_is_approximate: bool = False
    sex: str = Sex.NOT_KNOWN
    gender: str = ""
    gender_description: str = ""
    phone: str = ""
    email: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    area_id: int | None = None
    preferred_languages: list[str] = field(default_factory=list)
    interpreter_needed: bool = False
    population_groups: list[str] = field(default_factory=list)

    @classmethod
    def from_person(cls, person: Person) -> PersonDetails:
        values = {
            f.name: getattr(person, f.name)
            for f in dataclasses.fields(cls)
            if f.name not in {"population_groups", "area_id"}
        }
        values["area_id"] = person.area_id
        values["population_groups"] = sorted(g.group for g in person.population_groups.all())
        return cls(**values)


ADDRESS_FIELDS = frozenset({"address_line_1", "address_line_2", "town", "postcode", "area_id"})
MODEL_FIELDS = [f.name for f in dataclasses.fields(PersonDetails) if f.name != "population_groups"]
# The database's limits, checked up front so an over-long value is a field error, not a crash.
_TEXT_LIMITS = {
    f.name: f.max_length
    for f in Person._meta.get_fields()
    if isinstance(f, models.CharField) and f.name in MODEL_FIELDS and f.max_length
}


def _clean_details(details: PersonDetails, *, network_id: int) -> PersonDetails:
    """The details, normalised, or a ValidationError listing every problem by field."""
    errors: dict[str, list[str]] = {}

    def check(name: str, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            return None

    cleaned = dataclasses.replace(details)
    for name in (
        "given_name",
        "family_name",
        "preferred_name",
        "gender_description",
        "address_line_1",
        "address_line_2",
        "town",
    ):
        setattr(cleaned, name, " ".join((getattr(details, name) or "").split()))
    if not cleaned.given_name:
        errors["given_name"] = ["Enter a given name"]
    if not cleaned.family_name:
        errors["family_name"] = ["Enter a family name"]
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(cleaned, name) or "") > limit:
            errors.setdefault(name, []).append(f"Must be {limit} characters or fewer")
    too_long = [n for n in details.previous_names if len(n) > 200]
    if too_long:
        errors["previous_names"] = ["Each previous name must be 200 characters or fewer"]
    cleaned.previous_names = [" ".join(n.split()) for n in details.previous_names if n.strip()]
    check("date_of_birth", lambda: validate_birth_date(details.date_of_birth))
    if details.date_of_birth is None and details.date_of_birth_is_approximate:
        errors["date_of_birth"] = ["Enter an approximate date of birth, or untick 'approximate'"]
    if details.sex not in Sex.values:
        errors["sex"] = [f"Choose one of: {', '.join(Sex.values)}"]
    if details.gender and details.gender not in Gender.values:
        errors["gender"] = [f"Choose one of: {', '.join(Gender.values)}"]
    phone = check("phone", lambda: normalise_phone(details.phone))
    cleaned.phone = phone or ""
    cleaned.email = (details.email or "").strip().lower()
    if cleaned.email:
        check("email", lambda: validate_email(cleaned.email))
    cleaned.postcode = " ".join((details.postcode or "").upper().split())
    if (
        details.area_id is not None
        and not Area.objects.filter(pk=details.area_id, network_id=network_id).exists()
    ):
        errors["area_id"] = ["Choose an area of this network"]
    unknown_languages = [c for c in details.preferred_languages if c not in LANGUAGE_NAMES]
    if unknown_languages:
        errors["preferred_languages"] = [f"Unknown language code: {', '.join(unknown_languages)}"]
    cleaned.preferred_languages = list(dict.fromkeys(details.preferred_languages))
    unknown_groups = [g for g in details.population_groups if g not in PopulationGroup.values]
    if unknown_groups:
        errors["population_groups"] = [f"Unknown population group: {', '.join(unknown_groups)}"]
    cleaned.population_groups = sorted(set(details.population_groups))
    if errors:
        raise ValidationError(errors)
    return cleaned


def refresh_search_index(person: Person) -> None:
    PersonNameToken.objects.filter(person=person).delete()
    tokens = name_tokens(
        person.given_name, person.family_name, person.preferred_name, *person.previous_names
    )
    PersonNameToken.objects.bulk_create(PersonNameToken(person=person, token=t) for t in tokens)
    sync_granted_tokens([person.pk])


def _set_population_groups(person: Person, groups: Sequence[str]) -> None:
    PersonPopulationGroup.objects.filter(person=person).exclude(group__in=groups).delete()
    existing = set(
        PersonPopulationGroup.objects.filter(person=person).values_list("group", flat=True)
    )
    PersonPopulationGroup.objects.bulk_create(
        PersonPopulationGroup(person=person, group=g) for g in groups if g not in existing
    )


def touch_cases(person: Person) -> None:
    """Bring the person's active cases to the top of their key workers' caseloads."""
    Case.objects.filter(person=person).exclude(status=CaseStatus.CLOSED).update(
        last_activity_at=timezone.now()
    )


def person_create(
    *,
    actor: Actor,
    details: PersonDetails,
    identifiers: Sequence[tuple[str, str, str]] = (),
) -> Person:
    """Register a person (with optional identifiers as (type, value, issuer))."""
    require(may_register_people(actor))
    membership = actor.require_membership()
    network_id = membership.organisation.network_id
    cleaned = _clean_details(details, network_id=network_id)
    normalised_ids = _clean_identifiers(identifiers, network_id=network_id)
    try:
        person = _person_insert(actor, cleaned, normalised_ids, network_id=network_id)
    except IntegrityError as exc:  # the same identifier registered concurrently
        raise ValidationError(
            {
                "identifiers": [
                    "One of these identifiers was just registered for another person: "
                    "search for them instead of registering again"
                ]
            }
        ) from exc
    return person


def _person_insert(
    actor: Actor,
    cleaned: PersonDetails,
    identifiers: list[tuple[str, str, str]],
    *,
    network_id: int,
) -> Person:
    membership = actor.require_membership()
    with transaction.atomic():
        person = Person(
            network_id=network_id,
            registered_by_id=membership.organisation_id,
            sort_name=sort_name(cleaned.given_name, cleaned.family_name),
            **{name: getattr(cleaned, name) for name in MODEL_FIELDS},
        )
        person.save()
        _set_population_groups(person, cleaned.population_groups)
        refresh_search_index(person)
        refresh_match_keys(person)
        for id_type, value, issuer in identifiers:
            Identifier.objects.create(
                person=person, network_id=network_id, type=id_type, value=value, issuer=issuer
            )
        sync_access_grants([person.pk])
        audit_record(
            actor=actor,
            action="person.create",
            person_id=person.pk,
            target=person,
            summary=f"Registered {person.full_name}",
            categories=["identity"],
        )
    return person


def person_update(*, actor: Actor, person: Person, details: PersonDetails) -> Person:
    require(decide(actor=actor, person=person, action=Action.EDIT))
    cleaned = _clean_details(details, network_id=person.network_id)
    before = dataclasses.asdict(PersonDetails.from_person(person))
    after = dataclasses.asdict(cleaned)
    changes = diff_fields(before, after)
    if not changes:
        return person
    if set(changes) & ADDRESS_FIELDS and not address_decision(actor=actor, person=person):
        raise PermissionDenied("The address is withheld for safety: you cannot change it")
    with transaction.atomic():
        for name in MODEL_FIELDS:
            setattr(person, name, getattr(cleaned, name))
        person.sort_name = sort_name(cleaned.given_name, cleaned.family_name)
        person.save()
        _set_population_groups(person, cleaned.population_groups)
        # The caller's instance may hold prefetched groups from before the change.
        getattr(person, "_prefetched_objects_cache", {}).pop("population_groups", None)
        refresh_search_index(person)
        refresh_match_keys(person)
        touch_cases(person)
        labels = ", ".join(name.replace("_id", "").replace("_", " ") for name in changes)
        audit_record(
            actor=actor,
            action="person.update",
            person_id=person.pk,
            target=person,
            summary=f"Details edited: {labels}",
            categories=["identity"],
            changes=changes,
        )
    return person


def _clean_identifiers(
    identifiers: Sequence[tuple[str, str, str]],
    *,
    network_id: int,
    exclude_person_id: int | None = None,
) -> list[tuple[str, str, str]]:
    cleaned: list[tuple[str, str, str]] = []
    errors: list[str] = []
    for id_type, raw, issuer in identifiers:
        if id_type not in IdentifierType.values:
            errors.append(f"Unknown identifier type {id_type!r}")
            continue
        try:
            value = normalise_identifier(id_type, raw)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        issuer = " ".join((issuer or "").split())
        key = (id_type, value, issuer)
        if key in cleaned:
            errors.append(f"{IdentifierType(id_type).label} {value} is listed twice")
            continue
        clash = Identifier.objects.filter(
            network_id=network_id, type=id_type, value=value, issuer=issuer
        )
        if exclude_person_id is not None:
            clash = clash.exclude(person_id=exclude_person_id)
        if clash.exists():
            errors.append(
                f"{IdentifierType(id_type).label} {value} already belongs to another person "
                "in this network: search for them instead of registering again"
            )
            continue
        cleaned.append(key)
    if errors:
        raise ValidationError({"identifiers": errors})
    return cleaned


def identifier_add(
    *, actor: Actor, person: Person, identifier_type: str, value: str, issuer: str = ""
) -> Identifier:
    require(decide(actor=actor, person=person, action=Action.EDIT))
    [(id_type, normalised, issuer)] = _clean_identifiers(
        [(identifier_type, value, issuer)], network_id=person.network_id
    )
    try:
        with transaction.atomic():
            identifier = Identifier.objects.create(
                person=person,
                network_id=person.network_id,
                type=id_type,
                value=normalised,
                issuer=issuer,
            )
            audit_record(
                actor=actor,
                action="identifier.add",
                person_id=person.pk,
                target=identifier,
                summary=f"Identifier added: {identifier}",
                categories=["identity"],
            )
    except IntegrityError as exc:  # a concurrent registration of the same identifier
        raise ValidationError(
            {
                "identifiers": [
                    f"{IdentifierType(id_type).label} {normalised} already belongs "
                    "to another person in this network"
                ]
            }
        ) from exc
    return identifier


def identifier_remove(*, actor: Actor, identifier: Identifier) -> None:
    person = identifier.person
    require(decide(actor=actor, person=person, action=Action.EDIT))
    with transaction.atomic():
        label = str(identifier)
        identifier.delete()
        audit_record(
            actor=actor,
            action="identifier.remove",
            person_id=person.pk,
            summary=f"Identifier removed: {label}",
            categories=["identity"],
        )


@dataclass(frozen=True)
class MemberInput:
    person: Person
    relationship: str


def household_save(
    *,
    actor: Actor,
    name: str,
    members: Sequence[MemberInput],
    household: Household | None = None,
) -> Household:
    """Create a household or replace its name and members. Exactly one head, no one twice,
    no one who already lives in another household."""
    membership = actor.require_membership()
    network_id = membership.organisation.network_id
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = ["Enter a name for the household, such as the family name"]
    member_errors: list[str] = []
    given_ids = {m.person.pk for m in members}
    # Members the actor may not change (or see) stay exactly as they are.
    kept = []
    if household is not None:
        for existing in household.members.select_related("person"):
            if existing.person_id not in given_ids and not decide(
                actor=actor, person=existing.person, action=Action.EDIT
            ):
                kept.append(MemberInput(existing.person, existing.relationship))
    if not members and not kept:
        member_errors.append("Add at least one member")
    heads = [m for m in members if m.relationship == Relationship.HEAD]
    kept_heads = [m for m in kept if m.relationship == Relationship.HEAD]
    if len(heads) + len(kept_heads) == 0:
        member_errors.append("Choose exactly one head of household")
    elif len(heads) > 1:
        member_errors.append(
            "A household has one head: "
            f"{', '.join(m.person.full_name for m in heads)} are all marked as head"
        )
    elif heads and kept_heads:
        member_errors.append(
            "The household already has a head whose record you cannot change; "
            "ask their key worker to change it"
        )
    seen: set[int] = set()
    for member in members:
        if member.relationship not in Relationship.values:
            member_errors.append(f"Unknown relationship {member.relationship!r}")
        if member.person.pk in seen:
            member_errors.append(f"{member.person.full_name} is listed twice")
        seen.add(member.person.pk)
        if member.person.network_id != network_id or not decide(
            actor=actor, person=member.person, action=Action.EDIT
        ):
            member_errors.append(f"You cannot add {member.person.full_name} to a household")
            continue
        elsewhere = HouseholdMember.objects.filter(person=member.person)
        if household is not None:
            elsewhere = elsewhere.exclude(household=household)
        other = elsewhere.select_related("household").first()
        if other is not None:
            member_errors.append(
                f"{member.person.full_name} already lives in the {other.household.name} "
                "household: remove them from it first"
            )
    if member_errors:
        errors["members"] = member_errors
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        creating = household is None
        if household is None:
            household = Household.objects.create(network_id=network_id, name=name)
            before: dict[int, str] = {}
        else:
            household = Household.objects.select_for_update().get(pk=household.pk)
            before = dict(household.members.values_list("person_id", "relationship"))
            household.name = name
            household.save(update_fields=["name", "updated_at"])
        after = {m.person.pk: m.relationship for m in [*members, *kept]}
        household.members.exclude(person_id__in=after).delete()
        # Non-heads first, so a head handing over never leaves two heads at once.
        for member in sorted(members, key=lambda m: m.relationship == Relationship.HEAD):
            HouseholdMember.objects.update_or_create(
                household=household,
                person=member.person,
                defaults={"relationship": member.relationship},
            )
        names = {m.person.pk: m.person.full_name for m in members}
        for person_id in set(before) | set(after):
            if before.get(person_id) == after.get(person_id) and not creating:
                continue
            if person_id not in after:
                summary = f"Left the {name} household"
            elif person_id not in before:
                summary = (
                    f"Joined the {name} household as {Relationship(after[person_id]).label.lower()}"
                )
            else:
                summary = (
                    f"Relationship in the {name} household changed to "
                    f"{Relationship(after[person_id]).label.lower()}"
                )
            audit_record(
                actor=actor,
                action="household.member",
                person_id=person_id,
                target=household,
                summary=summary,
                categories=["household"],
                changes={
                    "relationship": [before.get(person_id), after.get(person_id)],
                    "person": [None, names.get(person_id)],
                },
            )
    return household


def person_set_address_withholding(
    *, actor: Actor, person: Person, withheld: bool, visible_to: Sequence[User]
) -> Person:
    """Withhold a person's address for their safety (domestic abuse, a refuge): from then on
    only the named workers see it, whatever else the access policy allows. The named workers
    must be active staff of an organisation in the person's network. Lifting the withholding
    clears the names, so a later withholding starts from an empty list."""
    require(decide(actor=actor, person=person, action=Action.EDIT))
    named = list(dict.fromkeys(visible_to))
    errors: dict[str, list[str]] = {}
    if withheld and not named:
        errors["visible_to"] = ["Name at least one worker who may see the address"]
    eligible = set(
        Membership.objects.filter(
            user__in=named,
            user__is_active=True,
            is_active=True,
            organisation__network_id=person.network_id,
        ).values_list("user_id", flat=True)
    )
    outsiders = [u for u in named if u.pk not in eligible]
    if outsiders:
        errors.setdefault("visible_to", []).append(
            f"{', '.join(u.name for u in outsiders)} cannot be named: only active staff of "
            "this network's organisations can see a withheld address"
        )
    if errors:
        raise ValidationError(errors)
    named = named if withheld else []
    with transaction.atomic():
        before_names = sorted(u.name for u in person.address_visible_to.all())
        before_withheld = Person.objects.filter(pk=person.pk).values_list(
            "address_withheld", flat=True
        )[0]
        after_names = sorted(u.name for u in named)
        changes = diff_fields(
            {"address_withheld": before_withheld, "address_visible_to": before_names},
            {"address_withheld": withheld, "address_visible_to": after_names},
        )
        if not changes:
            return person
        Person.objects.filter(pk=person.pk).update(
            address_withheld=withheld, updated_at=timezone.now()
        )
        person.address_withheld = withheld
        person.address_visible_to.set(named)
        summary = (
            f"Address withheld for safety: shown only to {', '.join(after_names)}"
            if withheld
            else "Address no longer withheld"
        )
        audit_record(
            actor=actor,
            action="person.address_withholding",
            person_id=person.pk,
            target=person,
            summary=summary,
            categories=[DataCategory.SAFETY],
            changes=changes,
        )
    return person
