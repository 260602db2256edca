"""Duplication, five cars, gap and bounce flags: detection, refresh, resolution, pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.directory.factories import ServiceFactory, ServiceNeedFactory
from tests.plans.factories import CarePlanFactory, GoalFactory
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.accounts.actor import Actor
from wraparound.appointments.models import Appointment
from wraparound.enrolments.models import Enrolment
from wraparound.flags.models import Flag, FlagKind, FlagSettings
from wraparound.flags.services import flag_resolve, flags_refresh
from wraparound.notifications.models import Notification
from wraparound.plans.models import CarePlanStatus
from wraparound.referrals.models import ReferralStatus as S
from wraparound.referrals.services import referral_transition

SYSTEM = Actor.system("tests")


def refresh(*people):
    return flags_refresh(actor=SYSTEM, people_ids=[p.pk for p in people])


def enrol(personas, person, organisation, need):
    service = ServiceFactory(organisation=organisation)
    ServiceNeedFactory(service=service, need=need)
    return Enrolment.objects.create(
        network=personas.network,
        person=person,
        service=service,
        organisation=organisation,
        started_on=timezone.localdate(),
        enrolled_by=personas.keyworker,
    )


def test_duplication_across_organisations_and_not_within_one(personas, person, case):
    first = enrol(personas, person, personas.one_stop, "food-insecurity")
    enrol(personas, person, personas.one_stop, "food-insecurity")
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.DUPLICATION).exists()
    enrol(personas, person, personas.partner_org, "food-insecurity")
    refresh(person)
    flag = Flag.objects.get(kind=FlagKind.DUPLICATION)
    assert flag.key == "food-insecurity" and personas.partner_org.name in flag.summary
    assert refresh(person) == (0, 0)  # idempotent
    Enrolment.objects.exclude(organisation=personas.one_stop).update(
        status="ended", ended_on=timezone.localdate(), end_reason="completed"
    )
    assert refresh(person) == (0, 1)
    flag.refresh_from_db()
    assert flag.resolution == "resolved_itself" and first.pk


def home_visit(personas, person, organisation, days):
    start = timezone.now() + dt.timedelta(days=days)
    return Appointment.objects.create(
        network=personas.network,
        person=person,
        organisation=organisation,
        place="home_visit",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        purpose="Visit",
        booked_by=personas.keyworker,
    )


def test_five_cars_counts_organisations_visiting_one_household(personas, person, case):
    household = f.HouseholdFactory(network=personas.network)
    f.HouseholdMemberFactory(household=household, person=person)
    child = f.PersonFactory(network=personas.network)
    f.HouseholdMemberFactory(household=household, person=child, relationship="child")
    home_visit(personas, person, personas.one_stop, 1)
    home_visit(personas, child, personas.partner_org, 2)
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.FIVE_CARS).exists()
    home_visit(personas, child, personas.outsider_org, 20)  # outside the week
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.FIVE_CARS).exists()
    home_visit(personas, person, personas.outsider_org, 3)
    refresh(person)
    flag = Flag.objects.get(kind=FlagKind.FIVE_CARS)
    assert flag.household_id == household.pk and "3 organisations" in flag.summary
    FlagSettings.objects.create(network=personas.network, version=1, home_visits=4)
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.FIVE_CARS, resolved_at__isnull=True).exists()


def agreed_plan(personas, case, need, days_ago):
    plan = CarePlanFactory(
        case=case,
        status=CarePlanStatus.AGREED,
        agreed_on=timezone.localdate() - dt.timedelta(days=days_ago),
        agreement_method="phone",
    )
    GoalFactory(plan=plan, need__category=need, need__assessment__person=case.person)
    return plan


def test_gap_after_the_configured_days_closed_by_a_referral(personas, person, case):
    agreed_plan(personas, case, "housing-instability", days_ago=10)
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.GAP).exists()
    FlagSettings.objects.create(network=personas.network, version=1, gap_days=7)
    refresh(person)
    assert Flag.objects.filter(kind=FlagKind.GAP, key="housing-instability").exists()
    consent_to(personas, person, personas.partner_org)
    refer(personas, person, housing_service(personas))
    refresh(person)
    assert not Flag.objects.filter(kind=FlagKind.GAP, resolved_at__isnull=True).exists()


def test_bounce_after_two_rejections_and_manual_resolution(
    personas, person, case, django_capture_on_commit_callbacks
):
    consent_to(personas, person, personas.partner_org)
    service = housing_service(personas)
    for _ in range(2):
        referral = refer(personas, person, service)
        with django_capture_on_commit_callbacks(execute=True):
            referral_transition(
                actor=personas.actor(personas.partner),
                referral=referral,
                to=S.REJECTED,
                reason_code="no-capacity",
                reason="Full",
            )
    flag = Flag.objects.get(kind=FlagKind.BOUNCE)  # raised on commit by the transition
    with pytest.raises(ValidationError) as caught:
        flag_resolve(
            actor=personas.actor(personas.keyworker), flag=flag, resolution="not_a_problem"
        )
    assert "why it is not a problem" in caught.value.message_dict["note"][0]
    flag_resolve(
        actor=personas.actor(personas.keyworker),
        flag=flag,
        resolution="referred",
        note="Referred to the council instead",
    )
    flag.refresh_from_db()
    assert flag.resolved_by == personas.keyworker


def test_pages_and_one_click_message(personas, person, case):
    enrol(personas, person, personas.one_stop, "food-insecurity")
    enrol(personas, person, personas.partner_org, "food-insecurity")
    refresh(person)
    flag = Flag.objects.get()
    keyworker = personas.client(personas.keyworker)
    assert flag.summary in keyworker.get(reverse("flags:person", args=[person.pk])).content.decode()
    page = keyworker.get(reverse("flags:detail", args=[flag.pk])).content.decode()
    assert "Message the other organisations" in page and "Consolidate" in page
    keyworker.post(reverse("flags:message", args=[flag.pk]))
    note = Notification.objects.get(recipient=personas.partner, kind="flag.coordinate")
    assert person.family_name not in note.subject
    manager = personas.client(personas.manager)
    assert flag.summary in manager.get(reverse("flags:list")).content.decode()
    assert (
        flag.summary
        not in personas.client(personas.partner).get(reverse("flags:list")).content.decode()
    )
    assert (
        personas.client(personas.outsider).get(reverse("flags:detail", args=[flag.pk])).status_code
        == 404
    )


def test_caseload_shows_open_flags_without_an_extra_query(personas, person, case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = personas.client(personas.keyworker)
    client.get("/")
    with CaptureQueriesContext(connection) as before:
        assert "flag" not in client.get("/").content.decode().lower().split("<main")[1]
    enrol(personas, person, personas.one_stop, "food-insecurity")
    enrol(personas, person, personas.partner_org, "food-insecurity")
    refresh(person)
    with CaptureQueriesContext(connection) as after:
        page = client.get("/").content.decode()
    assert "1 flag" in page
    assert len(after.captured_queries) == len(before.captured_queries)


def test_resolve_refused_to_an_organisation_without_access(personas, person, case):
    Flag.objects.create(
        network=personas.network, person=person, kind=FlagKind.GAP, key="housing", summary="Gap"
    )
    flag = Flag.objects.get(kind=FlagKind.GAP)
    with pytest.raises(PermissionDenied):
        flag_resolve(actor=personas.actor(personas.outsider), flag=flag, resolution="referred")
    flag.refresh_from_db()
    assert flag.resolved_at is None
