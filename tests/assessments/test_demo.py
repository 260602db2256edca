"""The demo assessments: who is assessed, by whom, when, and what the answers look like."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.conftest import Personas
from wraparound.assessments import demo
from wraparound.assessments.definition import parse_definition
from wraparound.assessments.loader import INSTRUMENTS_DIR
from wraparound.assessments.models import (
    Assessment,
    AssessmentStatus,
    InstrumentVersion,
    Tier,
    TierOverride,
    TierRuleSet,
)
from wraparound.assessments.scoring import check_answers
from wraparound.assessments.selectors import current_needs, current_tier
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import CaseStatus
from wraparound.people.choices import PopulationGroup, Relationship
from wraparound.people.models import Person, PersonPopulationGroup

MATRIX_DEF = parse_definition(
    json.loads((INSTRUMENTS_DIR / "self_sufficiency_matrix.json").read_text(encoding="utf-8"))
)
SCREEN_DEF = parse_definition(
    json.loads((INSTRUMENTS_DIR / "ahc_hrsn_core.json").read_text(encoding="utf-8"))
)
GROUPS = [g.value for g in PopulationGroup]


def _caseload(personas: Personas, count: int = 24) -> dict[str, list[Person]]:
    """Adults with open and stepped-down one-stop cases of various ages, and people the seed
    must leave alone: a child, a closed case, a case led by a partner agency, no key worker,
    a key worker who is not at the one-stop."""
    today = timezone.localdate()
    rng = random.Random(5)
    network, one_stop = personas.network, personas.one_stop
    made: dict[str, list[Person]] = {"open": [], "stepped_down": [], "left_alone": []}
    for index in range(count):
        person = f.PersonFactory(network=network, registered_by=one_stop)
        if index % 3 == 0:
            PersonPopulationGroup.objects.create(person=person, group=rng.choice(GROUPS))
        opened = today - dt.timedelta(days=rng.choice([3, 10, 60, 200, 400, 700]))
        stepped = index % 4 == 3 and (today - opened).days > 60
        f.CaseFactory(
            person=person,
            lead_organisation=one_stop,
            key_worker=personas.keyworker,
            opened_on=opened,
            status=CaseStatus.STEPPED_DOWN if stepped else CaseStatus.OPEN,
            stepped_down_on=today - dt.timedelta(days=20) if stepped else None,
        )
        made["stepped_down" if stepped else "open"].append(person)
    child = f.PersonFactory(
        network=network, date_of_birth=today - dt.timedelta(days=365 * 9), registered_by=one_stop
    )
    f.CaseFactory(person=child, lead_organisation=one_stop, key_worker=personas.keyworker)
    closed = f.PersonFactory(network=network, registered_by=one_stop)
    f.CaseFactory(
        person=closed,
        lead_organisation=one_stop,
        key_worker=personas.keyworker,
        status=CaseStatus.CLOSED,
        closed_on=today - dt.timedelta(days=5),
        closure_reason="goals_met",
    )
    partner_led = f.PersonFactory(network=network, registered_by=personas.partner_org)
    f.CaseFactory(
        person=partner_led, lead_organisation=personas.partner_org, key_worker=personas.partner
    )
    unallocated = f.PersonFactory(network=network, registered_by=one_stop)
    f.CaseFactory(person=unallocated, lead_organisation=one_stop)
    # Key worker recorded, but not a member of the one-stop (e.g. moved on): not assessed.
    elsewhere = f.PersonFactory(network=network, registered_by=one_stop)
    f.CaseFactory(person=elsewhere, lead_organisation=one_stop, key_worker=personas.partner)
    made["left_alone"] = [child, closed, partner_led, unallocated, elsewhere]
    return made


def _everyone(made: dict[str, list[Person]]) -> list[Person]:
    return [p for people in made.values() for p in people]


def _snapshot() -> list[tuple[object, ...]]:
    """What was seeded, without ids or write times."""
    return [
        (
            a.person_id,
            a.instrument_version.instrument.code,
            timezone.localtime(a.completed_at).date(),  # one made today: capped to now
            a.tier,
            a.computed_tier,
            tuple(sorted(a.answers.values_list("question", "status", "value"))),
            tuple(a.needs.values_list("category", "position")),
            tuple(a.overrides.values_list("to_tier", "reason")),
        )
        for a in Assessment.objects.order_by("person_id", "completed_at", "id")
    ]


@pytest.mark.django_db
def test_seed_assesses_adults_with_active_one_stop_cases(personas, keyworker_actor):
    made = _caseload(personas)
    counts = demo.seed_assessments(
        network=personas.network, people=_everyone(made), rng=random.Random(3)
    )
    today = timezone.localdate()
    assessments = Assessment.objects.select_related("instrument_version__instrument")
    assert counts["assessments"] == assessments.count() > 0
    assert not assessments.filter(person__in=made["left_alone"]).exists()
    assessed = set(assessments.values_list("person_id", flat=True))
    eligible = {p.pk for p in made["open"] + made["stepped_down"]}
    assert counts["assessed_people"] == len(assessed) and assessed <= eligible
    assert len(assessed) >= 0.75 * len(eligible)  # most, not all: a few are waiting
    # Through the services, as the key worker: completed, tiered, audited.
    assert set(assessments.values_list("status", flat=True)) == {AssessmentStatus.COMPLETED}
    assert set(assessments.values_list("assessed_by", "organisation")) == {
        (personas.keyworker.pk, personas.one_stop.pk)
    }
    assert all(a.tier in Tier.values and a.tier_reason for a in assessments)
    completes = AuditEvent.objects.filter(action="assessment.complete")
    assert completes.count() == counts["assessments"]
    # Both instruments; the screen, when there is one, comes first, on the day the case opened.
    by_code = Counter(a.instrument_version.instrument.code for a in assessments)
    assert by_code[demo.MATRIX] and by_code[demo.SCREEN] == counts["hrsn_screens"]
    for person in Person.objects.filter(pk__in=assessed):
        case = person.cases.get()
        history = list(assessments.filter(person=person).order_by("completed_at", "id"))
        days = [timezone.localtime(a.completed_at).date() for a in history]
        assert days == sorted(days) and case.opened_on <= days[0] and days[-1] <= today
        codes = [a.instrument_version.instrument.code for a in history]
        assert demo.SCREEN not in codes[1:]
        if codes[0] == demo.SCREEN:
            assert days[0] == case.opened_on
        if case.status == CaseStatus.STEPPED_DOWN and codes.count(demo.MATRIX) > 1:
            assert days[-1] == case.stepped_down_on
            assert history[-1].tier != Tier.INTENSIVE  # doing better by the step-down
    # Change over time: people assessed more than once, whose scores moved.
    people_ids = Counter(assessments.values_list("person_id", flat=True))
    several = [p for p, n in people_ids.items() if n > 1]
    moved = 0
    for person_id in several:
        matrices = assessments.filter(
            person_id=person_id, instrument_version__instrument__code=demo.MATRIX
        )
        scores = [dict(m.scores.values_list("domain", "score")) for m in matrices]
        moved += len({tuple(sorted(s.items())) for s in scores}) > 1
    assert moved >= 3
    # Tiers and ordered needs the care plans can use, seen by the key worker.
    open_people = [p for p in made["open"] if p.pk in assessed]
    with_needs = [p for p in open_people if current_needs(actor=keyworker_actor, person=p)]
    assert len(with_needs) >= 0.75 * len(open_people)
    assert {current_tier(actor=keyworker_actor, person=p) for p in open_people} >= {Tier.INTENSIVE}
    # At least one tier changed, with a reason, the assessment carrying the new tier.
    overrides = TierOverride.objects.select_related("assessment")
    assert counts["tier_overrides"] == overrides.count() >= 1
    for override in overrides:
        assert override.reason and override.to_tier == override.assessment.tier
        assert override.from_tier == override.assessment.computed_tier
        assert override.made_at > override.assessment.completed_at


@pytest.mark.django_db
def test_the_same_random_stream_gives_the_same_assessments(personas):
    people = _everyone(_caseload(personas, count=10))
    snapshots = []
    for _ in range(2):
        with transaction.atomic():
            demo.seed_assessments(network=personas.network, people=people, rng=random.Random(8))
            snapshots.append(_snapshot())
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1] and snapshots[0]
    with transaction.atomic():
        demo.seed_assessments(network=personas.network, people=people, rng=random.Random(9))
        assert _snapshot() != snapshots[0]
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_seed_loads_the_instruments_when_they_are_missing(personas):
    made = _caseload(personas, count=4)
    assert not InstrumentVersion.objects.exists()
    demo.seed_assessments(network=personas.network, people=_everyone(made), rng=random.Random(1))
    codes = set(
        InstrumentVersion.objects.filter(is_current=True).values_list("instrument__code", flat=True)
    )
    assert codes == {demo.MATRIX, demo.SCREEN}
    assert TierRuleSet.objects.filter(is_current=True).exists()
    versions = InstrumentVersion.objects.count()
    demo.ensure_instruments()  # already loaded: nothing new
    assert InstrumentVersion.objects.count() == versions


@pytest.mark.django_db
def test_only_people_in_the_list_are_assessed(personas):
    made = _caseload(personas, count=6)
    chosen = made["open"][:2]
    demo.seed_assessments(network=personas.network, people=chosen, rng=random.Random(2))
    assert set(Assessment.objects.values_list("person_id", flat=True)) <= {p.pk for p in chosen}


@pytest.mark.django_db
def test_parents_answer_the_family_domains(personas):
    today = timezone.localdate()
    parent = f.PersonFactory(network=personas.network)
    child = f.PersonFactory(
        network=personas.network, date_of_birth=today.replace(year=today.year - 6)
    )
    single = f.PersonFactory(network=personas.network)
    household = f.HouseholdFactory(network=personas.network)
    f.HouseholdMemberFactory(household=household, person=parent, relationship=Relationship.HEAD)
    f.HouseholdMemberFactory(household=household, person=child, relationship=Relationship.CHILD)
    assert demo._parents([parent.pk, child.pk, single.pk]) == {parent.pk}


# --- The answers (no database) --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    groups=st.lists(st.sampled_from(GROUPS), max_size=3, unique=True),
    family=st.booleans(),
    stepped=st.booleans(),
    reviews=st.integers(min_value=0, max_value=3),
)
def test_answers_are_always_complete_and_valid(seed, groups, family, stepped, reviews):
    rng = random.Random(seed)
    profile = demo._profile(rng, sorted(groups), family=family, stepped=stepped)
    scores = demo._first_scores(rng, profile)
    check_answers(SCREEN_DEF, demo._screen_answers(rng, scores), complete=True)
    for _ in range(reviews + 1):
        check_answers(MATRIX_DEF, demo._matrix_answers(rng, profile, scores), complete=True)
        assert set(scores.values()) <= {1, 2, 3, 4, 5}
        scores = demo._next_scores(rng, profile, scores)
    assert (
        {"childcare", "parenting"} <= set(scores)
        if family
        else not set(scores)
        & {
            "childcare",
            "children_education",
            "parenting",
        }
    )


def test_the_screen_agrees_with_the_matrix():
    rng = random.Random(4)
    base = dict.fromkeys(demo.CORE_DOMAINS, 4)
    calm = demo._screen_answers(rng, base)
    assert calm["living_situation"] == "steady" and calm["food_worry"] == "never"
    assert calm["transportation"] == "no" and calm["utilities"] == "no"
    assert all(calm[q] in {"never", "rarely"} for q in ("safety_insult", "safety_scream"))
    hard = demo._screen_answers(rng, base | {"housing": 1, "food": 1, "mobility": 2, "safety": 1})
    assert hard["living_situation"] == "no_steady_place" and hard["food_worry"] == "often"
    assert hard["transportation"] == "yes"
    assert hard["safety_insult"] in {"sometimes", "fairly_often", "frequently"}
    assert demo._screen_answers(rng, base | {"housing": 2})["living_situation"] == "worried"


def test_focus_domains_follow_the_population_groups():
    rng = random.Random(6)
    profile = demo._profile(rng, [PopulationGroup.HOMELESS], family=False, stepped=False)
    assert profile.focus[:3] == ["housing", "income", "health_care"]
    scores = demo._first_scores(rng, profile)
    assert scores["housing"] <= 3
    crisis = demo._Profile(acuity=2.7, focus=["safety"], family=False, disabled=False,
                           trajectory="stalled")  # fmt: skip
    assert demo._first_scores(rng, crisis)["safety"] == 1


def test_review_days_every_three_months_and_at_the_step_down():
    rng = random.Random(7)
    first = dt.date(2025, 1, 10)
    days = demo._review_days(first, dt.date(2026, 3, 1), rng, stepped=False)
    assert days[0] == first and len(days) == demo.MAX_MATRICES
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    assert all(70 <= g <= 112 for g in gaps)
    stepped = demo._review_days(first, dt.date(2025, 9, 1), rng, stepped=True)
    assert stepped[-1] == dt.date(2025, 9, 1) and len(stepped) <= demo.MAX_MATRICES
    assert demo._review_days(first, first, rng, stepped=False) == [first]
    assert demo._review_days(first, first, rng, stepped=True) == [first]


def test_open_and_stepped_down_scores():
    profile = demo._Profile(acuity=3.5, focus=["income"], family=False, disabled=False,
                            trajectory="improving")  # fmt: skip
    settled = dict.fromkeys(demo.CORE_DOMAINS, 4)
    assert demo._still_open_scores(profile, settled) == settled | {"income": 2}
    struggling = settled | {"food": 2}
    assert demo._still_open_scores(profile, struggling) == struggling
    down = demo._stepped_down_scores(settled | {"housing": 1, "employment": 1, "food": 2})
    assert down["housing"] == 3 and down["food"] == 3 and down["employment"] == 2
    assert min(down.values()) >= 2
