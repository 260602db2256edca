import datetime as dt
import random

import pytest
from django.utils import timezone

from tests import factories as f
from tests.plans.factories import NeedFactory
from wraparound.cases.models import CaseStatus
from wraparound.cases.services import case_close
from wraparound.crisis.demo import seed_crisis
from wraparound.crisis.models import CrisisEvent, RepresentationAlert
from wraparound.directory.models import Sector
from wraparound.directory.needs import NeedCategory
from wraparound.plans.demo import exit_plan_before_closing, seed_plans
from wraparound.plans.models import CarePlan, CarePlanStatus, ExitCheckIn, ExitPlan

pytestmark = pytest.mark.django_db


def test_seed_plans_and_crisis_events(personas):
    today = timezone.localdate()
    people = []
    for index in range(6):
        person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
        people.append(person)
        stepped = index % 2 == 0
        f.CaseFactory(
            person=person,
            lead_organisation=personas.one_stop,
            key_worker=personas.keyworker,
            opened_on=today - dt.timedelta(days=200),
            status=CaseStatus.STEPPED_DOWN if stepped else CaseStatus.OPEN,
            stepped_down_on=today - dt.timedelta(days=20) if stepped else None,
        )
        need = NeedFactory(assessment__person=person, position=1)
        NeedFactory(
            assessment=need.assessment,
            person=person,
            position=2,
            category=NeedCategory.FOOD_INSECURITY,
        )
    f.OrganisationFactory(network=personas.network, sector=Sector.HEALTH, slug="health-board")

    counts = seed_plans(network=personas.network, people=people, rng=random.Random(1))
    assert counts == {"care_plans": 6, "exit_plans": 3}
    assert CarePlan.objects.filter(status=CarePlanStatus.AGREED).exists()
    assert all(p.goals.count() == 2 for p in CarePlan.objects.all())
    assert ExitCheckIn.objects.filter(exit_plan__case__status=CaseStatus.STEPPED_DOWN).exists()

    crisis = seed_crisis(network=personas.network, people=people, rng=random.Random(1))
    assert crisis["crisis_events"] == CrisisEvent.objects.count() == 3 + 3
    assert crisis["representation_alerts"] == RepresentationAlert.objects.count() == 3


def test_exit_plan_before_closing_lets_the_seed_close_cases(personas, keyworker_actor):
    today = timezone.localdate()
    case = f.CaseFactory(
        person=f.PersonFactory(network=personas.network, registered_by=personas.one_stop),
        lead_organisation=personas.one_stop,
        opened_on=today - dt.timedelta(days=100),
    )
    closing_on = today - dt.timedelta(days=10)
    exit_plan_before_closing(
        actor=keyworker_actor, case=case, closing_on=closing_on, reason="goals_met"
    )
    case_close(actor=keyworker_actor, case=case, reason="goals_met", on=closing_on)
    plan = ExitPlan.objects.get(case=case)
    assert plan.planned_close_on == closing_on and plan.check_ins.exists()
    other = f.CaseFactory(
        person=f.PersonFactory(network=personas.network), lead_organisation=personas.one_stop
    )
    exit_plan_before_closing(actor=keyworker_actor, case=other, closing_on=today, reason="died")
    assert not ExitPlan.objects.filter(case=other).exists()
