"""The person's own record in the portal: plan, appointments across agencies, consents,
who looked, download my data."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.plans.factories import CarePlanFactory, GoalFactory, PlanActionFactory
from tests.portal.factories import CitizenAccountFactory, appointment_for, citizen_client
from wraparound.accounts.actor import actor_for_user
from wraparound.appointments.models import AppointmentChangeRequest
from wraparound.audit.models import AuditEvent
from wraparound.consent.models import Consent
from wraparound.consent.policy import Action, decide
from wraparound.notifications.models import Notification
from wraparound.people.selectors import person_get
from wraparound.plans.models import ActionUpdate, CarePlanStatus


@pytest.fixture
def plan(case):
    plan = CarePlanFactory(
        case=case,
        status=CarePlanStatus.AGREED,
        agreed_on=timezone.localdate() - dt.timedelta(days=3),
        agreement_method="in_person",
        summary="Get settled and back to work",
    )
    goal = GoalFactory(plan=plan, need__assessment__person=case.person, what="A settled home")
    PlanActionFactory(goal=goal, description="Bring proof of income", owner="person")
    PlanActionFactory(goal=goal, description="Call the landlord", owner="key_worker")
    return plan


def test_my_plan_in_plain_words(account, plan):
    html = citizen_client(account).get(reverse("portal:plan")).content.decode()
    assert "A settled home" in html and "Bring proof of income" in html
    assert "Your key worker" in html
    assert AuditEvent.objects.filter(action="portal.plan_view", person_id=plan.person_id).exists()


def test_the_person_marks_their_own_action_done_with_a_note(account, plan):
    own = plan.goals.get().actions.get(owner="person")
    client = citizen_client(account)
    client.post(reverse("portal:plan_action", args=[own.pk]), {"done": "on", "note": "Posted it"})
    own.refresh_from_db()
    assert own.done_on == timezone.localdate()
    update = ActionUpdate.objects.get()
    assert update.note == "Posted it" and update.by_account == account and not update.on_behalf
    assert "Posted it" in client.get(reverse("portal:plan")).content.decode()


def test_only_a_note_on_someone_elses_action(account, plan):
    theirs = plan.goals.get().actions.get(owner="key_worker")
    client = citizen_client(account)
    page = client.post(reverse("portal:plan_action", args=[theirs.pk]), {"done": "on", "note": ""})
    assert "Only the person doing this action can mark it done" in page.content.decode()
    theirs.refresh_from_db()
    assert theirs.done_on is None and not ActionUpdate.objects.exists()
    empty = client.post(reverse("portal:plan_action", args=[theirs.pk]), {"note": ""})
    assert "Write a note, or mark the action done" in empty.content.decode()


def test_another_persons_plan_action_is_not_found(personas, account, plan):
    stranger = CitizenAccountFactory(
        network=personas.network, person=f_person(personas), email="x@example.org"
    )
    own = plan.goals.get().actions.get(owner="person")
    response = citizen_client(stranger).get(reverse("portal:plan_action", args=[own.pk]))
    assert response.status_code == 404


def f_person(personas):  # type: ignore[no-untyped-def]
    from tests import factories as f

    return f.PersonFactory(network=personas.network, registered_by=personas.one_stop)


def test_appointments_from_every_agency_with_how_to_get_there(personas, account, person):
    from tests.eligibility.factories import ServiceFactory
    from wraparound.directory.models import Address, Location

    location = Location.objects.create(
        network=personas.network,
        organisation=personas.partner_org,
        name="Taff House",
        transportation="Bus 120 to the square, then 2 minutes' walk",
    )
    Address.objects.create(
        location=location,
        address_1="1 High St",
        city="Treorchy",
        postal_code="CF42 6AA",
        country="GB",
    )
    service = ServiceFactory(organisation=personas.partner_org, name="Tenancy support")
    appointment_for(person, personas.one_stop, personas.keyworker, days=1, purpose="Plan review")
    appointment_for(
        person, personas.partner_org, personas.partner, days=3, location=location, service=service
    )
    appointment_for(person, personas.partner_org, personas.partner, days=-3, purpose="Old one")
    html = citizen_client(account).get(reverse("portal:appointments")).content.decode()
    assert html.index("Plan review") < html.index("Tenancy support")
    assert "Bus 120 to the square" in html and "1 High St" in html
    assert "Old one" not in html


def test_asking_to_move_an_appointment_tells_the_agency(personas, account, person):
    a = appointment_for(person, personas.partner_org, personas.partner, days=2)
    client = citizen_client(account)
    missing = client.post(
        reverse("portal:appointment_change", args=[a.pk]), {"kind": "change", "note": ""}
    )
    assert "Say which days and times would suit you" in missing.content.decode()
    client.post(
        reverse("portal:appointment_change", args=[a.pk]),
        {"kind": "change", "note": "Mornings after 10 please"},
    )
    request = AppointmentChangeRequest.objects.get()
    assert request.kind == "change" and request.requested_by_account == account
    assert Notification.objects.filter(
        recipient=personas.partner, kind="appointment_change_request"
    ).exists()
    again = client.post(reverse("portal:appointment_change", args=[a.pk]), {"kind": "cancel"})
    assert "already asked" in again.content.decode()
    assert "You asked to change this" in client.get(reverse("portal:appointments")).content.decode()


def test_consent_given_in_the_portal_applies_at_once_and_withdrawal_too(personas, account, person):
    partner = actor_for_user(personas.partner, via="web")
    assert not decide(actor=partner, person=person, category="identity", action=Action.VIEW)
    client = citizen_client(account)
    client.post(
        reverse("portal:my_data"),
        {
            "recipient_organisation": personas.partner_org.pk,
            "categories": ["identity", "household"],
        },
    )
    consent = Consent.objects.get()
    assert consent.evidence == "portal" and consent.recorded_by is None
    fresh = actor_for_user(personas.partner, via="web")
    assert decide(actor=fresh, person=person, category="household", action=Action.VIEW)
    client.post(reverse("portal:consent_withdraw", args=[consent.pk]))
    after = actor_for_user(personas.partner, via="web")
    assert not decide(actor=after, person=person, category="household", action=Action.VIEW)
    page = client.get(reverse("portal:my_data")).content.decode()
    assert "Withdrawn on" in page


def test_consent_form_errors_keep_the_choices(personas, account):
    page = citizen_client(account).post(reverse("portal:my_data"), {"categories": ["health"]})
    html = page.content.decode()
    assert "Choose the organisation" in html
    assert (
        'value="health" checked' in html or 'value="health"  checked' in html or "checked" in html
    )


def test_who_looked_shows_staff_reads_not_my_own(personas, account, person, case):
    person_get(actor=actor_for_user(personas.keyworker, via="web"), person_id=person.pk)
    client = citizen_client(account)
    client.get(reverse("portal:plan"))
    html = client.get(reverse("portal:who_looked")).content.decode()
    assert personas.one_stop.name in html
    assert "(portal)" not in html


def test_download_my_data_as_json_and_a_readable_page(account, plan):
    client = citizen_client(account)
    response = client.get(reverse("portal:download", args=["json"]))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["person"]["family_name"] == "Morgan"
    assert data["care_plans"][0]["goals"][0]["what"] == "A settled home"
    page = client.get(reverse("portal:download", args=["html"]))
    assert page["Content-Disposition"].startswith("attachment")
    assert "A settled home" in page.content.decode()
    assert AuditEvent.objects.filter(action="portal.my_data_download").count() == 2


def test_dashboard_query_count_does_not_grow(
    personas, account, person, plan, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = citizen_client(account)
    appointment_for(person, personas.one_stop, personas.keyworker, days=1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:dashboard"))
    for day in range(2, 22):
        appointment_for(person, personas.partner_org, personas.partner, days=day)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("portal:dashboard"))
    assert len(many) == len(few)
