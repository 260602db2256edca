import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories as f
from tests.plans.factories import (
    CarePlanFactory,
    GoalFactory,
    NeedFactory,
    PlanActionFactory,
)
from wraparound.audit.models import AuditEvent
from wraparound.directory.models import Service, ServiceArea, ServiceNeed
from wraparound.directory.needs import NeedCategory, PriorityClass
from wraparound.plans.models import ActionOwner, CarePlan, CarePlanStatus, Goal, PlanAction
from wraparound.plans.selectors import care_plans_for_case, recommended_services
from wraparound.plans.services import (
    action_add,
    action_mark_done,
    care_plan_agree,
    care_plan_start,
    care_plan_update,
    goal_add,
    goal_remove,
)

pytestmark = pytest.mark.django_db

IN_A_MONTH = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture
def need(person):
    return NeedFactory(person=person, assessment__person=person)


def _goal(actor, plan, need, **overrides):
    values = {
        "what": "Move into a home of my own",
        "measure": "Tenancy signed",
        "target_on": timezone.localdate() + dt.timedelta(weeks=26),
    }
    return goal_add(actor=actor, plan=plan, need=need, **(values | overrides))


def _agreed_plan(actor, case, need):
    plan = care_plan_start(actor=actor, case=case)
    goal = _goal(actor, plan, need)
    action_add(actor=actor, goal=goal, description="Register", owner="person", due_on=IN_A_MONTH)
    return care_plan_agree(actor=actor, plan=plan, method="in_person_signed")


def test_draft_goal_action_agree(personas, keyworker_actor, case, need):
    plan = care_plan_start(actor=keyworker_actor, case=case)
    assert (plan.version, plan.status) == (1, CarePlanStatus.DRAFT)
    assert plan.review_on == timezone.localdate() + dt.timedelta(weeks=12)
    goal = _goal(keyworker_actor, plan, need)
    assert goal.need_category == NeedCategory.HOUSING_INSTABILITY
    action_add(
        actor=keyworker_actor,
        goal=goal,
        description="Housing officer visit",
        owner=ActionOwner.AGENCY,
        owner_organisation=personas.partner_org,
        due_on=IN_A_MONTH,
    )
    agreed = care_plan_agree(
        actor=keyworker_actor, plan=plan, method="in_person_verbal", note="With her sister"
    )
    assert agreed.status == CarePlanStatus.AGREED and agreed.agreed_on == timezone.localdate()
    actions = list(
        AuditEvent.objects.filter(person_id=case.person_id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "care_plan.start",
        "care_plan.goal_add",
        "care_plan.action_add",
        "care_plan.agree",
    ]


def test_an_agreed_plan_is_never_edited_a_new_version_is_made(keyworker_actor, case, need):
    first = _agreed_plan(keyworker_actor, case, need)
    goal = first.goals.get()
    for change in (
        lambda: _goal(keyworker_actor, first, need),
        lambda: goal_remove(actor=keyworker_actor, goal=goal),
        lambda: care_plan_update(
            actor=keyworker_actor, plan=first, summary="x", review_on=IN_A_MONTH
        ),
        lambda: action_add(
            actor=keyworker_actor, goal=goal, description="x", owner="person", due_on=IN_A_MONTH
        ),
    ):
        with pytest.raises(ValidationError, match="start a new version"):
            change()
    second = care_plan_start(actor=keyworker_actor, case=case)
    assert second.version == 2
    copied = second.goals.get()
    assert (copied.what, copied.need_id, copied.actions.count()) == (goal.what, need.pk, 1)
    with pytest.raises(ValidationError, match="draft plan already"):
        care_plan_start(actor=keyworker_actor, case=case)
    care_plan_agree(actor=keyworker_actor, plan=second, method="phone")
    first.refresh_from_db()
    assert first.status == CarePlanStatus.SUPERSEDED
    assert first.goals.get().what == goal.what  # the old version is kept as it was
    plans = care_plans_for_case(actor=keyworker_actor, case=case)
    assert (plans.current, plans.draft, plans.history) == (second, None, [first])


def test_marking_an_action_done_is_progress_not_a_change(keyworker_actor, case, need):
    plan = _agreed_plan(keyworker_actor, case, need)
    action = PlanAction.objects.get(goal__plan=plan)
    done = action_mark_done(actor=keyworker_actor, action=action)
    assert done.done_on == timezone.localdate()
    with pytest.raises(ValidationError, match="done already"):
        action_mark_done(actor=keyworker_actor, action=action)
    care_plan_start(actor=keyworker_actor, case=case)
    new = care_plan_agree(
        actor=keyworker_actor, plan=CarePlan.objects.get(version=2), method="video"
    )
    assert new.status == CarePlanStatus.AGREED
    with pytest.raises(ValidationError, match="superseded"):
        action_mark_done(actor=keyworker_actor, action=PlanAction.objects.get(goal__plan=plan))


def test_a_goal_without_a_need_is_refused_and_nothing_saved(keyworker_actor, case):
    plan = care_plan_start(actor=keyworker_actor, case=case)
    with pytest.raises(ValidationError) as error:
        _goal(keyworker_actor, plan, None, what=" ", target_on=timezone.localdate())
    assert set(error.value.message_dict) == {"need", "what", "target_on"}
    assert "Choose the assessed need" in error.value.message_dict["need"][0]
    assert Goal.objects.count() == 0


def test_someone_elses_need_is_refused(personas, keyworker_actor, case):
    other = NeedFactory(assessment__person=f.PersonFactory(network=personas.network))
    plan = care_plan_start(actor=keyworker_actor, case=case)
    with pytest.raises(ValidationError, match="not this person's"):
        _goal(keyworker_actor, plan, other)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"owner": "neighbour"}, "owner"),
        ({"owner": "agency"}, "owner_organisation"),
        ({"due_on": timezone.localdate() - dt.timedelta(days=1)}, "due_on"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_actions_are_refused(keyworker_actor, case, need, values, field):
    plan = care_plan_start(actor=keyworker_actor, case=case)
    goal = _goal(keyworker_actor, plan, need)
    base = {"description": "Call", "owner": "key_worker", "due_on": IN_A_MONTH}
    with pytest.raises(ValidationError) as error:
        action_add(actor=keyworker_actor, goal=goal, **(base | values))
    assert field in error.value.message_dict
    assert PlanAction.objects.count() == 0


def test_agreement_needs_goals_with_actions_a_method_and_a_real_date(keyworker_actor, case, need):
    plan = care_plan_start(actor=keyworker_actor, case=case)
    with pytest.raises(ValidationError, match="at least one goal"):
        care_plan_agree(actor=keyworker_actor, plan=plan, method="phone")
    _goal(keyworker_actor, plan, need)
    with pytest.raises(ValidationError, match="at least one action"):
        care_plan_agree(actor=keyworker_actor, plan=plan, method="phone")
    with pytest.raises(ValidationError) as error:
        care_plan_agree(
            actor=keyworker_actor,
            plan=plan,
            method="telepathy",
            agreed_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert {"agreement_method", "agreed_on"} <= set(error.value.message_dict)
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.DRAFT


def test_review_date_must_be_ahead_and_within_a_year(keyworker_actor, case):
    plan = care_plan_start(actor=keyworker_actor, case=case)
    for bad in (timezone.localdate(), timezone.localdate() + dt.timedelta(weeks=53)):
        with pytest.raises(ValidationError) as error:
            care_plan_update(actor=keyworker_actor, plan=plan, summary="", review_on=bad)
        assert "review_on" in error.value.message_dict


def test_only_the_lead_organisations_caseworkers_plan(personas, case):
    with pytest.raises(PermissionDenied):
        care_plan_start(actor=personas.actor(personas.partner), case=case)
    with pytest.raises(PermissionDenied):
        care_plan_start(actor=personas.actor(personas.netadmin), case=case)


def test_the_database_keeps_one_draft_and_one_agreed_version(case):
    CarePlanFactory(case=case, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanFactory(case=case, version=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanFactory(case=case, version=3, status=CarePlanStatus.AGREED)  # no agreement


def _service(personas, name, need, **fields):
    service = Service.objects.create(
        organisation=fields.pop("organisation", personas.partner_org), name=name, **fields
    )
    ServiceNeed.objects.create(service=service, need=need)
    return service


def test_recommendations_filter_by_capacity_area_status_and_put_priority_first(
    personas, keyworker_actor, person, monkeypatch
):
    region = f.AreaFactory(network=personas.network)
    elsewhere = f.AreaFactory(network=personas.network)
    person.area = region
    person.save()
    housing = NeedCategory.HOUSING_INSTABILITY
    supportive = _service(personas, "A tenancy skills course", housing)
    priority = _service(
        personas, "Z emergency rehousing", housing, priority_class=PriorityClass.PRIORITY
    )
    _service(personas, "Full hostel", housing, capacity_total=10, capacity_available=0)
    _service(personas, "Closed scheme", housing, status="inactive")
    far = _service(personas, "Another county's scheme", housing)
    ServiceArea.objects.create(service=far, area=elsewhere)
    local = _service(personas, "Local scheme", housing, capacity_total=5, capacity_available=2)
    ServiceArea.objects.create(service=local, area=region)
    ineligible = _service(personas, "Over-65s housing", housing)
    _service(personas, "Food bank", NeedCategory.FOOD_INSECURITY)

    everyone_but = {supportive.pk, priority.pk, local.pk, far.pk}
    monkeypatch.setattr(
        "wraparound.plans.selectors._eligible_ids", lambda actor, person: everyone_but
    )
    found = recommended_services(actor=keyworker_actor, person=person, needs=[housing])
    assert found == {housing: [priority, supportive, local]}
    assert ineligible not in found[housing]


def test_plan_goal_and_action_factories_build_an_agreed_plan(case):
    action = PlanActionFactory(goal__plan__case=case)
    assert action.goal.plan.case == case and action.goal.need.person == case.person
    assert GoalFactory(plan=action.goal.plan).plan_id == action.goal.plan_id
