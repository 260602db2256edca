"""factory_boy factories for plans (built directly, as tests/factories.py does)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from tests import factories as f
from wraparound.assessments.models import (
    Assessment,
    AssessmentStatus,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Need,
    Severity,
    Tier,
)
from wraparound.directory.needs import NeedCategory, PriorityClass
from wraparound.plans.models import (
    ActionOwner,
    CarePlan,
    CarePlanStatus,
    ExitPlan,
    ExitStage,
    Goal,
    PlanAction,
    PlanSettings,
    SupportLevel,
)


class PlanSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanSettings

    network = factory.SubFactory(f.NetworkFactory)
    version = factory.Sequence(lambda n: n + 1)


class ExitPlanFactory(factory.django.DjangoModelFactory):
    """An active exit plan: four weeks of light-touch support from today."""

    class Meta:
        model = ExitPlan
        skip_postgeneration_save = True

    case = factory.SubFactory(f.CaseFactory)
    person = factory.SelfAttribute("case.person")
    created_by_organisation = factory.SelfAttribute("case.lead_organisation")
    starts_on = factory.LazyFunction(timezone.localdate)
    planned_close_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(weeks=4))

    @factory.post_generation
    def stages(obj: ExitPlan, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            ExitStage.objects.create(
                exit_plan=obj,
                position=0,
                level=SupportLevel.LIGHT_TOUCH,
                weeks=obj.weeks,
                starts_on=obj.starts_on,
            )


# --- assessed needs (rows built directly: the assessment's own rules are tested there) ----


def _instrument_version() -> InstrumentVersion:
    instrument, _ = Instrument.objects.get_or_create(
        code="plans-test-matrix", defaults={"name": "Test matrix", "kind": InstrumentKind.MATRIX}
    )
    version, _ = InstrumentVersion.objects.get_or_create(
        instrument=instrument, version=1, defaults={"definition": {}, "checksum": "0" * 64}
    )
    return version


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    person = factory.SubFactory(f.PersonFactory)
    network = factory.SelfAttribute("person.network")
    instrument_version = factory.LazyFunction(_instrument_version)
    organisation = factory.SubFactory(
        f.OrganisationFactory, network=factory.SelfAttribute("..person.network")
    )
    status = AssessmentStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)
    tier = Tier.INTENSIVE
    computed_tier = Tier.INTENSIVE
    tier_reason = "housing scored 1 (in crisis) → intensive"


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    assessment = factory.SubFactory(AssessmentFactory)
    person = factory.SelfAttribute("assessment.person")
    category = NeedCategory.HOUSING_INSTABILITY
    severity = Severity.CRISIS
    priority_class = PriorityClass.PRIORITY
    position = factory.Sequence(lambda n: n + 1)
    source = "housing"
    evidence = "housing scored 1 (in crisis)"
    explanation = "crisis first"


class CarePlanFactory(factory.django.DjangoModelFactory):
    """A draft care plan version 1 with a review date 12 weeks ahead."""

    class Meta:
        model = CarePlan

    case = factory.SubFactory(f.CaseFactory)
    person = factory.SelfAttribute("case.person")
    version = 1
    status = CarePlanStatus.DRAFT
    review_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(weeks=12))
    created_by_organisation = factory.SelfAttribute("case.lead_organisation")


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    plan = factory.SubFactory(CarePlanFactory)
    need = factory.SubFactory(NeedFactory, person=factory.SelfAttribute("..plan.person"))
    need_category = factory.SelfAttribute("need.category")
    position = factory.Sequence(lambda n: n + 1)
    what = "A settled home"
    measure = "A tenancy signed"
    target_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(weeks=20))


class PlanActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanAction

    goal = factory.SubFactory(GoalFactory)
    position = factory.Sequence(lambda n: n + 1)
    description = "Apply to the housing register"
    owner = ActionOwner.PERSON
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(weeks=2))
