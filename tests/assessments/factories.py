"""Factories and answer sets for assessment tests."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from tests import factories as f
from wraparound.assessments.models import Assessment, AssessmentStatus, InstrumentVersion, Tier

SSM = "self-sufficiency-matrix"
HRSN = "ahc-hrsn-core"

SSM_REQUIRED = (
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


def ssm_answers(default: int = 4, **scores: Any) -> dict[str, Any]:
    """Every required matrix domain at ``default`` unless given."""
    answers: dict[str, Any] = dict.fromkeys(SSM_REQUIRED, default)
    answers.update(scores)
    return answers


def hrsn_answers(**overrides: Any) -> dict[str, Any]:
    """A negative screen unless overridden."""
    answers: dict[str, Any] = {
        "living_situation": "steady",
        "housing_quality": ["none"],
        "food_worry": "never",
        "food_last": "never",
        "transportation": "no",
        "utilities": "no",
        "safety_hurt": "never",
        "safety_insult": "never",
        "safety_threaten": "never",
        "safety_scream": "never",
    }
    answers.update(overrides)
    return answers


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A completed assessment row (no answers or needs): for list and caseload tests."""

    class Meta:
        model = Assessment

    person = factory.SubFactory(f.PersonFactory)
    network = factory.SelfAttribute("person.network")
    instrument_version = factory.LazyFunction(
        lambda: InstrumentVersion.objects.get(instrument__code=SSM, is_current=True)
    )
    organisation = factory.SubFactory(
        f.OrganisationFactory, network=factory.SelfAttribute("..person.network")
    )
    status = AssessmentStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)
    tier = Tier.SUPPORTED
    computed_tier = Tier.SUPPORTED
    tier_reason = "2 areas vulnerable → supported"
