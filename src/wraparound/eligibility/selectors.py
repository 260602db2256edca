"""Reads: parameters and rules (configuration), people's facts (personal data, through the
access policy), screening, ``eligible_service_ids`` for the directory, and the gaps report.

A person's facts are read category by category: a fact whose category the actor may not see
is *unknown* (and listed as withheld), never guessed. Every screening is audited as a read
of the categories it used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditKind
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.consent.categories import DataCategory, category_label
from wraparound.consent.models import Purpose
from wraparound.consent.policy import (
    AccessDecision,
    address_decision,
    decide,
    may_read_aggregates,
    require,
    visible_people,
)
from wraparound.core.models import Area, Network
from wraparound.directory.models import Organisation, Program, Service, ServiceStatus
from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.cel import CheckedRule, ParamSpec, RuleError, check_rule
from wraparound.eligibility.engine import (
    Parameters,
    ParamTable,
    ParamUnit,
    Programme,
    Screener,
    Screening,
    Verdict,
)
from wraparound.eligibility.facts import CelType, Fact, HouseholdComposition, facts
from wraparound.eligibility.models import (
    Circumstances,
    Parameter,
    ParameterValue,
    Rule,
    RuleVersion,
)
from wraparound.people.choices import POPULATION_GROUP_CATEGORY, Relationship
from wraparound.people.models import HouseholdMember, Person
from wraparound.people.selectors import person_get

# --- Configuration --------------------------------------------------------------------


def parameter_specs(*, network: Network) -> dict[str, ParamSpec]:
    return {
        p.name: ParamSpec(
            p.name, p.keyed, CelType.INT if p.unit == ParamUnit.YEARS else CelType.DOUBLE
        )
        for p in Parameter.objects.filter(network=network)
    }


def parameters_list(*, network: Network) -> QuerySet[Parameter]:
    return Parameter.objects.filter(network=network).prefetch_related("values").order_by("name")


def parameters_on(*, network: Network, on: dt.date) -> Parameters:
    """Every parameter of the network with the values in force on ``on``."""
    tables: dict[str, ParamTable] = {}
    for parameter in parameters_list(network=network):
        rows = sorted(
            (
                v
                for v in parameter.values.all()
                if v.effective_from <= on and (v.effective_to is None or v.effective_to >= on)
            ),
            key=lambda v: v.key or 0,
        )
        unit = ParamUnit(parameter.unit)
        if parameter.keyed:
            tables[parameter.name] = ParamTable(
                parameter.name,
                parameter.label,
                unit,
                parameter.key_label,
                tuple(int(v.key or 0) for v in rows),
                tuple(float(v.value) for v in rows),
            )
        else:
            tables[parameter.name] = ParamTable(
                parameter.name,
                parameter.label,
                unit,
                single=float(rows[0].value) if rows else None,
            )
    return Parameters(on, tables)


# Checking parses and type-checks CEL: done once per (expression, parameters in force). Keyed
# by content, not by row id: ids are reused after a rollback, and a parameter removed since
# makes the same text fail.
_CHECKED: dict[tuple[str, str], CheckedRule | RuleError] = {}
_CHECKED_MAX = 5000


def checked_version(version: RuleVersion, specs: dict[str, ParamSpec]) -> CheckedRule | None:
    """The version's checked rule; None if it no longer checks (a parameter it used was
    removed), which screens as unknown rather than failing the page."""
    key = (version.expression, repr(sorted(specs.items())))
    cached = _CHECKED.get(key)
    if cached is None:
        try:
            cached = check_rule(version.expression, specs)
        except RuleError as exc:
            cached = exc
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = cached
    return cached if isinstance(cached, CheckedRule) else None


def service_ref(service_id: int) -> str:
    return f"S-{service_id:06d}"


def program_ref(program_id: int) -> str:
    return f"PG-{program_id:06d}"


def rules_list(*, network: Network) -> list[tuple[Service | Program, Rule | None]]:
    """Every active service and every programme of the network, with its rule (or None)."""
    latest = Prefetch("versions", queryset=RuleVersion.objects.order_by("-number"))
    rules = {
        (r.service_id, r.program_id): r
        for r in Rule.objects.filter(network=network).prefetch_related(latest)
    }
    services = (
        Service.objects.filter(organisation__network=network)
        .exclude(status=ServiceStatus.DEFUNCT)
        .select_related("organisation")
        .order_by("name", "id")
    )
    programs = Program.objects.filter(organisation__network=network).select_related("organisation")
    out: list[tuple[Service | Program, Rule | None]] = []
    out += [(s, rules.get((s.pk, None))) for s in services]
    out += [(p, rules.get((None, p.pk))) for p in programs.order_by("name", "id")]
    return out


def current_version(rule: Rule | None) -> RuleVersion | None:
    if rule is None:
        return None
    versions = list(rule.versions.all())
    return max(versions, key=lambda v: v.number) if versions else None


def rule_for(*, service: Service | None = None, program: Program | None = None) -> Rule | None:
    if service is not None:
        return Rule.objects.filter(service=service).first()
    return Rule.objects.filter(program=program).first()


@dataclass(frozen=True)
class NetworkProgrammes:
    programmes: list[Programme]
    services: dict[int, Service]
    broken: list[str]  # refs whose rule no longer checks


def programmes_for_network(*, network: Network) -> NetworkProgrammes:
    specs = parameter_specs(network=network)
    programmes: list[Programme] = []
    services: dict[int, Service] = {}
    broken: list[str] = []
    for target, rule in rules_list(network=network):
        version = current_version(rule)
        checked = checked_version(version, specs) if version is not None else None
        if isinstance(target, Service):
            ref, kind = service_ref(target.pk), "service"
            services[target.pk] = target
        else:
            ref, kind = program_ref(target.pk), "programme"
        if version is not None and checked is None:
            broken.append(ref)
            # Screened as unknown: a rule that reads nothing known.
            checked = check_rule("person.age < 0 && person.age > 0", {})
        programmes.append(
            Programme(ref, kind, target.pk, target.name, target.organisation.name, checked)
        )
    return NetworkProgrammes(programmes, services, broken)


# --- Facts ----------------------------------------------------------------------------


@dataclass
class FactSheet:
    """One person's facts as one actor may know them."""

    person_id: int
    values: dict[str, Any] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)  # fact -> reason
    categories: set[str] = field(default_factory=set)  # categories read

    def known(self, name: str) -> bool:
        return self.values.get(name) is not None


_ADULT = 18
_OLDER = 65
_CHILD_RELATIONSHIPS = {
    Relationship.CHILD,
    Relationship.STEPCHILD,
    Relationship.FOSTER_CHILD,
    Relationship.GRANDCHILD,
}


def _latest_circumstances(person_ids: Iterable[int]) -> dict[int, Circumstances]:
    latest: dict[int, Circumstances] = {}
    for row in Circumstances.objects.filter(person_id__in=list(person_ids)).order_by(
        "person_id", "-version"
    ):
        latest.setdefault(row.person_id, row)
    return latest


def _composition(adults: int, children: int, has_partner: bool) -> str:
    if adults == 1:
        return HouseholdComposition.SINGLE if children == 0 else HouseholdComposition.LONE_PARENT
    if adults == 2 and has_partner:
        return (
            HouseholdComposition.COUPLE
            if children == 0
            else HouseholdComposition.COUPLE_WITH_CHILDREN
        )
    return HouseholdComposition.OTHER


def facts_for_people(
    *, actor: Actor, people: Sequence[Person], on: dt.date, aggregate: bool = False
) -> dict[int, FactSheet]:
    """Facts of people the caller has already checked the actor may see (or, with
    ``aggregate``, of everyone, for a report that shows suppressed counts only)."""
    ids = [p.pk for p in people]
    links = {
        m.person_id: m
        for m in HouseholdMember.objects.filter(person_id__in=ids).select_related("household")
    }
    household_ids = {m.household_id for m in links.values()}
    members_by_household: dict[int, list[HouseholdMember]] = defaultdict(list)
    for m in HouseholdMember.objects.filter(household_id__in=household_ids).select_related(
        "person"
    ):
        members_by_household[m.household_id].append(m)
    member_ids = {m.person_id for ms in members_by_household.values() for m in ms}
    visible_members = (
        set(member_ids)
        if aggregate
        else set(visible_people(actor).filter(pk__in=member_ids).values_list("pk", flat=True))
    )
    circumstances = _latest_circumstances(set(ids) | member_ids)
    areas = {a.pk: a for a in Area.objects.filter(network_id__in={p.network_id for p in people})}

    builder = _SheetBuilder(
        actor=actor,
        on=on,
        links=links,
        members_by_household=members_by_household,
        visible_members=visible_members,
        circumstances=circumstances,
        areas=areas,
        aggregate=aggregate,
    )
    return {person.pk: builder.build(person) for person in people}


@dataclass
class _SheetBuilder:
    actor: Actor
    on: dt.date
    links: dict[int, HouseholdMember]
    members_by_household: dict[int, list[HouseholdMember]]
    visible_members: set[int]
    circumstances: dict[int, Circumstances]
    areas: dict[int, Area]
    allowed: dict[tuple[int, str, int | None], str | None] = field(default_factory=dict)
    # Sheets for an aggregate (a network-wide report): every fact is used inside the engine
    # and only suppressed counts leave it (``may_read_aggregates``).
    aggregate: bool = False

    def may(self, category: str, who: Person, source: int | None = None) -> str | None:
        """None when the actor may see this category of the person (as recorded by the
        organisation ``source``), else the reason not."""
        if self.aggregate:
            return None
        key = (who.pk, category, source)
        if key not in self.allowed:
            decision = decide(
                actor=self.actor, person=who, category=category, recorded_by_organisation_id=source
            )
            self.allowed[key] = None if decision else decision.reason
        return self.allowed[key]

    def lineage_codes(self, area_id: int) -> list[str]:
        codes: list[str] = []
        area = self.areas.get(area_id)
        while area is not None:
            codes.append(area.code)
            area = self.areas.get(area.parent_id) if area.parent_id else None
        return codes

    def build(self, person: Person) -> FactSheet:
        sheet = FactSheet(person.pk)
        fact_defs = facts()
        on = self.on

        def may(category: str, who: Person = person, source: int | None = None) -> str | None:
            return self.may(category, who, source)

        def put(name: str, value: Any, reason: str | None = None) -> None:
            fact: Fact = fact_defs[name]
            if reason is not None:
                sheet.values[name] = None
                sheet.withheld[name] = reason
                return
            sheet.values[name] = value
            sheet.categories.add(fact.category)

        put("person.age", person.age_on(on))
        put("person.sex", person.sex if person.sex in {"female", "male", "intersex"} else None)
        address = (
            AccessDecision(True, "aggregate")
            if self.aggregate
            else address_decision(actor=self.actor, person=person)
        )
        if address and person.area_id and person.area_id in self.areas:
            put("person.area", self.areas[person.area_id].code)
            put("person.areas", self.lineage_codes(person.area_id))
        elif not address:
            put("person.area", None, address.reason)
            put("person.areas", None, address.reason)
        else:
            put("person.area", None)
            put("person.areas", None)
        hidden_group_reasons = [
            reason
            for category in sorted(set(POPULATION_GROUP_CATEGORY.values()))
            if (reason := may(category)) is not None
        ]
        groups = [g.group for g in person.population_groups.all()]
        put(
            "person.population_groups",
            [g for g in groups if g not in POPULATION_GROUP_CATEGORY],
        )
        if hidden_group_reasons:
            put("person.sensitive_groups", None, hidden_group_reasons[0])
        else:
            put("person.sensitive_groups", [g for g in groups if g in POPULATION_GROUP_CATEGORY])
            sheet.categories.update(POPULATION_GROUP_CATEGORY.values())

        own = self.circumstances.get(person.pk)
        for name, attr, category in (
            ("person.needs", "needs", DataCategory.ASSESSMENTS),
            ("person.housing_status", "housing_status", DataCategory.HOUSEHOLD),
            ("person.employment_status", "employment_status", DataCategory.ASSESSMENTS),
            ("person.disabled", "disabled", DataCategory.HEALTH),
            ("person.carer", "carer", DataCategory.ASSESSMENTS),
            ("person.income_sources", "income_sources", DataCategory.FINANCES),
            ("person.benefits", "benefits", DataCategory.FINANCES),
            ("person.services_received", "services_received", DataCategory.PLANS_REFERRALS),
        ):
            reason = may(category, person, own.source_of(attr) if own is not None else None)
            if reason is not None:
                put(name, None, reason)
                continue
            value = getattr(own, attr) if own is not None else None
            put(name, None if value == "" else value)
        finances_reason = may(
            DataCategory.FINANCES,
            person,
            own.source_of("income_monthly") if own is not None else None,
        )
        income = own.income_monthly if own is not None else None
        put(
            "person.income_monthly",
            float(income) if income is not None else None,
            finances_reason,
        )

        # The household: a person in none is a household of one.
        household_reason = may(DataCategory.HOUSEHOLD)
        link = self.links.get(person.pk)
        members = self.members_by_household[link.household_id] if link else []
        others = [m for m in members if m.person_id != person.pk]
        household_facts = (
            "household.size",
            "household.adults",
            "household.children",
            "household.over_65",
            "household.composition",
        )
        if household_reason is not None:
            for name in household_facts:
                put(name, None, household_reason)
        else:
            ages: list[int | None] = [person.age_on(on)]
            for m in others:
                ages.append(m.person.age_on(on) if m.person_id in self.visible_members else None)
            put("household.size", 1 + len(others))
            if any(a is None for a in ages):
                for name in household_facts[1:]:
                    put(name, None)
            else:
                known_ages = [a for a in ages if a is not None]
                adults = sum(1 for a in known_ages if a >= _ADULT)
                children = len(known_ages) - adults
                has_partner = any(m.relationship == Relationship.PARTNER for m in members)
                put("household.adults", adults)
                put("household.children", children)
                put("household.over_65", sum(1 for a in known_ages if a >= _OLDER))
                put("household.composition", _composition(adults, children, has_partner))
        # Household income: every member's, each one visible to the actor.
        why = household_reason or finances_reason
        if why is not None:
            put("household.income_monthly", None, why)
            put("household.income_sources", None, why)
            return sheet
        total: float | None = 0.0
        sources: set[str] | None = set()
        for who in [person] + [m.person for m in others]:
            row = self.circumstances.get(who.pk)
            source = row.source_of("income_monthly") if row is not None else None
            if who.pk != person.pk and (
                who.pk not in self.visible_members
                or may(DataCategory.FINANCES, who, source) is not None
            ):
                total, sources = None, None
                break
            if row is None or row.income_monthly is None:
                total = None
            elif total is not None:
                total += float(row.income_monthly)
            if row is None or row.income_sources is None:
                sources = None
            elif sources is not None:
                sources.update(row.income_sources)
        put("household.income_monthly", total)
        put("household.income_sources", sorted(sources) if sources is not None else None)
        return sheet


# --- Screening ------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonScreening:
    person: Person
    on: dt.date
    facts: FactSheet
    results: list[Screening]
    broken: list[str]

    def by_verdict(self, verdict: Verdict) -> list[Screening]:
        return [r for r in self.results if r.verdict == verdict]

    @property
    def eligible(self) -> list[Screening]:
        return self.by_verdict(Verdict.ELIGIBLE)

    @property
    def unknown(self) -> list[Screening]:
        return self.by_verdict(Verdict.UNKNOWN)

    @property
    def not_eligible(self) -> list[Screening]:
        return self.by_verdict(Verdict.NOT_ELIGIBLE)

    @property
    def withheld_labels(self) -> list[tuple[str, str]]:
        known = facts()
        return [(known[name].label, reason) for name, reason in self.facts.withheld.items()]

    @property
    def settling_facts(self) -> list[tuple[str, int]]:
        """Missing facts that would settle unknowns, with how many each would settle."""
        counts: dict[str, int] = defaultdict(int)
        for r in self.unknown:
            for label in r.missing_labels:
                counts[label] += 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def screen_person(
    *,
    actor: Actor,
    person_id: int,
    on: dt.date | None = None,
    audit_as: str = "eligibility.screen",
) -> PersonScreening:
    """Screen a person the actor may see against every service and programme of their
    network. Audited as one read of the categories the screening used."""
    person = person_get(actor=actor, person_id=person_id, audit_as=None, denied_as=audit_as)
    day = on or timezone.localdate()
    sheet = facts_for_people(actor=actor, people=[person], on=day)[person.pk]
    found, screener = network_screener(network=person.network, on=day)
    results = screener.screen(sheet.values)
    audit_reads(
        actor=actor,
        action=audit_as,
        purpose=Purpose.CARE_COORDINATION,
        summary="Screened for eligibility",
        reads=[
            PersonRead(
                person.pk,
                sorted(sheet.categories),
                "eligibility screening",
                withheld=sorted(set(sheet.withheld)),
            )
        ],
    )
    return PersonScreening(person, day, sheet, results, found.broken)


def eligible_service_ids(*, actor: Actor, person: Person) -> set[int]:
    """Ids of the services the person is eligible for (their own rule; a service with no
    rule is open to everyone). Unknown is not eligible here."""
    screening = screen_person(actor=actor, person_id=person.pk, audit_as="eligibility.directory")
    return {
        r.programme.id
        for r in screening.results
        if r.programme.kind == "service" and r.verdict == Verdict.ELIGIBLE
    }


# --- Gaps report ----------------------------------------------------------------------

SMALL_COUNT = 5
# Needs that would tell a reader about someone's health, mental health, substance use,
# safety or legal matters: never a cell of the report (a small area could identify them).
SENSITIVE_NEEDS = frozenset(
    {
        NeedCategory.MENTAL_HEALTH,
        NeedCategory.SUBSTANCE_USE,
        NeedCategory.INTERPERSONAL_SAFETY,
        NeedCategory.ELDER_ABUSE,
        NeedCategory.LEGAL_NEEDS,
        NeedCategory.HEALTH_CARE_ACCESS,
    }
)


@dataclass(frozen=True)
class GapRow:
    area: str
    area_code: str
    need: str
    need_label: str
    people: int
    suppressed: bool = False

    @property
    def shown(self) -> str:
        return f"fewer than {SMALL_COUNT}" if self.suppressed else str(self.people)


@dataclass(frozen=True)
class GapsReport:
    on: dt.date
    rows: list[GapRow]
    people_screened: int
    needs_screened: int


def _serves_area(service_areas: list[int], lineage: set[int]) -> bool:
    return not service_areas or any(a in lineage for a in service_areas)


def suppress(counts: dict[tuple[int | None, str], int]) -> set[tuple[int | None, str]]:
    """The cells to hide. Primary: counts of 1 to 4. Secondary: where an area has exactly one
    hidden cell, its next smallest cell is hidden too, so the hidden one cannot be worked out
    from the area's total (the needs screened in an area may be known from elsewhere)."""
    hidden = {cell for cell, n in counts.items() if 0 < n < SMALL_COUNT}
    by_area: dict[int | None, list[tuple[int | None, str]]] = defaultdict(list)
    for cell in counts:
        by_area[cell[0]].append(cell)
    for area_id, cells in by_area.items():
        if sum(cell in hidden for cell in cells) == 1:
            others = sorted((counts[c], c[1]) for c in cells if c not in hidden and counts[c])
            if others:
                hidden.add((area_id, others[0][1]))
    return hidden


def gaps_report(*, actor: Actor, on: dt.date | None = None) -> GapsReport:
    """Needs with no eligible service that has capacity and serves the person's area, as
    counts by area and need over the whole network, for those who may read aggregates
    (``may_read_aggregates``). People's facts are used inside the engine only; what leaves
    is counts, small ones suppressed (``suppress``), never a sensitive need; the run is one
    audited read."""
    membership = actor.require_membership()
    network = membership.organisation.network
    require(may_read_aggregates(actor, network_id=network.pk))
    day = on or timezone.localdate()
    people = list(
        Person.objects.filter(network=network, merged_into__isnull=True)
        .select_related("area")
        .prefetch_related("population_groups")
    )
    sheets = facts_for_people(actor=actor, people=people, on=day, aggregate=True)
    found = programmes_for_network(network=network)
    screener = Screener(
        [p for p in found.programmes if p.kind == "service"],
        parameters_on(network=network, on=day),
    )
    services = found.services
    needs_of = defaultdict(set)
    for service_id, need in Service.objects.filter(pk__in=services).values_list(
        "pk", "needs__need"
    ):
        if need:
            needs_of[service_id].add(need)
    areas_of: dict[int, list[int]] = defaultdict(list)
    for service_id, area_id in Service.objects.filter(pk__in=services).values_list(
        "pk", "service_areas__area_id"
    ):
        if area_id:
            areas_of[service_id].append(area_id)
    with_capacity = {
        sid
        for sid, s in services.items()
        if s.status == ServiceStatus.ACTIVE
        and s.accepts_referrals
        and (s.capacity_available is None or s.capacity_available > 0)
    }
    area_objects = {a.pk: a for a in Area.objects.filter(network=network)}
    counts: dict[tuple[int | None, str], int] = defaultdict(int)
    needs_screened = 0
    for person in people:
        sheet = sheets[person.pk]
        needs = sheet.values.get("person.needs") or []
        if not needs:
            continue
        lineage: set[int] = set()
        area = (
            area_objects.get(person.area_id)
            if person.area_id is not None and sheet.known("person.area")
            else None
        )
        node = area
        while node is not None:
            lineage.add(node.pk)
            node = area_objects.get(node.parent_id) if node.parent_id else None
        verdicts = dict(
            zip(
                [c.programme.id for c in screener.compiled],
                screener.verdicts(sheet.values),
                strict=True,
            )
        )
        for need in needs:
            if need in SENSITIVE_NEEDS:
                continue
            needs_screened += 1
            served = any(
                need in needs_of[sid]
                and sid in with_capacity
                and _serves_area(areas_of[sid], lineage)
                and verdicts.get(sid) == Verdict.ELIGIBLE
                for sid in services
            )
            if not served:
                counts[(area.pk if area else None, need)] += 1
    labels = {value: str(label) for value, label in NeedCategory.choices}
    hidden = suppress(counts)
    rows = [
        GapRow(
            area_objects[area_id].name if area_id else "Area not known",
            area_objects[area_id].code if area_id else "",
            need,
            labels.get(need, need),
            count,
            (area_id, need) in hidden,
        )
        for (area_id, need), count in counts.items()
    ]
    # Hidden cells sort as the smallest, so the order reveals nothing either.
    rows.sort(key=lambda r: (-(0 if r.suppressed else r.people), r.area, r.need_label))
    audit_record(
        actor=actor,
        action="eligibility.gaps_report",
        kind=AuditKind.READ,
        summary=f"Gaps report over {len(people)} people: {len(rows)} cells, {len(hidden)} hidden",
        purpose=Purpose.CARE_COORDINATION,
    )
    return GapsReport(day, rows, len(people), needs_screened)


def category_words(categories: Iterable[str]) -> list[str]:
    return [category_label(c) for c in categories]


def screen_facts(
    *, actor: Actor, facts: dict[str, Any], on: dt.date | None = None
) -> tuple[dt.date, list[Screening]]:
    """Screen a facts document (no stored person: nothing personal is read or kept) against
    every service and programme of the actor's network."""
    network = actor.require_membership().organisation.network
    return screen_anonymous(network=network, facts=facts, on=on)


def screen_anonymous(
    *, network: Network, facts: Mapping[str, Any], on: dt.date | None = None
) -> tuple[dt.date, list[Screening]]:
    """Screen facts nobody is named in (the portal's anonymous check, the API's facts
    document) against every service and programme of the network. Reads no personal data."""
    day = on or timezone.localdate()
    _found, screener = network_screener(network=network, on=day)
    return day, screener.screen(facts)


# One compiled screener per network, reused while nothing it depends on has changed: the
# rules, parameters, services, programmes and organisations of the network (their counts and
# latest changes), and the day. Compiling 200 rules costs far more than screening with them.
_SCREENERS: dict[int, tuple[tuple[Any, ...], NetworkProgrammes, Screener]] = {}


def _screening_fingerprint(network: Network, day: dt.date) -> tuple[Any, ...]:
    def summary(queryset: QuerySet[Any], *fields: str) -> tuple[Any, ...]:
        aggregates = {"n": Count("id")} | {f"max_{f}": Max(f) for f in fields}
        return tuple(sorted(queryset.aggregate(**aggregates).items()))

    return (
        day,
        summary(Service.objects.filter(organisation__network=network), "updated_at"),
        summary(Program.objects.filter(organisation__network=network), "updated_at"),
        summary(Organisation.objects.filter(network=network), "updated_at"),
        summary(Rule.objects.filter(network=network), "updated_at"),
        summary(RuleVersion.objects.filter(rule__network=network), "id"),
        summary(Parameter.objects.filter(network=network), "updated_at"),
        # Few rows, edited in place: all of them, not a summary.
        tuple(
            ParameterValue.objects.filter(parameter__network=network)
            .order_by("id")
            .values_list("id", "key", "value", "effective_from", "effective_to")
        ),
    )


def network_screener(*, network: Network, on: dt.date) -> tuple[NetworkProgrammes, Screener]:
    """The network's programmes and their compiled screener for a day (cached; rebuilt as
    soon as any rule, parameter, service, programme or organisation changes)."""
    fingerprint = _screening_fingerprint(network, on)
    cached = _SCREENERS.get(network.pk)
    if cached is not None and cached[0] == fingerprint:
        return cached[1], cached[2]
    found = programmes_for_network(network=network)
    screener = Screener(found.programmes, parameters_on(network=network, on=on))
    _SCREENERS[network.pk] = (fingerprint, found, screener)
    return found, screener


def facts_read_by(programmes: Iterable[Programme]) -> set[str]:
    """Every fact at least one of the programmes' rules reads."""
    return {name for p in programmes if p.rule is not None for name in p.rule.facts}


def circumstances_for_person(
    *, actor: Actor, person: Person
) -> tuple[Circumstances | None, set[str]]:
    """The latest circumstances and the fields withheld from the actor (not to be shown)."""
    from wraparound.eligibility.services import FIELD_CATEGORIES

    latest = Circumstances.objects.filter(person=person).order_by("-version").first()
    hidden = withheld_circumstances(actor=actor, person=person, row=latest)
    if latest is not None:
        audit_reads(
            actor=actor,
            action="eligibility.circumstances.view",
            purpose=Purpose.CARE_COORDINATION,
            summary="Viewed circumstances",
            reads=[
                PersonRead(
                    person.pk,
                    sorted({FIELD_CATEGORIES[n] for n in FIELD_CATEGORIES if n not in hidden}),
                    "circumstances form",
                    withheld=sorted({FIELD_CATEGORIES[n] for n in hidden}),
                )
            ],
        )
    return latest, hidden


def network_of(actor: Actor) -> Network:
    return actor.require_membership().organisation.network


def rule_target(*, actor: Actor, kind: str, target_id: int) -> Service | Program:
    """A service or programme of the actor's network (404 otherwise)."""
    from django.http import Http404

    if kind not in {"service", "program"}:
        raise Http404("No such service or programme")
    network = network_of(actor)
    model: type[Service] | type[Program] = Service if kind == "service" else Program
    target = (
        model.objects.filter(pk=target_id, organisation__network=network)
        .select_related("organisation")
        .first()
    )
    if target is None:
        raise Http404("No such service or programme")
    return target


def rule_history(*, target: Service | Program) -> list[RuleVersion]:
    rule = (
        Rule.objects.filter(service=target).first()
        if isinstance(target, Service)
        else Rule.objects.filter(program=target).first()
    )
    if rule is None:
        return []
    return list(rule.versions.select_related("created_by").order_by("-number"))


def parameter_get(*, actor: Actor, parameter_id: int) -> Parameter:
    from django.http import Http404

    parameter = Parameter.objects.filter(pk=parameter_id, network=network_of(actor)).first()
    if parameter is None:
        raise Http404("No such parameter")
    return parameter


def parameter_history(*, parameter: Parameter) -> list[ParameterValue]:
    return list(parameter.values.select_related("recorded_by").order_by("key", "-effective_from"))


def facts_of_visible_people(
    *, actor: Actor, on: dt.date, batch_size: int = 500
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Facts of every person the actor may see, a batch at a time, each batch audited as a
    read (bulk screening for outreach)."""
    ids = list(visible_people(actor).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        people = list(
            Person.objects.filter(pk__in=ids[start : start + batch_size])
            .select_related("area")
            .prefetch_related("population_groups")
            .order_by("pk")
        )
        sheets = facts_for_people(actor=actor, people=people, on=on)
        audit_reads(
            actor=actor,
            action="eligibility.screen_bulk",
            purpose=Purpose.CARE_COORDINATION,
            summary="Screened in bulk for outreach",
            reads=[
                PersonRead(
                    pk,
                    sorted(sheet.categories),
                    "bulk eligibility screening",
                    withheld=sorted(set(sheet.withheld)),
                )
                for pk, sheet in sheets.items()
            ],
        )
        yield [(pk, sheet.values) for pk, sheet in sheets.items()]


def withheld_circumstances(*, actor: Actor, person: Person, row: Circumstances | None) -> set[str]:
    """Fields of ``row`` whose value the actor may not see (recorded by another organisation,
    in a category not shared with theirs)."""
    from wraparound.eligibility.services import FIELD_CATEGORIES

    if row is None:
        return set()
    return {
        name
        for name, category in FIELD_CATEGORIES.items()
        if getattr(row, name) not in (None, "")
        and not decide(
            actor=actor,
            person=person,
            category=category,
            recorded_by_organisation_id=row.source_of(name),
        )
    }
