"""Writes: submit, drafts (saved and resumed), completion, tier override; bad input leaves
nothing behind; every write audited; only workers with the person may assess."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories as f
from tests.assessments.factories import HRSN, SSM, hrsn_answers, ssm_answers
from wraparound.assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    DomainScore,
    Need,
    ScreenResult,
    Tier,
    TierOverride,
)
from wraparound.assessments.services import (
    assessment_complete,
    assessment_save_draft,
    assessment_start,
    assessment_submit,
    tier_override,
)
from wraparound.audit.models import AuditEvent
from wraparound.consent.categories import DataCategory
from wraparound.people.models import PersonPopulationGroup

pytestmark = pytest.mark.django_db


def test_submit_stores_scores_tier_and_ordered_needs(keyworker_actor, client_person):
    assessment = assessment_submit(
        actor=keyworker_actor,
        person=client_person,
        instrument=SSM,
        answers=ssm_answers(housing=1, food=2, employment=2, childcare="declined"),
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.completed_at is not None
    assert assessment.tier == assessment.computed_tier == Tier.INTENSIVE
    assert assessment.tier_reason == "housing scored 1 (in crisis) → intensive"
    assert assessment.tier_rules is not None and assessment.tier_rules.version == 1
    scores = dict(assessment.scores.values_list("domain", "score"))
    assert scores["housing"] == 1 and scores["childcare"] is None
    assert assessment.answers.get(question="childcare").status == "declined"
    needs = list(assessment.needs.order_by("position"))
    assert [n.category for n in needs] == [
        "housing-instability",
        "food-insecurity",
        "employment-status",
    ]
    assert [n.priority_class for n in needs] == ["priority", "priority", "supportive"]
    assert all(n.person_id == client_person.pk and n.explanation for n in needs)
    event = AuditEvent.objects.get(action="assessment.complete")
    assert event.person_id == client_person.pk
    assert event.categories == [DataCategory.ASSESSMENTS]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**ssm_answers(), "favourite_colour": "blue"}, "favourite_colour"),
        ({**ssm_answers(), "housing": 9}, "housing"),
        (ssm_answers(income=None), "income"),
        # An answer from the other instrument (another instrument version's question).
        ({**ssm_answers(), "food_worry": "often"}, "food_worry"),
    ],
)
def test_bad_input_saves_nothing(keyworker_actor, client_person, answers, field):
    with pytest.raises(ValidationError) as error:
        assessment_submit(
            actor=keyworker_actor, person=client_person, instrument=SSM, answers=answers
        )
    assert field in error.value.message_dict
    assert not Assessment.objects.exists()
    assert not Answer.objects.exists() and not Need.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="assessment.").exists()


def test_unknown_instrument(keyworker_actor, client_person):
    with pytest.raises(ValidationError) as error:
        assessment_submit(
            actor=keyworker_actor, person=client_person, instrument="tarot", answers={}
        )
    assert error.value.message_dict == {"instrument": ["There is no instrument 'tarot'"]}


def test_only_workers_with_the_person_may_assess(personas, client_person):
    with pytest.raises(PermissionDenied):
        assessment_submit(
            actor=personas.actor(personas.outsider),
            person=client_person,
            instrument=SSM,
            answers=ssm_answers(),
        )
    with pytest.raises(PermissionDenied):
        assessment_start(
            actor=personas.actor(personas.netadmin), person=client_person, instrument=SSM
        )
    assert not Assessment.objects.exists()


def test_draft_saved_resumed_and_completed(keyworker_actor, client_person):
    draft = assessment_start(actor=keyworker_actor, person=client_person, instrument=SSM)
    assert draft.status == AssessmentStatus.DRAFT and draft.current_section == "basic"
    assessment_save_draft(
        actor=keyworker_actor,
        assessment=draft,
        answers={"housing": "2", "income": "dont_know", "food": 1},
        section="health",
    )
    # Resumed later: the saved answers and the section to carry on from are kept.
    draft = Assessment.objects.get(pk=draft.pk)
    assert draft.current_section == "health"
    saved = {a.question: (a.status, a.value) for a in draft.answers.all()}
    assert saved == {
        "housing": ("answered", 2),
        "income": ("dont_know", None),
        "food": ("answered", 1),
    }
    # Clearing an answer removes it (missing again).
    assessment_save_draft(actor=keyworker_actor, assessment=draft, answers={"food": ""})
    assert not draft.answers.filter(question="food").exists()
    # Completing checks required questions across every section.
    with pytest.raises(ValidationError) as error:
        assessment_complete(actor=keyworker_actor, assessment=draft)
    assert "food" in error.value.message_dict and "housing" not in error.value.message_dict
    assert Assessment.objects.get(pk=draft.pk).status == AssessmentStatus.DRAFT
    remaining = {k: v for k, v in ssm_answers().items() if k not in {"housing", "income"}}
    assessment_complete(actor=keyworker_actor, assessment=draft, answers=remaining)
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.COMPLETED
    assert draft.tier == Tier.LIGHT_TOUCH  # housing 2: one area vulnerable
    assert list(draft.needs.values_list("category", flat=True)) == ["housing-instability"]
    assert DomainScore.objects.get(assessment=draft, domain="income").answer_status == ("dont_know")


def test_draft_bad_answer_saves_nothing(keyworker_actor, client_person):
    draft = assessment_start(actor=keyworker_actor, person=client_person, instrument=SSM)
    with pytest.raises(ValidationError) as error:
        assessment_save_draft(
            actor=keyworker_actor, assessment=draft, answers={"housing": 2, "food": 7}
        )
    assert list(error.value.message_dict) == ["food"]
    assert not draft.answers.exists()


def test_a_completed_assessment_cannot_change(keyworker_actor, client_person):
    done = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers()
    )
    with pytest.raises(ValidationError, match="completed and cannot change"):
        assessment_save_draft(actor=keyworker_actor, assessment=done, answers={"housing": 1})
    with pytest.raises(ValidationError, match="completed and cannot change"):
        assessment_complete(actor=keyworker_actor, assessment=done)


def test_screen_results_stored(keyworker_actor, client_person):
    assessment = assessment_submit(
        actor=keyworker_actor,
        person=client_person,
        instrument=HRSN,
        answers=hrsn_answers(food_worry="often", safety_hurt="declined"),
    )
    results = {r.code: r for r in ScreenResult.objects.filter(assessment=assessment)}
    assert results["food_insecurity"].positive
    assert not results["interpersonal_safety"].positive
    assert "3 of 4 answered" in results["interpersonal_safety"].explanation
    assert assessment.tier == Tier.LIGHT_TOUCH


def test_override_needs_a_reason_and_is_audited(personas, keyworker_actor, client_person):
    assessment = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers()
    )
    with pytest.raises(ValidationError) as error:
        tier_override(actor=keyworker_actor, assessment=assessment, tier="top", reason=" ")
    assert set(error.value.message_dict) == {"tier", "reason"}
    with pytest.raises(ValidationError, match="already self-service"):
        tier_override(
            actor=keyworker_actor, assessment=assessment, tier="self_service", reason="same"
        )
    override = tier_override(
        actor=keyworker_actor,
        assessment=assessment,
        tier=Tier.SUPPORTED,
        reason="Scores hide a recent bereavement",
    )
    assessment.refresh_from_db()
    assert (assessment.tier, assessment.computed_tier) == (Tier.SUPPORTED, Tier.SELF_SERVICE)
    assert (override.from_tier, override.to_tier) == (Tier.SELF_SERVICE, Tier.SUPPORTED)
    assert override.made_by == personas.keyworker
    event = AuditEvent.objects.get(action="assessment.tier_override")
    assert event.changes["reason"][1] == "Scores hide a recent bereavement"
    assert TierOverride.objects.count() == 1


def test_override_by_someone_without_the_person_is_refused(
    personas, keyworker_actor, client_person
):
    assessment = assessment_submit(
        actor=keyworker_actor, person=client_person, instrument=SSM, answers=ssm_answers()
    )
    with pytest.raises(PermissionDenied):
        tier_override(
            actor=personas.actor(personas.outsider),
            assessment=assessment,
            tier=Tier.INTENSIVE,
            reason="no",
        )
    assert not TierOverride.objects.exists()


def test_population_groups_order_needs(keyworker_actor, client_person):
    PersonPopulationGroup.objects.create(person=client_person, group="older_person")
    assessment = assessment_submit(
        actor=keyworker_actor,
        person=client_person,
        instrument=SSM,
        answers=ssm_answers(housing=2, health_care=2, food=2),
    )
    categories = list(assessment.needs.order_by("position").values_list("category", flat=True))
    assert categories == ["health-care-access", "food-insecurity", "housing-instability"]


def test_a_sensitive_group_the_worker_may_not_see_does_not_order(keyworker_actor, client_person):
    # Severe mental illness is mental-health data: the lead organisation's relationship does
    # not reach it without consent, so ordering uses only what the worker may know.
    for group in ("homeless", "severe_mental_illness"):
        PersonPopulationGroup.objects.create(person=client_person, group=group)
    assessment = assessment_submit(
        actor=keyworker_actor,
        person=client_person,
        instrument=SSM,
        answers=ssm_answers(mental_health=2, food=2),
    )
    first = assessment.needs.get(position=1)
    assert first.category == "food-insecurity"  # the homeless template, not homeless + SMI
    assert "severe mental illness" not in first.explanation.lower()


def test_person_in_another_network_is_refused(keyworker_actor, instruments):
    stranger = f.PersonFactory()
    with pytest.raises(PermissionDenied):
        assessment_submit(
            actor=keyworker_actor, person=stranger, instrument=SSM, answers=ssm_answers()
        )
