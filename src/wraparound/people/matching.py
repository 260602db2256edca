"""Online matching: "these might be the same person", while a worker registers someone or an
agency record arrives one at a time.

Two steps, both in-process and fast enough for a form (bench/_linkage_online.py):

1. **Candidate lookup** — blocking keys kept in an indexed table (``PersonMatchKey``), updated
   by the services as people change (``refresh_match_keys``). A lookup computes the same keys
   for what was typed, with given names widened to their nicknames and aliases, and probes the
   covering (network, key, person) index once; people sharing the most keys come first, at
   most ``MAX_CANDIDATES`` of them. The keys keep recall when one thing is wrong:

   ==========  ==============================================  ==========================
   key         made of                                         survives
   ==========  ==============================================  ==========================
   ``fy``      family name's Soundex + year of birth           given-name change, typos
   ``fg``      family name's Soundex + given name's 3 letters  wrong date of birth
   ``gd``      given name's 3 letters + date of birth with     surname change, swapped
               day and month in order (so swaps meet)          day/month
   ``pc``      postcode + given initial                        date missing, name typos
   ``em``      e-mail address                                  everything else
   ``ph``      phone number's last 10 digits                   everything else
   ==========  ==============================================  ==========================

   Previous family names get their own ``fy``/``fg`` keys (surname changes), and a person
   that absorbed others in a merge also carries their keys.

2. **Scoring** — each candidate is scored with the network's trained linkage model
   (``wraparound.linkage.model.current_parameters``: the same comparison levels and m/u
   values as the bulk Splink run), and explained per field ("family name exact, date of
   birth day/month swapped, postcode differs"). Candidates below the model's lower
   threshold are not shown.

Who sees what: candidates come from the whole network — the point is to find the record
another agency already holds. A candidate the actor may see in full (``decide``) is shown
with a link to the record; anyone else is shown with the identity minimum needed to decide
(name, year of birth, postcode district, who holds the record), never a sensitive category.
Every lookup is audited, and so is each candidate shown (ADR 0011).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditKind
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import decide
from wraparound.linkage.model import (
    IdentityRecord,
    LinkParameters,
    Prepared,
    current_parameters,
)
from wraparound.linkage.normalise import (
    digits,
    fold,
    given_aliases,
    name_key,
    outward,
    postcode_key,
)
from wraparound.people.models import MergeStatus, Person, PersonMatchKey, PersonMerge

# How many people sharing keys are scored, at most; those sharing the most keys first (30
# keeps recall on the 1M benchmark, 0.998 with 50 or 30, and cuts the tail by a third).
MAX_CANDIDATES = 30
# How many likely matches are shown.
MAX_SHOWN = 10
# Given-name aliases a lookup widens to (nicknames), at most.
MAX_ALIASES = 12

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(name: str) -> str:
    """American Soundex of a folded name ("robert" -> "r163"), "" for no letters."""
    letters = [ch for ch in name if "a" <= ch <= "z"]
    if not letters:
        return ""
    first = letters[0]
    code = [first]
    previous = _SOUNDEX_CODES.get(first, "")
    for ch in letters[1:]:
        digit = _SOUNDEX_CODES.get(ch, "")
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        if ch not in "hw":  # h and w do not separate equal codes; vowels do
            previous = digit
    return "".join(code).ljust(4, "0")


def _dob_unordered(value: date | None) -> str:
    """The date with day and month in ascending order, so a swapped date gives the same text."""
    if value is None:
        return ""
    low, high = sorted((value.month, value.day))
    return f"{value.year:04d}{low:02d}{high:02d}"


@dataclass(frozen=True)
class MatchInput:
    """What is known of the person being looked for (typed on a form, or an agency record)."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    postcode: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    previous_names: Sequence[str] = ()
    preferred_name: str = ""

    @classmethod
    def from_person(cls, person: Person) -> MatchInput:
        return cls(
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            postcode=person.postcode,
            address=", ".join(p for p in (person.address_line_1, person.address_line_2) if p),
            phone=person.phone,
            email=person.email,
            previous_names=tuple(person.previous_names or ()),
            preferred_name=person.preferred_name,
        )

    @classmethod
    def from_details(cls, details: Any) -> MatchInput:
        """From a ``people.services.PersonDetails`` (or anything with the same fields)."""
        address = ", ".join(
            p for p in (details.address_line_1, details.address_line_2) if p and p.strip()
        )
        return cls(
            given_name=details.given_name or "",
            family_name=details.family_name or "",
            date_of_birth=details.date_of_birth,
            sex=details.sex or "",
            postcode=details.postcode or "",
            address=address,
            phone=details.phone or "",
            email=details.email or "",
            previous_names=tuple(details.previous_names or ()),
            preferred_name=details.preferred_name or "",
        )

    def identity(self) -> IdentityRecord:
        return IdentityRecord(
            given_name=self.given_name,
            family_name=self.family_name,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            address=self.address,
            postcode=self.postcode,
            phone=self.phone,
            email=self.email,
        )

    @property
    def is_searchable(self) -> bool:
        return bool(name_key(self.family_name) or name_key(self.given_name))


def _family_names(record: MatchInput) -> list[str]:
    names = [name_key(record.family_name)]
    for previous in record.previous_names:
        words = fold(previous).split()
        # "Siân Evans" was a full name: everything after the first word is the family name.
        if len(words) > 1:
            names.append("".join(words[1:]))
    return [n for n in dict.fromkeys(names) if n]


def _given_names(record: MatchInput, *, widen: bool) -> list[str]:
    names = [name_key(record.given_name), name_key(record.preferred_name)]
    if widen:
        for name in list(names):
            aliases = sorted(name_key(a) for a in given_aliases(fold(name)))
            names.extend(aliases[:MAX_ALIASES])
    return [n for n in dict.fromkeys(names) if n]


def match_keys(record: MatchInput, *, widen: bool = False) -> set[str]:
    """The blocking keys of a record; ``widen`` adds given-name nicknames (for lookups)."""
    keys: set[str] = set()
    year = f"{record.date_of_birth.year:04d}" if record.date_of_birth else ""
    dob = _dob_unordered(record.date_of_birth)
    givens = _given_names(record, widen=widen)
    prefixes = sorted({g[:3] for g in givens})
    for family in _family_names(record):
        code = soundex(family)
        if year:
            keys.add(f"fy:{code}{year}")
        for prefix in prefixes:
            keys.add(f"fg:{code}{prefix}")
    if dob:
        for prefix in prefixes:
            keys.add(f"gd:{prefix}{dob}")
    postcode = postcode_key(record.postcode)
    if postcode:
        for initial in sorted({g[0] for g in givens}) or [""]:
            keys.add(f"pc:{postcode}{initial}")
    email = (record.email or "").strip().lower()
    if email:
        keys.add(f"em:{email}"[:120])
    phone = digits(record.phone)[-10:]
    if len(phone) >= 7:
        keys.add(f"ph:{phone}")
    return keys


def person_match_keys(person: Person, absorbed: Iterable[Person] = ()) -> set[str]:
    keys = match_keys(MatchInput.from_person(person))
    for other in absorbed:
        keys |= match_keys(MatchInput.from_person(other))
    return keys


def refresh_match_keys(person: Person) -> None:
    """Rebuild one person's keys (the services call this inside their transaction). A merged
    person has none (they are never a candidate); a survivor also carries the keys of the
    people merged into it, so a record spelled like either finds it."""
    PersonMatchKey.objects.filter(person_id=person.pk).delete()
    if person.merged_into_id is not None:
        return
    absorbed = list(Person.objects.filter(merged_into_id=person.pk))
    PersonMatchKey.objects.bulk_create(
        PersonMatchKey(person_id=person.pk, network_id=person.network_id, key=key)
        for key in sorted(person_match_keys(person, absorbed))
    )


def rebuild_all_match_keys(*, network_id: int | None = None, batch_size: int = 2000) -> int:
    """Rebuild every person's keys (after a bulk load, or to repair); returns people done."""
    people = Person.objects.filter(merged_into__isnull=True).order_by("pk")
    if network_id is not None:
        people = people.filter(network_id=network_id)
    done = 0
    last = 0
    while True:
        batch = list(people.filter(pk__gt=last)[:batch_size])
        if not batch:
            return done
        last = batch[-1].pk
        ids = [p.pk for p in batch]
        absorbed: dict[int, list[Person]] = {}
        for other in Person.objects.filter(merged_into_id__in=ids):
            assert other.merged_into_id is not None
            absorbed.setdefault(other.merged_into_id, []).append(other)
        with transaction.atomic():
            PersonMatchKey.objects.filter(person_id__in=ids).delete()
            PersonMatchKey.objects.bulk_create(
                [
                    PersonMatchKey(person_id=p.pk, network_id=p.network_id, key=key)
                    for p in batch
                    for key in sorted(person_match_keys(p, absorbed.get(p.pk, ())))
                ],
                batch_size=5000,
            )
        done += len(batch)


def candidate_ids(
    network_id: int, keys: Iterable[str], *, exclude: Iterable[int] = (), limit: int = 0
) -> list[int]:
    """People of the network sharing any of the keys, those sharing the most first."""
    keys = sorted(set(keys))
    if not keys:
        return []
    rows = (
        PersonMatchKey.objects.filter(network_id=network_id, key__in=keys)
        .exclude(person_id__in=list(exclude))
        .values("person_id")
        .annotate(hits=Count("person_id"))
        .order_by("-hits", "person_id")
        .values_list("person_id", flat=True)
    )
    return list(rows[: limit or MAX_CANDIDATES])


_IDENTITY_COLUMNS = (
    "id",
    "network_id",
    "given_name",
    "family_name",
    "preferred_name",
    "previous_names",
    "date_of_birth",
    "sex",
    "postcode",
    "address_line_1",
    "address_line_2",
    "town",
    "phone",
    "email",
    "merged_into_id",
    "registered_by_id",
    "address_withheld",
)


@dataclass(frozen=True)
class Scored:
    person: Person
    probability: float
    match_weight: float
    fields: list[Any]  # linkage.model.FieldComparison
    explanation: str


def score_candidates(
    record: MatchInput,
    *,
    network_id: int,
    params: LinkParameters,
    exclude: Iterable[int] = (),
    threshold: float | None = None,
) -> list[Scored]:
    """Look up and score: the likely existing people for ``record``, most likely first.

    No access decision and no audit here: callers are ``match_candidates`` (which decides
    and audits) and the benchmark.
    """
    if not record.is_searchable:
        return []
    ids = candidate_ids(network_id, match_keys(record, widen=True), exclude=exclude)
    if not ids:
        return []
    # No ORDER BY: with the model's ordering SQLite may walk the whole sort_name index.
    people = list(
        Person.objects.filter(pk__in=ids, merged_into__isnull=True)
        .order_by()
        .only(*_IDENTITY_COLUMNS)
    )
    absorbed: dict[int, list[Person]] = {}
    # Found through the (small) merge table: nearly every person's merged_into is NULL, and
    # with those statistics SQLite would rather scan the people table than use its index.
    absorbed_ids = list(
        PersonMerge.objects.filter(
            survivor_id__in=[p.pk for p in people], status=MergeStatus.MERGED
        ).values_list("merged_id", flat=True)
    )
    for other in (
        Person.objects.filter(pk__in=absorbed_ids).order_by().only(*_IDENTITY_COLUMNS)
        if absorbed_ids
        else ()
    ):
        assert other.merged_into_id is not None
        absorbed.setdefault(other.merged_into_id, []).append(other)
    query = Prepared.of(record.identity())
    floor = params.lower_threshold if threshold is None else threshold
    scored: list[Scored] = []
    for person in people:
        best = None
        for version in [person, *absorbed.get(person.pk, [])]:
            result = params.score_prepared(query, Prepared.of(IdentityRecord.from_person(version)))
            if best is None or result.match_weight > best.match_weight:
                best = result
        assert best is not None
        if best.probability >= floor:
            scored.append(
                Scored(person, best.probability, best.match_weight, best.fields, best.explanation)
            )
    scored.sort(key=lambda s: (-s.match_weight, s.person.pk))
    return scored


@dataclass(frozen=True)
class FieldExplanation:
    field: str
    label: str
    weight: float


@dataclass(frozen=True)
class Candidate:
    """A likely existing person, as the actor may see them."""

    person_id: int
    reference: str
    full_name: str
    probability: float
    explanation: str
    fields: list[FieldExplanation]
    # Full: the actor may open the record. Otherwise only the identity minimum below.
    full_access: bool
    date_of_birth: date | None
    year_of_birth: int | None
    postcode: str
    held_by: str

    @property
    def percent(self) -> int:
        return round(self.probability * 100)


def _candidate(actor: Actor, scored: Scored, held_by: dict[int, str]) -> Candidate:
    person = scored.person
    full = bool(decide(actor=actor, person=person, category=DataCategory.IDENTITY))
    born = person.date_of_birth
    postcode = "" if person.address_withheld else person.postcode
    return Candidate(
        person_id=person.pk,
        reference=person.reference,
        full_name=person.full_name,
        probability=scored.probability,
        explanation=scored.explanation,
        fields=[FieldExplanation(f.field, f.label, round(f.weight, 2)) for f in scored.fields],
        full_access=full,
        date_of_birth=born if full else None,
        year_of_birth=born.year if born else None,
        postcode=postcode if full else outward(postcode),
        held_by=held_by.get(person.registered_by_id or 0, ""),
    )


def match_candidates(
    *,
    actor: Actor,
    record: MatchInput,
    exclude: Iterable[int] = (),
    purpose: str = Purpose.CARE_COORDINATION,
    audit_as: str = "person.match",
) -> list[Candidate]:
    """The likely existing people of the actor's network for ``record``, best first, each
    shown as much as the actor may see; the lookup and every candidate shown are audited."""
    from wraparound.consent.policy import may_register_people, require
    from wraparound.directory.models import Organisation

    # Looking for people by identity is part of registering and linking them: casework only.
    require(may_register_people(actor))
    membership = actor.require_membership()
    network = membership.organisation.network
    params = current_parameters(network)
    scored = score_candidates(record, network_id=network.pk, params=params, exclude=exclude)[
        :MAX_SHOWN
    ]
    org_ids = {s.person.registered_by_id for s in scored if s.person.registered_by_id}
    held_by = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    candidates = [_candidate(actor, s, held_by) for s in scored]
    with transaction.atomic():
        audit_record(
            actor=actor,
            kind=AuditKind.READ,
            action=f"{audit_as}.lookup",
            summary=(
                f"Looked for existing records like the one being entered "
                f"(model v{params.version}): {len(candidates)} likely"
            ),
            categories=[DataCategory.IDENTITY],
            purpose=purpose,
        )
    audit_reads(
        actor=actor,
        action=audit_as,
        purpose=purpose,
        summary="Shown as a possible existing record",
        reads=[
            PersonRead(
                c.person_id,
                [DataCategory.IDENTITY],
                "match candidate" if c.full_access else "match candidate: identity minimum",
            )
            for c in candidates
        ],
    )
    return candidates


def registration_candidates(*, actor: Actor, details: Any) -> list[Candidate]:
    """The likely existing people for a registration about to be made. The details are
    validated first, exactly as ``person_create`` will (a ``ValidationError`` by field), so
    bad input is reported as such rather than answered with candidates."""
    from wraparound.consent.policy import may_register_people, require
    from wraparound.people.services import _clean_details

    require(may_register_people(actor))
    network_id = actor.require_membership().organisation.network_id
    cleaned = _clean_details(details, network_id=network_id)
    return match_candidates(
        actor=actor, record=MatchInput.from_details(cleaned), audit_as="person.match"
    )
