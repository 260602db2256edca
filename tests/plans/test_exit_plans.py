import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.plans.factories import ExitPlanFactory, PlanSettingsFactory
from wraparound.audit.models import AuditEvent
from wraparound.cases.models import CaseStatus
from wraparound.cases.services import case_close
from wraparound.plans.models import (
    CheckInStatus,
    ExitCheckIn,
    ExitPlan,
    ExitPlanStatus,
    SupportLevel,
)
from wraparound.plans.selectors import EXIT_PLAN_EXEMPT_CLOSURES, has_exit_plan
from wraparound.plans.services import (
    StageInput,
    check_in_schedule,
    exit_check_in_complete,
    exit_plan_create,
)

pytestmark = pytest.mark.django_db

STANDARD = [
    StageInput(SupportLevel.INTENSIVE, 4),
    StageInput(SupportLevel.SUPPORTED, 6),
    StageInput(SupportLevel.LIGHT_TOUCH, 8),
]


def test_schedule_steps_down_and_check_ins_thin_out():
    start = dt.date(2026, 1, 5)
    due = check_in_schedule(start, STANDARD)
    levels = [level for _, level in due]
    assert levels == ["intensive"] * 4 + ["supported"] * 3 + ["light_touch"] * 2 + ["closed"] * 3
    days = [d for d, _ in due]
    gaps = [(b - a).days for a, b in zip([start, *days], days, strict=False)]
    assert gaps == sorted(gaps)  # never more frequent than before
    assert days[8] == start + dt.timedelta(weeks=18)  # the last check-in is at closing
    assert days[-3:] == [start + dt.timedelta(weeks=18 + w) for w in (4, 12, 26)]


@given(
    st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=3),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
)
def test_any_schedule_is_dated_in_order_and_less_frequent_over_time(weeks, start):
    levels = [SupportLevel.INTENSIVE, SupportLevel.SUPPORTED, SupportLevel.LIGHT_TOUCH]
    stages = [StageInput(level, w) for level, w in zip(levels, weeks, strict=False)]
    due = [d for d, _ in check_in_schedule(start, stages)]
    assert due == sorted(set(due))
    gaps = [(b - a).days for a, b in zip([start, *due], due, strict=False)]
    assert gaps == sorted(gaps)  # never more frequent than the check-in before
    close = start + dt.timedelta(weeks=sum(weeks[:3]))
    assert due[-3:] == [close + dt.timedelta(weeks=w) for w in (4, 12, 26)]
    assert all(gap <= 28 for gap, day in zip(gaps, due, strict=False) if day <= close)


def test_create_schedules_check_ins_on_commit(
    personas, keyworker_actor, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan = exit_plan_create(actor=keyworker_actor, case=case, stages=STANDARD)
    assert plan.planned_close_on == timezone.localdate() + dt.timedelta(weeks=18)
    assert [s.level for s in plan.stages.all()] == ["intensive", "supported", "light_touch"]
    check_ins = list(ExitCheckIn.objects.filter(exit_plan=plan))
    assert len(check_ins) == 12
    assert {c.assigned_to for c in check_ins} == {personas.keyworker}
    plan.refresh_from_db()
    assert plan.check_ins_created_at is not None
    actions = list(
        AuditEvent.objects.filter(person_id=case.person_id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["exit_plan.create", "exit_plan.check_ins"]
    assert has_exit_plan(case)


def test_the_worker_does_not_schedule_twice(
    keyworker_actor, case, django_capture_on_commit_callbacks
):
    from wraparound.plans.tasks import create_exit_check_ins

    with django_capture_on_commit_callbacks(execute=True):
        plan = exit_plan_create(actor=keyworker_actor, case=case, stages=STANDARD)
    assert create_exit_check_ins.call(exit_plan_id=plan.pk) == 0
    assert ExitCheckIn.objects.filter(exit_plan=plan).count() == 12


def test_a_new_exit_plan_replaces_the_old_and_cancels_its_check_ins(
    keyworker_actor, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = exit_plan_create(actor=keyworker_actor, case=case, stages=STANDARD)
    with django_capture_on_commit_callbacks(execute=True):
        second = exit_plan_create(
            actor=keyworker_actor, case=case, stages=[StageInput(SupportLevel.LIGHT_TOUCH, 8)]
        )
    first.refresh_from_db()
    assert first.status == ExitPlanStatus.REPLACED
    assert set(first.check_ins.values_list("status", flat=True)) == {CheckInStatus.CANCELLED}
    assert second.check_ins.filter(status=CheckInStatus.DUE).count() == 5


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([], "at least one level"),
        ([StageInput(SupportLevel.INTENSIVE, 0)], "at least one level"),
        ([StageInput(SupportLevel.INTENSIVE, -2)], "0 or more"),
        ([StageInput("relaxed", 4)], "Unknown level"),
        (
            [StageInput(SupportLevel.LIGHT_TOUCH, 4), StageInput(SupportLevel.INTENSIVE, 4)],
            "must step down",
        ),
        (
            [StageInput(SupportLevel.SUPPORTED, 4), StageInput(SupportLevel.SUPPORTED, 4)],
            "must step down",
        ),
        (
            [StageInput(SupportLevel.INTENSIVE, 30), StageInput(SupportLevel.SUPPORTED, 30)],
            "lasts 60 weeks: the network allows at most 52 weeks",
        ),
    ],
)
def test_bad_schedules_are_refused_and_nothing_saved(keyworker_actor, case, stages, message):
    with pytest.raises(ValidationError, match=message):
        exit_plan_create(actor=keyworker_actor, case=case, stages=stages)
    assert ExitPlan.objects.count() == 0


def test_the_longest_exit_plan_is_network_configuration(personas, keyworker_actor, case):
    PlanSettingsFactory(network=personas.network, version=1, max_exit_plan_weeks=12)
    with pytest.raises(ValidationError, match="at most 12 weeks"):
        exit_plan_create(
            actor=keyworker_actor, case=case, stages=[StageInput(SupportLevel.SUPPORTED, 13)]
        )
    exit_plan_create(actor=keyworker_actor, case=case, stages=[StageInput("supported", 12)])


def test_start_before_the_case_opened_is_refused(keyworker_actor, case):
    with pytest.raises(ValidationError, match="before the case opened"):
        exit_plan_create(
            actor=keyworker_actor,
            case=case,
            stages=STANDARD,
            starts_on=case.opened_on - dt.timedelta(days=1),
        )


def test_only_the_lead_organisation_makes_exit_plans(personas, case):
    with pytest.raises(PermissionDenied):
        exit_plan_create(actor=personas.actor(personas.partner), case=case, stages=STANDARD)


def test_check_in_done_once(keyworker_actor, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = exit_plan_create(actor=keyworker_actor, case=case, stages=STANDARD)
    check_in = plan.check_ins.first()
    done = exit_check_in_complete(actor=keyworker_actor, check_in=check_in)
    assert (done.status, done.done_on) == (CheckInStatus.DONE, timezone.localdate())
    with pytest.raises(ValidationError, match="done already"):
        exit_check_in_complete(actor=keyworker_actor, check_in=check_in)


def test_closing_needs_an_exit_plan_unless_exempt(keyworker_actor, case):
    with pytest.raises(ValidationError, match="Make an exit plan before closing"):
        case_close(actor=keyworker_actor, case=case, reason="goals_met")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    ExitPlanFactory(case=case)
    closed = case_close(actor=keyworker_actor, case=case, reason="goals_met")
    assert closed.status == CaseStatus.CLOSED


@pytest.mark.parametrize("reason", sorted(EXIT_PLAN_EXEMPT_CLOSURES))
def test_some_closures_need_no_exit_plan(keyworker_actor, case, reason):
    closed = case_close(actor=keyworker_actor, case=case, reason=reason)
    assert closed.status == CaseStatus.CLOSED


def test_a_replaced_exit_plan_does_not_count(keyworker_actor, case):
    ExitPlanFactory(case=case, status=ExitPlanStatus.REPLACED)
    with pytest.raises(ValidationError, match="Make an exit plan"):
        case_close(actor=keyworker_actor, case=case, reason="no_longer_needed")


def test_settings_are_versioned_and_only_network_admins_change_them(personas):
    from wraparound.plans.config import current_plan_settings
    from wraparound.plans.services import plan_settings_update

    assert current_plan_settings(personas.network).max_exit_plan_weeks == 52
    with pytest.raises(PermissionDenied):
        plan_settings_update(
            actor=personas.actor(personas.manager),
            network=personas.network,
            max_exit_plan_weeks=26,
            representation_window_days=180,
            default_review_weeks=8,
        )
    admin = personas.actor(personas.netadmin)
    first = plan_settings_update(
        actor=admin,
        network=personas.network,
        max_exit_plan_weeks=26,
        representation_window_days=180,
        default_review_weeks=8,
    )
    second = plan_settings_update(
        actor=admin,
        network=personas.network,
        max_exit_plan_weeks=30,
        representation_window_days=180,
        default_review_weeks=8,
    )
    assert (first.version, second.version) == (1, 2)
    assert current_plan_settings(personas.network).max_exit_plan_weeks == 30
    with pytest.raises(ValidationError) as error:
        plan_settings_update(
            actor=admin,
            network=personas.network,
            max_exit_plan_weeks=0,
            representation_window_days=180,
            default_review_weeks=8,
        )
    assert "max_exit_plan_weeks" in error.value.message_dict
