"""Demo assessments, taken through the services as the person's one-stop key worker would.

``seed_assessments`` runs after the people and cases are seeded and before the care plans
(which are written for the needs it finds). Every adult (16 or over) with an open or
stepped-down case led by the network's one-stop organisation is assessed by the case's key
worker, except a few who have not been assessed yet:

- a self-sufficiency matrix soon after the case opened, and another about every three
  months while the case has been active, so that the comparison shows change (most people
  improve, some stall, a few get worse; a stepped-down person's last matrix is taken at the
  step-down and shows them doing better);
- for about a third, the AHC health-related social needs screen at the front door, the day
  the case opened, with answers that agree with their first matrix; someone whose case
  opened in the last three weeks may have had only the screen so far;
- now and then a question declined or not known, and a few tiers changed by the key worker,
  with the reason.

A person's scores follow from what is known of them: their population groups (someone
homeless scores low on housing, a care leaver on life skills and income, ...) and an
overall level of need drawn for each. The dates are history: each assessment (and override)
is written through the services, then its timestamps are moved back to the day it was taken,
as the core seed does with its dates. Everything is drawn from ``rng`` in the order of the
cases, so the same seed gives the same assessments.

The instruments, tier rules and need-order templates are loaded first if they are not yet
(``make demo`` runs only ``migrate`` and ``seed_demo``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Membership
from wraparound.cases.models import Case, CaseStatus
from wraparound.core.models import Network
from wraparound.people.choices import PopulationGroup, Relationship
from wraparound.people.models import HouseholdMember, Person

from .definition import DECLINED, DONT_KNOW
from .loader import load_all
from .models import TIER_RANK, Assessment, InstrumentVersion, TierOverride, TierRuleSet
from .services import assessment_submit, tier_override

MATRIX = "self-sufficiency-matrix"
SCREEN = "ahc-hrsn-core"
ADULT_AGE = 16  # the matrix is for adults and young people leaving care
SHARE_ASSESSED = 0.92  # the rest are waiting for their first assessment
SHARE_SCREENED = 0.35  # screened at the front door
SHARE_OVERRIDDEN = 0.06  # of the assessed, a key worker changed the latest tier
RECENT_DAYS = 21  # a case this new may have had only the screen so far
REVIEW_DAYS = 91  # a matrix about every three months
MAX_MATRICES = 4

CORE_DOMAINS = (
    "housing",
    "income",
    "food",
    "employment",
    "health_care",
    "mental_health",
    "substance_use",
    "safety",
    "legal",
    "family_social",
    "adult_education",
    "life_skills",
    "mobility",
    "community",
)
FAMILY_DOMAINS = ("childcare", "children_education", "parenting")
# Questions people sometimes decline or cannot answer.
SENSITIVE_DOMAINS = ("substance_use", "safety", "mental_health", "legal")

# The domains a population group tends to score low on.
GROUP_DOMAINS: dict[str, tuple[str, ...]] = {
    PopulationGroup.HOMELESS: ("housing", "income", "health_care"),
    PopulationGroup.SEVERE_MENTAL_ILLNESS: ("mental_health", "family_social", "employment"),
    PopulationGroup.OLDER_PERSON: ("health_care", "mobility", "family_social"),
    PopulationGroup.VULNERABLE_FAMILY: ("income", "parenting", "childcare"),
    PopulationGroup.DISABILITY: ("disability", "mobility", "employment"),
    PopulationGroup.CARE_LEAVER: ("life_skills", "income", "housing"),
    PopulationGroup.SUBSTANCE_USE: ("substance_use", "health_care", "income"),
    PopulationGroup.DOMESTIC_ABUSE: ("safety", "housing", "mental_health"),
    PopulationGroup.REFUGEE: ("legal", "employment", "community"),
    PopulationGroup.JUSTICE_INVOLVED: ("legal", "housing", "employment"),
}
# Domains that often go together when things are hard.
LINKED: dict[str, str] = {"income": "food", "housing": "income", "mental_health": "community"}
# How much need a person has overall: the mean of their other domains' scores.
ACUITY: tuple[tuple[str, float, int], ...] = (
    ("crisis", 2.7, 25),
    ("high", 3.2, 35),
    ("moderate", 3.6, 30),
    ("low", 4.2, 10),
)
# How things go between matrices.
TRAJECTORIES: tuple[tuple[str, int], ...] = (("improving", 65), ("stalled", 22), ("worse", 13))

UP_REASONS = (
    "Recently bereaved and not coping; needs more contact than the scores show.",
    "The scores were self-reported and understate the risk: rent arrears have come to light "
    "and the landlord has served notice.",
    "Leaving hospital next week with no support at home in place yet.",
    "A safeguarding concern was raised by the school after the assessment.",
    "Missed the last three appointments; agreed with the manager to step up contact.",
)
DOWN_REASONS = (
    "The housing crisis scored here was resolved the next day: moved into a supported flat.",
    "Strong family support is now in place; the person prefers less contact.",
    "Managing well with benefits sorted and the food bank; asked for less contact.",
    "Already supported intensively by the mental health team; we coordinate rather than duplicate.",
)


@dataclass
class _Profile:
    """What drives one person's answers."""

    acuity: float
    focus: list[str]
    family: bool
    disabled: bool
    trajectory: str
    declines: set[str] = field(default_factory=set)


def ensure_instruments() -> None:
    """Load the instruments, tier rules and need-order templates unless they are loaded."""
    loaded = set(
        InstrumentVersion.objects.filter(is_current=True).values_list("instrument__code", flat=True)
    )
    if {MATRIX, SCREEN} - loaded or not TierRuleSet.objects.filter(is_current=True).exists():
        load_all(loaded_by="seed_demo")


def _at(day: date, rng: random.Random) -> datetime:
    """A time in working hours on ``day`` (no later than now)."""
    when = timezone.make_aware(datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59))))
    return min(when, timezone.now())


def _backdate(assessment: Assessment, when: datetime) -> None:
    """History: the assessment was taken on that day, not when the seed wrote it."""
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=when, updated_at=when, completed_at=when
    )
    assessment.created_at = assessment.updated_at = assessment.completed_at = when


def _clamp(score: float) -> int:
    return max(1, min(5, round(score)))


def _profile(rng: random.Random, groups: list[str], *, family: bool, stepped: bool) -> _Profile:
    acuity = rng.choices([a[1] for a in ACUITY], weights=[a[2] for a in ACUITY])[0]
    focus: list[str] = []
    for group in groups:
        focus.extend(d for d in GROUP_DOMAINS.get(group, ()) if d not in focus)
    if not focus or rng.random() < 0.5:
        extra = rng.choice(CORE_DOMAINS)
        if extra not in focus:
            focus.append(extra)
            linked = LINKED.get(extra)
            if linked and linked not in focus and rng.random() < 0.6:
                focus.append(linked)
    if not family:
        focus = [d for d in focus if d not in FAMILY_DOMAINS]
    trajectory = (
        "improving"
        if stepped
        else rng.choices([t for t, _ in TRAJECTORIES], weights=[w for _, w in TRAJECTORIES])[0]
    )
    declines = {d for d in SENSITIVE_DOMAINS if rng.random() < 0.04}
    return _Profile(
        acuity=acuity,
        focus=focus,
        family=family,
        disabled=PopulationGroup.DISABILITY in groups or rng.random() < 0.1,
        trajectory=trajectory,
        declines=declines,
    )


def _first_scores(rng: random.Random, profile: _Profile) -> dict[str, int]:
    domains = list(CORE_DOMAINS)
    if profile.family:
        domains += list(FAMILY_DOMAINS)
    if profile.disabled:
        domains.append("disability")
    scores = {d: _clamp(rng.gauss(profile.acuity, 0.7)) for d in domains}
    for domain in profile.focus:
        if domain in scores:
            scores[domain] = rng.choices([1, 2, 3], weights=[2, 5, 3])[0]
    if profile.acuity <= 2.7 and profile.focus:  # in crisis somewhere
        scores[profile.focus[0]] = 1
    return scores


def _next_scores(rng: random.Random, profile: _Profile, scores: dict[str, int]) -> dict[str, int]:
    """The scores three months on: the areas worked on move most."""
    moved = dict(scores)
    for domain, score in scores.items():
        worked_on = domain in profile.focus or score <= 2
        roll = rng.random()
        if profile.trajectory == "improving":
            if roll < (0.55 if worked_on else 0.2):
                moved[domain] = min(5, score + (2 if score == 1 and rng.random() < 0.4 else 1))
        elif profile.trajectory == "stalled":
            if roll < 0.15:
                moved[domain] = min(5, score + 1)
            elif roll < 0.25:
                moved[domain] = max(1, score - 1)
        elif roll < (0.35 if worked_on else 0.1):
            moved[domain] = max(1, score - 1)
    if profile.trajectory == "worse" and moved == scores:
        domain = rng.choice(sorted(scores))
        moved[domain] = max(1, scores[domain] - 1)
    return moved


def _still_open_scores(profile: _Profile, scores: dict[str, int]) -> dict[str, int]:
    """A case still open is still working on something: the hardest area is not yet safe."""
    if any(s <= 2 for d, s in scores.items() if d not in profile.declines):
        return scores
    hardest = min(scores, key=lambda d: (d not in profile.focus, scores[d], d))
    return scores | {hardest: 2}


def _stepped_down_scores(scores: dict[str, int]) -> dict[str, int]:
    """At a step-down nothing is in crisis any more and most areas are at least safe."""
    return {
        d: max(s, 2 if d in {"employment", "adult_education"} else 3) for d, s in scores.items()
    }


def _matrix_answers(
    rng: random.Random, profile: _Profile, scores: dict[str, int]
) -> dict[str, object]:
    answers: dict[str, object] = {}
    for domain, score in scores.items():
        if domain in profile.declines:
            answers[domain] = DECLINED
        elif domain in {"legal", "children_education"} and rng.random() < 0.02:
            answers[domain] = DONT_KNOW
        else:
            answers[domain] = score
    return answers


def _screen_answers(rng: random.Random, scores: dict[str, int]) -> dict[str, Any]:
    """The front-door screen, agreeing with the first matrix."""

    def often(score: int) -> str:
        return {1: "often", 2: rng.choice(["often", "sometimes"])}.get(score, "never")

    housing, food, safety = scores["housing"], scores["food"], scores["safety"]
    quality = ["none"]
    if housing <= 3 and rng.random() < 0.35:
        quality = sorted(
            rng.sample(["mould", "pests", "water_leaks", "no_heat"], rng.randint(1, 2))
        )
    frequency = ["never", "rarely", "sometimes", "fairly_often", "frequently"]
    harm = {1: (2, 4), 2: (1, 3)}.get(safety, (0, 1))  # indexes into frequency
    answers: dict[str, Any] = {
        "living_situation": {1: "no_steady_place", 2: "worried"}.get(housing, "steady"),
        "housing_quality": quality,
        "food_worry": often(food),
        "food_last": often(min(5, food + rng.randint(0, 1))),
        "transportation": "yes" if scores["mobility"] <= 2 else "no",
        "utilities": (
            rng.choice(["yes", "already_shut_off"])
            if scores["income"] == 1
            else "yes"
            if scores["income"] == 2 and rng.random() < 0.5
            else "no"
        ),
    }
    for question in ("safety_hurt", "safety_insult", "safety_threaten", "safety_scream"):
        answers[question] = frequency[rng.randint(*harm)]
    if safety <= 2 and rng.random() < 0.15:
        answers["safety_hurt"] = DECLINED
    return answers


def _override(actor: Actor, assessment: Assessment, rng: random.Random) -> None:
    """The key worker puts the person a tier up or down, a few days after the assessment."""
    rank = TIER_RANK[assessment.tier]
    up = rank == 0 or (rank < 3 and rng.random() < 0.55)
    tiers = sorted(TIER_RANK, key=TIER_RANK.__getitem__)
    target = tiers[rank + 1] if up else tiers[rank - 1]
    override = tier_override(
        actor=actor,
        assessment=assessment,
        tier=target,
        reason=rng.choice(UP_REASONS if up else DOWN_REASONS),
    )
    later = (assessment.completed_at or timezone.now()) + timedelta(days=rng.randint(1, 6))
    TierOverride.objects.filter(pk=override.pk).update(made_at=min(later, timezone.now()))
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=min(later, timezone.now()))


def _review_days(first: date, last: date, rng: random.Random, *, stepped: bool) -> list[date]:
    """The days of the matrices: the first, then about every three months up to ``last``;
    for a stepped-down case the last one is taken on the day of the step-down."""
    days = [first]
    until = last - timedelta(days=30) if stepped else last
    while len(days) < MAX_MATRICES - stepped:
        following = days[-1] + timedelta(days=REVIEW_DAYS + rng.randint(-21, 21))
        if following > until:
            break
        days.append(following)
    if stepped and last > days[-1]:
        days.append(last)
    return days


def _key_worker_actor(case: Case) -> Actor | None:
    """The case's key worker, acting for the organisation that leads the case."""
    membership = (
        Membership.objects.select_related("organisation__network", "user")
        .filter(user=case.key_worker, organisation_id=case.lead_organisation_id)
        .filter(is_active=True)
        .first()
    )
    if membership is None:
        return None
    return Actor(user=membership.user, membership=membership, via="cli")


def _parents(people_ids: list[int]) -> set[int]:
    """People living with a child of theirs (the family domains apply)."""
    children = {Relationship.CHILD, Relationship.STEPCHILD, Relationship.FOSTER_CHILD}
    households = HouseholdMember.objects.filter(relationship__in=children).values("household_id")
    return set(
        HouseholdMember.objects.filter(person_id__in=people_ids, household_id__in=households)
        .exclude(relationship__in=children)
        .filter(relationship__in=[Relationship.HEAD, Relationship.PARTNER])
        .values_list("person_id", flat=True)
    )


def seed_assessments(
    *, network: Network, people: Sequence[Person], rng: random.Random
) -> dict[str, int]:
    """Assess the adults the one-stop supports (see the module's description); returns the
    counts for the seed's summary."""
    ensure_instruments()
    today = timezone.localdate()
    ids = [p.pk for p in people]
    cases = list(
        Case.objects.filter(
            network=network,
            person_id__in=ids,
            lead_organisation__is_lead=True,
            key_worker__isnull=False,
            status__in=[CaseStatus.OPEN, CaseStatus.STEPPED_DOWN],
        )
        .select_related("person", "key_worker")
        .prefetch_related("person__population_groups")
        .order_by("id")
    )
    parents = _parents([c.person_id for c in cases])
    actors: dict[tuple[int, int], Actor | None] = {}
    counts = {"assessments": 0, "assessed_people": 0, "hrsn_screens": 0, "tier_overrides": 0}
    seen: set[int] = set()
    fallback: tuple[Actor, Assessment] | None = None
    for case in cases:
        person = case.person
        if person.pk in seen:
            continue  # one active one-stop case a person: assessed once
        seen.add(person.pk)
        born = person.date_of_birth
        if born is None or (today - born).days < ADULT_AGE * 365.25:
            continue
        if rng.random() >= SHARE_ASSESSED:
            continue
        key = (case.key_worker_id or 0, case.lead_organisation_id)
        if key not in actors:
            actors[key] = _key_worker_actor(case)
        actor = actors[key]
        if actor is None:
            continue  # the key worker no longer works there
        groups = sorted(g.group for g in person.population_groups.all())
        stepped = case.status == CaseStatus.STEPPED_DOWN
        profile = _profile(rng, groups, family=person.pk in parents, stepped=stepped)
        scores = _first_scores(rng, profile)
        opened = min(case.opened_on, today)
        first = min(today, opened + timedelta(days=rng.randint(0, 14)))
        last = case.stepped_down_on if stepped and case.stepped_down_on else today
        written: list[Assessment] = []
        screened = rng.random() < SHARE_SCREENED
        if screened:
            screen = assessment_submit(
                actor=actor,
                person=person,
                instrument=SCREEN,
                answers=_screen_answers(rng, scores),
            )
            _backdate(screen, _at(opened, rng))
            written.append(screen)
            counts["hrsn_screens"] += 1
        only_screen = screened and (today - opened).days < RECENT_DAYS and rng.random() < 0.5
        days = [] if only_screen else _review_days(first, max(first, last), rng, stepped=stepped)
        for index, day in enumerate(days):
            if index:
                scores = _next_scores(rng, profile, scores)
            if stepped and index and day == last:
                scores = _stepped_down_scores(scores)
            elif not stepped and index and index == len(days) - 1 and rng.random() < 0.85:
                scores = _still_open_scores(profile, scores)
            matrix = assessment_submit(
                actor=actor,
                person=person,
                instrument=MATRIX,
                answers=_matrix_answers(rng, profile, scores),
            )
            when = _at(day, rng)
            if written and written[-1].completed_at and when <= written[-1].completed_at:
                # The screen came first (the same moment if both were today: ids order them).
                when = min(written[-1].completed_at + timedelta(hours=1), timezone.now())
            _backdate(matrix, when)
            written.append(matrix)
        counts["assessments"] += len(written)
        counts["assessed_people"] += 1
        latest = written[-1]
        if rng.random() < SHARE_OVERRIDDEN:
            _override(actor, latest, rng)
            counts["tier_overrides"] += 1
        elif fallback is None and len(written) > 1:
            fallback = (actor, latest)
    if not counts["tier_overrides"] and fallback is not None:
        # However few people are seeded, the managers' report shows an override.
        _override(*fallback, rng)
        counts["tier_overrides"] += 1
    return counts
