"""Demo referrals, written through the services as key workers and agency staff would.

``seed_referrals`` runs after the care plans: for agreed plan goals, the key worker refers the
person to a service that meets the goal's need at another organisation (recording the
person's consent to that organisation first when none covers it, as a worker does at the
referral conversation), and the receiving organisation answers — so the network has
referrals in every status, some answered late, some still waiting past their deadline
(dates moved back after writing, as history), and one service full with a waitlist.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import CASEWORK_ROLES, Membership
from wraparound.appointments.services import appointment_book
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Evidence, Purpose, RecipientKind
from wraparound.consent.policy import organisation_may_receive
from wraparound.consent.services import consent_record
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Service, ServiceStatus
from wraparound.enrolments.services import enrolment_start, service_event_record
from wraparound.flags.services import flags_refresh_network
from wraparound.people.models import Person
from wraparound.plans.models import CarePlanStatus, Goal
from wraparound.referrals.models import REASONS_FOR, Referral, ReferralStatus, Urgency
from wraparound.referrals.services import referral_create, referral_transition

S = ReferralStatus
# The story each referral is given: the moves the receiving side makes after it is sent.
# Weighted so every status appears and most referrals are answered.
STORIES: list[tuple[tuple[str, ...], int]] = [
    ((), 14),  # still requested
    ((S.ACCEPTED,), 10),
    ((S.ACCEPTED, S.IN_PROGRESS), 16),
    ((S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED), 14),
    ((S.REJECTED,), 8),
    ((S.ON_HOLD,), 4),
    ((S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD), 3),
    ((S.ACCEPTED, S.FAILED), 3),
    ((S.CANCELLED,), 4),
]
DRAFTS = 3
ENTERED_IN_ERROR = 1
OUTCOMES = {
    "housing-instability": "Arrears plan agreed with the landlord; notice withdrawn",
    "homelessness": "Moved into a supported flat",
    "food-insecurity": "Food parcels for four weeks and a benefits check",
    "financial-insecurity": "Benefits claimed and a debt plan set up",
    "mental-health": "Six sessions with the community team",
}
REASON_TEXT = {
    "not-eligible": "Outside the service's criteria",
    "no-capacity": "No places this month",
    "out-of-area": "Lives outside our area",
    "duplicate": "Already working with us",
    "insufficient-information": "Need the housing history first",
    "person-declined": "Did not want the service when we called",
    "unable-to-contact": "Three calls and a letter, no answer",
    "need-met-elsewhere": "The council found a place first",
    "circumstances-changed": "Moved in with family",
    "awaiting-person": "Waiting for the person to call back",
    "awaiting-information": "Waiting for the tenancy papers",
    "service-paused": "Service paused over the holidays",
    "other": "See the notes",
}


@dataclass
class _Counts:
    by_status: dict[str, int] = field(default_factory=dict)
    consents: int = 0
    overdue: int = 0
    waitlisted: int = 0

    def as_dict(self) -> dict[str, int]:
        counts = {"referrals": sum(self.by_status.values())}
        counts |= {f"referrals_{s.replace('-', '_')}": n for s, n in self.by_status.items()}
        return counts | {
            "referral_consents": self.consents,
            "referrals_overdue": self.overdue,
            "waitlisted": self.waitlisted,
        }


def _staff_actor(organisation_id: int, rng: random.Random) -> Actor | None:
    members = list(
        Membership.objects.filter(
            organisation_id=organisation_id,
            is_active=True,
            role__in=sorted(CASEWORK_ROLES),
            user__is_active=True,
        ).select_related("user")
    )
    if not members:
        return None
    membership = rng.choice(members)
    # Acting for this organisation, whatever other memberships the worker has.
    return Actor(user=membership.user, membership=membership, via="cli")


REFERRAL_CONSENT_DETAIL = "Agreed when the referral was made"
BUNDLE = (DataCategory.ASSESSMENTS, DataCategory.PLANS_REFERRALS)


def _consent_first(actor: Actor, person: Person, organisation: Organisation) -> bool:
    """With no consent to the organisation at all, the worker records the person's agreement
    (as they would in the conversation); True when one was recorded."""
    if organisation_may_receive(
        person=person, organisation_id=organisation.pk, category=DataCategory.IDENTITY
    ):
        return False
    consent_record(
        actor=actor,
        person=person,
        recipient_kind=RecipientKind.ORGANISATION,
        recipient_organisation=organisation,
        purpose=Purpose.CARE_COORDINATION,
        purpose_detail=REFERRAL_CONSENT_DETAIL,
        categories=list(BUNDLE),
        evidence=Evidence.VERBAL,
    )
    return True


def _bundle(actor: Actor, person: Person, service: Service, counts: _Counts) -> list[str]:
    """What may travel with the referral: what the person's consent to the organisation
    covers (recorded first when there is none)."""
    org_id = service.organisation_id
    counts.consents += _consent_first(actor, person, service.organisation)
    return [
        str(c)
        for c in BUNDLE
        if organisation_may_receive(person=person, organisation_id=org_id, category=c)
    ]


def _services_by_need(network: Network) -> dict[str, list[Service]]:
    found: dict[str, list[Service]] = {}
    for service in (
        Service.objects.filter(
            organisation__network=network, status=ServiceStatus.ACTIVE, accepts_referrals=True
        )
        .select_related("organisation")
        .prefetch_related("needs")
        .order_by("id")
    ):
        for need in service.needs.all():
            found.setdefault(need.need, []).append(service)
    return found


def _move(receiver: Actor, referral: Referral, to: str, rng: random.Random) -> Referral:
    code = rng.choice(REASONS_FOR[to]) if to in REASONS_FOR else ""
    return referral_transition(
        actor=receiver,
        referral=referral,
        to=to,
        reason_code=code,
        reason=REASON_TEXT.get(code, "") if code else "",
        outcome=OUTCOMES.get(referral.need, "Support provided as planned")
        if to == S.COMPLETED
        else "",
    )


def _backdate(referral: Referral, days: int, answer_hours: int = 0) -> None:
    """Move the referral's history back ``days``, as if it was sent then, and its sending a
    further ``answer_hours`` back (how long the receiving side took to answer)."""
    shift = timedelta(days=days)
    sent = shift + timedelta(hours=answer_hours)
    Referral.objects.filter(pk=referral.pk).update(
        created_at=F("created_at") - sent,
        requested_at=F("requested_at") - sent,
        respond_by=F("respond_by") - sent,
        first_contact_by=F("first_contact_by") - sent,
        status_changed_at=F("status_changed_at") - shift,
        responded_at=F("responded_at") - shift,
        closed_at=F("closed_at") - shift,
    )
    transitions = referral.transitions.all()
    transitions.filter(to_status__in=[S.DRAFT, S.REQUESTED]).update(at=F("at") - sent)
    transitions.exclude(to_status__in=[S.DRAFT, S.REQUESTED]).update(at=F("at") - shift)


def seed_referrals(
    *,
    network: Network,
    people: Sequence[Person],
    rng: random.Random,
    unrelated: Sequence[str] = (),
) -> dict[str, int]:
    """``unrelated``: slugs of organisations that must stay strangers to everyone (the demo's
    "practitioner at an unrelated agency" persona): nobody is referred to them."""
    counts = _Counts()
    services = {
        need: [s for s in found if s.organisation.slug not in unrelated]
        for need, found in _services_by_need(network).items()
    }
    goals = list(
        Goal.objects.filter(
            plan__status=CarePlanStatus.AGREED,
            plan__case__network=network,
            plan__case__person_id__in=[p.pk for p in people],
            plan__case__status__in=[CaseStatus.OPEN, CaseStatus.STEPPED_DOWN],
            plan__case__key_worker__isnull=False,
        )
        .select_related("plan__case__person", "plan__case__key_worker")
        .order_by("id")
    )
    stories = [story for story, _ in STORIES]
    weights = [weight for _, weight in STORIES]
    made: list[Referral] = []
    for goal in goals:
        case: Case = goal.plan.case
        options = [
            s
            for s in services.get(goal.need_category, [])
            if s.organisation_id != case.lead_organisation_id
        ]
        if not options or rng.random() < 0.25:
            continue  # some needs are met in-house or not referred yet (gap flags)
        service = rng.choice(options)
        referrer = actor_for_user(case.key_worker, via="cli") if case.key_worker else None
        receiver = _staff_actor(service.organisation_id, rng)
        if referrer is None or referrer.membership is None or receiver is None:
            continue
        if referrer.membership.organisation_id != case.lead_organisation_id:
            continue
        bundle = _bundle(referrer, case.person, service, counts)
        draft = len(made) < DRAFTS
        referral = referral_create(
            actor=referrer,
            person=case.person,
            service=service,
            need=goal.need_category,
            goal=goal,
            case=case,
            reason=f"For the plan goal: {goal.what}",
            urgency=rng.choices(list(Urgency.values), weights=[7, 2, 1])[0],
            bundle=bundle,
            send=not draft,
        )
        if not draft:
            # Every story once first (so even a small demo shows every status), then by weight.
            sent = len(made) - DRAFTS
            story = stories[sent] if 0 <= sent < len(stories) else rng.choices(stories, weights)[0]
            for to in story:
                if to == S.IN_PROGRESS and not referral.holds_slot:
                    break  # the service was full: the referral waits on its waitlist
                referral = _move(receiver, referral, to, rng)
            if sent == len(stories):  # one sent to the wrong service by mistake
                referral = referral_transition(
                    actor=referrer, referral=referral, to=S.ENTERED_IN_ERROR
                )
        if referral.status not in (S.DRAFT, S.REQUESTED):
            # Answered within a working day mostly, some late (the SLA is 48 hours).
            _backdate(referral, rng.randint(1, 90), rng.choice([2, 5, 20, 30, 70, 120]))
        made.append(referral)
    counts.overdue = _make_overdue(made, rng)
    counts.waitlisted = _fill_a_service(network, made, rng)
    for referral in Referral.objects.filter(network=network):
        counts.by_status[referral.status] = counts.by_status.get(referral.status, 0) + 1
    extra = _enrolments_and_events(network, rng)
    extra |= _appointments(network, unrelated, rng)
    raised, _ = flags_refresh_network(network_id=network.pk)
    return counts.as_dict() | extra | {"flags": raised}


def _enrolments_and_events(network: Network, rng: random.Random) -> dict[str, int]:
    """Referrals in progress become enrolments with a few services delivered since."""
    enrolments = events = 0
    today = timezone.localdate()
    for referral in (
        Referral.objects.filter(network=network, status=S.IN_PROGRESS, holds_slot=True)
        .select_related("service", "person", "case__key_worker")
        .order_by("id")
    ):
        receiver = _staff_actor(referral.receiving_organisation_id, rng)
        if receiver is None or receiver.user is None:
            continue
        sent = timezone.localdate(referral.requested_at) if referral.requested_at else today
        enrolment = enrolment_start(actor=receiver, referral=referral, started_on=sent)
        enrolments += 1
        for _ in range(rng.randint(1, 6)):
            service_event_record(
                actor=receiver,
                enrolment=enrolment,
                on=sent + timedelta(days=rng.randint(0, max((today - sent).days, 0))),
                event_type=rng.choice(["one_to_one", "advice", "practical", "advocacy"]),
                mode=rng.choice(["centre", "home_visit", "phone", "video"]),
                units=Decimal(rng.choice([1, 1, 1, 2])),
                duration_minutes=rng.choice([30, 45, 60, 90]),
                delivered_by=receiver.user,
            )
            events += 1
    return {"enrolments": enrolments, "service_events": events}


def _staff_of(network: Network, slug: str, rng: random.Random) -> Actor | None:
    from wraparound.directory.models import Organisation

    org = Organisation.objects.filter(network=network, slug=slug).first()
    return _staff_actor(org.pk, rng) if org else None


def _appointments(network: Network, unrelated: Sequence[str], rng: random.Random) -> dict[str, int]:
    """The next fortnight's appointments for people with referrals in progress: the key
    worker and the receiving service, and — for one household — home visits by three
    organisations in one week (a "five cars" flag) and a second food service at another
    organisation (a duplication flag)."""
    booked = 0
    now = timezone.now()
    slot = now.replace(minute=0, second=0, microsecond=0)
    referrals = list(
        Referral.objects.filter(network=network, status=S.IN_PROGRESS)
        .select_related("case__key_worker", "person")
        .order_by("id")
    )
    for i, referral in enumerate(referrals):
        key_worker = referral.case.key_worker if referral.case else None
        receiver = _staff_actor(referral.receiving_organisation_id, rng)
        for j, (actor_user, place) in enumerate(
            [(key_worker, "centre"), (receiver.user if receiver else None, "home_visit")]
        ):
            if actor_user is None:
                continue
            start = slot + timedelta(days=1 + (i + j * 3) % 12, hours=(i * 2 + j * 5) % 7)
            start = start.replace(hour=9 + (i + j * 3) % 7)
            appointment_book(
                actor=actor_for_user(actor_user, via="cli"),
                person=referral.person,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                place=place,
                purpose="Key work session" if j == 0 else "Visit about the referral",
                staff=actor_user,
                referral=referral,
                acknowledge=True,
            )
            booked += 1
    booked += _crowded_home(network, referrals, unrelated, rng, slot)
    return {"appointments": booked}


def _crowded_home(
    network: Network,
    referrals: list[Referral],
    unrelated: Sequence[str],
    rng: random.Random,
    slot: datetime,
) -> int:
    """One person in a household visited at home by three organisations within a week, and
    receiving food support from two organisations at once."""
    from wraparound.people.models import HouseholdMember

    chosen = next(
        (
            r
            for r in referrals
            if r.case
            and r.case.key_worker
            and HouseholdMember.objects.filter(person=r.person).exists()
        ),
        None,
    )
    if chosen is None or chosen.case is None or chosen.case.key_worker is None:
        return 0
    person, key_worker = chosen.person, chosen.case.key_worker
    referrer = actor_for_user(key_worker, via="cli")
    booked = 0
    for day, slug in enumerate(["families-first", "food-bank", "community-mental-health"]):
        if slug in unrelated:
            continue
        visitor = _staff_of(network, slug, rng)
        if visitor is None or visitor.user is None or visitor.membership is None:
            continue
        _consent_first(referrer, person, visitor.membership.organisation)
        start = (slot + timedelta(days=2 + day)).replace(hour=11)
        appointment_book(
            actor=visitor,
            person=person,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="home_visit",
            purpose="Home visit",
            staff=visitor.user,
            acknowledge=True,
        )
        booked += 1
    _money_help_twice(network, person, referrer, unrelated, rng)
    return booked


def _money_help_twice(
    network: Network, person: Person, referrer: Actor, unrelated: Sequence[str], rng: random.Random
) -> None:
    """Two organisations helping the person with money at once, unaware of each other."""
    from wraparound.directory.models import Service
    from wraparound.enrolments.models import Enrolment

    taken = set(
        Enrolment.objects.filter(person=person, status="active").values_list(
            "service_id", flat=True
        )
    )
    organisations: set[int] = set()
    for service in (
        Service.objects.filter(organisation__network=network, needs__need="financial-insecurity")
        .exclude(organisation__slug__in=list(unrelated))
        .exclude(pk__in=taken)
        .select_related("organisation")
        .order_by("id")
    ):
        if service.organisation_id in organisations or len(organisations) == 2:
            continue
        runner = _staff_actor(service.organisation_id, rng)
        if runner is None:
            continue
        _consent_first(referrer, person, service.organisation)
        if service.capacity_available == 0:
            continue
        enrolment_start(actor=runner, person=person, service=service)
        organisations.add(service.organisation_id)


def _make_overdue(made: list[Referral], rng: random.Random) -> int:
    """Half the referrals still waiting for an answer were sent long enough ago to be late."""
    overdue = 0
    for referral in made:
        if referral.status == S.REQUESTED and rng.random() < 0.5:
            _backdate(referral, rng.randint(10, 25))
            overdue += 1
    return overdue


def _fill_a_service(network: Network, made: list[Referral], rng: random.Random) -> int:
    """The busiest service with a cap becomes full, and its waiting referrals are accepted
    onto its waitlist."""
    requested = [r for r in made if r.status == S.REQUESTED and r.service.capacity_total]
    if not requested:
        return 0
    by_service: dict[int, list[Referral]] = {}
    for referral in requested:
        by_service.setdefault(referral.service_id, []).append(referral)
    service_id, waiting = max(by_service.items(), key=lambda kv: (len(kv[1]), -kv[0]))
    Service.objects.filter(pk=service_id).update(capacity_available=0)
    receiver = _staff_actor(waiting[0].receiving_organisation_id, rng)
    if receiver is None:
        return 0
    for referral in waiting[:-1]:  # one stays unanswered in the inbox
        referral_transition(actor=receiver, referral=referral, to=S.ACCEPTED)
    return len(waiting) - 1


def overdue_count(network: Network) -> int:
    return Referral.objects.filter(
        network=network, status=S.REQUESTED, respond_by__lt=timezone.now()
    ).count()
