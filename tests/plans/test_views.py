import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from tests.plans.factories import (
    AssessmentFactory,
    CarePlanFactory,
    ExitPlanFactory,
    NeedFactory,
    PlanActionFactory,
)
from wraparound.assessments.models import Tier
from wraparound.plans.models import CarePlan, CarePlanStatus, ExitCheckIn, ExitPlan, Goal

pytestmark = pytest.mark.django_db


def _date(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def test_plan_a_case_from_start_to_agreement(keyworker_client, case, person):
    need = NeedFactory(assessment__person=person)
    record = keyworker_client.get(f"/people/{person.pk}/").content.decode()
    assert f'href="/plans/person/{person.pk}/"' in record
    overview = keyworker_client.get(f"/plans/person/{person.pk}/").content.decode()
    assert case.reference in overview
    response = keyworker_client.post(f"/plans/case/{case.pk}/start")
    plan = CarePlan.objects.get()
    assert response.url == f"/plans/care-plan/{plan.pk}/edit"
    page = keyworker_client.get(response.url).content.decode()
    assert "Housing instability" in page and "Add a goal" in page
    target = timezone.localdate() + dt.timedelta(weeks=20)
    bad = keyworker_client.post(
        f"/plans/care-plan/{plan.pk}/goals",
        {"need": "", "what": "A home", "measure": "Keys", **_date("target_on", target)},
    )
    assert bad.status_code == 400
    assert "Choose the assessed need this goal meets" in bad.content.decode()
    assert Goal.objects.count() == 0
    keyworker_client.post(
        f"/plans/care-plan/{plan.pk}/goals",
        {"need": str(need.pk), "what": "A home", "measure": "Keys", **_date("target_on", target)},
    )
    goal = Goal.objects.get()
    prefix = f"goal-{goal.pk}"
    keyworker_client.post(
        f"/plans/goals/{goal.pk}/actions",
        {
            f"{prefix}-description": "Register with the council",
            f"{prefix}-owner": "person",
            f"{prefix}-service": "",
            **_date(f"{prefix}-due_on", timezone.localdate() + dt.timedelta(days=7)),
        },
    )
    assert goal.actions.count() == 1
    agreed = keyworker_client.post(
        f"/plans/care-plan/{plan.pk}/agree",
        {"agreement_method": "in_person_signed", **_date("agreed_on", timezone.localdate())},
    )
    assert agreed.status_code == 302
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.AGREED
    case_page = keyworker_client.get(f"/plans/case/{case.pk}/").content.decode()
    assert "Version 1, agreed" in case_page and "Register with the council" in case_page


def test_action_errors_stay_on_their_goal(keyworker_client, case, person):
    goal = PlanActionFactory(goal__plan__case=case).goal
    prefix = f"goal-{goal.pk}"
    response = keyworker_client.post(
        f"/plans/goals/{goal.pk}/actions",
        {f"{prefix}-description": "Chase", f"{prefix}-owner": "agency"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the due date" in page
    assert goal.actions.count() == 1


def test_printable_plan_in_plain_words(keyworker_client, case):
    action = PlanActionFactory(
        goal__plan__case=case,
        goal__plan__status=CarePlanStatus.AGREED,
        goal__plan__agreed_on=timezone.localdate(),
        goal__plan__agreement_method="phone",
    )
    page = keyworker_client.get(f"/plans/care-plan/{action.goal.plan_id}/print").content.decode()
    assert "Your support plan" in page and "You agreed this plan" in page
    assert "plans/print.css" in page and "<style" not in page and "style=" not in page
    assert "Apply to the housing register" in page and "You</td>" in page


def test_other_organisations_get_404(personas, case):
    plan = CarePlanFactory(case=case)
    partner = personas.client(personas.partner)
    for url in (
        f"/plans/case/{case.pk}/",
        f"/plans/care-plan/{plan.pk}/edit",
        f"/plans/care-plan/{plan.pk}/print",
        f"/plans/case/{case.pk}/exit-plan",
    ):
        assert partner.get(url).status_code == 404, url
    assert partner.post(f"/plans/case/{case.pk}/start").status_code == 404


def test_exit_plan_form_creates_check_ins(
    keyworker_client, case, django_capture_on_commit_callbacks
):
    too_long = keyworker_client.post(
        f"/plans/case/{case.pk}/exit-plan",
        {"intensive": "20", "supported": "20", "light_touch": "20", "note": ""},
    )
    assert "lasts 60 weeks: the network allows at most 52 weeks" in too_long.content.decode()
    assert ExitPlan.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = keyworker_client.post(
            f"/plans/case/{case.pk}/exit-plan",
            {"intensive": "0", "supported": "4", "light_touch": "8", "note": ""},
        )
    assert response.status_code == 302
    assert ExitCheckIn.objects.count() == 2 + 2 + 3
    page = keyworker_client.get(f"/plans/case/{case.pk}/").content.decode()
    assert "Record check-in" in page
    first = ExitCheckIn.objects.order_by("due_on").first()
    assert "Exit plan check-ins due" not in keyworker_client.get("/").content.decode()
    ExitCheckIn.objects.filter(pk=first.pk).update(due_on=timezone.localdate())  # time passes
    home = keyworker_client.get("/").content.decode()
    assert "Exit plan check-ins due" in home and "supported check-in due" in home
    check_in = ExitCheckIn.objects.order_by("due_on").first()
    keyworker_client.post(f"/plans/case/{case.pk}/check-ins/{check_in.pk}/done")
    check_in.refresh_from_db()
    assert check_in.status == "done"


def test_caseload_shows_tier_and_overdue_reviews(personas, keyworker_client, case, person):
    AssessmentFactory(person=person, tier=Tier.INTENSIVE)
    CarePlanFactory(
        case=case,
        status=CarePlanStatus.AGREED,
        agreed_on=timezone.localdate() - dt.timedelta(weeks=20),
        agreement_method="phone",
        review_on=timezone.localdate() - dt.timedelta(days=3),
    )
    page = keyworker_client.get("/").content.decode()
    assert "Intensive" in page and "Overdue" in page
    assert "Plan reviews overdue" in page and "review was due" in page


def test_caseload_query_count_does_not_grow_with_the_caseload(personas, keyworker_client):
    def add_cases(n):
        for _ in range(n):
            person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
            case = f.CaseFactory(
                person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker
            )
            AssessmentFactory(person=person)
            CarePlanFactory(
                case=case,
                status=CarePlanStatus.AGREED,
                agreed_on=timezone.localdate(),
                agreement_method="phone",
                review_on=timezone.localdate() - dt.timedelta(days=1),
            )
            ExitPlanFactory(case=case)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert keyworker_client.get("/").status_code == 200
        return len(queries)

    add_cases(2)
    few = count()
    add_cases(10)
    assert count() == few


def test_network_admin_saves_plan_settings_as_a_new_version(personas, keyworker_client):
    assert keyworker_client.get("/plans/settings").status_code == 403
    admin = personas.client(personas.netadmin)
    assert "The defaults are in force" in admin.get("/plans/settings").content.decode()
    bad = admin.post("/plans/settings", {"max_exit_plan_weeks": "0"})
    assert "Ensure this value is greater than or equal to 1" in bad.content.decode()
    response = admin.post(
        "/plans/settings",
        {
            "max_exit_plan_weeks": "26",
            "representation_window_days": "180",
            "default_review_weeks": "8",
            "note": "Shorter step-downs",
        },
    )
    assert response.status_code == 302
    page = admin.get("/plans/settings").content.decode()
    assert "Version 1 is in force" in page and "Shorter step-downs" in page
