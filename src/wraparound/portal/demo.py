"""The portal's demo: ``citizen@example.org`` linked to a demo person with an agreed plan
and upcoming appointments, and a second account waiting for a worker to link it."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from wraparound.appointments.models import Appointment, AppointmentStatus
from wraparound.cases.models import Case, CaseStatus
from wraparound.core.models import Network
from wraparound.directory.models import Address, Location
from wraparound.people.models import Person
from wraparound.plans.models import ActionOwner, CarePlan, CarePlanStatus
from wraparound.portal.models import CitizenAccount, LinkMethod, LinkRequest

CITIZEN_EMAIL = "citizen@example.org"
WAITING_EMAIL = "new.citizen@example.org"


def demo_citizen_person(network: Network) -> Person | None:
    """The person behind the demo citizen: an open case with an agreed plan that has steps
    for the person, preferring someone with upcoming appointments (first by id: stable)."""
    now = timezone.now()
    plans = (
        CarePlan.objects.filter(
            person__network=network,
            status=CarePlanStatus.AGREED,
            case__status=CaseStatus.OPEN,
            case__key_worker__isnull=False,
            goals__actions__owner=ActionOwner.PERSON,
            goals__actions__done_on__isnull=True,
        )
        .annotate(
            upcoming=Count(
                "person__appointments",
                filter=Q(
                    person__appointments__starts_at__gte=now,
                    person__appointments__status=AppointmentStatus.BOOKED,
                ),
                distinct=True,
            )
        )
        .order_by("-upcoming", "person_id")
        .select_related("person", "case")
    )
    plan = plans.first()
    return plan.person if plan else None


def _location_with_directions(person: Person) -> Location:
    location = (
        Location.objects.filter(network=person.network, addresses__isnull=False)
        .order_by("id")
        .first()
    )
    if location is None:
        location = Location.objects.create(network=person.network, name="Cwm Taf One-Stop Centre")
        Address.objects.create(
            location=location,
            address_1="1 Taff Street",
            city="Pontypridd",
            postal_code="CF37 4UA",
            country="GB",
        )
    if not location.transportation:
        location.transportation = (
            "Buses 100, 120 and 132 stop on Taff Street, two minutes' walk. "
            "Pontypridd station is a five-minute walk. Step-free entrance on Mill Street."
        )
        location.save(update_fields=["transportation"])
    return location


def seed_portal(*, network: Network, password: str, rng: random.Random) -> dict[str, int]:
    person = demo_citizen_person(network)
    if person is None:
        return {"portal_accounts": 0}
    case = person.cases.filter(status=CaseStatus.OPEN, key_worker__isnull=False).first()
    assert case is not None
    account = CitizenAccount(
        network=network,
        email=CITIZEN_EMAIL,
        display_name=person.preferred_name or person.given_name,
        person=person,
        linked_at=timezone.now(),
        link_method=LinkMethod.WORKER,
        linked_by=case.key_worker,
    )
    account.set_password(password)
    account.save()
    # An appointment at a centre with directions, so "how to get there" shows something.
    start = (timezone.localtime() + timedelta(days=2 + rng.randrange(3))).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    Appointment.objects.create(
        network=network,
        person=person,
        organisation=case.lead_organisation,
        staff=case.key_worker,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="centre",
        location=_location_with_directions(person),
        purpose="Review your plan with your key worker",
        booked_by=case.key_worker,  # type: ignore[misc]  # a case with a key worker (filtered above)
    )
    counts = _application_and_messages(account, person, case)
    # Someone else waits for a worker to confirm who they are.
    other = (
        Person.objects.filter(
            network=network, merged_into__isnull=True, date_of_birth__isnull=False
        )
        .exclude(pk=person.pk)
        .order_by("id")
        .first()
    )
    if other is not None and other.date_of_birth is not None:
        waiting = CitizenAccount.objects.create(network=network, email=WAITING_EMAIL)
        LinkRequest.objects.create(
            account=waiting,
            given_name=other.given_name,
            family_name=other.family_name,
            date_of_birth=other.date_of_birth,
        )
    return {"portal_accounts": CitizenAccount.objects.filter(network=network).count(), **counts}


def _application_and_messages(
    account: CitizenAccount, person: Person, case: Case
) -> dict[str, int]:
    """An application in progress (the agency wants one more document) and a conversation
    with the key worker."""
    from wraparound.accounts.actor import actor_for_user
    from wraparound.applications.services import application_move, application_submit, draft_start
    from wraparound.documents.services import document_request
    from wraparound.eligibility.selectors import programmes_for_network
    from wraparound.messaging.services import message_send_by_staff, thread_start_by_person
    from wraparound.portal.services import portal_actor
    from wraparound.portal.session import PortalContext

    context = PortalContext(account, person, portal_actor(account=account, person=person))
    programmes = programmes_for_network(network=person.network).programmes
    chosen = [p.ref for p in programmes if p.kind == "service"][:2]
    applications = 0
    if chosen:
        draft = draft_start(
            account=account,
            person=person,
            refs=chosen,
            prefill={
                "contact": {
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "date_of_birth": person.date_of_birth.isoformat()
                    if person.date_of_birth
                    else "",
                    "email": CITIZEN_EMAIL,
                    "phone": person.phone,
                }
            },
        )
        made = application_submit(actor=context.actor, draft=draft)
        applications = len(made)
        first = made[0]
        worker = (
            first.organisation.memberships.filter(
                is_active=True, role__in=["key_worker", "practitioner", "manager"]
            )
            .select_related("user")
            .first()
        )
        if worker is not None:
            staff = actor_for_user(worker.user, via="cli")
            first = application_move(actor=staff, application=first, to="in_review")
            first = application_move(
                actor=staff,
                application=first,
                to="more_information",
                note="Thank you. Please send a recent payslip or benefit letter.",
            )
            document_request(
                actor=staff, application=first, kind="income", note="From the last 3 months"
            )
    thread = thread_start_by_person(
        context=context,
        organisation_id=case.lead_organisation_id,
        subject="Moving my appointment",
        body="Hello, could we meet in the afternoon next week? I start work at 8.",
    )
    if case.key_worker is not None:
        message_send_by_staff(
            actor=actor_for_user(case.key_worker, via="cli"),
            thread=thread,
            body="Of course. How about Thursday at 2pm at the centre?",
        )
    return {"portal_applications": applications, "portal_threads": 1}
